/*
 * tlogproof: the C2SP tlog-proof text form (c2sp.org/tlog-proof), an
 * offline-checkable proof that one entry is in the audit log.
 *
 *   c2sp.org/tlog-proof@v1\n
 *   extra <base64 of the leaf's exact bytes>\n        (optional)
 *   index <decimal, no leading zeros>\n
 *   <base64 hash>\n                                   (0..64, leaf side first)
 *   \n
 *   <the signed checkpoint note, verbatim>
 *
 * ankang puts the leaf itself in the spec's "extra" line, so a proof is
 * self-contained: the extra data is not trusted as such, it is what the
 * checker hashes and proves included, so a changed extra fails the proof.
 * A checker may be handed the leaf separately instead.
 *
 * The parser is strict and bounded: LF line ends only, canonical base64
 * and decimals, at most MERKLE_MAX_PROOF hashes, nothing between the
 * hashes and the blank line. It does not check the note: checkpoint_open
 * does that with the log key.
 */
#ifndef ANKANG_AUDIT_TLOGPROOF_H
#define ANKANG_AUDIT_TLOGPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"

#define TLOGPROOF_HEADER "c2sp.org/tlog-proof@v1"
/* Extra data we accept: a leaf is at most LEAF_MAX (512) bytes. */
#define TLOGPROOF_EXTRA_MAX 1024
/* A whole proof file: 64 hashes and a checkpoint note fit in far less. */
#define TLOGPROOF_MAX (64u << 10)

struct tlogproof {
	uint64_t index;
	size_t nproof;
	merkle_hash proof[MERKLE_MAX_PROOF];
	int has_extra;
	size_t extra_len;
	uint8_t extra[TLOGPROOF_EXTRA_MAX];
	const char *note; /* points into the parsed text */
	size_t note_len;
};

/*
 * Writes a proof into a malloc'd, NUL-terminated buffer (*out, *len).
 * extra may be NULL (no extra line). Returns 0, AK_EINVAL, AK_ETOOBIG,
 * AK_ENOMEM.
 */
int tlogproof_format(char **out, size_t *len, uint64_t index, const merkle_hash *proof, size_t n,
		     const uint8_t *extra, size_t extra_len, const char *note, size_t note_len);

/* Parses text[0..len). 0 or AK_EINVAL (AK_ETOOBIG past the limits). */
int tlogproof_parse(struct tlogproof *p, const char *text, size_t len);

#endif
