/*
 * test_seal: crypto/seal.c, the sealing of personal data.
 *
 * The KEK file (created 0600, refused when others may read it, refused
 * when malformed), epoch keys wrapped by the KEK under their number and
 * time, data keys wrapped per resident and per epoch, fields sealed per
 * resident and field (a ciphertext moved to another row or column, or
 * altered by one bit, does not open) and padded to one length (a field
 * whose padding is wrong does not open either), the blind index (equal numbers give
 * equal indexes, under one KEK only) and pseudonyms (distinct per resident
 * and per KEK). Every check has its tampered twin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/seal.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/ankang-test-seal.XXXXXX";

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void test_kek_file(void)
{
	char p[256], q[256];
	struct stat st;
	seal_kek *k = NULL;

	path_of(p, sizeof p, "kek");
	is_int(seal_kek_create(p), 0, "KEK created");
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "KEK file is 0600");
	is_int(seal_kek_create(p), AK_EEXIST, "an existing KEK is never overwritten");
	is_int(seal_kek_load(&k, p), 0, "KEK loads");
	seal_kek_free(k);
	k = NULL;
	chmod(p, 0640);
	is_int(seal_kek_load(&k, p), AK_EPERM, "a KEK readable by the group is refused");
	chmod(p, 0604);
	is_int(seal_kek_load(&k, p), AK_EPERM, "a KEK readable by others is refused");
	chmod(p, 0600);

	path_of(q, sizeof q, "kek.link");
	if (symlink(p, q) == 0)
		ok(seal_kek_load(&k, q) != 0, "a KEK reached through a symlink is refused");
	path_of(q, sizeof q, "kek.bad");
	{
		static const char *const bad[] = {
		    "",
		    "ankang-kek-v1 \n",
		    "ankang-kek-v2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		    "ankang-kek-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", /* 31 bytes */
		    "ankang-kek-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", /* not canonical
										     */
		    "ankang-kek-v1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",
		};
		for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++) {
			unlink(q);
			if (util_write_file_atomic(q, bad[i], strlen(bad[i]), 0600, 0) != 0)
				bail_out("write");
			is_int(seal_kek_load(&k, q), AK_EINVAL, "malformed KEK file %zu is refused",
			       i);
		}
	}
}

static void test_fields(void)
{
	char p[256];
	seal_kek *k = NULL, *other = NULL;
	uint8_t wrapped[SEAL_WRAPPED_BYTES], wrapped2[SEAL_WRAPPED_BYTES];
	uint8_t ewrapped[SEAL_WRAPPED_BYTES];
	seal_epochkey ek, ek2, eback;
	enum {
		PAD = 64,
		CT = PAD + SEAL_OVERHEAD
	};
	uint8_t ct[CT], ct2[CT], pt[SEAL_FIELD_MAX + 1];
	seal_datakey dk, dk2, back;
	const char *msg = "Test Resident";
	size_t n = strlen(msg), m;
	int bad;

	path_of(p, sizeof p, "kek");
	if (seal_kek_load(&k, p) != 0)
		bail_out("kek");
	path_of(p, sizeof p, "kek2");
	if (seal_kek_create(p) != 0 || seal_kek_load(&other, p) != 0)
		bail_out("kek2");

	/* Epoch keys, wrapped by the KEK. */
	seal_epochkey_new(3, &ek);
	seal_epochkey_new(3, &ek2);
	ok(ek.number == 3 && memcmp(ek.key, ek2.key, sizeof ek.key) != 0,
	   "epoch keys are random, and carry their number");
	seal_epochkey_wrap(k, &ek, 1000, ewrapped);
	is_int(seal_epochkey_unwrap(k, 3, 1000, ewrapped, &eback), 0,
	       "a wrapped epoch key unwraps");
	ok(eback.number == 3 && memcmp(eback.key, ek.key, sizeof ek.key) == 0, "to the same key");
	is_int(seal_epochkey_unwrap(k, 4, 1000, ewrapped, &eback), AK_ECRYPTO,
	       "not under another number");
	ok(sodium_is_zero(eback.key, sizeof eback.key), "and a failed unwrap leaves no key behind");
	is_int(seal_epochkey_unwrap(k, 3, 1001, ewrapped, &eback), AK_ECRYPTO,
	       "nor with another creation time");
	is_int(seal_epochkey_unwrap(other, 3, 1000, ewrapped, &eback), AK_ECRYPTO,
	       "nor under another KEK");

	/* Data keys, wrapped by an epoch key. */
	is_int(seal_datakey_new(&ek, 7, wrapped, &dk), 0, "a data key for resident 7");
	is_int(seal_datakey_new(&ek, 7, wrapped2, &dk2), 0, "and another");
	ok(memcmp(dk.key, dk2.key, sizeof dk.key) != 0, "data keys are random");
	is_int(seal_datakey_unwrap(&ek, 7, wrapped, &back), 0, "the wrapped key unwraps");
	ok(memcmp(back.key, dk.key, sizeof dk.key) == 0, "to the same key");
	is_int(seal_datakey_unwrap(&ek, 8, wrapped, &back), AK_ECRYPTO,
	       "not as another resident's key");
	ok(sodium_is_zero(back.key, sizeof back.key), "and a failed unwrap leaves no key behind");
	is_int(seal_datakey_unwrap(&ek2, 7, wrapped, &back), AK_ECRYPTO,
	       "not under another epoch key");
	memcpy(ek2.key, ek.key, sizeof ek.key);
	ek2.number = 4;
	is_int(seal_datakey_unwrap(&ek2, 7, wrapped, &back), AK_ECRYPTO,
	       "nor under the same key given another epoch's number");
	is_int(seal_datakey_wrap(&ek2, 7, &dk, wrapped2), 0, "wrapped again under epoch 4");
	is_int(seal_datakey_unwrap(&ek2, 7, wrapped2, &back), 0, "which unwraps");
	ok(memcmp(back.key, dk.key, sizeof dk.key) == 0, "to the same data key");
	is_int(seal_datakey_unwrap(&ek, 7, wrapped2, &back), AK_ECRYPTO,
	       "and not as epoch 3's any more");
	bad = 0;
	for (size_t i = 0; i < SEAL_WRAPPED_BYTES * 8; i++) {
		wrapped[i / 8] ^= (uint8_t)(1u << (i % 8));
		bad += seal_datakey_unwrap(&ek, 7, wrapped, &back) == 0;
		wrapped[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	is_int(bad, 0, "no single-bit change of a wrapped key unwraps");
	seal_epochkey_wipe(&ek2);
	ok(sodium_is_zero(ek2.key, sizeof ek2.key) && ek2.number == 0, "a wiped epoch key is zero");
	seal_epochkey_wipe(&ek);
	seal_epochkey_wipe(&eback);
	seal_epochkey_wipe(NULL);

	is_int(seal_field(&dk, 7, "name", (const uint8_t *)msg, n, PAD, ct), 0, "a name seals");
	ok(memmem(ct, CT, msg, n) == NULL, "the sealed bytes do not hold the name");
	is_int(seal_open_field(&dk, 7, "name", ct, CT, PAD, pt, &m), 0, "and opens");
	ok(m == n && memcmp(pt, msg, n) == 0, "to the same name, its padding taken off");
	ok(sodium_is_zero(pt + n, PAD - n), "and nothing of the padding left after it");
	is_int(seal_field(&dk, 7, "name", (const uint8_t *)msg, n, PAD, ct2), 0, "sealed twice");
	ok(memcmp(ct, ct2, CT) != 0, "with a fresh nonce each time");
	is_int(seal_open_field(&dk, 8, "name", ct, CT, PAD, pt, &m), AK_ECRYPTO,
	       "a field moved to another resident's row does not open");
	is_int(seal_open_field(&dk, 7, "phone", ct, CT, PAD, pt, &m), AK_ECRYPTO,
	       "a field moved to another column does not open");
	is_int(seal_open_field(&dk2, 7, "name", ct, CT, PAD, pt, &m), AK_ECRYPTO,
	       "nor under another data key (what erasure destroys)");
	is_int(seal_open_field(&dk, 7, "name", ct, CT - 1, PAD, pt, &m), AK_EINVAL,
	       "a sealed field of another length than its padding's is refused");
	is_int(seal_open_field(&dk, 7, "name", ct, CT, PAD - 1, pt, &m), AK_EINVAL,
	       "and so is one opened with another padded length");
	bad = 0;
	for (size_t i = 0; i < CT * 8; i++) {
		ct[i / 8] ^= (uint8_t)(1u << (i % 8));
		bad += seal_open_field(&dk, 7, "name", ct, CT, PAD, pt, &m) == 0;
		ct[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	is_int(bad, 0, "no single-bit change of a sealed field opens");

	/* Padding: one sealed length whatever the clear text's. */
	is_int(seal_field(&dk, 7, "name", (const uint8_t *)"", 0, PAD, ct2), 0,
	       "an empty field seals (a phone that was not given)");
	is_int(seal_open_field(&dk, 7, "name", ct2, CT, PAD, pt, &m), 0, "and opens");
	is_int(m, 0, "to nothing");
	memset(pt, 'x', PAD);
	is_int(seal_field(&dk, 7, "name", pt, PAD - 1, PAD, ct2), 0,
	       "the longest clear text the padding allows seals to the same length");
	is_int(seal_field(&dk, 7, "name", pt, PAD, PAD, ct2), AK_EINVAL,
	       "one byte more does not: the padding needs a byte");
	is_int(seal_field(&dk, 7, "name", pt, 1, SEAL_FIELD_MAX + 1, ct2), AK_EINVAL,
	       "nor a padded length over SEAL_FIELD_MAX");

	/* Its twin: the right key and AD, but not padded as seal_field pads. */
	{
		uint8_t ad[12] = {0, 0, 0, 0, 0, 0, 0, 7, 'n', 'a', 'm', 'e'};
		memset(pt, 'x', PAD);
		randombytes_buf(ct2, SEAL_NONCE_BYTES);
		crypto_aead_xchacha20poly1305_ietf_encrypt(ct2 + SEAL_NONCE_BYTES, NULL, pt, PAD,
							   ad, sizeof ad, NULL, ct2, dk.key);
		is_int(seal_open_field(&dk, 7, "name", ct2, CT, PAD, pt, &m), AK_ECORRUPT,
		       "a field without its padding opens but is refused: AK_ECORRUPT");
		ok(sodium_is_zero(pt, PAD) && m == 0, "and nothing of it is handed out");
		pt[0] = 'x';
		pt[1] = 0x80;
		pt[2] = 0x01;
		memset(pt + 3, 0, PAD - 3);
		crypto_aead_xchacha20poly1305_ietf_encrypt(ct2 + SEAL_NONCE_BYTES, NULL, pt, PAD,
							   ad, sizeof ad, NULL, ct2, dk.key);
		is_int(seal_open_field(&dk, 7, "name", ct2, CT, PAD, pt, &m), AK_ECORRUPT,
		       "nor with a byte other than zero after the 0x80");
	}

	seal_datakey_wipe(&dk);
	ok(sodium_is_zero(dk.key, sizeof dk.key), "a wiped data key is zero");
	seal_datakey_wipe(&dk2);
	seal_datakey_wipe(&back);
	seal_datakey_wipe(NULL);
	seal_kek_free(k);
	seal_kek_free(other);
	seal_kek_free(NULL);
}

static void test_indexes(void)
{
	char p[256];
	seal_kek *k = NULL, *other = NULL;
	uint8_t a[SEAL_BLIND_BYTES], b[SEAL_BLIND_BYTES], c[SEAL_BLIND_BYTES];
	uint8_t p1[SEAL_PSEUDONYM_BYTES], p2[SEAL_PSEUDONYM_BYTES], p3[SEAL_PSEUDONYM_BYTES];
	const char *id1 = "11010519491231002X", *id2 = "110105194912310038";

	path_of(p, sizeof p, "kek");
	if (seal_kek_load(&k, p) != 0)
		bail_out("kek");
	path_of(p, sizeof p, "kek2");
	if (seal_kek_load(&other, p) != 0)
		bail_out("kek2");
	seal_blind_index(k, a, id1, strlen(id1));
	seal_blind_index(k, b, id1, strlen(id1));
	seal_blind_index(k, c, id2, strlen(id2));
	ok(memcmp(a, b, sizeof a) == 0, "equal ID numbers give equal blind indexes");
	ok(memcmp(a, c, sizeof a) != 0, "different ID numbers give different ones");
	seal_blind_index(other, b, id1, strlen(id1));
	ok(memcmp(a, b, sizeof a) != 0, "the blind index depends on the KEK");

	seal_pseudonym(k, p1, 7);
	seal_pseudonym(k, p2, 7);
	seal_pseudonym(k, p3, 8);
	ok(memcmp(p1, p2, sizeof p1) == 0, "a resident's pseudonym is stable");
	ok(memcmp(p1, p3, sizeof p1) != 0, "residents have distinct pseudonyms");
	seal_pseudonym(other, p2, 7);
	ok(memcmp(p1, p2, sizeof p1) != 0, "the pseudonym depends on the KEK");
	ok(memcmp(p1, a, sizeof p1) != 0, "pseudonym and blind index keys are separate");
	seal_kek_free(k);
	seal_kek_free(other);
}

int main(void)
{
	char cmd[300];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	test_kek_file();
	test_fields();
	test_indexes();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
