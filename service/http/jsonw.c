/*
 * jsonw: a JSON object into a fixed buffer (see jsonw.h).
 */
#include "service/http/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

/* Appends n bytes, or marks the writer full. One byte is always kept for
 * the NUL jsonw_end writes. */
static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->full || n >= w->cap - w->len) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/* s as a JSON string's body, escaped as jansson escapes it. */
static void put_escaped(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = {'\\', 0, 0, 0, 0, 0};
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		put(w, esc, n);
	}
	put(w, run, (size_t)(s - run));
}

static void put_key(struct jsonw *w, const char *key)
{
	if (w->len > 1)
		put(w, ",", 1);
	put(w, "\"", 1);
	put_escaped(w, key);
	put(w, "\":", 2);
}

void jsonw_begin(struct jsonw *w, char *buf, size_t cap)
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->full = cap == 0;
	put(w, "{", 1);
}

void jsonw_str(struct jsonw *w, const char *key, const char *value)
{
	put_key(w, key);
	put(w, "\"", 1);
	put_escaped(w, value);
	put(w, "\"", 1);
}

void jsonw_u64(struct jsonw *w, const char *key, uint64_t n)
{
	char num[24];
	int len = snprintf(num, sizeof num, "%" PRIu64, n);

	put_key(w, key);
	put(w, num, (size_t)len);
}

long jsonw_end(struct jsonw *w)
{
	put(w, "}", 1);
	if (w->full) {
		if (w->cap > 0)
			w->p[0] = '\0';
		return AK_ETOOBIG;
	}
	w->p[w->len] = '\0';
	return (long)w->len;
}
