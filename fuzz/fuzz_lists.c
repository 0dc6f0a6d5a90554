/*
 * fuzz_lists: the three strict text parsers (trust_parse, revoc_parse,
 * checkpoint_parse) on the same bytes.
 *
 * Invariant checked beyond "no crash": each format has exactly one
 * spelling, so whatever parses must format back to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/revoc.h"
#include "crypto/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const char *out, size_t n, const uint8_t *data, size_t size)
{
	if (n != size || memcmp(out, data, size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct trust_list t;
	struct revoc_list r = {0};
	struct checkpoint c;
	char *out = NULL;
	size_t n = 0;

	if (trust_parse(&t, text, size) == 0) {
		if (trust_format(&out, &n, &t) != 0)
			abort();
		same_or_abort(out, n, data, size);
		free(out);
	}
	if (revoc_parse(&r, text, size) == 0) {
		if (revoc_format(&out, &n, &r) != 0)
			abort();
		same_or_abort(out, n, data, size);
		free(out);
		revoc_free(&r);
	}
	if (checkpoint_parse(&c, text, size) == 0) {
		char buf[CHECKPOINT_TEXT_MAX + 1];
		int len = checkpoint_format(buf, sizeof buf, &c);
		if (len < 0)
			abort();
		same_or_abort(buf, (size_t)len, data, size);
	}
	return 0;
}
