/*
 * conf: a configuration file of `key = value` lines, as ankangd reads
 * /etc/ankang/ankangd.conf.
 *
 *   # a comment (a whole line; a '#' after a value is part of the value)
 *   listen = 127.0.0.1:8080
 *   listen = [::1]:8080        a key may repeat
 *   quiet = yes
 *
 * Blank lines are skipped; spaces and tabs around a key and its value are
 * not part of them. A key is letters, digits and '-'; a value may be
 * empty. A line without '=', an empty or malformed key, or a NUL byte is
 * an error at that line. What a key means is the caller's: conf only
 * splits lines.
 *
 * Never: keep or print a value (it may be a path naming a person, or
 * worse); callers name the line and the key, not what follows '='.
 */
#ifndef ANKANG_CONF_H
#define ANKANG_CONF_H

#include <stddef.h>

/* A file's size at most: a configuration, not a data set. */
#define CONF_MAX_BYTES (64 * 1024)

/*
 * Splits text[0..len) (modified in place: keys and values become
 * NUL-terminated strings inside it; text[len] must be writable, as
 * util_read_file's terminating NUL is) and calls each(ctx, key, value, line)
 * for each setting, in order; line counts from 1. Stops at the first line
 * that is not a setting (returns -1, *bad_line set) or the first nonzero
 * answer of each (returned, *bad_line set). Returns 0 when every line was
 * taken.
 */
int conf_parse(char *text, size_t len,
	       int (*each)(void *ctx, const char *key, const char *value, unsigned line), void *ctx,
	       unsigned *bad_line);

#endif
