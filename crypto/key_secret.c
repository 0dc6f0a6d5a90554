/*
 * key_secret: Ed25519 signer keys, their C2SP signer key text and files.
 *
 *   PRIVATE+KEY+<name>+<hex8 key_id>+<base64(0x01 || seed[32])>
 *
 * A key_signer is one sodium_malloc'd block (guard pages, mlock'd, wiped
 * by sodium_free) holding the public half, the seed and libsodium's
 * 64-byte expanded secret key. Once built it is made read-only with
 * sodium_mprotect_readonly, so a stray write faults instead of corrupting
 * a key. It is not made no-access between uses: several request threads
 * may sign with one issuer key at once, and toggling page protection per
 * signature would race between them (and cost a TLB shootdown each time).
 *
 * Every other copy of a secret (the decoded seed, key text on the stack,
 * a key file's contents) is wiped with sodium_memzero or lives in
 * sodium_malloc'd memory. Key ids are always recomputed from the seed: a
 * signer key text whose id does not match its key is refused.
 *
 * Must never: be linked into the verifier program; print or log a key.
 */
#include "crypto/key_secret.h"

#include <string.h>

#include <sodium.h>

#include "common/util.h"

#define SKEY_PREFIX     "PRIVATE+KEY+"
#define SKEY_PREFIX_LEN 12
#define SEED_B64_LEN    44 /* base64 of 0x01 || seed: 33 bytes, no padding */

struct key_signer {
	struct key_verifier v;
	uint8_t seed[KEY_SEED_BYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/* A zero-filled, writable key_signer in guarded memory, or NULL. */
static key_signer *signer_alloc(void)
{
	key_signer *k;

	if (sodium_init() < 0)
		return NULL;
	/* sizeof is a multiple of the struct's alignment, so sodium_malloc's
	 * end-of-page placement still returns an aligned pointer. */
	if ((k = sodium_malloc(sizeof *k)) == NULL)
		return NULL;
	memset(k, 0, sizeof *k);
	return k;
}

/*
 * Derives the key pair from k->seed, sets the public half for name, and
 * seals k read-only. Returns 0, or AK_EINVAL for a bad name.
 */
static int signer_finish(key_signer *k, const char *name, size_t name_len)
{
	if (!key_name_valid(name, name_len))
		return AK_EINVAL;
	crypto_sign_seed_keypair(k->v.pk, k->sk, k->seed);
	memcpy(k->v.name, name, name_len);
	k->v.name[name_len] = '\0';
	k->v.id = key_id(k->v.name, name_len, k->v.pk);
	sodium_mprotect_readonly(k);
	return 0;
}

/* 1 when s[0..n) is all [A-Za-z0-9+/], the unpadded base64 alphabet. */
static int b64_alphabet_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

void key_signer_free(key_signer *k)
{
	/* sodium_free makes the block writable again and wipes it. */
	if (k != NULL)
		sodium_free(k);
}

int key_signer_generate(key_signer **out, const char *name)
{
	key_signer *k;
	int rc;

	*out = NULL;
	if ((k = signer_alloc()) == NULL)
		return AK_ENOMEM;
	randombytes_buf(k->seed, sizeof k->seed);
	if ((rc = signer_finish(k, name, strnlen(name, KEY_NAME_MAX + 1))) != 0) {
		key_signer_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

int key_signer_from_seed(key_signer **out, const char *name, const uint8_t seed[KEY_SEED_BYTES])
{
	key_signer *k;
	int rc;

	*out = NULL;
	if ((k = signer_alloc()) == NULL)
		return AK_ENOMEM;
	memcpy(k->seed, seed, KEY_SEED_BYTES);
	if ((rc = signer_finish(k, name, strnlen(name, KEY_NAME_MAX + 1))) != 0) {
		key_signer_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

int key_signer_parse(key_signer **out, const char *text, size_t len)
{
	const char *name, *plus, *hex, *b64, *end = NULL;
	uint8_t raw[1 + KEY_SEED_BYTES], idb[4];
	size_t name_len, got = 0;
	key_signer *k = NULL;
	uint32_t id;
	int rc = AK_EINVAL;

	*out = NULL;
	if (len <= SKEY_PREFIX_LEN || len > KEY_SKEY_MAX ||
	    memcmp(text, SKEY_PREFIX, SKEY_PREFIX_LEN) != 0)
		return AK_EINVAL;
	name = text + SKEY_PREFIX_LEN;
	if ((plus = memchr(name, '+', len - SKEY_PREFIX_LEN)) == NULL)
		return AK_EINVAL;
	name_len = (size_t)(plus - name);
	if (!key_name_valid(name, name_len))
		return AK_EINVAL;
	hex = plus + 1;
	if (len - SKEY_PREFIX_LEN - name_len - 1 != 8 + 1 + SEED_B64_LEN || hex[8] != '+')
		return AK_EINVAL;
	b64 = hex + 9;
	if (util_hex_decode_lower(idb, sizeof idb, hex, 8) != 0)
		return AK_EINVAL;
	id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 | (uint32_t)idb[2] << 8 | idb[3];

	/*
	 * Decoded here rather than with util_b64_decode, which keeps an
	 * unwiped re-encoding on its stack. 33 bytes take exactly 44
	 * characters with no padding and no spare bits, so a text of those
	 * characters is the canonical one. The alphabet is checked first
	 * because libsodium 1.0.18's decoder reads every byte >= 0x80 as '/'
	 * (found by fuzz_keytext; util_b64_decode's re-encoding catches it).
	 */
	if (!b64_alphabet_only(b64, SEED_B64_LEN) ||
	    sodium_base642bin(raw, sizeof raw, b64, SEED_B64_LEN, NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + SEED_B64_LEN || got != sizeof raw || raw[0] != KEY_TYPE_ED25519)
		goto fail;
	if ((k = signer_alloc()) == NULL) {
		rc = AK_ENOMEM;
		goto fail;
	}
	memcpy(k->seed, raw + 1, KEY_SEED_BYTES);
	if ((rc = signer_finish(k, name, name_len)) != 0)
		goto fail;
	if (k->v.id != id) {
		rc = AK_EINVAL;
		goto fail;
	}
	sodium_memzero(raw, sizeof raw);
	*out = k;
	return 0;
fail:
	sodium_memzero(raw, sizeof raw);
	key_signer_free(k);
	return rc;
}

int key_signer_format(const key_signer *k, char *out, size_t cap)
{
	size_t name_len = strlen(k->v.name);
	size_t n = SKEY_PREFIX_LEN + name_len + 1 + 8 + 1 + SEED_B64_LEN;
	uint8_t raw[1 + KEY_SEED_BYTES], idb[4];
	char *p = out;

	if (cap < n + 1)
		return AK_ETOOBIG;
	idb[0] = (uint8_t)(k->v.id >> 24);
	idb[1] = (uint8_t)(k->v.id >> 16);
	idb[2] = (uint8_t)(k->v.id >> 8);
	idb[3] = (uint8_t)k->v.id;
	memcpy(p, SKEY_PREFIX, SKEY_PREFIX_LEN);
	p += SKEY_PREFIX_LEN;
	memcpy(p, k->v.name, name_len);
	p += name_len;
	*p++ = '+';
	util_hex_encode(p, idb, sizeof idb);
	p += 8;
	*p++ = '+';
	raw[0] = KEY_TYPE_ED25519;
	memcpy(raw + 1, k->seed, KEY_SEED_BYTES);
	util_b64_encode(p, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	return (int)n;
}

int key_signer_load(key_signer **out, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = util_read_secret_file(path, KEY_SKEY_MAX + 1, &buf, &len);
	if (rc == AK_ETOOBIG)
		return AK_EINVAL;
	if (rc != 0)
		return rc;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	rc = key_signer_parse(out, buf, len);
	sodium_free(buf); /* wipes the key text */
	return rc;
}

int key_signer_save(const key_signer *k, const char *path)
{
	char text[KEY_SKEY_MAX + 2];
	int n, rc;

	if ((n = key_signer_format(k, text, sizeof text - 1)) < 0)
		return n;
	text[n] = '\n';
	rc = util_write_file_atomic(path, text, (size_t)n + 1, 0600, 1);
	sodium_memzero(text, sizeof text);
	return rc;
}

const struct key_verifier *key_signer_verifier(const key_signer *k)
{
	return &k->v;
}

void key_signer_sign(const key_signer *k, uint8_t sig[KEY_SIG_BYTES], const uint8_t *msg, size_t n)
{
	crypto_sign_detached(sig, NULL, msg, n, k->sk);
}
