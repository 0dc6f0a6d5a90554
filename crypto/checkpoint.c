/*
 * checkpoint: C2SP tlog-checkpoint bodies (FORMAT.md section 3.3).
 *
 *   <origin>\n
 *   <tree size, decimal>\n
 *   <base64 root hash, 32 bytes>\n
 *
 * The parser takes any origin C2SP allows (a non-empty line, so
 * "go.sum database tree" parses) up to CHECKPOINT_ORIGIN_MAX bytes of
 * UTF-8 without control characters; the size is a canonical decimal; the
 * root canonical base64 of exactly 32 bytes; and nothing follows the
 * third line (ankang's log writes no extension lines, so one is a
 * surprise). checkpoint_open adds ankang's rule that the origin is the log
 * key's name, which ties a checkpoint to one log.
 *
 * Must never: sign (the verifier program links this file).
 */
#include "crypto/checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "crypto/note.h"

#define ROOT_B64_LEN 44 /* base64 of 32 bytes */

static int origin_valid(const char *s, size_t len)
{
	if (len == 0 || len > CHECKPOINT_ORIGIN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20)
			return 0;
	}
	return util_utf8_valid(s, len);
}

int checkpoint_format(char *out, size_t cap, const struct checkpoint *c)
{
	size_t origin_len = strnlen(c->origin, sizeof c->origin);
	char root[ROOT_B64_LEN + 1];
	int n;

	if (!origin_valid(c->origin, origin_len))
		return AK_EINVAL;
	util_b64_encode(root, c->root, sizeof c->root);
	n = snprintf(out, cap, "%s\n%" PRIu64 "\n%s\n", c->origin, c->size, root);
	if (n < 0 || (size_t)n >= cap)
		return AK_ETOOBIG;
	return n;
}

int checkpoint_parse(struct checkpoint *c, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	size_t n, got = 0;

	memset(c, 0, sizeof *c);
	if (len == 0 || len > CHECKPOINT_TEXT_MAX)
		goto fail;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		goto fail;
	n = (size_t)(nl - p);
	if (!origin_valid(p, n))
		goto fail;
	memcpy(c->origin, p, n);
	c->origin[n] = '\0';
	p = nl + 1;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    util_parse_u64(p, (size_t)(nl - p), &c->size) != 0)
		goto fail;
	p = nl + 1;

	/* The root line is the last one: exactly 44 characters and "\n". */
	if ((size_t)(end - p) != ROOT_B64_LEN + 1 || end[-1] != '\n' ||
	    util_b64_decode(c->root, sizeof c->root, &got, p, ROOT_B64_LEN) != 0 ||
	    got != sizeof c->root)
		goto fail;
	return 0;
fail:
	memset(c, 0, sizeof *c);
	return AK_EINVAL;
}

int checkpoint_open(struct checkpoint *c, const char *note, size_t len,
		    const struct key_verifier *log_key)
{
	size_t tlen = 0;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = note_open(note, len, log_key, 1, &tlen, NULL)) != 0)
		return rc;
	if ((rc = checkpoint_parse(c, note, tlen)) != 0)
		return rc;
	if (strcmp(c->origin, log_key->name) != 0) {
		memset(c, 0, sizeof *c);
		return AK_EINVAL;
	}
	return 0;
}
