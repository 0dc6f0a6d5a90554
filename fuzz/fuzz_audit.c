/*
 * fuzz_audit: ankang-audit's parsers on arbitrary bytes: the tlog-proof
 * text form, the server's entries and proof bodies and error codes, and
 * the TIME and HOURS arguments.
 *
 * Invariants checked: no crash or out-of-bounds read; a tlog-proof that
 * parses formats back to the identical bytes (the parser accepts only the
 * canonical form); an entries page hands on only leaves inside the page
 * asked for, strictly ascending, none empty or over WIRE_LEAF_MAX; an
 * error code is only [a-z0-9_].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/timeparse.h"
#include "audit/tlogproof.h"
#include "audit/wire.h"
#include "common/httpc.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	uint64_t next;
};

static int check_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct seen *s = ctx;

	if (idx < s->next || idx >= 1000 + 50 || len == 0 || len > WIRE_LEAF_MAX || leaf == NULL)
		abort();
	s->next = idx + 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	static struct tlogproof p;
	merkle_hash proof[MERKLE_MAX_PROOF];
	struct seen s = {50};
	size_t n, count;
	uint64_t last, ms;
	unsigned from, to;
	char code[32], *copy;

	if (tlogproof_parse(&p, text, size) == 0) {
		char *out = NULL;
		size_t len = 0;
		if (tlogproof_format(&out, &len, p.index, p.proof, p.nproof,
				     p.has_extra ? p.extra : NULL, p.extra_len, p.note,
				     p.note_len) != 0 ||
		    len != size || memcmp(out, data, size) != 0)
			abort();
		free(out);
	}
	wire_parse_entries(text, size, 50, 1050, check_leaf, &s, &count, &last);
	wire_parse_proof(text, size, proof, &n);
	httpc_error_code(text, size, code, sizeof code);
	for (size_t i = 0; code[i] != '\0'; i++)
		if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
		      code[i] == '_'))
			abort();

	/* The argument parsers take NUL-terminated strings. */
	if (size <= 64 && (copy = malloc(size + 1)) != NULL) {
		memcpy(copy, data, size);
		copy[size] = '\0';
		audit_time_parse(copy, &ms);
		if (audit_hours_parse(copy, &from, &to) == 0 && (from > 23 || to > 23))
			abort();
		free(copy);
	}
	return 0;
}
