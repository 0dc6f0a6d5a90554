/*
 * test_witnessing: the parts of service/witnessing that need no witness
 * (tests/sh/witness_log.sh drives the rest against test witnesses):
 * `--witness VKEY@URL` parsed strictly (split at the first '@', the key
 * as text or from a file, http(s) URLs only, no value in a message), the
 * default quorum, public/witnesses written and removed, and a
 * witness's 200 answer read against the known answer of
 * tests/vectors/cosig.json (its line taken, other keys' lines ignored, a
 * tampered line refused).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/util.h"
#include "crypto/cosig.h"
#include "crypto/cosig_sign.h"
#include "crypto/key_secret.h"
#include "service/witnessing.h"
#include "tests/lib/tap.h"

static char vkey[KEY_VKEY_MAX + 1];
static char dir[] = "/tmp/test_witnessing.XXXXXX";

static const char *parse(struct witnessing_peer *p, const char *fmt, const char *a, const char *b)
{
	char arg[1024];

	snprintf(arg, sizeof arg, fmt, a, b);
	return witnessing_peer_parse(p, arg);
}

static void peer_parse(void)
{
	struct witnessing_peer p;
	char path[256], arg[1024];
	const char *bad;
	FILE *f;

	ok(parse(&p, "%s@%s", vkey, "https://w.example/x/") == NULL, "VKEY@URL parses");
	is_str(p.vkey, vkey, "the vkey kept as given");
	is_str(p.url, "https://w.example/x", "the URL without its trailing '/'");
	ok(parse(&p, "%s@%s", vkey, "http://127.0.0.1:8080/a@b") == NULL &&
	       strcmp(p.url, "http://127.0.0.1:8080/a@b") == 0,
	   "split at the first '@': the URL may hold one");

	snprintf(path, sizeof path, "%s/w.vkey", dir);
	if ((f = fopen(path, "w")) == NULL)
		bail_out("cannot write a key file");
	fprintf(f, "%s\n", vkey);
	fclose(f);
	ok(parse(&p, "%s@%s", path, "http://w.example") == NULL && strcmp(p.vkey, vkey) == 0,
	   "FILE@URL: the key read from a file, its newline dropped");

	ok(parse(&p, "%s%s", vkey, "") != NULL, "no '@': refused");
	ok(parse(&p, "%s@%s", vkey, "") != NULL, "no URL: refused");
	ok(parse(&p, "%s@%s", "", "http://w.example") != NULL, "no key: refused");
	ok(parse(&p, "%s@%s", vkey, "ftp://w.example") != NULL, "an ftp URL: refused");
	ok(parse(&p, "%s@%s", vkey, "w.example:80") != NULL, "no scheme: refused");
	ok(parse(&p, "%s@%s", vkey, "http://w.example/?q=1") != NULL, "a query: refused");
	ok(parse(&p, "%s@%s", vkey, "http://w.example/#f") != NULL, "a fragment: refused");
	ok(parse(&p, "%s@%s", vkey, "http://w.exa mple") != NULL, "a space: refused");
	snprintf(arg, sizeof arg, "%s/missing.vkey@http://w.example", dir);
	bad = witnessing_peer_parse(&p, arg);
	ok(bad != NULL && strstr(bad, "missing") == NULL,
	   "a missing key file: refused, and the message does not repeat it");

	/* A log (note) key is not a cosigner key: type byte 0x01. */
	{
		char note_vkey[KEY_VKEY_MAX + 1];
		key_signer *k = NULL;
		if (key_signer_generate(&k, "log.example") != 0 ||
		    key_verifier_format(note_vkey, sizeof note_vkey, key_signer_verifier(k)) < 0)
			bail_out("cannot make a note key");
		ok(parse(&p, "%s@%s", note_vkey, "http://w.example") != NULL,
		   "a note verifier key (type 0x01) is no witness key");
		key_signer_free(k);
	}
	/* The key id must be the key's. */
	{
		char wrong[KEY_VKEY_MAX + 1];
		char *plus;
		snprintf(wrong, sizeof wrong, "%s", vkey);
		plus = strchr(wrong, '+');
		plus[1] = plus[1] == '0' ? '1' : '0';
		ok(parse(&p, "%s@%s", wrong, "http://w.example") != NULL,
		   "a vkey whose key id does not match its key: refused");
	}
}

static void quorum_and_publish(void)
{
	struct witnessing_config c;
	char path[256], want[1024], *text = NULL;
	size_t len = 0;

	memset(&c, 0, sizeof c);
	if (witnessing_peer_parse(&c.peers[0], "") == NULL)
		bail_out("an empty --witness parsed");
	if (parse(&c.peers[0], "%s@%s", vkey, "http://a.example") != NULL ||
	    parse(&c.peers[1], "%s@%s", vkey, "http://b.example") != NULL)
		bail_out("cannot parse a witness");
	c.n = 2;
	is_int(witnessing_quorum(&c), 2, "quorum 0 means all of them");
	c.quorum = 1;
	is_int(witnessing_quorum(&c), 1, "else the quorum set");

	snprintf(path, sizeof path, "%s/witnesses", dir);
	is_int(witnessing_publish(&c, path), 0, "public/witnesses written");
	snprintf(want, sizeof want, "ankang/witnesses/v1\nquorum 1\nwitness %s\nwitness %s\n", vkey,
		 vkey);
	ok(util_read_file(path, 4096, &text, &len) == 0 && len == strlen(want) &&
	       memcmp(text, want, len) == 0,
	   "the format line, the quorum, each witness in order");
	free(text);
	c.n = 0;
	c.quorum = 0;
	is_int(witnessing_publish(&c, path), 0, "without witnesses: removed");
	ok(access(path, F_OK) != 0, "and gone");
	is_int(witnessing_publish(&c, path), 0, "removing it again is no error");
}

static void answers(void)
{
	json_error_t err;
	json_t *v = json_load_file("tests/vectors/cosig.json", 0, &err), *kat;
	const char *body, *kline, *kv;
	char note[512], ans[1024], line[COSIG_LINE_MAX];
	struct key_verifier key, other;
	key_signer *o = NULL;
	size_t nlen;

	kat = json_object_get(v, "kat");
	body = json_string_value(json_object_get(kat, "body"));
	kline = json_string_value(json_object_get(kat, "line"));
	kv = json_string_value(json_object_get(kat, "vkey"));
	if (body == NULL || kline == NULL || kv == NULL ||
	    cosig_verifier_parse(&key, kv, strlen(kv)) != 0)
		bail_out("cannot read tests/vectors/cosig.json");
	nlen = (size_t)snprintf(note, sizeof note, "%s\n", body);

	is_int(witnessing_answer_cosignature(note, nlen, &key, kline, strlen(kline), line), 0,
	       "the known answer's line is taken");
	is_str(line, kline, "  as it came");
	snprintf(ans, sizeof ans, "— witness.example/other %0104d\n%s", 0, kline);
	is_int(witnessing_answer_cosignature(note, nlen, &key, ans, strlen(ans), line), 0,
	       "after a line from another key, which is ignored");
	is_int(witnessing_answer_cosignature(note, nlen, &key, "12\n", 3, line), AK_ENOENT,
	       "a size is no cosignature");
	snprintf(ans, sizeof ans, "%s", kline);
	ans[30] = ans[30] == 'A' ? 'B' : 'A';
	is_int(witnessing_answer_cosignature(note, nlen, &key, ans, strlen(ans), line), AK_ECRYPTO,
	       "a line from the key that does not verify fails the answer");
	is_int(witnessing_answer_cosignature(note, nlen, &key, kline, strlen(kline) - 1, line),
	       AK_ENOENT, "a line without its newline is not taken");
	if (key_signer_generate(&o, "witness.example/w1") != 0)
		bail_out("cannot make a key");
	cosig_signer_verifier(&other, o);
	key_signer_free(o);
	is_int(witnessing_answer_cosignature(note, nlen, &other, kline, strlen(kline), line),
	       AK_ENOENT, "the same name with another key: not its cosignature");
	json_decref(v);
}

int main(void)
{
	key_signer *w = NULL;
	struct key_verifier v;
	char path[256];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	if (key_signer_generate(&w, "witness.example/w1") != 0)
		bail_out("cannot make a witness key");
	cosig_signer_verifier(&v, w);
	if (cosig_verifier_format(vkey, sizeof vkey, &v) < 0)
		bail_out("cannot format the witness key");
	key_signer_free(w);

	peer_parse();
	quorum_and_publish();
	answers();

	snprintf(path, sizeof path, "%s/w.vkey", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
