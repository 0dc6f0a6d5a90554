/*
 * fuzz_fields: the small parsers a request's fields and headers go
 * through, one input to them all, faster than fuzz_http can reach them:
 *
 *   idcard_normalise   an ID number (enrol, log-in, look-up, paper code)
 *   token_parse        the token of Authorization: Bearer
 *   policy_phone_valid, the closed word lists (status, result, reason,
 *   purpose, appeal reason and answer, the leaf's role, action, result and
 *   detail words: bodies, query filters, scans)
 *   policy_appeal_text_valid  an appeal's text
 *   forwarded_net_parse, forwarded_client   --trusted-proxy and
 *                      X-Forwarded-For
 *   request_string_only  POST /v1/verify's body, whose common form
 *                      {"credential":"..."} is read without jansson
 *
 * Invariants checked: an accepted ID number is 18 characters, equal to
 * the input but for the check character's case, and normalises to
 * itself; a token that parses is TOKEN_TEXT_LEN long and of a known
 * kind; a word that parses is the word its value formats to; a phone
 * number accepted is within the length limits; a range that parses has
 * at most 128 bits; the client address forwarded_client picks is the one
 * a plain reading of the rule picks (forwarded.h: behind trusted peers,
 * the rightmost address of the chain that is not a trusted proxy, all of
 * the chain's addresses numeric, at most FORWARDED_MAX_HOPS of them,
 * else the peer itself), from a trusted peer and from an untrusted one;
 * request_string_only answers exactly what jansson's reading of the same
 * body (request_json, then request_string) answers: the same error, or
 * the same string.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cred.h"
#include "crypto/leaf.h"
#include "service/http/forwarded.h"
#include "service/http/http_int.h"
#include "service/http/request.h"
#include "service/idcard.h"
#include "service/policy.h"
#include "service/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const char *text, size_t size, int (*parse)(const char *, size_t),
		       const char *(*word)(int))
{
	int v = parse(text, size);
	const char *w;

	if (v < 0)
		return;
	if ((w = word(v)) == NULL || strlen(w) != size || memcmp(w, text, size) != 0)
		abort();
}

static const char *status_word(int v)
{
	return cred_status_word(v);
}

static const char *result_word(int v)
{
	return cred_result_word((enum cred_result)v);
}

static int upheld_parse(const char *w, size_t len)
{
	return policy_appeal_answer_parse(1, w, len);
}

static int rejected_parse(const char *w, size_t len)
{
	return policy_appeal_answer_parse(0, w, len);
}

/* An accepted appeal text is valid UTF-8 of at most 500 code points,
 * within its byte bound, and without a NUL. */
static void check_appeal_text(const char *text, size_t size)
{
	size_t chars = 0;

	if (!policy_appeal_text_valid(text, size))
		return;
	if (size > POLICY_APPEAL_TEXT_BYTES || memchr(text, '\0', size) != NULL)
		abort();
	for (size_t i = 0; i < size; i++)
		chars += ((unsigned char)text[i] & 0xc0) != 0x80;
	if (chars > POLICY_APPEAL_TEXT_MAX)
		abort();
}

static void check_idcard(const char *text, size_t size)
{
	char out[IDCARD_LEN + 1], again[IDCARD_LEN + 1];
	const uint32_t today = 20261207;

	if (idcard_normalise(out, text, size, today) != 0)
		return;
	if (size != IDCARD_LEN || strlen(out) != IDCARD_LEN || memcmp(out, text, 17) != 0 ||
	    (out[17] != text[17] && !(text[17] == 'x' && out[17] == 'X')))
		abort();
	if (idcard_normalise(again, out, IDCARD_LEN, today) != 0 || strcmp(out, again) != 0)
		abort();
}

/* ------------------------------------------------ X-Forwarded-For */

static const char *const trusted_text[] = {"127.0.0.0/8", "10.0.0.0/8", "fd00::/8"};

/* The address as 16 bytes, IPv4 mapped; 0 or -1, as the rule reads one. */
static int ref_addr(const char *s, size_t n, uint8_t out[16])
{
	char t[64];
	struct in_addr v4;

	if (n == 0 || n >= FORWARDED_ADDR_MAX)
		return -1;
	memcpy(t, s, n);
	t[n] = '\0';
	if (inet_pton(AF_INET, t, &v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, t, out) == 1 ? 0 : -1;
}

static int ref_trusted(const uint8_t a[16])
{
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return (memcmp(a, v4, 12) == 0 && (a[12] == 127 || a[12] == 10)) || a[0] == 0xfd;
}

static void ref_format(const uint8_t a[16], char *out, size_t cap)
{
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(a, v4, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

/* The client the rule names for a peer and a chain (NUL-terminated). */
static void ref_client(const uint8_t peer[16], const char *xff, char *out, size_t cap)
{
	uint8_t hops[FORWARDED_MAX_HOPS][16];
	size_t k = 0;
	const char *p = xff;

	if (!ref_trusted(peer)) {
		ref_format(peer, out, cap);
		return;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (k == FORWARDED_MAX_HOPS || ref_addr(p, len, hops[k]) != 0) {
			ref_format(peer, out, cap);
			return;
		}
		k++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	while (k > 1 && ref_trusted(hops[k - 1]))
		k--;
	ref_format(hops[k - 1], out, cap);
}

static void check_forwarded(const char *text)
{
	static struct forwarded_net trusted[3];
	static int ready;
	struct forwarded_net net;
	struct sockaddr_in peer = {.sin_family = AF_INET};
	uint8_t p16[16] = {[10] = 0xff, [11] = 0xff};
	char got[FORWARDED_ADDR_MAX], want[FORWARDED_ADDR_MAX];

	if (!ready) {
		for (size_t i = 0; i < 3; i++)
			if (forwarded_net_parse(trusted_text[i], &trusted[i]) != 0)
				abort();
		ready = 1;
	}
	if (forwarded_net_parse(text, &net) == 0 && net.bits > 128)
		abort();
	for (int trusted_peer = 0; trusted_peer < 2; trusted_peer++) {
		uint32_t a = trusted_peer ? 0x0a000001 : 0xc6336401; /* 10.0.0.1, 198.51.100.1 */
		peer.sin_addr.s_addr = htonl(a);
		memcpy(p16 + 12, &peer.sin_addr, 4);
		forwarded_client((const struct sockaddr *)&peer, text, trusted, 3, got, sizeof got);
		ref_client(p16, text, want, sizeof want);
		if (strcmp(got, want) != 0)
			abort();
	}
}

/* ------------------------------------------- the verify body's short path */

/* body as the transport holds it: NUL-terminated, body_len bytes. */
static enum api_error read_body(int short_path, const char *body, size_t n, const char **out,
				size_t *len, json_t **json)
{
	static const char *const allowed[] = {"credential", NULL};
	struct http_internal in;
	struct request rq;
	enum api_error e;

	memset(&in, 0, sizeof in);
	memset(&rq, 0, sizeof rq);
	in.body = (char *)body;
	in.body_len = n;
	rq.in = &in;
	if (short_path)
		e = request_string_only(&rq, "credential", out, len);
	else if ((e = request_json(&rq, allowed)) == API_OK)
		e = request_string(&rq, "credential", 1, out, len);
	*json = rq.json; /* the string may live in it: the caller frees it */
	return e;
}

static void check_string_only(const uint8_t *data, size_t size)
{
	const char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	json_t *ja, *jb;
	enum api_error ea, eb;
	char *body;

	if ((body = malloc(size + 1)) == NULL)
		return;
	memcpy(body, data, size);
	body[size] = '\0';
	ea = read_body(1, body, size, &a, &alen, &ja);
	eb = read_body(0, body, size, &b, &blen, &jb);
	if (ea != eb || (ea == API_OK && (alen != blen || memcmp(a, b, alen) != 0)))
		abort();
	json_decref(ja);
	json_decref(jb);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	uint8_t hash[TOKEN_HASH_BYTES];
	char *copy;
	int kind;

	check_idcard(text, size);
	if ((kind = token_parse(text, size, hash)) >= 0 &&
	    (size != TOKEN_TEXT_LEN || (kind != TOKEN_ACCOUNT && kind != TOKEN_SESSION)))
		abort();
	if (policy_phone_valid(text, size) && (size == 0 || size > POLICY_PHONE_MAX))
		abort();
	check_word(text, size, cred_status_parse, status_word);
	check_word(text, size, cred_result_parse, result_word);
	check_word(text, size, leaf_role_parse, leaf_role_word);
	check_word(text, size, leaf_action_parse, leaf_action_word);
	check_word(text, size, leaf_result_parse, leaf_result_word);
	check_word(text, size, leaf_detail_parse, leaf_detail_word);
	check_word(text, size, policy_reason_parse, leaf_detail_word);
	check_word(text, size, policy_purpose_parse, leaf_detail_word);
	check_word(text, size, policy_appeal_reason_parse, leaf_detail_word);
	check_word(text, size, upheld_parse, leaf_detail_word);
	check_word(text, size, rejected_parse, leaf_detail_word);
	check_appeal_text(text, size);
	if (size <= 4096)
		check_string_only(data, size);

	/* The header's value as libmicrohttpd hands it over: a C string. */
	if (size > 4096 || (copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	check_forwarded(copy);
	free(copy);
	return 0;
}
