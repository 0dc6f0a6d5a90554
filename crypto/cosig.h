/*
 * cosig: C2SP tlog-cosignature "cosignature/v1", the Ed25519 cosignatures
 * witnesses add to a checkpoint (FORMAT.md section 3.4).
 *
 * A cosignature is a signed-note signature line on the checkpoint:
 *
 *   "— " <cosigner name> " " base64(key_id[4] || timestamp[8] || sig[64]) "\n"
 *
 *   key_id    = SHA-256(name || "\n" || 0x04 || pubkey[32])[:4]
 *   timestamp = unix seconds, big-endian, at most 2^63 - 1
 *   sig       = Ed25519 over "cosignature/v1\ntime <timestamp>\n" || body
 *
 * where body is the checkpoint's note text through its last "\n", without
 * the signature lines. The cosigner's public key travels as a vkey with
 * type byte 0x04: <name>+<hex8 key_id>+base64(0x04 || pubkey).
 *
 * The type byte differs from the log's note keys (0x01), so a cosigner
 * key parsed here carries the cosignature key id in its key_verifier and
 * never matches a plain note signature, nor the other way round. This
 * file is the verify side; producing cosignatures is cosig_sign.h.
 */
#ifndef ANKANG_COSIG_H
#define ANKANG_COSIG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/key.h"

#define COSIG_TYPE_ED25519 0x04
/* key_id || timestamp || signature */
#define COSIG_BYTES (4 + 8 + KEY_SIG_BYTES)
/* "cosignature/v1\n" + "time " + 19 digits + "\n" */
#define COSIG_HEADER_MAX (15 + 5 + 19 + 1)
/* The longest line cosig_line writes: "— " name " " base64(76) "\n" NUL. */
#define COSIG_LINE_MAX (4 + KEY_NAME_MAX + 1 + 104 + 1 + 1)
/* More cosigners than this in one verification call is a caller's bug. */
#define COSIG_MAX_KEYS 32

/* The cosignature/v1 key id of an Ed25519 key. */
uint32_t cosig_key_id(const char *name, size_t name_len, const uint8_t pk[KEY_PK_BYTES]);

/*
 * Parses a cosigner vkey (exactly len bytes, no newline): a valid key
 * name, 8 lowercase hex digits equal to the computed cosignature key id,
 * and base64 of 0x04 || pubkey. v->id is the cosignature key id.
 * Returns 0 or AK_EINVAL.
 */
int cosig_verifier_parse(struct key_verifier *v, const char *text, size_t len);

/* Builds a cosigner from a name and public key (v->id: cosignature id). */
int cosig_verifier_init(struct key_verifier *v, const char *name, const uint8_t pk[KEY_PK_BYTES]);

/* Writes the cosigner vkey and a NUL; returns its length or AK_ETOOBIG. */
int cosig_verifier_format(char *out, size_t cap, const struct key_verifier *v);

/*
 * Writes the signed message's two header lines, "cosignature/v1\ntime
 * <t>\n", and a NUL into out (cap >= COSIG_HEADER_MAX + 1); the body
 * follows them in the message. Returns the length, or AK_EINVAL when t
 * exceeds 2^63 - 1.
 */
int cosig_header(char *out, size_t cap, uint64_t t);

/*
 * Checks the cosignatures on a whole note (a checkpoint with its log
 * signature and any number of cosignature lines). Lines from keys not in
 * ws are ignored, as C2SP says; a line from a key in ws that does not
 * verify fails the whole note, as note_open does for log keys.
 *
 * On success returns 0 and sets bit i of *cosigned_by for each ws[i]
 * (i < COSIG_MAX_KEYS) that cosigned, and times[i] (when times is not
 * NULL) to its timestamp; the caller counts the bits against its quorum.
 * Returns AK_EINVAL (malformed note, a line from a key in ws that is not
 * 76 bytes, or nws > COSIG_MAX_KEYS) or AK_ECRYPTO (a signature that does
 * not verify, or a timestamp beyond 2^63 - 1). The log's own signature is not checked here:
 * note_open or checkpoint_open does that.
 */
int cosig_open(const char *note, size_t len, const struct key_verifier *ws, size_t nws,
	       uint32_t *cosigned_by, uint64_t *times);

#endif
