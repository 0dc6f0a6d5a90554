/*
 * timeparse: the times and hours an auditor types (--since, --until,
 * --hours) and the local times the tool prints.
 *
 *   TIME  = unix seconds (digits only, no leading zeros)
 *         | YYYY-MM-DD[(T| )HH:MM[:SS]][Z | (+|-)HH:MM]
 *   HOURS = H[H]-H[H], each 0..24: the local hours [from, to) in which
 *           scans are expected; from > to wraps midnight (22-06)
 *
 * An ISO time without a zone is local time (the TZ environment variable,
 * as date(1) reads it); with Z or an offset it is exact. A date alone
 * means its midnight. Only years 1970..9999 are accepted, and every field
 * is range-checked (no 25:00, no February 30th).
 *
 * Pure apart from reading the local time zone: no I/O, nothing printed.
 */
#ifndef ANKANG_AUDIT_TIMEPARSE_H
#define ANKANG_AUDIT_TIMEPARSE_H

#include <stdint.h>

/* "YYYY-MM-DD HH:MM:SS" and a NUL. */
#define AUDIT_TIME_TEXT 20

/* Parses TIME into unix milliseconds. 0 or AK_EINVAL. */
int audit_time_parse(const char *s, uint64_t *ms);

/* Writes ms as local "YYYY-MM-DD HH:MM:SS" (or "?" if out of range). */
void audit_time_local(char out[AUDIT_TIME_TEXT], uint64_t ms);

/* Parses HOURS. 0 or AK_EINVAL. from == to means every hour is expected. */
int audit_hours_parse(const char *s, unsigned *from, unsigned *to);

#endif
