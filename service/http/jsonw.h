/*
 * jsonw: a small JSON object written straight into a caller's buffer, for
 * the answers the service gives most often (POST /v1/verify, GET
 * /v1/me/code), where building a jansson tree only to print it cost more
 * than the rest of the answer (allocations, each wiped on free, and the
 * printer's own). Byte for byte what json_dumps(JSON_COMPACT) prints for
 * the same members in the same order, so the answers did not change.
 *
 * Strings are escaped as jansson escapes them: '"', '\\', and the C0
 * controls (\b \f \n \r \t, others as \u00XX, upper-case hex); any other byte, UTF-8
 * included, is copied (the caller passes valid UTF-8, as every string in
 * these answers is). An answer that does not fit is an error, never a
 * truncated object.
 *
 * The buffer may hold personal data (a name): its owner wipes it.
 */
#ifndef ANKANG_JSONW_H
#define ANKANG_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *p;
	size_t cap, len;
	int full; /* something did not fit: jsonw_end fails */
};

/* Starts an object ("{") in buf[0..cap). */
void jsonw_begin(struct jsonw *w, char *buf, size_t cap);
/* "key":"value", value escaped. */
void jsonw_str(struct jsonw *w, const char *key, const char *value);
/* "key":n */
void jsonw_u64(struct jsonw *w, const char *key, uint64_t n);
/* Ends the object ("}", then a NUL not counted). Returns its length, or
 * AK_ETOOBIG when anything did not fit (the buffer then holds no
 * object). */
long jsonw_end(struct jsonw *w);

#endif
