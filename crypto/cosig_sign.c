/*
 * cosig_sign: a witness's cosignature/v1 line on a checkpoint (bytes in
 * cosig.h). The key is an ordinary ankang signer key; only the key id
 * and the vkey's type byte say "cosignature".
 *
 * Must never: sign text that is not a note's text (the witness signs
 * what it verified, and nothing a reader could split differently).
 */
#include "crypto/cosig_sign.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/note.h"

#define DASH     "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define DASH_LEN 4

void cosig_signer_verifier(struct key_verifier *out, const key_signer *k)
{
	*out = *key_signer_verifier(k);
	out->id = cosig_key_id(out->name, strlen(out->name), out->pk);
}

int cosig_line(char *out, size_t cap, const key_signer *k, uint64_t t, const char *body,
	       size_t body_len)
{
	struct key_verifier v;
	char head[COSIG_HEADER_MAX + 1];
	uint8_t raw[COSIG_BYTES], *m;
	size_t name_len, n;
	int hlen;

	if (!note_text_valid(body, body_len))
		return AK_EINVAL;
	if ((hlen = cosig_header(head, sizeof head, t)) < 0)
		return hlen;
	cosig_signer_verifier(&v, k);
	name_len = strlen(v.name);
	n = DASH_LEN + name_len + 1 + util_b64_encoded_len(COSIG_BYTES) + 1;
	if (cap < n + 1)
		return AK_ETOOBIG;

	if ((m = malloc((size_t)hlen + body_len)) == NULL)
		return AK_ENOMEM;
	memcpy(m, head, (size_t)hlen);
	memcpy(m + hlen, body, body_len);
	for (int i = 0; i < 4; i++)
		raw[i] = (uint8_t)(v.id >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		raw[4 + i] = (uint8_t)(t >> (56 - 8 * i));
	key_signer_sign(k, raw + 12, m, (size_t)hlen + body_len);
	free(m);

	memcpy(out, DASH, DASH_LEN);
	memcpy(out + DASH_LEN, v.name, name_len);
	out[DASH_LEN + name_len] = ' ';
	util_b64_encode(out + DASH_LEN + name_len + 1, raw, COSIG_BYTES);
	out[n - 1] = '\n';
	out[n] = '\0';
	return (int)n;
}
