/*
 * test_witness: a small C2SP tlog-witness for the tests, so the log's
 * witness client (issue 13) has something spec-exact to talk to on a
 * Debian 12 machine, where no real witness builds. Not a production
 * witness: one process, one key, state in one file, no bastion, no
 * monitoring API.
 *
 *   test_witness keygen --key FILE --name NAME
 *       writes a new signer key (mode 0600) and prints its cosigner vkey
 *   test_witness vkey --key FILE
 *       prints the cosigner vkey (type 0x04, see crypto/cosig.h), the
 *       form a log is configured with (--witness VKEY@URL)
 *   test_witness check --vkey VKEY --note FILE
 *       exits 0 when the note (a checkpoint and its signature lines)
 *       carries a valid cosignature by VKEY, printing its timestamp; 1
 *       when it carries none, 2 when it is malformed or one is bad: the
 *       crypto/cosig verifier the log and the auditors use, for the
 *       shell tests
 *   test_witness serve --key FILE --state FILE --log VKEY [--log VKEY]...
 *                      --port-file F
 *       serves POST /add-checkpoint on 127.0.0.1, on a port the kernel
 *       picks, written to F, until SIGTERM or SIGINT
 *
 * add-checkpoint follows c2sp.org/tlog-witness: the body is "old <size>\n",
 * up to 63 base64 consistency-proof lines, an empty line, then a signed
 * checkpoint. In the order the spec gives them:
 *   400  malformed body, or old larger than the checkpoint's size
 *   404  checkpoint origin not one of the --log keys' names
 *   403  no valid signature by that log's key
 *   409  old is not the size last cosigned (body: that size, "\n", type
 *        text/x.tlog.size), or the same size with another root
 *   422  the consistency proof from the stored checkpoint does not verify
 *        (a proof from size 0 must be empty)
 *   200  the new checkpoint is stored, then its cosignature/v1 line sent
 * plus 405 for another method, 404 for another path, 413 for a body over
 * BODY_MAX, 500 when the state cannot be written (nothing cosigned then).
 *
 * Stricter than the spec where ankang's logs never go: a checkpoint must
 * be exactly three lines (crypto/checkpoint.c refuses extension lines),
 * and a log has one key, whose name is its origin.
 *
 * State: "ankang-test-witness v1\n" then one "<origin> <size> <base64
 * root>\n" per log it has cosigned, rewritten whole with
 * util_write_file_atomic (temporary file, fsync, rename, fsync of the
 * directory) before any cosignature leaves. MHD runs every request on its
 * one polling thread, so the check of old against the stored size and the
 * store of the new one cannot interleave (the race the spec warns of).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/cosig.h"
#include "crypto/cosig_sign.h"
#include "crypto/key.h"
#include "crypto/key_secret.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "tests/lib/fakehttp.h"

#define LOGS_MAX     16
#define PROOF_MAX    63 /* the spec's limit on consistency proof lines */
#define HASH_B64_LEN 44
#define BODY_MAX     (16u << 10)
#define STATE_MAGIC  "ankang-test-witness v1\n"
#define STATE_MAX    (sizeof STATE_MAGIC + LOGS_MAX * (CHECKPOINT_ORIGIN_MAX + 90))

struct log {
	struct key_verifier key; /* its name is the origin */
	int seen;                /* cosigned at least once */
	uint64_t size;
	merkle_hash root;
};

static struct log logs[LOGS_MAX];
static size_t nlogs;
static key_signer *wkey;
static const char *state_path;

/* ---------------------------------------------------------------- state */

static int state_save(const struct log *ls)
{
	char buf[STATE_MAX], b64[HASH_B64_LEN + 1];
	size_t n = strlen(STATE_MAGIC);

	memcpy(buf, STATE_MAGIC, n);
	for (size_t i = 0; i < nlogs; i++) {
		if (!ls[i].seen)
			continue;
		util_b64_encode(b64, ls[i].root, MERKLE_HASH_BYTES);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s %llu %s\n", ls[i].key.name,
				      (unsigned long long)ls[i].size, b64);
	}
	return util_write_file_atomic(state_path, buf, n, 0600, 0);
}

static struct log *log_by_origin(const char *origin, size_t len)
{
	for (size_t i = 0; i < nlogs; i++) {
		if (strlen(logs[i].key.name) == len && memcmp(logs[i].key.name, origin, len) == 0)
			return &logs[i];
	}
	return NULL;
}

/*
 * Loads the state file; a missing file is a witness that has cosigned
 * nothing. A state naming an origin no --log key covers is refused
 * rather than dropped: forgetting a log's size would let it roll back.
 */
static int state_load(void)
{
	char *buf = NULL, *p, *end, *nl, *sp1, *sp2;
	size_t len, got;
	struct log *l;
	int rc = util_read_file(state_path, STATE_MAX, &buf, &len);

	if (rc == AK_ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	rc = AK_EINVAL;
	if (len < strlen(STATE_MAGIC) || memcmp(buf, STATE_MAGIC, strlen(STATE_MAGIC)) != 0)
		goto out;
	end = buf + len;
	for (p = buf + strlen(STATE_MAGIC); p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (sp1 = memchr(p, ' ', (size_t)(nl - p))) == NULL ||
		    (sp2 = memchr(sp1 + 1, ' ', (size_t)(nl - sp1 - 1))) == NULL)
			goto out;
		if ((l = log_by_origin(p, (size_t)(sp1 - p))) == NULL || l->seen ||
		    util_parse_u64(sp1 + 1, (size_t)(sp2 - sp1 - 1), &l->size) != 0 ||
		    util_b64_decode(l->root, MERKLE_HASH_BYTES, &got, sp2 + 1,
				    (size_t)(nl - sp2 - 1)) != 0 ||
		    got != MERKLE_HASH_BYTES)
			goto out;
		l->seen = 1;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------- add-checkpoint */

struct reply {
	unsigned status;
	const char *error;              /* for the JSON error body */
	char text[COSIG_LINE_MAX + 32]; /* 200: the line; 409: the size */
};

static int fail(struct reply *r, unsigned status, const char *error)
{
	r->status = status;
	r->error = error;
	return (int)status;
}

static int conflict(struct reply *r, const char *error, uint64_t size)
{
	snprintf(r->text, sizeof r->text, "%llu\n", (unsigned long long)size);
	return fail(r, 409, error);
}

/*
 * The spec's checks on body[0..len), in its order, then the durable
 * update and the cosignature. Fills r; never touches the state unless
 * every check passed. Returns the status it set.
 */
static int add_checkpoint(const char *body, size_t len, struct reply *r)
{
	merkle_hash proof[PROOF_MAX];
	const char *p = body, *end = body + len, *nl, *note;
	struct checkpoint c;
	struct log *l, prev;
	uint64_t old;
	size_t n = 0, got, nlen;
	int rc;

	memset(r, 0, sizeof *r);
	/* "old <size>\n": decimal, no leading zeros (util_parse_u64's rule). */
	if ((nl = memchr(p, '\n', len)) == NULL || nl - p < 5 || memcmp(p, "old ", 4) != 0 ||
	    util_parse_u64(p + 4, (size_t)(nl - p - 4), &old) != 0)
		return fail(r, 400, "bad_old_size");
	/* Proof lines up to the empty line. */
	for (p = nl + 1;; p = nl + 1) {
		if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return fail(r, 400, "no_checkpoint");
		if (nl == p)
			break;
		if (n == PROOF_MAX)
			return fail(r, 400, "proof_too_long");
		if (nl - p != HASH_B64_LEN ||
		    util_b64_decode(proof[n], MERKLE_HASH_BYTES, &got, p, HASH_B64_LEN) != 0 ||
		    got != MERKLE_HASH_BYTES)
			return fail(r, 400, "bad_proof_line");
		n++;
	}
	note = nl + 1;
	nlen = (size_t)(end - note);
	if (nlen == 0 || (nl = memchr(note, '\n', nlen)) == NULL)
		return fail(r, 400, "bad_checkpoint");
	if ((l = log_by_origin(note, (size_t)(nl - note))) == NULL)
		return fail(r, 404, "unknown_log");
	rc = checkpoint_open(&c, note, nlen, &l->key);
	if (rc == AK_EINVAL)
		return fail(r, 400, "bad_checkpoint");
	if (rc != 0)
		return fail(r, 403, "bad_signature");
	if (old > c.size)
		return fail(r, 400, "old_beyond_size");
	if (old != (l->seen ? l->size : 0))
		return conflict(r, "old_size_mismatch", l->seen ? l->size : 0);
	if (l->seen && old == c.size) {
		if (sodium_memcmp(l->root, c.root, MERKLE_HASH_BYTES) != 0)
			return conflict(r, "fork", l->size);
		if (n != 0)
			return fail(r, 422, "bad_proof");
	} else if (old == 0) {
		if (n != 0)
			return fail(r, 422, "bad_proof");
	} else if (merkle_verify_consistency(old, c.size, l->root, c.root, proof, n) != 0) {
		return fail(r, 422, "bad_proof");
	}

	/* Store first: a cosignature the witness could forget is a rollback. */
	prev = *l;
	l->seen = 1;
	l->size = c.size;
	memcpy(l->root, c.root, MERKLE_HASH_BYTES);
	if (state_save(logs) != 0) {
		*l = prev;
		return fail(r, 500, "state_write_failed");
	}
	/* checkpoint_open accepted the note, so its first "\n\n" ends the body. */
	rc = cosig_line(r->text, sizeof r->text, wkey, util_now(), note,
			(size_t)((const char *)memmem(note, nlen, "\n\n", 2) - note) + 1);
	if (rc < 0)
		return fail(r, 500, "cannot_sign");
	r->status = 200;
	return 200;
}

/* ---------------------------------------------------------------- HTTP */

struct req {
	char *buf; /* the body so far, at most BODY_MAX */
	size_t len;
	int too_big;
};

static enum MHD_Result answer(struct MHD_Connection *c, const struct reply *r)
{
	char *s;

	if (r->status != 200 && r->status != 409)
		return fakehttp_error(c, r->status, r->error);
	if ((s = strdup(r->text)) == NULL)
		return MHD_NO;
	return fakehttp_body(c, r->status,
			     r->status == 409 ? "text/x.tlog.size" : "text/plain; charset=utf-8", s,
			     strlen(s));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con)
{
	struct req *q = *con;
	struct reply r;

	(void)cls;
	(void)version;
	if (q == NULL) { /* first call: headers only */
		if ((q = calloc(1, sizeof *q)) == NULL)
			return MHD_NO;
		*con = q;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		/* Past the cap, the rest is read and dropped, then answered 413. */
		if (!q->too_big && q->len + *upload_size > BODY_MAX) {
			q->too_big = 1;
			free(q->buf);
			q->buf = NULL;
		}
		if (!q->too_big) {
			char *b = realloc(q->buf, q->len + *upload_size);
			if (b == NULL)
				return MHD_NO;
			memcpy(b + q->len, upload, *upload_size);
			q->buf = b;
			q->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/add-checkpoint") != 0)
		return fakehttp_error(c, 404, "not_found");
	if (strcmp(method, "POST") != 0)
		return fakehttp_error(c, 405, "method_not_allowed");
	if (q->too_big)
		return fakehttp_error(c, 413, "body_too_large");
	add_checkpoint(q->buf != NULL ? q->buf : "", q->len, &r);
	if (r.status != 200)
		fprintf(stderr, "test_witness: %u %s\n", r.status, r.error);
	return answer(c, &r);
}

static void done(void *cls, struct MHD_Connection *c, void **con,
		 enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con;

	(void)cls;
	(void)c;
	(void)toe;
	if (q != NULL) {
		free(q->buf);
		free(q);
		*con = NULL;
	}
}

/* ---------------------------------------------------------------- main */

static int usage(void)
{
	fprintf(stderr, "usage: test_witness keygen --key FILE --name NAME\n"
			"       test_witness vkey --key FILE\n"
			"       test_witness check --vkey VKEY --note FILE\n"
			"       test_witness serve --key FILE --state FILE --log VKEY... "
			"--port-file F [--port N]\n");
	return 2;
}

static int print_vkey(const key_signer *k)
{
	struct key_verifier v;
	char text[KEY_VKEY_MAX + 1];

	cosig_signer_verifier(&v, k);
	if (cosig_verifier_format(text, sizeof text, &v) < 0)
		return 1;
	printf("%s\n", text);
	return 0;
}

static int check(const char *vkey, const char *path)
{
	struct key_verifier w;
	uint64_t t[1];
	uint32_t bits;
	char *note;
	size_t len;
	int rc;

	if (cosig_verifier_parse(&w, vkey, strlen(vkey)) != 0)
		return usage();
	if (util_read_file(path, NOTE_MAX_BYTES, &note, &len) != 0)
		return 2;
	rc = cosig_open(note, len, &w, 1, &bits, t);
	free(note);
	if (rc != 0) {
		fprintf(stderr, "test_witness: check: %s\n", ak_strerror(rc));
		return 2;
	}
	if (bits == 0)
		return 1;
	printf("cosigned %llu\n", (unsigned long long)t[0]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd, *key = NULL, *name = NULL, *port_file = NULL, *vkey = NULL, *note = NULL;
	uint64_t port = 0;
	int rc;

	if (argc < 2 || sodium_init() < 0)
		return usage();
	cmd = argv[1];
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--key") == 0)
			key = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--state") == 0)
			state_path = argv[i + 1];
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--port") == 0) {
			if (util_parse_u64(argv[i + 1], strlen(argv[i + 1]), &port) != 0 ||
			    port > 65535)
				return usage();
		} else if (strcmp(argv[i], "--vkey") == 0)
			vkey = argv[i + 1];
		else if (strcmp(argv[i], "--note") == 0)
			note = argv[i + 1];
		else if (strcmp(argv[i], "--log") == 0 && nlogs < LOGS_MAX) {
			const char *v = argv[i + 1];
			if (key_verifier_parse(&logs[nlogs].key, v, strlen(v)) != 0 ||
			    log_by_origin(logs[nlogs].key.name, strlen(logs[nlogs].key.name)))
				return fprintf(stderr, "test_witness: bad or repeated --log\n"), 2;
			nlogs++;
		} else
			return usage();
	}
	if (strcmp(cmd, "check") == 0)
		return vkey != NULL && note != NULL ? check(vkey, note) : usage();
	if (key == NULL)
		return usage();
	if (strcmp(cmd, "keygen") == 0) {
		if (name == NULL)
			return usage();
		if ((rc = key_signer_generate(&wkey, name)) != 0 ||
		    (rc = key_signer_save(wkey, key)) != 0) {
			fprintf(stderr, "test_witness: keygen: %s\n", ak_strerror(rc));
			key_signer_free(wkey);
			return 1;
		}
		rc = print_vkey(wkey);
		key_signer_free(wkey);
		return rc;
	}
	if ((rc = key_signer_load(&wkey, key)) != 0) {
		fprintf(stderr, "test_witness: %s: %s\n", key, ak_strerror(rc));
		return 1;
	}
	if (strcmp(cmd, "vkey") == 0) {
		rc = print_vkey(wkey);
	} else if (strcmp(cmd, "serve") == 0 && state_path != NULL && port_file != NULL &&
		   nlogs > 0) {
		if ((rc = state_load()) != 0) {
			fprintf(stderr, "test_witness: %s: %s\n", state_path, ak_strerror(rc));
			rc = 2;
		} else {
			rc = fakehttp_serve_on("test_witness", (unsigned)port, handle, done,
					       port_file);
		}
	} else {
		rc = usage();
	}
	key_signer_free(wkey);
	return rc;
}
