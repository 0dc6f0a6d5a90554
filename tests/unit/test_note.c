/*
 * test_note: signed notes and key text (crypto/note, note_sign, key,
 * key_secret) against tests/vectors/note.json, from golang.org/x/mod's
 * sumdb/note tests, the C2SP spec and a sum.golang.org checkpoint.
 *
 * Every accepting check has a tampered twin that must fail, and the
 * malformed-note table pins the strict parser's edges. Key text is
 * compared, never printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
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
		bail_out("missing field in tests/vectors/note.json");
	return s;
}

/* A growable byte string for building notes. */
struct buf {
	char *p;
	size_t n;
};

static void put(struct buf *b, const void *s, size_t n)
{
	char *p = realloc(b->p, b->n + n + 1);
	if (p == NULL)
		bail_out("out of memory");
	b->p = p;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void reset(struct buf *b)
{
	b->n = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static struct key_verifier parse_vkey(const char *text)
{
	struct key_verifier v;
	if (key_verifier_parse(&v, text, strlen(text)) != 0)
		bail_out("a vector's verifier key does not parse");
	return v;
}

/* "— <name> <base64(id || sig)>\n" with the given signature bytes. */
static void sig_line(struct buf *b, const char *name, const uint8_t *blob, size_t n)
{
	char b64[4096];
	util_b64_encode(b64, blob, n);
	puts_(b, "\xe2\x80\x94 ");
	puts_(b, name);
	puts_(b, " ");
	puts_(b, b64);
	puts_(b, "\n");
}

static int open_one(const char *note, size_t len, const struct key_verifier *v)
{
	size_t tl;
	return note_open(note, len, v, 1, &tl, NULL);
}

/* ------------------------------------------------------------ key text */

static void test_keys(void)
{
	const char *skey = vec("go_xmod", "skey"), *vkey = vec("go_xmod", "vkey");
	char out[KEY_SKEY_MAX + 1];
	struct key_verifier v;
	key_signer *k = NULL;

	is_int(key_signer_parse(&k, skey, strlen(skey)), 0, "go_xmod signer key parses");
	if (k == NULL)
		bail_out("cannot continue without the signer key");
	ok(key_signer_format(k, out, sizeof out) == (int)strlen(skey) && strcmp(out, skey) == 0,
	   "signer key formats back byte for byte");
	sodium_memzero(out, sizeof out);
	is_int(key_signer_format(k, out, strlen(skey)), AK_ETOOBIG, "signer format: cap too small");
	sodium_memzero(out, sizeof out);
	key_verifier_format(out, sizeof out, key_signer_verifier(k));
	is_str(out, vkey, "its verifier key is the vector's");
	is_int(key_verifier_parse(&v, vkey, strlen(vkey)), 0, "verifier key parses");
	is_str(v.name, "PeterNeumann", "verifier key name");
	is_int(v.id, 0xc74f20a3, "verifier key id");
	ok(memcmp(v.pk, key_signer_verifier(k)->pk, KEY_PK_BYTES) == 0, "same public key");
	is_int(key_verifier_format(out, sizeof out, &v), (int)strlen(vkey), "verifier formats");
	is_str(out, vkey, "verifier key formats back byte for byte");
	is_int(key_verifier_format(out, strlen(vkey), &v), AK_ETOOBIG, "verifier format: no room");
	is_int(key_id("PeterNeumann", 12, v.pk), 0xc74f20a3, "key_id of the vector");
	key_signer_free(k);
	key_signer_free(NULL);

	struct key_verifier v2;
	is_int(key_verifier_init(&v2, "PeterNeumann", v.pk), 0, "key_verifier_init");
	ok(v2.id == v.id && strcmp(v2.name, v.name) == 0, "init computes the same id");
	is_int(key_verifier_init(&v2, "Peter Neumann", v.pk), AK_EINVAL, "init: bad name");

	/* Names. */
	char name[KEY_NAME_MAX + 2];
	memset(name, 'a', sizeof name);
	ok(key_name_valid(name, KEY_NAME_MAX), "a name of KEY_NAME_MAX bytes is valid");
	ok(!key_name_valid(name, KEY_NAME_MAX + 1), "one more byte is not");
	ok(!key_name_valid("", 0), "empty name");
	ok(!key_name_valid("a b", 3), "name with a space");
	ok(!key_name_valid("a+b", 3), "name with '+'");
	ok(!key_name_valid("a\tb", 3), "name with a tab");
	ok(!key_name_valid("a\x7f", 2), "name with DEL");
	ok(!key_name_valid("\xc3\xa9t\xc3\xa9", 6), "non-ASCII name");
	ok(key_name_valid("ankang.example/root", 19), "a name like ours");

	/* Verifier key text negatives. */
	static const struct {
		const char *desc, *text;
	} bad_vkeys[] = {
	    {"wrong id", "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
	    {"uppercase hex id",
	     "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
	    {"short id", "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
	    {"wrong type byte",
	     "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
	    {"bad base64", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!"},
	    {"short key", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10"},
	    {"padded short key",
	     "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy1w=="},
	    {"empty name", "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
	    {"name with space",
	     "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
	    {"name with '+'",
	     "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
	    {"trailing newline",
	     "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n"},
	    {"extra field", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+x"},
	    {"missing key", "PeterNeumann+c74f20a3"},
	    /* libsodium 1.0.18 decodes any byte >= 0x80 as '/' (fuzz_keytext). */
	    {"0x92 in place of '/'",
	     "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq\x92LDE4izWy10TW"},
	    {"empty", ""},
	};
	for (size_t i = 0; i < AK_ARRAY_LEN(bad_vkeys); i++)
		is_int(key_verifier_parse(&v2, bad_vkeys[i].text, strlen(bad_vkeys[i].text)),
		       AK_EINVAL, "verifier key text rejected: %s", bad_vkeys[i].desc);
	{
		const char *given = vec("go_xmod", "skey");
		is_int(key_verifier_parse(&v2, given, strlen(given)), AK_EINVAL,
		       "verifier key text rejected: signer key given");
	}

	/* A name one byte too long, with the id it would really have. */
	{
		char text[KEY_VKEY_MAX + 64], idhex[9];
		uint8_t idb[4], raw[33];
		uint32_t id;
		char b64[45];
		memset(name, 'n', KEY_NAME_MAX + 1);
		name[KEY_NAME_MAX + 1] = '\0';
		id = key_id(name, KEY_NAME_MAX + 1, v.pk);
		idb[0] = (uint8_t)(id >> 24), idb[1] = (uint8_t)(id >> 16);
		idb[2] = (uint8_t)(id >> 8), idb[3] = (uint8_t)id;
		util_hex_encode(idhex, idb, 4);
		raw[0] = 1;
		memcpy(raw + 1, v.pk, 32);
		util_b64_encode(b64, raw, 33);
		snprintf(text, sizeof text, "%s+%s+%s", name, idhex, b64);
		is_int(key_verifier_parse(&v2, text, strlen(text)), AK_EINVAL,
		       "verifier key text rejected: name too long");
		/* And the longest allowed name parses. */
		name[KEY_NAME_MAX] = '\0';
		id = key_id(name, KEY_NAME_MAX, v.pk);
		idb[0] = (uint8_t)(id >> 24), idb[1] = (uint8_t)(id >> 16);
		idb[2] = (uint8_t)(id >> 8), idb[3] = (uint8_t)id;
		util_hex_encode(idhex, idb, 4);
		snprintf(text, sizeof text, "%s+%s+%s", name, idhex, b64);
		is_int(strlen(text), KEY_VKEY_MAX, "longest verifier key text is KEY_VKEY_MAX");
		is_int(key_verifier_parse(&v2, text, strlen(text)), 0,
		       "verifier key with a KEY_NAME_MAX name parses");
	}

	/* Signer key text negatives, each an edit of a good key text: no
	 * signer key text is written out in the tree outside tests/vectors.
	 * NULL "from" stands for the prefix (the text's first 12 bytes). */
	static const struct {
		const char *desc, *from, *to;
	} bad_skeys[] = {
	    {"wrong id", "c74f20a3", "c74f20a4"},
	    {"uppercase hex id", "c74f20a3", "C74F20A3"},
	    {"wrong type byte", "+AYEK", "+AoEK"},
	    {"bad base64", "KDFz", "KDF*"},
	    {"short seed", "HKDFz", "HKD"},
	    {"lowercase prefix", NULL, "private+key+"},
	    {"no prefix", NULL, ""},
	    {"empty name", "PeterNeumann", ""},
	    {"name with space", "PeterNeumann", "Peter Neumann"},
	    {"trailing newline", "KDFz", "KDFz\n"},
	};
	{
		const char *good = vec("go_xmod", "skey");
		char text[KEY_SKEY_MAX + 64], prefix[13];
		memcpy(prefix, good, 12);
		prefix[12] = '\0';
		for (size_t i = 0; i < AK_ARRAY_LEN(bad_skeys); i++) {
			const char *from = bad_skeys[i].from ? bad_skeys[i].from : prefix;
			const char *at = strstr(good, from);
			if (at == NULL)
				bail_out("the vector's signer key has changed");
			snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good,
				 bad_skeys[i].to, at + strlen(from));
			k = (key_signer *)1;
			is_int(key_signer_parse(&k, text, strlen(text)), AK_EINVAL,
			       "signer key text rejected: %s", bad_skeys[i].desc);
			ok(k == NULL, "  and *out is NULL");
		}
		/* libsodium 1.0.18 decodes any byte >= 0x80 as '/' (fuzz_keytext):
		 * a key whose text ends in '/' (seed[31] = 0xff), with that '/'
		 * replaced, must not parse as the same key. */
		{
			uint8_t seed[KEY_SEED_BYTES] = {0};
			key_signer *g = NULL;
			int n;
			seed[31] = 0xff;
			if (key_signer_from_seed(&g, "ankang.test/audit", seed) != 0 ||
			    (n = key_signer_format(g, text, sizeof text)) <= 0 ||
			    text[n - 1] != '/')
				bail_out("a signer key text ending in '/'");
			key_signer_free(g);
			is_int(key_signer_parse(&k, text, (size_t)n), 0,
			       "the key ending in '/' parses");
			key_signer_free(k);
			text[n - 1] = (char)0x92;
			k = (key_signer *)1;
			is_int(key_signer_parse(&k, text, (size_t)n), AK_EINVAL,
			       "signer key text rejected: 0x92 in place of '/'");
			ok(k == NULL, "  and *out is NULL");
			text[n - 1] = (char)0xff;
			k = (key_signer *)1;
			is_int(key_signer_parse(&k, text, (size_t)n), AK_EINVAL,
			       "signer key text rejected: 0xff in place of '/'");
			ok(k == NULL, "  and *out is NULL");
			k = (key_signer *)1;
			is_int(key_signer_parse(&k, prefix, 12), AK_EINVAL,
			       "signer key text rejected: prefix only");
			ok(k == NULL, "  and *out is NULL");
			k = (key_signer *)1;
			is_int(key_signer_parse(&k, "", 0), AK_EINVAL,
			       "signer key text rejected: empty");
			ok(k == NULL, "  and *out is NULL");
		}
	}
	k = (key_signer *)1;
	is_int(key_signer_generate(&k, "bad name"), AK_EINVAL, "generate: bad name");
	ok(k == NULL, "  and *out is NULL");
	{
		uint8_t seed[KEY_SEED_BYTES] = {0};
		is_int(key_signer_from_seed(&k, "", seed), AK_EINVAL, "from_seed: empty name");
	}
}

/* ---------------------------------------------------------- good notes */

static void test_good(void)
{
	const char *skey = vec("go_xmod", "skey"), *text = vec("go_xmod", "text");
	const char *note = vec("go_xmod", "note");
	struct key_verifier vs[2], c2sp, sumdb;
	key_signer *k = NULL;
	char *out = NULL;
	size_t outlen = 0, tl = 0;
	uint32_t bits = 0;
	struct buf b = {0};

	vs[0] = parse_vkey(vec("go_xmod", "vkey"));
	vs[1] = parse_vkey(vec("go_xmod", "second_signer_vkey"));
	if (key_signer_parse(&k, skey, strlen(skey)) != 0)
		bail_out("signer key");

	const key_signer *signers[1] = {k};
	is_int(note_sign(&out, &outlen, text, strlen(text), signers, 1), 0, "note_sign");
	is_str(out, note, "signing the text reproduces the note byte for byte");
	is_int(outlen, strlen(note), "note length");
	free(out);

	is_int(note_open(note, strlen(note), vs, 1, &tl, &bits), 0, "note opens under its key");
	is_int(tl, strlen(text), "text_len is the text's length");
	is_int(bits, 1, "verified_by has bit 0");
	is_int(note_open(note, strlen(note), vs, 1, &tl, NULL), 0, "verified_by may be NULL");

	puts_(&b, note);
	puts_(&b, vec("go_xmod", "second_signer_line"));
	bits = 0;
	is_int(note_open(b.p, b.n, vs, 1, &tl, &bits), 0, "two signers, one key known: opens");
	is_int(bits, 1, "  bit 0 only");
	is_int(tl, strlen(text), "  text_len unchanged");
	bits = 0;
	is_int(note_open(b.p, b.n, vs, 2, &tl, &bits), 0, "two signers, both known: opens");
	is_int(bits, 3, "  both bits set (the second signature is real)");
	bits = 0;
	is_int(note_open(b.p, b.n, vs + 1, 1, &tl, &bits), 0, "second signer alone: opens");
	is_int(bits, 1, "  bit 0 for vs[0]");
	reset(&b);

	/* Duplicate lines from a known key are each verified. */
	{
		const char *sig = strstr(note, "\n\n") + 2;
		puts_(&b, note);
		puts_(&b, sig);
		is_int(open_one(b.p, b.n, &vs[0]), 0, "a repeated good signature line is fine");
		reset(&b);
	}

	c2sp = parse_vkey(vec("c2sp", "vkey"));
	const char *cn = vec("c2sp", "note");
	is_int(note_open(cn, strlen(cn), &c2sp, 1, &tl, NULL), 0, "C2SP spec note opens");
	is_int(tl, strlen("This is an example message.\n"), "  its text length");

	sumdb = parse_vkey(vec("sumdb_checkpoint", "vkey"));
	const char *sn = vec("sumdb_checkpoint", "note");
	is_int(note_open(sn, strlen(sn), &sumdb, 1, &tl, NULL), 0,
	       "sum.golang.org checkpoint opens");
	struct checkpoint cp;
	is_int(checkpoint_parse(&cp, sn, tl), 0, "  and parses as a checkpoint");
	is_str(cp.origin, "go.sum database tree", "  origin with spaces");
	ok(cp.size == 6476701, "  size 6476701");
	{
		char fmt[CHECKPOINT_TEXT_MAX + 1];
		int n = checkpoint_format(fmt, sizeof fmt, &cp);
		ok(n == (int)tl && memcmp(fmt, sn, tl) == 0, "  formats back to the same text");
	}
	is_int(checkpoint_open(&cp, sn, strlen(sn), &sumdb), AK_EINVAL,
	       "checkpoint_open refuses it: origin is not the key name");

	/* Unknown signers: non-ASCII names, other signature types, sizes. */
	{
		uint8_t blob[4 + 100] = {0x12, 0x34, 0x56, 0x78};
		puts_(&b, note);
		sig_line(&b, "t\xc3\xa9moin.example/w", blob, sizeof blob);
		sig_line(&b, "short", blob, 5);
		is_int(open_one(b.p, b.n, &vs[0]), 0,
		       "unknown signers (UTF-8 name, other lengths) are ignored");
		reset(&b);
		/* Same name as the known key, other id: unknown, ignored. */
		puts_(&b, note);
		sig_line(&b, "PeterNeumann", blob, 4 + 64);
		is_int(open_one(b.p, b.n, &vs[0]), 0, "same name, other id: ignored");
		reset(&b);
		/* Same id, other name: unknown, ignored. */
		blob[0] = 0xc7, blob[1] = 0x4f, blob[2] = 0x20, blob[3] = 0xa3;
		puts_(&b, note);
		sig_line(&b, "PeterNeumann2", blob, 4 + 64);
		is_int(open_one(b.p, b.n, &vs[0]), 0, "same id, other name: ignored");
		reset(&b);
	}

	/* Exactly NOTE_MAX_SIGS lines is accepted, one more is not. */
	{
		uint8_t blob[4 + 64] = {1, 2, 3, 4};
		puts_(&b, note);
		for (int i = 1; i < NOTE_MAX_SIGS; i++)
			sig_line(&b, "other.example", blob, sizeof blob);
		is_int(open_one(b.p, b.n, &vs[0]), 0, "NOTE_MAX_SIGS signature lines: opens");
		sig_line(&b, "other.example", blob, sizeof blob);
		is_int(open_one(b.p, b.n, &vs[0]), AK_EINVAL, "NOTE_MAX_SIGS + 1 lines: malformed");
		reset(&b);
	}

	/* note_sign with two signers, and its refusals. */
	{
		key_signer *k2 = NULL;
		uint8_t seed[KEY_SEED_BYTES];
		struct key_verifier both[2];
		for (size_t i = 0; i < sizeof seed; i++)
			seed[i] = (uint8_t)i;
		key_signer_from_seed(&k2, "second.example/key", seed);
		const key_signer *two[2] = {k, k2};
		is_int(note_sign(&out, &outlen, text, strlen(text), two, 2), 0,
		       "sign with two keys");
		both[0] = *key_signer_verifier(k);
		both[1] = *key_signer_verifier(k2);
		bits = 0;
		is_int(note_open(out, outlen, both, 2, &tl, &bits), 0, "  opens under both");
		is_int(bits, 3, "  both verified");
		ok(strncmp(out, note, strlen(note)) == 0, "  first signature line is the vector's");
		free(out);

		static const struct {
			const char *desc, *text;
		} bad[] = {
		    {"empty text", ""},
		    {"no final newline", "abc"},
		    {"empty line inside", "a\n\nb\n"},
		    {"starts with an empty line", "\na\n"},
		    {"only a newline", "\n"},
		    {"control character", "a\tb\n"},
		    {"CR", "a\r\n"},
		    {"invalid UTF-8", "a\xff\n"},
		};
		for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++) {
			out = (char *)1;
			is_int(note_sign(&out, &outlen, bad[i].text, strlen(bad[i].text), two, 2),
			       AK_EINVAL, "note_sign refuses: %s", bad[i].desc);
			ok(out == NULL, "  and *out is NULL");
		}
		is_int(note_sign(&out, &outlen, text, strlen(text), two, 0), AK_EINVAL,
		       "note_sign refuses no signers");
		key_signer_free(k2);
	}

	free(b.p);
	key_signer_free(k);
}

/* ----------------------------------------------------------- bad notes */

static void test_tampered(void)
{
	const char *note = vec("go_xmod", "note"), *text = vec("go_xmod", "text");
	struct key_verifier v = parse_vkey(vec("go_xmod", "vkey"));
	struct key_verifier c2sp = parse_vkey(vec("c2sp", "vkey"));
	const char *sigb64 = strstr(note, "PeterNeumann ") + strlen("PeterNeumann ");
	uint8_t blob[4 + 64];
	size_t got = 0, tl;
	struct buf b = {0};
	int all = 1;

	if (util_b64_decode(blob, sizeof blob, &got, sigb64, strlen(sigb64) - 1) != 0 ||
	    got != sizeof blob)
		bail_out("vector signature does not decode");

	for (size_t i = 4; i < sizeof blob; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			blob[i] ^= (uint8_t)(1 << bit);
			puts_(&b, text);
			puts_(&b, "\n");
			sig_line(&b, "PeterNeumann", blob, sizeof blob);
			if (open_one(b.p, b.n, &v) != AK_ECRYPTO)
				all = 0;
			reset(&b);
			blob[i] ^= (uint8_t)(1 << bit);
		}
	}
	ok(all, "every signature byte flipped (bits 0 and 7): AK_ECRYPTO");

	all = 1;
	for (size_t i = 0; i < 4; i++) {
		blob[i] ^= 1;
		puts_(&b, text);
		puts_(&b, "\n");
		sig_line(&b, "PeterNeumann", blob, sizeof blob);
		if (open_one(b.p, b.n, &v) != AK_ENOENT)
			all = 0;
		reset(&b);
		blob[i] ^= 1;
	}
	ok(all, "every key id byte flipped: unknown key, AK_ENOENT");

	/* A good signature line after a bad one from the same key still fails. */
	puts_(&b, note);
	blob[10] ^= 1;
	sig_line(&b, "PeterNeumann", blob, sizeof blob);
	blob[10] ^= 1;
	is_int(open_one(b.p, b.n, &v), AK_ECRYPTO, "good line plus a bad duplicate: AK_ECRYPTO");
	reset(&b);

	puts_(&b, note);
	b.p[0] = 'i';
	is_int(open_one(b.p, b.n, &v), AK_ECRYPTO, "text changed: AK_ECRYPTO");
	reset(&b);
	/* The second line dropped: still well-formed, but not what was signed. */
	puts_(&b, "If you think cryptography is the answer to your problem,\n\n");
	puts_(&b, strstr(note, "\xe2\x80\x94"));
	is_int(open_one(b.p, b.n, &v), AK_ECRYPTO, "text truncated: AK_ECRYPTO");
	reset(&b);

	is_int(open_one(note, strlen(note), &c2sp), AK_ENOENT, "wrong key only: AK_ENOENT");
	is_int(note_open(note, strlen(note), NULL, 0, &tl, NULL), AK_ENOENT, "no keys: AK_ENOENT");

	/* A known key's signature of the wrong length is malformed. */
	puts_(&b, text);
	puts_(&b, "\n");
	sig_line(&b, "PeterNeumann", blob, sizeof blob - 1);
	is_int(open_one(b.p, b.n, &v), AK_EINVAL, "known key, 63-byte signature: AK_EINVAL");
	reset(&b);
	{
		uint8_t longer[4 + 65];
		memcpy(longer, blob, sizeof blob);
		longer[sizeof blob] = 0;
		puts_(&b, text);
		puts_(&b, "\n");
		sig_line(&b, "PeterNeumann", longer, sizeof longer);
		is_int(open_one(b.p, b.n, &v), AK_EINVAL,
		       "known key, 65-byte signature: AK_EINVAL");
		reset(&b);
	}
	free(b.p);
}

static void malformed(const struct buf *b, const struct key_verifier *v, const char *desc, int *n)
{
	is_int(open_one(b->p != NULL ? b->p : "", b->n, v), AK_EINVAL, "malformed: %s", desc);
	(*n)++;
}

static void test_malformed(void)
{
	const char *note = vec("go_xmod", "note"), *text = vec("go_xmod", "text");
	struct key_verifier v = parse_vkey(vec("go_xmod", "vkey"));
	const char *line = strstr(note, "\xe2\x80\x94"); /* the signature line */
	const char *b64 = strstr(line, "PeterNeumann ") + 13;
	size_t b64len = strlen(b64) - 1;
	struct buf b = {0};
	int n = 0;

	reset(&b);
	puts_(&b, text);
	puts_(&b, line);
	malformed(&b, &v, "no blank line", &n);

	reset(&b);
	puts_(&b, "\n");
	puts_(&b, line);
	malformed(&b, &v, "empty text", &n);

	reset(&b);
	puts_(&b, line);
	malformed(&b, &v, "empty text and no separator", &n);

	reset(&b);
	put(&b, text, strlen(text) - 1);
	puts_(&b, "\n");
	puts_(&b, line);
	malformed(&b, &v, "text not ending in newline", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n");
	puts_(&b, line + 4);
	malformed(&b, &v, "missing em dash and space", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n- ");
	puts_(&b, line + 4);
	malformed(&b, &v, "ASCII '-' instead of em dash", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x93 ");
	puts_(&b, line + 4);
	malformed(&b, &v, "en dash instead of em dash", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x94");
	puts_(&b, line + 4);
	malformed(&b, &v, "em dash without the space", &n);

	reset(&b);
	puts_(&b, note);
	b.p[b.n - 5] = '!';
	malformed(&b, &v, "bad base64 character", &n);

	reset(&b);
	puts_(&b, note);
	b.p[b.n - 2] = '\n';
	b.n--;
	malformed(&b, &v, "base64 without padding", &n);

	reset(&b);
	puts_(&b, note);
	/* "...nAM=": 'M' carries 2 spare bits, 'N' sets one of them. */
	b.p[b.n - 3] = 'N';
	malformed(&b, &v, "non-canonical base64 (stray bits)", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x94 PeterNeumann ");
	put(&b, b64, b64len - 4);
	puts_(&b, "\n");
	malformed(&b, &v, "signature of wrong length", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x94 Peter+Neumann ");
	puts_(&b, b64);
	malformed(&b, &v, "key name with '+'", &n);

	reset(&b);
	puts_(&b, note);
	puts_(&b, "\xe2\x80\x94 a\xc2\xa0"
		  "b AAAAAAA=\n");
	malformed(&b, &v, "key name with NBSP", &n);

	reset(&b);
	puts_(&b, note);
	puts_(&b, "\xe2\x80\x94 a\xe3\x80\x80"
		  "b AAAAAAA=\n");
	malformed(&b, &v, "key name with ideographic space", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x94  ");
	puts_(&b, b64);
	malformed(&b, &v, "empty key name", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x94 PeterNeumann  ");
	puts_(&b, b64);
	malformed(&b, &v, "two spaces before the signature", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x94 PeterNeumann ");
	put(&b, b64, b64len);
	puts_(&b, " \n");
	malformed(&b, &v, "trailing space after the signature", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\xe2\x80\x94 PeterNeumann \n");
	malformed(&b, &v, "empty signature", &n);

	reset(&b);
	puts_(&b, note);
	puts_(&b, "\xe2\x80\x94 other AAAA\n");
	malformed(&b, &v, "signature shorter than a key id and one byte", &n);

	reset(&b);
	puts_(&b, "If you think cryptography is the answer to your problem,\r\n");
	puts_(&b, strstr(text, "then"));
	puts_(&b, "\n");
	puts_(&b, line);
	malformed(&b, &v, "CR characters", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n");
	put(&b, line, strlen(line) - 1);
	puts_(&b, "\r\n");
	malformed(&b, &v, "CR in the signature block", &n);

	reset(&b);
	puts_(&b, note);
	b.p[5] = '\0';
	malformed(&b, &v, "NUL byte in the text", &n);

	reset(&b);
	puts_(&b, note);
	b.p[2] = '\t';
	malformed(&b, &v, "tab in the text", &n);

	reset(&b);
	puts_(&b, note);
	b.p[3] = (char)0xff;
	malformed(&b, &v, "invalid UTF-8 (0xff)", &n);

	reset(&b);
	puts_(&b, "a\xc0\x8a\n\n");
	puts_(&b, line);
	malformed(&b, &v, "overlong UTF-8 newline", &n);

	reset(&b);
	puts_(&b, "a\xed\xa0\x80\n\n");
	puts_(&b, line);
	malformed(&b, &v, "UTF-8 surrogate", &n);

	reset(&b);
	puts_(&b, note);
	puts_(&b, "\xe2\x80");
	malformed(&b, &v, "truncated UTF-8 at the end", &n);

	reset(&b);
	puts_(&b, note);
	for (int i = 0; i < NOTE_MAX_SIGS; i++)
		puts_(&b, line);
	malformed(&b, &v, "too many signature lines", &n);

	reset(&b);
	puts_(&b, note);
	puts_(&b, "x");
	malformed(&b, &v, "trailing junk after the last newline", &n);

	reset(&b);
	put(&b, note, strlen(note) - 1);
	malformed(&b, &v, "last signature line without newline", &n);

	reset(&b);
	puts_(&b, note);
	puts_(&b, "\n");
	malformed(&b, &v, "blank line after the signatures", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n\n");
	puts_(&b, line);
	malformed(&b, &v, "two blank lines before the signatures", &n);

	reset(&b);
	puts_(&b, "a\n\n");
	puts_(&b, note);
	malformed(&b, &v, "blank line inside the text", &n);

	reset(&b);
	puts_(&b, text);
	puts_(&b, "\n");
	malformed(&b, &v, "no signature lines", &n);

	reset(&b);
	puts_(&b, note);
	puts_(&b, "hello\n");
	malformed(&b, &v, "a non-signature line after the signatures", &n);

	reset(&b);
	puts_(&b, "\n\n");
	malformed(&b, &v, "only a separator", &n);

	reset(&b);
	malformed(&b, &v, "empty note", &n);
	ok(n >= 20, "at least 20 malformed notes");
	diag("%d malformed notes checked", n);

	/* Larger than NOTE_MAX_BYTES: refused before anything is read. */
	{
		size_t big = NOTE_MAX_BYTES + 1;
		char *p = malloc(big);
		if (p == NULL)
			bail_out("out of memory");
		memset(p, 'a', big);
		is_int(open_one(p, big, &v), AK_EINVAL, "malformed: larger than NOTE_MAX_BYTES");
		free(p);
	}
	free(b.p);
}

int main(void)
{
	json_error_t err;

	if (sodium_init() < 0)
		bail_out("sodium_init");
	if ((vectors = json_load_file("tests/vectors/note.json", 0, &err)) == NULL)
		bail_out("cannot read tests/vectors/note.json (run from the project root)");
	test_keys();
	test_good();
	test_tampered();
	test_malformed();
	json_decref(vectors);
	return tap_done();
}
