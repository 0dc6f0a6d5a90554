/*
 * seal: sealing of personal data. See seal.h for the key hierarchy.
 *
 * KEK file: one line "ankang-kek-v1 <base64 of 32 bytes>\n", mode 0600.
 *
 * Invariants: the KEK and its subkeys live in sodium_malloc'd memory
 * (read-only after load); a data key lives on its caller's stack for one
 * request and is wiped by seal_datakey_wipe; every other transient copy is
 * wiped before return; the
 * associated data always binds the resident id (and field name), so a
 * ciphertext copied to another row fails to open instead of decrypting.
 */
#include "crypto/seal.h"

#include <string.h>

#include <sodium.h>

#include "common/util.h"

#define KEK_MAGIC     "ankang-kek-v1 "
#define KEK_MAGIC_LEN (sizeof KEK_MAGIC - 1)
#define KEK_TEXT_LEN  (KEK_MAGIC_LEN + 44 + 1)

struct seal_kek {
	uint8_t epoch[SEAL_KEY_BYTES];
	uint8_t blind[SEAL_KEY_BYTES];
	uint8_t pseudonym[SEAL_KEY_BYTES];
	uint8_t check[SEAL_KEY_BYTES];
	uint8_t sig[SEAL_KEY_BYTES];
	uint8_t share[SEAL_KEY_BYTES];
};

/* crypto_kdf contexts: exactly 8 characters each. */
static const char CTX_EPOCH[] = "ankangep";
static const char CTX_BLIND[] = "ankangbi";
static const char CTX_PSEUDONYM[] = "ankangps";
static const char CTX_CHECK[] = "ankangck";
static const char CTX_SIG[] = "ankangsg";
static const char CTX_SHARE[] = "ankanges";

int seal_kek_create(const char *path)
{
	uint8_t kek[SEAL_KEY_BYTES];
	char text[KEK_TEXT_LEN + 1];
	int rc;

	randombytes_buf(kek, sizeof kek);
	memcpy(text, KEK_MAGIC, KEK_MAGIC_LEN);
	util_b64_encode(text + KEK_MAGIC_LEN, kek, sizeof kek);
	text[KEK_TEXT_LEN - 1] = '\n';
	text[KEK_TEXT_LEN] = '\0';
	rc = util_write_file_atomic(path, text, KEK_TEXT_LEN, 0600, 1);
	sodium_memzero(kek, sizeof kek);
	sodium_memzero(text, sizeof text);
	return rc;
}

int seal_kek_load(seal_kek **out, const char *path)
{
	char *text = NULL;
	size_t len = 0, n = 0;
	uint8_t kek[SEAL_KEY_BYTES];
	seal_kek *k = NULL;
	int rc;

	if ((rc = util_read_secret_file(path, 256, &text, &len)) != 0)
		return rc;
	rc = AK_EINVAL;
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len != KEK_TEXT_LEN - 1 || memcmp(text, KEK_MAGIC, KEK_MAGIC_LEN) != 0)
		goto fail;
	if (util_b64_decode(kek, sizeof kek, &n, text + KEK_MAGIC_LEN, len - KEK_MAGIC_LEN) != 0 ||
	    n != sizeof kek)
		goto fail;
	rc = AK_ENOMEM;
	if ((k = sodium_malloc(sizeof *k)) == NULL)
		goto fail;
	crypto_kdf_derive_from_key(k->epoch, sizeof k->epoch, 1, CTX_EPOCH, kek);
	crypto_kdf_derive_from_key(k->blind, sizeof k->blind, 1, CTX_BLIND, kek);
	crypto_kdf_derive_from_key(k->pseudonym, sizeof k->pseudonym, 1, CTX_PSEUDONYM, kek);
	crypto_kdf_derive_from_key(k->check, sizeof k->check, 1, CTX_CHECK, kek);
	crypto_kdf_derive_from_key(k->sig, sizeof k->sig, 1, CTX_SIG, kek);
	crypto_kdf_derive_from_key(k->share, sizeof k->share, 1, CTX_SHARE, kek);
	sodium_mprotect_readonly(k);
	*out = k;
	rc = 0;
fail:
	sodium_memzero(kek, sizeof kek);
	sodium_free(text);
	return rc;
}

void seal_kek_free(seal_kek *k)
{
	if (k != NULL)
		sodium_free(k); /* sodium_free wipes before unmapping */
}

/* Associated data: the resident id, big-endian, then the field name. */
static size_t make_ad(uint8_t *ad, size_t cap, uint64_t resident_id, const char *field)
{
	size_t flen = field ? strlen(field) : 0;
	if (8 + flen > cap)
		return 0;
	for (int i = 0; i < 8; i++)
		ad[i] = (uint8_t)(resident_id >> (56 - 8 * i));
	if (flen)
		memcpy(ad + 8, field, flen);
	return 8 + flen;
}

static int aead_seal(const uint8_t key[SEAL_KEY_BYTES], const uint8_t *ad, size_t adlen,
		     const uint8_t *pt, size_t n, uint8_t *out)
{
	randombytes_buf(out, SEAL_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_NONCE_BYTES, NULL, pt, n, ad, adlen,
						   NULL, out, key);
	return 0;
}

static int aead_open(const uint8_t key[SEAL_KEY_BYTES], const uint8_t *ad, size_t adlen,
		     const uint8_t *ct, size_t n, uint8_t *out)
{
	if (n < SEAL_OVERHEAD)
		return AK_EINVAL;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, ct + SEAL_NONCE_BYTES,
						       n - SEAL_NONCE_BYTES, ad, adlen, ct,
						       key) != 0)
		return AK_ECRYPTO;
	return 0;
}

/* Two big-endian numbers: the associated data of a wrapped key. */
static void two_numbers(uint8_t ad[16], uint64_t a, uint64_t b)
{
	for (int i = 0; i < 8; i++) {
		ad[i] = (uint8_t)(a >> (56 - 8 * i));
		ad[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
}

void seal_epochkey_new(uint64_t number, seal_epochkey *out)
{
	out->number = number;
	crypto_aead_xchacha20poly1305_ietf_keygen(out->key);
}

void seal_epochkey_wrap(const seal_kek *k, const seal_epochkey *ek, uint64_t created,
			uint8_t out[SEAL_WRAPPED_BYTES])
{
	uint8_t ad[16];

	two_numbers(ad, ek->number, created);
	aead_seal(k->epoch, ad, sizeof ad, ek->key, sizeof ek->key, out);
}

int seal_epochkey_unwrap(const seal_kek *k, uint64_t number, uint64_t created,
			 const uint8_t wrapped[SEAL_WRAPPED_BYTES], seal_epochkey *out)
{
	uint8_t ad[16];
	int rc;

	two_numbers(ad, number, created);
	out->number = number;
	rc = aead_open(k->epoch, ad, sizeof ad, wrapped, SEAL_WRAPPED_BYTES, out->key);
	if (rc != 0)
		seal_epochkey_wipe(out);
	return rc;
}

void seal_epochkey_wipe(seal_epochkey *ek)
{
	if (ek != NULL)
		sodium_memzero(ek, sizeof *ek);
}

int seal_datakey_new(const seal_epochkey *ek, uint64_t resident_id,
		     uint8_t wrapped[SEAL_WRAPPED_BYTES], seal_datakey *out)
{
	crypto_aead_xchacha20poly1305_ietf_keygen(out->key);
	return seal_datakey_wrap(ek, resident_id, out, wrapped);
}

int seal_datakey_wrap(const seal_epochkey *ek, uint64_t resident_id, const seal_datakey *dk,
		      uint8_t wrapped[SEAL_WRAPPED_BYTES])
{
	uint8_t ad[16];

	two_numbers(ad, resident_id, ek->number);
	return aead_seal(ek->key, ad, sizeof ad, dk->key, sizeof dk->key, wrapped);
}

int seal_datakey_unwrap(const seal_epochkey *ek, uint64_t resident_id,
			const uint8_t wrapped[SEAL_WRAPPED_BYTES], seal_datakey *out)
{
	uint8_t ad[16];
	int rc;

	two_numbers(ad, resident_id, ek->number);
	rc = aead_open(ek->key, ad, sizeof ad, wrapped, SEAL_WRAPPED_BYTES, out->key);
	if (rc != 0)
		seal_datakey_wipe(out);
	return rc;
}

void seal_datakey_wipe(seal_datakey *dk)
{
	if (dk != NULL)
		sodium_memzero(dk, sizeof *dk);
}

int seal_field(const seal_datakey *dk, uint64_t resident_id, const char *field, const uint8_t *pt,
	       size_t n, size_t padded, uint8_t *out)
{
	uint8_t ad[64], buf[SEAL_FIELD_MAX];
	size_t adlen = make_ad(ad, sizeof ad, resident_id, field), len = 0;
	int rc;

	if (adlen == 0 || padded > sizeof buf || n >= padded)
		return AK_EINVAL;
	memcpy(buf, pt, n);
	/* blocksize = padded: any n < padded pads to exactly padded bytes. */
	if (sodium_pad(&len, buf, n, padded, padded) != 0 || len != padded) {
		sodium_memzero(buf, sizeof buf);
		return AK_EINVAL;
	}
	rc = aead_seal(dk->key, ad, adlen, buf, padded, out);
	sodium_memzero(buf, sizeof buf);
	return rc;
}

int seal_open_field(const seal_datakey *dk, uint64_t resident_id, const char *field,
		    const uint8_t *ct, size_t ctlen, size_t padded, uint8_t *out, size_t *n)
{
	uint8_t ad[64];
	size_t adlen = make_ad(ad, sizeof ad, resident_id, field), len = 0;
	int rc;

	*n = 0;
	if (adlen == 0 || padded == 0 || padded > SEAL_FIELD_MAX || ctlen != padded + SEAL_OVERHEAD)
		return AK_EINVAL;
	if ((rc = aead_open(dk->key, ad, adlen, ct, ctlen, out)) != 0)
		return rc;
	if (sodium_unpad(&len, out, padded, padded) != 0 || len >= padded) {
		sodium_memzero(out, padded);
		return AK_ECORRUPT;
	}
	/* sodium_unpad leaves the padding where it was. */
	sodium_memzero(out + len, padded - len);
	*n = len;
	return 0;
}

void seal_blind_index(const seal_kek *k, uint8_t out[SEAL_BLIND_BYTES], const char *id_number,
		      size_t len)
{
	crypto_generichash(out, SEAL_BLIND_BYTES, (const uint8_t *)id_number, len, k->blind,
			   sizeof k->blind);
}

void seal_pseudonym(const seal_kek *k, uint8_t out[SEAL_PSEUDONYM_BYTES], uint64_t resident_id)
{
	uint8_t in[8];
	make_ad(in, sizeof in, resident_id, NULL);
	crypto_generichash(out, SEAL_PSEUDONYM_BYTES, in, sizeof in, k->pseudonym,
			   sizeof k->pseudonym);
}

void seal_kek_check(const seal_kek *k, uint8_t out[SEAL_CHECK_BYTES])
{
	static const char text[] = "ankang kek check v1";
	crypto_generichash(out, SEAL_CHECK_BYTES, (const uint8_t *)text, sizeof text - 1, k->check,
			   sizeof k->check);
}

void seal_sig_hash(const seal_kek *k, uint8_t out[SEAL_SIG_HASH_BYTES], const uint8_t sig[64])
{
	crypto_generichash(out, SEAL_SIG_HASH_BYTES, sig, 64, k->sig, sizeof k->sig);
}

void seal_share_mac(const seal_kek *k, uint8_t out[SEAL_SHARE_MAC_BYTES], const uint8_t *msg,
		    size_t n)
{
	crypto_generichash(out, SEAL_SHARE_MAC_BYTES, msg, n, k->share, sizeof k->share);
}
