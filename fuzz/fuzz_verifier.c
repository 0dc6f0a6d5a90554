/*
 * fuzz_verifier: ankang-verify's parsers on arbitrary bytes: a spool line,
 * a verify answer and a scans answer from the server, and term_safe.
 *
 * Invariants checked: no crash or out-of-bounds read; a spool line that
 * parses, of five fields or of the four written before scans carried a
 * signature, formats back to the identical bytes (the parser accepts only
 * the canonical form); a verdict that parses has a name only for a result
 * that may show one, and that name follows the rule for names in a code;
 * term_safe's output is valid UTF-8 holding no character it replaces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "verifier/spool.h"
#include "verifier/term.h"
#include "verifier/vwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when s holds a code point term_safe should have replaced. */
static int has_unsafe(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned long c;
		size_t n = u[i] < 0x80 ? 1 : u[i] < 0xe0 ? 2 : u[i] < 0xf0 ? 3 : 4;
		c = n == 1 ? u[i] : (unsigned long)(u[i] & (0xff >> (n + 1)));
		for (size_t k = 1; k < n && i + k < len; k++)
			c = (c << 6) | (u[i + k] & 0x3f);
		if (term_unsafe_cp(c))
			return 1;
		i += n;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct spool_scan s;
	struct vwire_verdict v;
	uint64_t a, d;
	char line[SPOOL_LINE_MAX + 1];
	char *out;

	if (spool_parse_line(&s, text, size) == 0) {
		int n = spool_format_line(line, sizeof line, &s);
		if (n < 1 || (size_t)n != size + 1 || memcmp(line, data, size) != 0 ||
		    line[size] != '\n')
			abort();
	}
	if (vwire_parse_verdict(&v, text, size) == 0 &&
	    ((v.has_status && !v.has_name) ||
	     (v.has_name && !v.has_status && v.result != CRED_SUPERSEDED) ||
	     (v.has_name &&
	      (!cred_result_shows_data(v.result) || !cred_name_valid(v.name, strlen(v.name))))))
		abort();
	vwire_parse_scans_answer(text, size, &a, &d);
	if ((out = malloc(TERM_SAFE_CAP(size))) != NULL) {
		long r = term_safe(out, TERM_SAFE_CAP(size), text, size);
		if (r < 0 || !util_utf8_valid(out, strlen(out)) || has_unsafe(out, strlen(out)))
			abort();
		free(out);
	}
	return 0;
}
