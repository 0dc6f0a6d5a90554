/*
 * note: C2SP signed notes with Ed25519 signatures (FORMAT.md section 2).
 *
 *   <text: one or more lines, each ending in "\n">
 *   "\n"
 *   "— " <key name> " " base64(key_id[4] || signature[64]) "\n"   (one per signer)
 *
 * The signature covers the text bytes only (through its last "\n"). This
 * file is the verify side; signing is note_sign.h.
 */
#ifndef ANKANG_NOTE_H
#define ANKANG_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/key.h"

/* Upper bound on a whole note we will read (revocation lists are largest). */
#define NOTE_MAX_BYTES (16u << 20)
/* Upper bound on signature lines; more is malformed. */
#define NOTE_MAX_SIGS 100

/*
 * 1 when text[0..len) may be the text of a note: non-empty, every line
 * non-empty and ending in "\n", valid UTF-8, no control characters other
 * than "\n". note_sign checks it so that it never signs a note note_open
 * would refuse.
 */
int note_text_valid(const char *text, size_t len);

/*
 * Verifies a note against a set of trusted verifier keys.
 *
 * Rules (C2SP): the note must be well-formed (text non-empty, every text
 * line ends in "\n", no "\n\n" inside the text except the separator, the
 * signature block well-formed, valid UTF-8, no control characters other
 * than "\n"); signature lines from unknown keys (name and id not both
 * matching a trusted key) are ignored; a signature from a known key that
 * does not verify fails the whole note; at least one known key must have
 * signed.
 *
 * On success returns 0, sets *text_len to the length of the signed text
 * (the note's first *text_len bytes) and, if verified_by is not NULL, sets
 * bit i of *verified_by for each trusted key vs[i] that signed (i < 32).
 * Returns AK_EINVAL (malformed), AK_ECRYPTO (a known key's signature is
 * bad) or AK_ENOENT (no trusted key signed).
 */
int note_open(const char *note, size_t len, const struct key_verifier *vs, size_t nvs,
	      size_t *text_len, uint32_t *verified_by);

/*
 * Checks the signature sig (the line's bytes after the key id, exactly
 * the sig_bytes note_open_with was given) by trusted key v, vs[i], over
 * text[0..len). Returns 0 when it verifies.
 */
typedef int (*note_check_fn)(void *ctx, const struct key_verifier *v, size_t i, const uint8_t *text,
			     size_t len, const uint8_t *sig);

/*
 * note_open's rules with another signature type: every line from a
 * trusted key must carry exactly sig_bytes after its key id (else
 * AK_EINVAL), and check decides whether it verifies. note_open is this
 * with Ed25519 (64 bytes); cosig_open uses it for cosignature/v1 lines.
 */
int note_open_with(const char *note, size_t len, const struct key_verifier *vs, size_t nvs,
		   size_t sig_bytes, note_check_fn check, void *ctx, size_t *text_len,
		   uint32_t *verified_by);

#endif
