/*
 * key_secret: Ed25519 signer keys in the C2SP signed-note "signer key"
 * text form, and their files.
 *
 *   PRIVATE+KEY+<name>+<hex8 key_id>+<base64(0x01 || seed[32])>
 *
 * The seed and the expanded secret key live only in sodium_malloc'd memory
 * (guard pages, locked, wiped on free). Key files are written atomically
 * with mode 0600 and are refused on load if group or others may read them.
 * Signing is deterministic (RFC 8032), so the same seed and message give
 * the same signature byte for byte.
 *
 * The verifier program must never link this file.
 */
#ifndef ANKANG_KEY_SECRET_H
#define ANKANG_KEY_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/key.h"

#define KEY_SEED_BYTES 32
#define KEY_SKEY_MAX   (12 + KEY_NAME_MAX + 1 + 8 + 1 + 44)

typedef struct key_signer key_signer;

/* A fresh random key named name. Returns 0, AK_EINVAL (name), AK_ENOMEM. */
int key_signer_generate(key_signer **out, const char *name);
/* The key for a given seed (tests, vectors). */
int key_signer_from_seed(key_signer **out, const char *name, const uint8_t seed[KEY_SEED_BYTES]);
/* Parses signer key text (exactly len bytes, no newline). 0 or AK_EINVAL. */
int key_signer_parse(key_signer **out, const char *text, size_t len);
/*
 * Loads a signer key file (text plus an optional "\n"). Returns 0,
 * AK_ENOENT, AK_EPERM (mode allows group/other access), AK_EIO, AK_EINVAL.
 */
int key_signer_load(key_signer **out, const char *path);
/*
 * Saves the key text and "\n" to path, atomically, mode 0600. Refuses to
 * overwrite an existing file (AK_EEXIST).
 */
int key_signer_save(const key_signer *k, const char *path);
/*
 * Writes the signer key text and a NUL into out (cap >= KEY_SKEY_MAX + 1).
 * The caller should wipe out afterwards. Returns the length, or
 * AK_ETOOBIG when cap is smaller.
 */
int key_signer_format(const key_signer *k, char *out, size_t cap);
/* Frees and wipes; NULL is a no-op. */
void key_signer_free(key_signer *k);

/* The public half: name, id and public key. Valid while k lives. */
const struct key_verifier *key_signer_verifier(const key_signer *k);

/* Ed25519 signature of msg[0..n). */
void key_signer_sign(const key_signer *k, uint8_t sig[KEY_SIG_BYTES], const uint8_t *msg, size_t n);

#endif
