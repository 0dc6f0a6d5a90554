/*
 * revoc: the revocation list of FORMAT.md section 4, a signed note by the
 * root key listing the credential ids (cti) that must no longer be
 * accepted, until they expire.
 *
 *   ankang/revocations/v1\n
 *   <origin>\n
 *   <issued, unix seconds>\n
 *   <cti hex32>\n     (zero or more, sorted ascending, no duplicates)
 */
#ifndef ANKANG_REVOC_H
#define ANKANG_REVOC_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "crypto/key.h"
#include "crypto/trust.h"

#define REVOC_MAGIC       "ankang/revocations/v1"
#define REVOC_MAX_ENTRIES 400000 /* keeps a list under NOTE_MAX_BYTES */

struct revoc_list {
	char origin[TRUST_ORIGIN_MAX + 1];
	uint64_t issued;
	uint8_t (*cti)[CRED_CTI_BYTES]; /* malloc'd, sorted, unique; NULL when n == 0 */
	size_t n;
};

/* Frees the entries; the struct itself is the caller's. NULL is a no-op. */
void revoc_free(struct revoc_list *r);

/*
 * Sorts and de-duplicates r->cti in place (for building a list), so that
 * revoc_format accepts it.
 */
void revoc_normalise(struct revoc_list *r);

/* Text of the list, malloc'd and NUL-terminated. AK_EINVAL if unsorted. */
int revoc_format(char **out, size_t *len, const struct revoc_list *r);

/* Strict parse; r must be zeroed or freed first. 0, AK_EINVAL or AK_ENOMEM. */
int revoc_parse(struct revoc_list *r, const char *text, size_t len);

/* Verify with the root key (name "<origin>/root"), then parse. */
int revoc_open(struct revoc_list *r, const char *note, size_t len, const struct key_verifier *root);

#endif
