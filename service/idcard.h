/*
 * idcard: the rule for resident identity-card numbers (GB 11643-1999).
 *
 *   18 characters: 6-digit administrative region (first digit 1-9),
 *   8-digit date of birth YYYYMMDD (a real calendar date, not before
 *   1900-01-01, not after today), 3-digit sequence, and a check character
 *   0-9 or X: with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over the
 *   first 17 digits, sum mod 11 indexes "10X98765432".
 *
 * An ID number is personal data: this file never prints, logs or keeps it.
 */
#ifndef ANKANG_IDCARD_H
#define ANKANG_IDCARD_H

#include <stddef.h>
#include <stdint.h>

#define IDCARD_LEN 18

/*
 * Checks s[0..len) and writes its canonical form (a lowercase 'x' check
 * character becomes 'X') and a NUL into out. `today` is YYYYMMDD, the date
 * of birth may not be later. Returns 0 or AK_EINVAL.
 */
int idcard_normalise(char out[IDCARD_LEN + 1], const char *s, size_t len, uint32_t today);

/*
 * Today as YYYYMMDD by the local clock: the `today` every caller of
 * idcard_normalise passes, so enrolment, log-in and look-up judge "not born
 * after today" alike (run the service with TZ=Asia/Shanghai to judge by
 * Beijing time, as the ID numbers do). 0 when the clock cannot be read:
 * every date of birth is then refused (fail closed).
 */
uint32_t idcard_today(void);

/*
 * Whether the holder of the normalised number id was younger than years
 * on today (YYYYMMDD), by the date of birth it carries: 1 or 0 (0 also
 * when today is 0, the clock unread: a member is then never taken for a
 * child, and so needs consent, which fails closed).
 */
int idcard_under_age(const char id[IDCARD_LEN], uint32_t today, unsigned years);

/* The check character for the first 17 digits (tests, tools). */
char idcard_check_char(const char digits17[17]);

#endif
