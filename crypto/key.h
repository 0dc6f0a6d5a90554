/*
 * key: Ed25519 public keys in the C2SP signed-note "verifier key" text
 * form (FORMAT.md section 2), and their key ids.
 *
 *   verifier key text:  <name>+<hex8 key_id>+<base64(0x01 || pubkey[32])>
 *   key_id = first 4 bytes (big-endian) of SHA-256(name || "\n" || 0x01 || pubkey)
 *
 * This file is the verify side only: nothing here touches a secret, so the
 * verifier program can link it. Signer keys live in key_secret.h.
 */
#ifndef ANKANG_KEY_H
#define ANKANG_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KEY_NAME_MAX     128
#define KEY_PK_BYTES     32
#define KEY_SIG_BYTES    64
#define KEY_TYPE_ED25519 0x01
/* name + '+' + 8 hex + '+' + base64 of 33 bytes (44 chars) */
#define KEY_VKEY_MAX (KEY_NAME_MAX + 1 + 8 + 1 + 44)

struct key_verifier {
	char name[KEY_NAME_MAX + 1]; /* NUL-terminated */
	uint32_t id;
	uint8_t pk[KEY_PK_BYTES];
};

/*
 * A key name is 1..KEY_NAME_MAX bytes of printable ASCII other than space
 * and '+' (a strict subset of what C2SP allows; ours are like
 * "ankang.example/root"). Returns 1 if valid.
 */
int key_name_valid(const char *name, size_t len);

/* The C2SP key id of an Ed25519 key. name need not be NUL-terminated. */
uint32_t key_id(const char *name, size_t name_len, const uint8_t pk[KEY_PK_BYTES]);

/*
 * Parses verifier key text (exactly len bytes, no newline). Checks the
 * name, that the hex id is 8 lowercase digits equal to the computed id,
 * the type byte and the base64. Returns 0 or AK_EINVAL.
 */
int key_verifier_parse(struct key_verifier *v, const char *text, size_t len);

/*
 * Writes the verifier key text and a NUL; returns its length, AK_ETOOBIG,
 * or AK_EINVAL when v->name is not a valid key name.
 */
int key_verifier_format(char *out, size_t cap, const struct key_verifier *v);

/* Builds a verifier from a name and raw public key (computes the id). */
int key_verifier_init(struct key_verifier *v, const char *name, const uint8_t pk[KEY_PK_BYTES]);

/*
 * Reads a .vkey file: the key text, optionally followed by one "\n".
 * Returns 0, AK_ENOENT, AK_EIO or AK_EINVAL.
 */
int key_verifier_load(struct key_verifier *v, const char *path);

/*
 * The same three for another signature type byte: the key id hashes the
 * type, and the vkey's base64 starts with it. cosig.c uses them for
 * cosignature/v1 keys (type 0x04); the functions above are type 0x01.
 */
uint32_t key_id_typed(const char *name, size_t name_len, uint8_t type,
		      const uint8_t pk[KEY_PK_BYTES]);
int key_verifier_parse_typed(struct key_verifier *v, const char *text, size_t len, uint8_t type);
int key_verifier_format_typed(char *out, size_t cap, const struct key_verifier *v, uint8_t type);

#endif
