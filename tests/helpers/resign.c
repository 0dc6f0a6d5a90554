/*
 * resign: a test helper playing the attacker who stole the log key. It
 * signs a checkpoint for the log as it now stands in the database (after
 * the attacker truncated or rewrote it with the sqlite3 shell) and inserts
 * it, so that the service's own self-check and a fresh auditor both accept
 * the forged history. Only an auditor holding an earlier checkpoint
 * (ankang-audit verify --state) can tell.
 *
 *   resign --data DIR [--size N]
 *
 * The root is recomputed from the leaves themselves (not from stored
 * hashes, which the attacker may have left stale), and the checkpoint for
 * size N (default: every leaf) is signed with DIR/keys/log.key and
 * inserted. The attacker has already dropped the triggers and deleted any
 * checkpoint this would collide with. (Stored hashes live in the leaf
 * rows, so a truncation takes the hashes that reach past it along.)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/key_secret.h"
#include "crypto/merkle.h"
#include "crypto/note_sign.h"
#include "log/store.h"

struct ctx {
	store *st;
	struct merkle_range r;
	uint64_t next, stop;
	int rc;
};

static int leaf(void *vctx, uint64_t idx, const char *bytes, size_t len)
{
	struct ctx *c = vctx;
	merkle_hash h;

	if (idx != c->next || idx >= c->stop)
		return 1;
	merkle_leaf_hash(h, (const uint8_t *)bytes, len);
	if ((c->rc = merkle_range_append(&c->r, h, NULL, NULL)) != 0)
		return 1;
	c->next++;
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096], body[CHECKPOINT_TEXT_MAX + 1], *note = NULL;
	struct store_log_filter f;
	struct checkpoint cp;
	struct ctx c;
	key_signer *k = NULL;
	size_t nlen;
	uint64_t size = UINT64_MAX;
	int rc, blen;

	if ((argc != 3 && argc != 5) || strcmp(argv[1], "--data") != 0 ||
	    (argc == 5 && (strcmp(argv[3], "--size") != 0 ||
			   util_parse_u64(argv[4], strlen(argv[4]), &size) != 0))) {
		fprintf(stderr, "usage: resign --data DIR [--size N]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	snprintf(path, sizeof path, "%s/keys/log.key", argv[2]);
	if ((rc = key_signer_load(&k, path)) != 0) {
		fprintf(stderr, "resign: %s: %s\n", path, ak_strerror(rc));
		return 2;
	}
	snprintf(path, sizeof path, "%s/ankang.db", argv[2]);
	memset(&c, 0, sizeof c);
	merkle_range_init(&c.r);
	c.stop = size;
	if ((rc = store_open(&c.st, path, 0)) != 0 || (rc = store_begin(c.st)) != 0) {
		fprintf(stderr, "resign: %s: %s\n", path, ak_strerror(rc));
		return 2;
	}
	store_log_filter_init(&f);
	rc = store_log_query(c.st, &f, leaf, &c);
	if (c.rc != 0 || rc < 0 || (size != UINT64_MAX && c.next != size)) {
		fprintf(stderr, "resign: reading leaves failed (%s)\n", store_errmsg(c.st));
		return 2;
	}
	memset(&cp, 0, sizeof cp);
	snprintf(cp.origin, sizeof cp.origin, "%s", key_signer_verifier(k)->name);
	cp.size = c.next;
	merkle_range_root(&c.r, cp.root);
	if ((blen = checkpoint_format(body, sizeof body, &cp)) < 0 ||
	    (rc = note_sign(&note, &nlen, body, (size_t)blen, (const key_signer *const *)&k, 1)) !=
		0 ||
	    (rc = store_log_put_checkpoint(c.st, cp.size, note, nlen, util_now_ms())) != 0 ||
	    (rc = store_commit(c.st)) != 0) {
		fprintf(stderr, "resign: signing or storing failed: %s (%s)\n", ak_strerror(rc),
			store_errmsg(c.st));
		return 2;
	}
	printf("%" PRIu64 "\n", cp.size);
	free(note);
	store_close(c.st);
	key_signer_free(k);
	return 0;
}
