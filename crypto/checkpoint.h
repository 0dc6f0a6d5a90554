/*
 * checkpoint: C2SP tlog-checkpoint bodies for the audit log (FORMAT.md
 * section 3.3), signed as notes by the log key, whose name is the origin.
 *
 *   <origin>\n
 *   <tree size, decimal>\n
 *   <base64 root hash>\n
 *
 * No extension lines.
 */
#ifndef ANKANG_CHECKPOINT_H
#define ANKANG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/key.h"

#define CHECKPOINT_ORIGIN_MAX KEY_NAME_MAX
#define CHECKPOINT_TEXT_MAX   (CHECKPOINT_ORIGIN_MAX + 1 + 20 + 1 + 44 + 1 + 1)

struct checkpoint {
	char origin[CHECKPOINT_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};

/* Writes the body and a NUL; returns its length, or AK_EINVAL/AK_ETOOBIG. */
int checkpoint_format(char *out, size_t cap, const struct checkpoint *c);

/* Parses a body strictly (three lines exactly). 0 or AK_EINVAL. */
int checkpoint_parse(struct checkpoint *c, const char *text, size_t len);

/*
 * Verifies a signed checkpoint note with the log key, parses it, and checks
 * that the origin equals the key's name. 0, AK_EINVAL, AK_ECRYPTO, AK_ENOENT.
 */
int checkpoint_open(struct checkpoint *c, const char *note, size_t len,
		    const struct key_verifier *log_key);

#endif
