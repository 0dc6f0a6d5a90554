/*
 * test_cosig: cosignature/v1 (crypto/cosig, cosig_sign) against
 * tests/vectors/cosig.json: the C2SP examples and a known answer made
 * with another Ed25519 implementation. Pins the bytes: the signed message
 * exactly, the key id (type byte 0x04, not the note keys' 0x01), the
 * big-endian timestamp, and that every accepted cosignature has a
 * tampered twin that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/cosig.h"
#include "crypto/cosig_sign.h"
#include "crypto/key.h"
#include "crypto/key_secret.h"
#include "crypto/note.h"
#include "crypto/note_sign.h"
#include "tests/lib/tap.h"

static json_t *vectors;

static const char *vec(const char *group, const char *field)
{
	json_t *g = json_object_get(vectors, group);
	const char *s = json_string_value(json_object_get(g, field));
	if (s == NULL)
		bail_out("missing field in tests/vectors/cosig.json");
	return s;
}

/* Decodes the base64 of a "— name b64" line (without "\n") into out;
 * a line that is not one ends the test. */
static size_t line_bytes(const char *line, size_t len, uint8_t *out, size_t cap)
{
	const char *sp = memchr(line, ' ', len);
	size_t got = 0;

	sp = sp == NULL ? NULL : memchr(sp + 1, ' ', (size_t)(line + len - sp - 1));
	if (sp == NULL ||
	    util_b64_decode(out, cap, &got, sp + 1, (size_t)(line + len - sp - 1)) != 0)
		return 0;
	return got;
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | p[i];
	return t;
}

static void spec_examples(void)
{
	const char *note = vec("c2sp", "cosigned_note"), *msg = vec("c2sp", "signed_message");
	const char *resp = vec("c2sp", "response_lines"), *p, *nl;
	const char *wline = strstr(note, "\xe2\x80\x94 witness.example.com/w1 ");
	char head[COSIG_HEADER_MAX + 1], *built;
	const char *body_end = strstr(note, "\n\n");
	size_t body_len = (size_t)(body_end - note) + 1;
	struct key_verifier w;
	uint8_t raw[128] = {0}, seed[32];
	uint32_t bits = 99;
	key_signer *k;
	size_t n;
	int hl, lines = 0, all76 = 1;

	/* The spec's message is the header lines then the checkpoint body. */
	hl = cosig_header(head, sizeof head, strtoull(vec("c2sp", "timestamp"), NULL, 10));
	ok(hl > 0, "cosig_header for the spec's time");
	built = malloc((size_t)hl + body_len + 1);
	memcpy(built, head, (size_t)hl);
	memcpy(built + hl, note, body_len);
	built[(size_t)hl + body_len] = '\0';
	is_str(built, msg, "header + checkpoint body is the spec's signed message, byte for byte");
	free(built);

	/* The spec's cosignature line: key id, then the time the message names. */
	if (wline == NULL)
		bail_out("the spec's note has no witness line");
	nl = strchr(wline, '\n');
	n = line_bytes(wline, (size_t)(nl - wline), raw, sizeof raw);
	is_int((long long)n, COSIG_BYTES, "the spec's cosignature is 4 + 8 + 64 bytes");
	is_int((long long)be64(raw + 4), 1679315147LL,
	       "its timestamp, big-endian after the key id, is the spec's time line");

	/* Every line of the spec's add-checkpoint response has the same shape. */
	for (p = resp; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		lines++;
		all76 &= line_bytes(p, (size_t)(nl - p), raw, sizeof raw) == COSIG_BYTES;
	}
	ok(lines == 3 && all76, "the spec's response lines are each 76 bytes");

	/* A key of ours under the spec witness's name is not the spec's key:
	 * its line is ignored (C2SP: unknown keys), the note still parses. */
	memset(seed, 7, sizeof seed);
	if (key_signer_from_seed(&k, vec("c2sp", "cosigner_name"), seed) != 0)
		bail_out("key_signer_from_seed");
	cosig_signer_verifier(&w, k);
	is_int(cosig_open(note, strlen(note), &w, 1, &bits, NULL), 0,
	       "spec note with an unknown cosigner key: well-formed");
	is_int(bits, 0, "and cosigned by nobody we know");
	key_signer_free(k);
}

static void known_answer(void)
{
	const char *name = vec("kat", "name"), *body = vec("kat", "body");
	const char *want_line = vec("kat", "line"), *want_vkey = vec("kat", "vkey");
	uint64_t t = strtoull(vec("kat", "timestamp"), NULL, 10), times[1] = {0};
	char line[COSIG_LINE_MAX], vk[KEY_VKEY_MAX + 1], head[COSIG_HEADER_MAX + 1];
	uint8_t seed[32], raw[128] = {0}, h[32], sep[2] = {'\n', 0x04};
	struct key_verifier w, parsed, note_key;
	crypto_hash_sha256_state st;
	key_signer *k;
	uint32_t bits = 0;
	char *note, *signed_note;
	size_t nlen, n;
	int len;

	if (util_hex_decode(seed, sizeof seed, vec("kat", "seed_hex"), 64) != 0 ||
	    key_signer_from_seed(&k, name, seed) != 0)
		bail_out("kat key");
	cosig_signer_verifier(&w, k);

	/* Key id: SHA-256(name || "\n" || 0x04 || pk)[:4], computed here by hand. */
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, w.pk, 32);
	crypto_hash_sha256_final(&st, h);
	is_int(
	    w.id,
	    (long long)((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]),
	    "key id hashes name, newline, 0x04, public key");
	ok(w.id != key_signer_verifier(k)->id, "and differs from the same key's note id (0x01)");

	len = cosig_verifier_format(vk, sizeof vk, &w);
	ok(len > 0 && strcmp(vk, want_vkey) == 0, "cosigner vkey matches the known answer");
	is_int(cosig_verifier_parse(&parsed, vk, strlen(vk)), 0, "and parses back");
	ok(parsed.id == w.id && memcmp(parsed.pk, w.pk, 32) == 0, "to the same key");
	key_verifier_format(vk, sizeof vk, key_signer_verifier(k));
	is_int(cosig_verifier_parse(&parsed, vk, strlen(vk)), AK_EINVAL,
	       "a note vkey (type 0x01) is not a cosigner vkey");
	is_int(key_verifier_parse(&note_key, want_vkey, strlen(want_vkey)), AK_EINVAL,
	       "nor is a cosigner vkey a note vkey");

	len = cosig_line(line, sizeof line, k, t, body, strlen(body));
	ok(len > 0 && strcmp(line, want_line) == 0,
	   "cosig_line reproduces the other implementation's line byte for byte");
	n = line_bytes(line, strlen(line) - 1, raw, sizeof raw);
	is_int((long long)n, COSIG_BYTES, "the line carries 76 bytes");
	ok(raw[0] == (uint8_t)(w.id >> 24) && raw[3] == (uint8_t)w.id, "key id first");
	is_int((long long)be64(raw + 4), (long long)t, "then the timestamp, big-endian");
	{
		size_t hl = (size_t)cosig_header(head, sizeof head, t), bl = strlen(body);
		uint8_t *m = malloc(hl + bl);
		memcpy(m, head, hl);
		memcpy(m + hl, body, bl);
		ok(crypto_sign_verify_detached(raw + 12, m, hl + bl, w.pk) == 0,
		   "then Ed25519 over cosignature/v1, time, body");
		free(m);
	}
	is_str(head, "cosignature/v1\ntime 1679315147\n", "the two header lines exactly");
	ok(cosig_header(head, sizeof head, 0) > 0 && strcmp(head, "cosignature/v1\ntime 0\n") == 0,
	   "time 0 is written as 0");
	is_int(cosig_header(head, sizeof head, (uint64_t)1 << 63), AK_EINVAL,
	       "a timestamp beyond 2^63 - 1 is refused");
	is_int(cosig_line(line, sizeof line, k, (uint64_t)1 << 63, body, strlen(body)), AK_EINVAL,
	       "and never signed");
	is_int(cosig_line(line, sizeof line, k, t, "no newline", 10), AK_EINVAL,
	       "text that is not a note's text is never signed");

	/* The whole note: the log's signature, then the cosignature. */
	{
		key_signer *logk;
		const key_signer *ks[1];
		memset(seed, 3, sizeof seed);
		if (key_signer_from_seed(&logk, "example.com/behind-the-sofa", seed) != 0)
			bail_out("log key");
		ks[0] = logk;
		if (note_sign(&note, &nlen, body, strlen(body), ks, 1) != 0)
			bail_out("note_sign");
		key_signer_free(logk);
	}
	cosig_line(line, sizeof line, k, t, body, strlen(body));
	signed_note = malloc(nlen + strlen(line) + 1);
	memcpy(signed_note, note, nlen);
	strcpy(signed_note + nlen, line);
	n = strlen(signed_note);
	is_int(cosig_open(signed_note, n, &w, 1, &bits, times), 0, "cosig_open accepts the note");
	ok(bits == 1 && times[0] == t, "cosigned by the witness, at its time");

	/* Tampered twins. */
	{
		char *b = strdup(signed_note);
		b[40] ^= 1; /* inside the root hash line */
		ok(cosig_open(b, n, &w, 1, &bits, NULL) != 0, "a changed body fails");
		free(b);
	}
	{
		/* The time sits in base64 characters 6..16 of the line's payload. */
		char *b = strdup(signed_note);
		char *pl = strstr(b + nlen, " ") + 1;
		pl = strchr(pl, ' ') + 1;
		pl[8] = pl[8] == 'A' ? 'B' : 'A';
		is_int(cosig_open(b, n, &w, 1, &bits, NULL), AK_ECRYPTO,
		       "a changed timestamp fails");
		free(b);
	}
	{
		/* A note signature by the same key is not a cosignature. */
		const key_signer *ks[1] = {k};
		char *plain;
		size_t plen;
		note_sign(&plain, &plen, body, strlen(body), ks, 1);
		is_int(cosig_open(plain, plen, &w, 1, &bits, NULL), 0,
		       "the witness key's plain note signature: ignored");
		is_int(bits, 0, "and not counted");
		free(plain);
	}
	free(signed_note);
	free(note);
	key_signer_free(k);
}

int main(void)
{
	json_error_t err;

	if (sodium_init() < 0)
		bail_out("sodium_init");
	vectors = json_load_file("tests/vectors/cosig.json", 0, &err);
	if (vectors == NULL)
		bail_out("cannot read tests/vectors/cosig.json");
	spec_examples();
	known_answer();
	json_decref(vectors);
	return tap_done();
}
