/*
 * test_request: request_string_only (service/http/request.h), the short
 * way POST /v1/verify reads its body, answers exactly what the long way
 * (request_json, then request_string) answers, for the bodies it takes
 * itself and for the ones it hands on: the same error, or the same
 * string.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"
#include "service/http/http_int.h"
#include "service/http/request.h"
#include "tests/lib/tap.h"

struct fixture {
	struct request rq;
	struct http_internal in;
	char body[256];
};

static void setup(struct fixture *f, const char *body, size_t n)
{
	memset(f, 0, sizeof *f);
	memcpy(f->body, body, n);
	f->body[n] = '\0';
	f->in.body = f->body;
	f->in.body_len = n;
	f->rq.in = &f->in;
}

/* Both ways on one body: the same error, and on API_OK the same bytes. */
static void same(const char *body, size_t n, const char *what)
{
	static const char *const allowed[] = {"credential", NULL};
	struct fixture a, b;
	const char *sa = NULL, *sb = NULL;
	size_t la = 0, lb = 0;
	enum api_error ea, eb;

	setup(&a, body, n);
	setup(&b, body, n);
	ea = request_string_only(&a.rq, "credential", &sa, &la);
	eb = request_json(&b.rq, allowed);
	if (eb == API_OK)
		eb = request_string(&b.rq, "credential", 1, &sb, &lb);
	is_int(ea, eb, "%s: the same answer", what);
	if (ea == API_OK && eb == API_OK)
		ok(la == lb && memcmp(sa, sb, la) == 0, "%s: the same string", what);
	json_decref(a.rq.json);
	json_decref(b.rq.json);
}

#define SAME(lit, what) same(lit, sizeof(lit) - 1, what)

int main(void)
{
	struct fixture f;
	const char *s;
	size_t n;

	SAME("{\"credential\":\"AK1:ABC $%*+-./:\"}", "the common form");
	SAME("{\"credential\":\"\"}", "an empty string");
	SAME("{ \"credential\": \"AK1:X\" }", "with spaces");
	SAME("{\"credential\":\"AK1:\\u0041\"}", "an escape");
	SAME("{\"credential\":\"AK1:\\\"\"}", "an escaped quote");
	SAME("{\"credential\":\"a\"b\"}", "a bare quote inside");
	SAME("{\"credential\":\"\xe5\xbc\xa0\"}", "UTF-8");
	SAME("{\"credential\":\"\xff\"}", "not UTF-8");
	SAME("{\"credential\":\"a\tb\"}", "a raw tab");
	SAME("{\"credential\":\"a\0b\"}", "a NUL byte");
	SAME("{\"credential\":1}", "a number");
	SAME("{\"credentials\":\"AK1:X\"}", "another key");
	SAME("{\"credential\":\"AK1:X\",\"x\":\"y\"}", "one key too many");
	SAME("{\"credential\":\"AK1:X\",\"credential\":\"y\"}", "a duplicate key");
	SAME("{\"credential\":\"AK1:X\"}}", "a trailing byte");
	SAME("[\"credential\"]", "not an object");
	SAME("{}", "no key");
	SAME("{\"credential\":\"", "cut short");
	SAME("{\"credential\":\"}", "cut shorter");
	SAME("", "nothing");

	setup(&f, "{\"credential\":\"AK1:X\"}", 22);
	ok(request_string_only(&f.rq, "credential", &s, &n) == API_OK && n == 5 &&
	       memcmp(s, "AK1:X", 5) == 0 && f.rq.json == NULL,
	   "the common form is read without a JSON tree");
	return tap_done();
}
