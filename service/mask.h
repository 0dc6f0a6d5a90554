/*
 * mask: how personal data looks where an officer or a log may glimpse it
 * (DESIGN.md, "Masking"; 模糊化).
 *
 *   ID number  3401**********1234   first 4 and last 4 kept
 *   name       张*三 / 张* / *      first and last character kept for 3 or
 *                                   more characters, first only for 2,
 *                                   nothing for 1 (characters, not bytes);
 *                                   one '*' however many are hidden, so
 *                                   the mask does not tell the length
 */
#ifndef ANKANG_MASK_H
#define ANKANG_MASK_H

#include <stddef.h>

#include "service/idcard.h"

/* out holds IDCARD_LEN + 1 bytes; id is a normalised 18-character number. */
void mask_id_number(char out[IDCARD_LEN + 1], const char id[IDCARD_LEN]);

/*
 * Masks a valid UTF-8 name into out (cap bytes, NUL-terminated; the result
 * is never longer than the name, so cap = len + 1 always suffices).
 * Returns 0, AK_EINVAL for an empty name or invalid UTF-8, AK_ETOOBIG when
 * cap is too small.
 */
int mask_name(char *out, size_t cap, const char *name, size_t len);

#endif
