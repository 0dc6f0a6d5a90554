/*
 * tlogproof: formatting and strict parsing of c2sp.org/tlog-proof@v1
 * (see tlogproof.h). The format is line-oriented; each line is found with
 * memchr within the given length, so nothing is read past the input and a
 * missing final newline is simply a missing line.
 */
#include "audit/tlogproof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define HASH_B64 44 /* base64 of 32 bytes */

int tlogproof_format(char **out, size_t *len, uint64_t index, const merkle_hash *proof, size_t n,
		     const uint8_t *extra, size_t extra_len, const char *note, size_t note_len)
{
	size_t cap, pos = 0;
	char *buf;
	int w;

	*out = NULL;
	*len = 0;
	if (n > MERKLE_MAX_PROOF || note_len == 0 || (extra != NULL && extra_len == 0) ||
	    extra_len > TLOGPROOF_EXTRA_MAX)
		return AK_EINVAL;
	cap = sizeof TLOGPROOF_HEADER + 6 + util_b64_encoded_len(extra_len) + 1 + 6 + 20 + 1 +
	      n * (HASH_B64 + 1) + 1 + note_len + 1;
	if (cap > TLOGPROOF_MAX)
		return AK_ETOOBIG;
	if ((buf = malloc(cap)) == NULL)
		return AK_ENOMEM;
	pos = (size_t)snprintf(buf, cap, "%s\n", TLOGPROOF_HEADER);
	if (extra != NULL) {
		memcpy(buf + pos, "extra ", 6);
		pos += 6;
		util_b64_encode(buf + pos, extra, extra_len);
		pos += util_b64_encoded_len(extra_len);
		buf[pos++] = '\n';
	}
	w = snprintf(buf + pos, cap - pos, "index %" PRIu64 "\n", index);
	pos += (size_t)w;
	for (size_t i = 0; i < n; i++) {
		util_b64_encode(buf + pos, proof[i], MERKLE_HASH_BYTES);
		pos += HASH_B64;
		buf[pos++] = '\n';
	}
	buf[pos++] = '\n';
	memcpy(buf + pos, note, note_len);
	pos += note_len;
	buf[pos] = '\0';
	*out = buf;
	*len = pos;
	return 0;
}

/* The next line of text[*pos..len) without its "\n"; -1 if none ends. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len || (nl = memchr(text + *pos, '\n', len - *pos)) == NULL)
		return -1;
	*line = text + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return 0;
}

int tlogproof_parse(struct tlogproof *p, const char *text, size_t len)
{
	const char *line;
	size_t n, pos = 0, got;

	memset(p, 0, sizeof *p);
	if (len > TLOGPROOF_MAX)
		return AK_ETOOBIG;
	if (next_line(text, len, &pos, &line, &n) != 0 || n != strlen(TLOGPROOF_HEADER) ||
	    memcmp(line, TLOGPROOF_HEADER, n) != 0)
		goto fail;
	if (next_line(text, len, &pos, &line, &n) != 0)
		goto fail;
	if (n >= 6 && memcmp(line, "extra ", 6) == 0) {
		if (n == 6 ||
		    util_b64_decode(p->extra, sizeof p->extra, &got, line + 6, n - 6) != 0 ||
		    got == 0)
			goto fail;
		p->has_extra = 1;
		p->extra_len = got;
		if (next_line(text, len, &pos, &line, &n) != 0)
			goto fail;
	}
	if (n < 7 || memcmp(line, "index ", 6) != 0 ||
	    util_parse_u64(line + 6, n - 6, &p->index) != 0)
		goto fail;
	for (;;) {
		if (next_line(text, len, &pos, &line, &n) != 0)
			goto fail;
		if (n == 0)
			break;
		if (p->nproof == MERKLE_MAX_PROOF || n != HASH_B64 ||
		    util_b64_decode(p->proof[p->nproof], MERKLE_HASH_BYTES, &got, line, n) != 0 ||
		    got != MERKLE_HASH_BYTES)
			goto fail;
		p->nproof++;
	}
	if (pos >= len)
		goto fail;
	p->note = text + pos;
	p->note_len = len - pos;
	return 0;
fail:
	memset(p, 0, sizeof *p);
	return AK_EINVAL;
}
