/*
 * test_jsonw: the JSON writer of the most frequent answers
 * (service/http/jsonw.h) prints byte for byte what jansson's
 * json_dumps(JSON_COMPACT) prints for the same members, so the answers of
 * POST /v1/verify and GET /v1/me/code did not change when it replaced
 * jansson there; and an answer that does not fit is refused, not cut.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"
#include "service/http/jsonw.h"
#include "tests/lib/tap.h"

/* jsonw and jansson on {"a": s, "n": 1764000000, "b": "x"}. */
static void same_as_jansson(const char *s, const char *what)
{
	char buf[1024];
	struct jsonw w;
	json_t *o = json_object();
	char *want;
	long n;

	json_object_set_new(o, "a", json_string(s));
	json_object_set_new(o, "n", json_integer(1764000000));
	json_object_set_new(o, "b", json_string("x"));
	want = json_dumps(o, JSON_COMPACT);
	json_decref(o);

	jsonw_begin(&w, buf, sizeof buf);
	jsonw_str(&w, "a", s);
	jsonw_u64(&w, "n", 1764000000);
	jsonw_str(&w, "b", "x");
	n = jsonw_end(&w);
	ok(n > 0 && want != NULL && (size_t)n == strlen(want), "%s: the same length", what);
	is_str(buf, want ? want : "", "%s: the same bytes", what);
	free(want);
}

int main(void)
{
	char small[16];
	struct jsonw w;
	long n;

	same_as_jansson("Bench Resident", "plain ASCII");
	same_as_jansson("\xe5\xbc\xa0\xe4\xb8\x89", "UTF-8 (two CJK characters)");
	same_as_jansson("a \"quoted\" back\\slash", "quote and backslash");
	same_as_jansson("tab\there\nnew\rcr\bbs\fff", "the short escapes");
	same_as_jansson("\x01\x1f"
			"end",
			"other controls as \\u00XX (upper-case hex)");
	same_as_jansson("a/b", "a slash is left alone");
	same_as_jansson("", "the empty string");

	jsonw_begin(&w, small, sizeof small);
	jsonw_str(&w, "result", "valid");
	n = jsonw_end(&w);
	is_int(n, AK_ETOOBIG, "an 18-byte object in 16 bytes is refused");
	is_str(small, "", "and the buffer holds no object");

	jsonw_begin(&w, small, 16);
	jsonw_str(&w, "r", "valid12");
	n = jsonw_end(&w);
	is_int(n, 15, "an object of 15 bytes fits 16 (its NUL too)");
	is_str(small, "{\"r\":\"valid12\"}", "whole");
	return tap_done();
}
