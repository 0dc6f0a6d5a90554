/*
 * trust: the trust list (FORMAT.md section 4), text form and signed note.
 *
 *   ankang/trust/v1\n
 *   <origin>\n
 *   <issued, unix seconds>\n
 *   issuer <kid hex16> <base64 pubkey32> <not_before> <not_after>\n   (1..TRUST_MAX_ISSUERS)
 *   log <log verifier key text>\n
 *
 * There is exactly one text for a given list: fields are separated by one
 * space, numbers are canonical decimals (util_parse_u64), hex is
 * lowercase, base64 canonical. trust_format refuses what trust_parse would
 * refuse, so a list that formats also parses back to itself. Each kid must
 * be cred_kid() of its key, windows must not be inverted, and kids are
 * unique (a key listed twice would make "which window applies" ambiguous).
 *
 * Only a note signed by the root key named "<origin>/root" is a trust list
 * for that origin: trust_open checks the name against the list's own
 * origin, so one deployment's root cannot vouch for another's list.
 *
 * Must never: sign (the verifier program links this file).
 */
#include "crypto/trust.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/note.h"

#define ROOT_SUFFIX "/root"
#define PK_B64_LEN  44 /* base64 of 32 bytes */
#define U64_MAX_LEN 20

#define ISSUER_LINE_MAX                                                                            \
	(7 + 2 * CRED_KID_BYTES + 1 + PK_B64_LEN + 1 + U64_MAX_LEN + 1 + U64_MAX_LEN + 1)
#define TRUST_TEXT_BOUND                                                                           \
	(sizeof TRUST_MAGIC + TRUST_ORIGIN_MAX + 1 + U64_MAX_LEN + 1 +                             \
	 TRUST_MAX_ISSUERS * ISSUER_LINE_MAX + 4 + KEY_VKEY_MAX + 1)

/* trust_format writes into one TRUST_TEXT_MAX buffer without checking. */
_Static_assert(TRUST_TEXT_BOUND < TRUST_TEXT_MAX, "a maximal trust list fits TRUST_TEXT_MAX");

int trust_origin_valid(const char *origin, size_t len)
{
	return len <= TRUST_ORIGIN_MAX && key_name_valid(origin, len);
}

/* The next line of [*p, end) without its "\n"; 0, or AK_EINVAL if unterminated. */
static int next_line(const char **p, const char *end, const char **line, size_t *n)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL)
		return AK_EINVAL;
	*line = *p;
	*n = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

/*
 * Splits s[0..n) into exactly want fields separated by single spaces, none
 * empty. Returns 0 or AK_EINVAL.
 */
static int split_fields(const char *s, size_t n, const char **f, size_t *fl, size_t want)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start || k == want)
			return AK_EINVAL;
		f[k] = s + start;
		fl[k] = i - start;
		k++;
		start = i + 1;
	}
	return k == want ? 0 : AK_EINVAL;
}

static int line_is(const char *line, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(line, want, n) == 0;
}

static int issuer_valid(const struct cred_issuer *is)
{
	uint8_t kid[CRED_KID_BYTES];

	cred_kid(kid, is->pk);
	return memcmp(kid, is->kid, CRED_KID_BYTES) == 0 && is->not_before <= is->not_after;
}

/* 1 when issuers[i] repeats the kid of an earlier one. */
static int kid_repeated(const struct cred_issuer *issuers, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (memcmp(issuers[j].kid, issuers[i].kid, CRED_KID_BYTES) == 0)
			return 1;
	}
	return 0;
}

/* "issuer <kid> <pk> <nb> <na>", the part after "issuer ". */
static int parse_issuer(struct cred_issuer *is, const char *s, size_t n)
{
	const char *f[4];
	size_t fl[4], got = 0;

	if (split_fields(s, n, f, fl, 4) != 0)
		return AK_EINVAL;
	if (util_hex_decode_lower(is->kid, CRED_KID_BYTES, f[0], fl[0]) != 0)
		return AK_EINVAL;
	if (fl[1] != PK_B64_LEN || util_b64_decode(is->pk, sizeof is->pk, &got, f[1], fl[1]) != 0 ||
	    got != sizeof is->pk)
		return AK_EINVAL;
	if (util_parse_u64(f[2], fl[2], &is->not_before) != 0 ||
	    util_parse_u64(f[3], fl[3], &is->not_after) != 0)
		return AK_EINVAL;
	return issuer_valid(is) ? 0 : AK_EINVAL;
}

int trust_parse(struct trust_list *t, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *line;
	size_t n;
	int have_log = 0;

	memset(t, 0, sizeof *t);
	if (len == 0 || len > TRUST_TEXT_MAX)
		goto fail;
	if (next_line(&p, end, &line, &n) != 0 || !line_is(line, n, TRUST_MAGIC))
		goto fail;
	if (next_line(&p, end, &line, &n) != 0 || !trust_origin_valid(line, n))
		goto fail;
	memcpy(t->origin, line, n);
	t->origin[n] = '\0';
	if (next_line(&p, end, &line, &n) != 0 || util_parse_u64(line, n, &t->issued) != 0)
		goto fail;

	while (p < end) {
		if (next_line(&p, end, &line, &n) != 0)
			goto fail;
		if (n > 7 && memcmp(line, "issuer ", 7) == 0) {
			if (t->n_issuers == TRUST_MAX_ISSUERS ||
			    parse_issuer(&t->issuers[t->n_issuers], line + 7, n - 7) != 0 ||
			    kid_repeated(t->issuers, t->n_issuers))
				goto fail;
			t->n_issuers++;
		} else if (n > 4 && memcmp(line, "log ", 4) == 0) {
			/* The log line comes last, after at least one issuer. */
			if (t->n_issuers == 0 || p != end ||
			    key_verifier_parse(&t->log_key, line + 4, n - 4) != 0)
				goto fail;
			have_log = 1;
		} else {
			goto fail;
		}
	}
	if (!have_log)
		goto fail;
	return 0;
fail:
	memset(t, 0, sizeof *t);
	return AK_EINVAL;
}

int trust_format(char **out, size_t *len, const struct trust_list *t)
{
	size_t origin_len = strnlen(t->origin, sizeof t->origin), at = 0;
	char *buf = NULL;
	int n;

	*out = NULL;
	if (!trust_origin_valid(t->origin, origin_len) || t->n_issuers == 0 ||
	    t->n_issuers > TRUST_MAX_ISSUERS)
		return AK_EINVAL;
	for (size_t i = 0; i < t->n_issuers; i++) {
		if (!issuer_valid(&t->issuers[i]) || kid_repeated(t->issuers, i))
			return AK_EINVAL;
	}
	/* A log key whose id is not its own would not parse back. */
	if (!key_name_valid(t->log_key.name, strnlen(t->log_key.name, sizeof t->log_key.name)) ||
	    t->log_key.id != key_id(t->log_key.name, strlen(t->log_key.name), t->log_key.pk))
		return AK_EINVAL;

	/* Every field is bounded, so the whole text fits TRUST_TEXT_MAX. */
	if ((buf = malloc(TRUST_TEXT_MAX + 1)) == NULL)
		return AK_ENOMEM;
	at += (size_t)snprintf(buf + at, TRUST_TEXT_MAX + 1 - at, "%s\n%s\n%" PRIu64 "\n",
			       TRUST_MAGIC, t->origin, t->issued);
	for (size_t i = 0; i < t->n_issuers; i++) {
		const struct cred_issuer *is = &t->issuers[i];
		char kid[2 * CRED_KID_BYTES + 1], pk[PK_B64_LEN + 1];

		util_hex_encode(kid, is->kid, CRED_KID_BYTES);
		util_b64_encode(pk, is->pk, sizeof is->pk);
		at += (size_t)snprintf(buf + at, TRUST_TEXT_MAX + 1 - at,
				       "issuer %s %s %" PRIu64 " %" PRIu64 "\n", kid, pk,
				       is->not_before, is->not_after);
	}
	memcpy(buf + at, "log ", 4);
	at += 4;
	if ((n = key_verifier_format(buf + at, TRUST_TEXT_MAX + 1 - at, &t->log_key)) < 0) {
		free(buf);
		return n;
	}
	at += (size_t)n;
	buf[at++] = '\n';
	buf[at] = '\0';
	*out = buf;
	*len = at;
	return 0;
}

int trust_open(struct trust_list *t, const char *note, size_t len, const struct key_verifier *root)
{
	size_t tlen = 0, origin_len;
	int rc;

	memset(t, 0, sizeof *t);
	if ((rc = note_open(note, len, root, 1, &tlen, NULL)) != 0)
		return rc;
	if ((rc = trust_parse(t, note, tlen)) != 0)
		return rc;
	origin_len = strlen(t->origin);
	if (strlen(root->name) != origin_len + strlen(ROOT_SUFFIX) ||
	    memcmp(root->name, t->origin, origin_len) != 0 ||
	    strcmp(root->name + origin_len, ROOT_SUFFIX) != 0) {
		memset(t, 0, sizeof *t);
		return AK_EINVAL;
	}
	return 0;
}
