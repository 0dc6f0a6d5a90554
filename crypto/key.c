/*
 * key: verifier key text and key ids of the C2SP signed-note spec.
 *
 *   <name>+<hex8 key_id>+<base64(0x01 || pubkey[32])>
 *
 * Invariants: a struct key_verifier that came out of this file has a valid
 * name, and id is the key id computed from that name and pk, never one
 * copied from input. Parsing accepts exactly one spelling of a key: the id
 * in lowercase hex, the base64 canonical (33 bytes encode to 44 characters
 * with no padding, so every base64 text of that length is canonical).
 *
 * Must never: touch a secret key. The verifier program links this file.
 */
#include "crypto/key.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"

#define KEY_B64_LEN 44 /* base64 of 0x01 || pk */

int key_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > KEY_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= 0x20 || c >= 0x7f || c == '+')
			return 0;
	}
	return 1;
}

uint32_t key_id_typed(const char *name, size_t name_len, uint8_t type,
		      const uint8_t pk[KEY_PK_BYTES])
{
	const uint8_t sep[2] = {'\n', type};
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, sep, sizeof sep);
	crypto_hash_sha256_update(&st, pk, KEY_PK_BYTES);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

uint32_t key_id(const char *name, size_t name_len, const uint8_t pk[KEY_PK_BYTES])
{
	return key_id_typed(name, name_len, KEY_TYPE_ED25519, pk);
}

int key_verifier_init(struct key_verifier *v, const char *name, const uint8_t pk[KEY_PK_BYTES])
{
	size_t len = strnlen(name, KEY_NAME_MAX + 1);

	if (!key_name_valid(name, len))
		return AK_EINVAL;
	memcpy(v->name, name, len);
	v->name[len] = '\0';
	memcpy(v->pk, pk, KEY_PK_BYTES);
	v->id = key_id(v->name, len, v->pk);
	return 0;
}

int key_verifier_parse_typed(struct key_verifier *v, const char *text, size_t len, uint8_t type)
{
	const char *plus, *hex, *b64;
	size_t name_len, got;
	uint8_t idb[4], raw[1 + KEY_PK_BYTES];
	uint32_t id;

	if (len == 0 || len > KEY_VKEY_MAX)
		return AK_EINVAL;
	/* Names contain no '+', so the first one ends the name. */
	if ((plus = memchr(text, '+', len)) == NULL)
		return AK_EINVAL;
	name_len = (size_t)(plus - text);
	if (!key_name_valid(text, name_len))
		return AK_EINVAL;
	hex = plus + 1;
	if (len - name_len - 1 != 8 + 1 + KEY_B64_LEN || hex[8] != '+')
		return AK_EINVAL;
	b64 = hex + 9;
	if (util_hex_decode_lower(idb, sizeof idb, hex, 8) != 0)
		return AK_EINVAL;
	if (util_b64_decode(raw, sizeof raw, &got, b64, KEY_B64_LEN) != 0 || got != sizeof raw)
		return AK_EINVAL;
	if (raw[0] != type)
		return AK_EINVAL;
	id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 | (uint32_t)idb[2] << 8 | idb[3];
	if (id != key_id_typed(text, name_len, type, raw + 1))
		return AK_EINVAL;

	memcpy(v->name, text, name_len);
	v->name[name_len] = '\0';
	v->id = id;
	memcpy(v->pk, raw + 1, KEY_PK_BYTES);
	return 0;
}

/*
 * Returns the length written, AK_ETOOBIG when cap cannot hold the text and
 * its NUL, or AK_EINVAL when v's name is not a valid key name (a struct
 * that did not come from key_verifier_init or _parse).
 */
int key_verifier_format_typed(char *out, size_t cap, const struct key_verifier *v, uint8_t type)
{
	size_t name_len = strnlen(v->name, sizeof v->name);
	size_t n = name_len + 1 + 8 + 1 + KEY_B64_LEN;
	uint8_t raw[1 + KEY_PK_BYTES];
	uint8_t idb[4];
	char *p = out;

	if (!key_name_valid(v->name, name_len))
		return AK_EINVAL;
	if (cap < n + 1)
		return AK_ETOOBIG;
	idb[0] = (uint8_t)(v->id >> 24);
	idb[1] = (uint8_t)(v->id >> 16);
	idb[2] = (uint8_t)(v->id >> 8);
	idb[3] = (uint8_t)v->id;
	raw[0] = type;
	memcpy(raw + 1, v->pk, KEY_PK_BYTES);

	memcpy(p, v->name, name_len);
	p += name_len;
	*p++ = '+';
	util_hex_encode(p, idb, sizeof idb);
	p += 8;
	*p++ = '+';
	util_b64_encode(p, raw, sizeof raw);
	return (int)n;
}

int key_verifier_parse(struct key_verifier *v, const char *text, size_t len)
{
	return key_verifier_parse_typed(v, text, len, KEY_TYPE_ED25519);
}

int key_verifier_format(char *out, size_t cap, const struct key_verifier *v)
{
	return key_verifier_format_typed(out, cap, v, KEY_TYPE_ED25519);
}

int key_verifier_load(struct key_verifier *v, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = util_read_file(path, KEY_VKEY_MAX + 1, &buf, &len);
	if (rc == AK_ETOOBIG)
		return AK_EINVAL;
	if (rc != 0)
		return rc;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	rc = key_verifier_parse(v, buf, len);
	free(buf);
	return rc;
}
