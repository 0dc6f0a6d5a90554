/*
 * revoc: the revocation list (FORMAT.md section 4), text form and signed
 * note.
 *
 *   ankang/revocations/v1\n
 *   <origin>\n
 *   <issued, unix seconds>\n
 *   <cti hex32>\n     (0..REVOC_MAX_ENTRIES, strictly ascending)
 *
 * Strictly ascending (bytewise, which is also the order of the lowercase
 * hex text) means sorted and unique, so a list has exactly one text, and
 * cred_is_revoked can binary-search the parsed array as it is.
 *
 * Like a trust list, a revocation list counts only when signed by the key
 * named "<origin>/root" for its own origin.
 *
 * Must never: sign (the verifier program links this file).
 */
#include "crypto/revoc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/note.h"

#define ROOT_SUFFIX "/root"
#define CTI_HEX_LEN (2 * CRED_CTI_BYTES)
#define U64_MAX_LEN 20

void revoc_free(struct revoc_list *r)
{
	if (r == NULL)
		return;
	free(r->cti);
	r->cti = NULL;
	r->n = 0;
}

static int cti_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CRED_CTI_BYTES);
}

void revoc_normalise(struct revoc_list *r)
{
	size_t k = 0;

	if (r->n == 0) {
		revoc_free(r);
		return;
	}
	qsort(r->cti, r->n, CRED_CTI_BYTES, cti_cmp);
	for (size_t i = 1; i < r->n; i++) {
		if (memcmp(r->cti[i], r->cti[k], CRED_CTI_BYTES) != 0)
			memmove(r->cti[++k], r->cti[i], CRED_CTI_BYTES);
	}
	r->n = k + 1;
}

static int ascending(const uint8_t (*cti)[CRED_CTI_BYTES], size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (memcmp(cti[i - 1], cti[i], CRED_CTI_BYTES) >= 0)
			return 0;
	}
	return 1;
}

int revoc_format(char **out, size_t *len, const struct revoc_list *r)
{
	size_t origin_len = strnlen(r->origin, sizeof r->origin), cap, at;
	char *buf;

	*out = NULL;
	if (!trust_origin_valid(r->origin, origin_len) || r->n > REVOC_MAX_ENTRIES ||
	    (r->n > 0 && r->cti == NULL) ||
	    !ascending((const uint8_t(*)[CRED_CTI_BYTES])r->cti, r->n))
		return AK_EINVAL;
	cap = sizeof REVOC_MAGIC + origin_len + 1 + U64_MAX_LEN + 1 + r->n * (CTI_HEX_LEN + 1) + 1;
	if ((buf = malloc(cap)) == NULL)
		return AK_ENOMEM;
	at = (size_t)snprintf(buf, cap, "%s\n%s\n%" PRIu64 "\n", REVOC_MAGIC, r->origin, r->issued);
	for (size_t i = 0; i < r->n; i++) {
		util_hex_encode(buf + at, r->cti[i], CRED_CTI_BYTES);
		at += CTI_HEX_LEN;
		buf[at++] = '\n';
	}
	buf[at] = '\0';
	*out = buf;
	*len = at;
	return 0;
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

int revoc_parse(struct revoc_list *r, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *line;
	size_t n, count;
	int rc = AK_EINVAL;

	memset(r, 0, sizeof *r);
	if (len == 0 || len > NOTE_MAX_BYTES)
		goto fail;
	if (next_line(&p, end, &line, &n) != 0 || n != strlen(REVOC_MAGIC) ||
	    memcmp(line, REVOC_MAGIC, n) != 0)
		goto fail;
	if (next_line(&p, end, &line, &n) != 0 || !trust_origin_valid(line, n))
		goto fail;
	memcpy(r->origin, line, n);
	r->origin[n] = '\0';
	if (next_line(&p, end, &line, &n) != 0 || util_parse_u64(line, n, &r->issued) != 0)
		goto fail;

	/* The rest is fixed-size lines: count them before allocating. */
	if ((size_t)(end - p) % (CTI_HEX_LEN + 1) != 0)
		goto fail;
	count = (size_t)(end - p) / (CTI_HEX_LEN + 1);
	if (count > REVOC_MAX_ENTRIES)
		goto fail;
	if (count == 0)
		return 0;
	if ((r->cti = malloc(count * CRED_CTI_BYTES)) == NULL) {
		rc = AK_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < count; i++, p += CTI_HEX_LEN + 1) {
		if (p[CTI_HEX_LEN] != '\n' ||
		    util_hex_decode_lower(r->cti[i], CRED_CTI_BYTES, p, CTI_HEX_LEN) != 0)
			goto fail;
		if (i > 0 && memcmp(r->cti[i - 1], r->cti[i], CRED_CTI_BYTES) >= 0)
			goto fail;
	}
	r->n = count;
	return 0;
fail:
	free(r->cti);
	memset(r, 0, sizeof *r);
	return rc;
}

int revoc_open(struct revoc_list *r, const char *note, size_t len, const struct key_verifier *root)
{
	size_t tlen = 0, origin_len;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = note_open(note, len, root, 1, &tlen, NULL)) != 0)
		return rc;
	if ((rc = revoc_parse(r, note, tlen)) != 0)
		return rc;
	origin_len = strlen(r->origin);
	if (strlen(root->name) != origin_len + strlen(ROOT_SUFFIX) ||
	    memcmp(root->name, r->origin, origin_len) != 0 ||
	    strcmp(root->name + origin_len, ROOT_SUFFIX) != 0) {
		revoc_free(r);
		memset(r, 0, sizeof *r);
		return AK_EINVAL;
	}
	return 0;
}
