/*
 * cosig: verifying cosignature/v1 lines (c2sp.org/tlog-cosignature); the
 * bytes are in cosig.h. The note itself is parsed by note.c's rules, with
 * a check that rebuilds the signed message: the two header lines, then
 * the checkpoint text exactly as the note carries it.
 *
 * Must never: read outside the note; accept a timestamp beyond 2^63 - 1
 * (the spec's limit, so a u64 that a signed reader would see as negative
 * never verifies).
 */
#include "crypto/cosig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/note.h"

#define TIME_MAX ((uint64_t)INT64_MAX)

uint32_t cosig_key_id(const char *name, size_t name_len, const uint8_t pk[KEY_PK_BYTES])
{
	return key_id_typed(name, name_len, COSIG_TYPE_ED25519, pk);
}

int cosig_verifier_parse(struct key_verifier *v, const char *text, size_t len)
{
	return key_verifier_parse_typed(v, text, len, COSIG_TYPE_ED25519);
}

int cosig_verifier_init(struct key_verifier *v, const char *name, const uint8_t pk[KEY_PK_BYTES])
{
	int rc = key_verifier_init(v, name, pk);

	if (rc == 0)
		v->id = cosig_key_id(v->name, strlen(v->name), v->pk);
	return rc;
}

int cosig_verifier_format(char *out, size_t cap, const struct key_verifier *v)
{
	return key_verifier_format_typed(out, cap, v, COSIG_TYPE_ED25519);
}

int cosig_header(char *out, size_t cap, uint64_t t)
{
	int n;

	if (t > TIME_MAX)
		return AK_EINVAL;
	n = snprintf(out, cap, "cosignature/v1\ntime %" PRIu64 "\n", t);
	if (n < 0 || (size_t)n >= cap)
		return AK_ETOOBIG;
	return n;
}

struct times {
	uint64_t *t; /* NULL when the caller wants none */
};

/*
 * sig: timestamp[8] || Ed25519 signature[64], after the key id. Plain
 * Ed25519 hashes the message twice internally, so it cannot be streamed:
 * the header and the text are put side by side first.
 */
static int check_cosig(void *ctx, const struct key_verifier *v, size_t i, const uint8_t *text,
		       size_t len, const uint8_t *sig)
{
	struct times *ts = ctx;
	char head[COSIG_HEADER_MAX + 1];
	uint64_t t = 0;
	uint8_t *m;
	int n, bad;

	for (int k = 0; k < 8; k++)
		t = t << 8 | sig[k];
	if ((n = cosig_header(head, sizeof head, t)) < 0)
		return -1;
	if ((m = malloc((size_t)n + len)) == NULL)
		return -1;
	memcpy(m, head, (size_t)n);
	memcpy(m + n, text, len);
	bad = crypto_sign_verify_detached(sig + 8, m, (size_t)n + len, v->pk);
	free(m);
	if (bad)
		return -1;
	if (ts->t != NULL)
		ts->t[i] = t;
	return 0;
}

int cosig_open(const char *note, size_t len, const struct key_verifier *ws, size_t nws,
	       uint32_t *cosigned_by, uint64_t *times)
{
	struct times ts = {times};
	size_t tlen;
	int rc;

	if (nws > COSIG_MAX_KEYS)
		return AK_EINVAL;
	*cosigned_by = 0;
	rc = note_open_with(note, len, ws, nws, COSIG_BYTES - 4, check_cosig, &ts, &tlen,
			    cosigned_by);
	return rc == AK_ENOENT ? 0 : rc;
}
