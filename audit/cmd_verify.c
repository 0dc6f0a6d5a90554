/*
 * ankang-audit verify: checks the log as an auditor, trusting nothing but
 * the log's verifier key and the checkpoint it saved last time.
 *
 *   1. The newest checkpoint's signature (checkpoint_open, log key).
 *   2. With --state: the saved checkpoint's signature, then a consistency
 *      proof from it to the newest, verified here. A newest checkpoint
 *      smaller than the saved one, or a different root at the same size,
 *      fails without asking the source: that is a truncated or rewritten
 *      log re-signed with a stolen key.
 *   1a. With --witness: at least --quorum valid cosignature/v1 lines
 *      from the witnesses given (cosig_open); a bad line from one of
 *      them fails, lines from others are ignored.
 *   1b. From a tiled log (--log): the root recomputed from the hash
 *      tiles, and every hash tile authenticated against it.
 *   3. Every leaf the checkpoint covers, downloaded in order: each must be
 *      present (no gaps), each must parse, and together they must hash to
 *      the signed root. A tiled log without a token gives no leaves:
 *      the tiles are all that is checked, and the output says so.
 *   4. Only when all of that holds is the newest checkpoint saved to
 *      --state (atomically), so the next run checks against it.
 *
 * When the recomputed root differs, the first leaf that differs is found
 * by bisection with consistency proofs: "the first m leaves are a prefix
 * of the signed tree" is checked by verifying a proof from m to the
 * checkpoint's size against the root of those m leaves computed here.
 * That holds up to the first changed leaf and fails from there on, and a
 * proof the source makes up cannot make it hold falsely, so whatever the
 * source does, the leaves before the index named are proven good. The
 * pass keeps a snapshot of the compact range every SNAP_EVERY leaves, so
 * a bisection step needs no download except one block at the end.
 * With a database, the leaf found is also compared with its stored leaf
 * hash, which tells whether the bytes were changed after they were
 * written.
 *
 * Never: save a checkpoint to --state that has not passed every check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "audit/commands.h"
#include "common/cli.h"
#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/cosig.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"
#include "crypto/note.h"

#define SNAP_EVERY 1024u
#define STATE_MAX  (64u << 10)

static const char verify_usage[] =
    "usage: ankang-audit verify (--db FILE | --server URL --token T | --log URL [--token T]\n"
    "                           [--mirror DIR]) --log-key VKEY [--state FILE]\n"
    "                           [--witness VKEY]... [--quorum N]\n"
    "\n"
    "Checks the newest signed checkpoint, its consistency with the one saved in\n"
    "--state, and every leaf it covers (present, parses, hashes to the signed\n"
    "root). Names the first bad leaf or the failing proof. On success saves the\n"
    "newest checkpoint to --state. Exit 0 verified, 1 a check failed, 2 errors.\n"
    "\n" OPTS_SOURCE_USAGE
    "  --log-key VKEY      the log's verifier key: key text or a .vkey file\n"
    "  --state FILE        the checkpoint seen last time (created if missing)\n"
    "  --witness VKEY      a witness's cosigner key: vkey text or a file (repeatable)\n"
    "  --quorum N          valid cosignatures needed from those witnesses (default: all)\n";

enum {
	OPT_LOG_KEY = OPT_FIRST_LOCAL,
	OPT_STATE,
	OPT_WITNESS,
	OPT_QUORUM
};

struct pass {
	struct merkle_range r;
	uint64_t next; /* the index expected next */
	uint64_t unparsable, first_unparsable;
	int gap;                    /* the source skipped index `next` */
	struct merkle_range *snaps; /* snaps[j]: the range of the first j * SNAP_EVERY leaves */
	size_t nsnaps, cap;
	int nomem;
};

static int pass_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct pass *p = ctx;
	struct leaf l;
	merkle_hash h;

	if (idx != p->next) {
		p->gap = 1;
		return 1;
	}
	if (idx % SNAP_EVERY == 0) {
		if (p->nsnaps == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 16;
			void *q = realloc(p->snaps, cap * sizeof *p->snaps);
			if (q == NULL) {
				p->nomem = 1;
				return 1;
			}
			p->snaps = q;
			p->cap = cap;
		}
		p->snaps[p->nsnaps++] = p->r;
	}
	if (leaf_parse(&l, leaf, len) != 0 && p->unparsable++ == 0)
		p->first_unparsable = idx;
	merkle_leaf_hash(h, (const uint8_t *)leaf, len);
	merkle_range_append(&p->r, h, NULL, NULL);
	p->next++;
	return 0;
}

/* -------------------------------------------------------------- bisection */

struct block {
	uint64_t start, want, got;
	merkle_hash *hashes;
};

static int block_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct block *b = ctx;

	if (idx != b->start + b->got || b->got == b->want)
		return 1;
	merkle_leaf_hash(b->hashes[b->got++], (const uint8_t *)leaf, len);
	return 0;
}

/*
 * Whether the first m leaves, whose root is root_m, are a prefix of the
 * signed tree: 1 yes, 0 no, negative when the source gave no proof.
 */
static int prefix_good(audit_source *src, uint64_t m, const merkle_hash root_m,
		       const struct checkpoint *cp)
{
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t n;
	int rc;

	if (m == 0)
		return 1;
	if (m == cp->size)
		return memcmp(root_m, cp->root, MERKLE_HASH_BYTES) == 0;
	if ((rc = source_prove_consistency(src, m, cp->size, proof, &n)) != 0)
		return rc < 0 ? rc : AK_EIO;
	return merkle_verify_consistency(m, cp->size, root_m, cp->root, proof, n) == 0;
}

/* The root of the first m leaves, from snapshot j and block hashes. */
static void prefix_root(const struct pass *p, size_t j, const struct block *b, uint64_t m,
			merkle_hash out)
{
	struct merkle_range r = p->snaps[j];

	for (uint64_t i = r.size; i < m; i++)
		merkle_range_append(&r, b->hashes[i - b->start], NULL, NULL);
	merkle_range_root(&r, out);
}

/*
 * Finds the first leaf that is not part of the signed tree. Returns 0 and
 * *first, or a negative code when the source would not give the proofs
 * or the block (source_what says why).
 */
static int localise(audit_source *src, const struct pass *p, const struct checkpoint *cp,
		    uint64_t *first, merkle_hash first_hash)
{
	struct block b = {0};
	merkle_hash root;
	size_t lo = 0, hi = p->nsnaps; /* snapshot lo is good; hi (or the end) is not */
	uint64_t mlo, mhi;
	int rc;

	/* Whole blocks first: their roots are in the snapshots. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		merkle_range_root(&p->snaps[mid], root);
		if ((rc = prefix_good(src, p->snaps[mid].size, root, cp)) < 0)
			return rc;
		if (rc)
			lo = mid;
		else
			hi = mid;
	}
	mlo = p->snaps[lo].size;
	mhi = hi < p->nsnaps ? p->snaps[hi].size : cp->size;

	/* Then leaf by leaf inside the block [mlo, mhi). */
	b.start = mlo;
	b.want = mhi - mlo;
	if ((b.hashes = calloc(b.want, sizeof *b.hashes)) == NULL)
		return AK_ENOMEM;
	rc = source_entries(src, mlo, mhi, block_leaf, &b);
	if (rc == 0 && b.got != b.want)
		rc = 1;
	if (rc != 0) {
		free(b.hashes);
		return rc < 0 ? rc : AK_ECORRUPT;
	}
	while (mhi - mlo > 1) {
		uint64_t mid = mlo + (mhi - mlo) / 2;
		prefix_root(p, lo, &b, mid, root);
		if ((rc = prefix_good(src, mid, root, cp)) < 0) {
			free(b.hashes);
			return rc;
		}
		if (rc)
			mlo = mid;
		else
			mhi = mid;
	}
	*first = mlo;
	memcpy(first_hash, b.hashes[mlo - b.start], MERKLE_HASH_BYTES);
	free(b.hashes);
	return 0;
}

/* ------------------------------------------------------------------ state */

/*
 * Reads the saved checkpoint. 0 with *have set (0 when there is no file
 * yet), or CLI_USAGE after printing why.
 */
static int load_state(const char *path, const struct key_verifier *key, struct checkpoint *old,
		      int *have)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*have = 0;
	if (path == NULL)
		return 0;
	rc = util_read_file(path, STATE_MAX, &buf, &len);
	if (rc == AK_ENOENT)
		return 0;
	if (rc != 0) {
		cli_error("verify: state %s: %s", path, ak_strerror(rc));
		return CLI_USAGE;
	}
	rc = checkpoint_open(old, buf, len, key);
	free(buf);
	if (rc != 0) {
		cli_error("verify: state %s does not hold a checkpoint signed by this log key (%s)",
			  path, ak_strerror(rc));
		return CLI_USAGE;
	}
	*have = 1;
	return 0;
}

/* Step 2. Returns CLI_OK, CLI_FAILED (printed) or CLI_USAGE. */
static int check_consistency(audit_source *src, const struct checkpoint *old,
			     const struct checkpoint *cp)
{
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t n;
	int rc;

	if (old->size > cp->size) {
		printf("FAIL: consistency proof from %llu to %llu fails: the newest checkpoint is "
		       "smaller than the one saved; the log was truncated or rolled back\n",
		       (unsigned long long)old->size, (unsigned long long)cp->size);
		return CLI_FAILED;
	}
	if (old->size == cp->size) {
		if (memcmp(old->root, cp->root, MERKLE_HASH_BYTES) != 0) {
			printf("FAIL: consistency proof from %llu to %llu fails: two different "
			       "signed roots for the same size\n",
			       (unsigned long long)old->size, (unsigned long long)cp->size);
			return CLI_FAILED;
		}
		printf("state: unchanged since the saved checkpoint (size %llu)\n",
		       (unsigned long long)cp->size);
		return CLI_OK;
	}
	if (old->size == 0) {
		printf("state: the saved checkpoint is the empty log; any log extends it\n");
		return CLI_OK;
	}
	rc = source_prove_consistency(src, old->size, cp->size, proof, &n);
	if (rc == AK_EIO || rc == AK_ENOMEM) {
		cli_error("verify: %s: %s", source_name(src), source_what(src));
		return CLI_USAGE;
	}
	if (rc != 0) {
		printf(
		    "FAIL: consistency proof from %llu to %llu fails: the source gave none (%s)\n",
		    (unsigned long long)old->size, (unsigned long long)cp->size, source_what(src));
		return CLI_FAILED;
	}
	if (merkle_verify_consistency(old->size, cp->size, old->root, cp->root, proof, n) != 0) {
		printf("FAIL: consistency proof from %llu to %llu fails: the log is not an "
		       "extension of the one seen before\n",
		       (unsigned long long)old->size, (unsigned long long)cp->size);
		return CLI_FAILED;
	}
	printf("state: consistent with the saved checkpoint (size %llu -> %llu)\n",
	       (unsigned long long)old->size, (unsigned long long)cp->size);
	return CLI_OK;
}

/* Step 3's failure: names the first leaf that is not the signed one. */
static void explain_mismatch(audit_source *src, const struct pass *p, const struct checkpoint *cp)
{
	merkle_hash h, stored;
	uint64_t first;
	int rc;

	if (p->nsnaps == 0) {
		printf("FAIL: root mismatch: the checkpoint signs a root for the empty log that is "
		       "not the empty tree's\n");
		return;
	}
	if ((rc = localise(src, p, cp, &first, h)) != 0) {
		printf(
		    "FAIL: root mismatch at size %llu: the leaves do not hash to the signed root "
		    "(the first differing leaf could not be located: %s)\n",
		    (unsigned long long)cp->size,
		    rc == AK_ECORRUPT ? "the source changed while being read" : source_what(src));
		return;
	}
	printf("FAIL: root mismatch at size %llu: leaf %llu is the first that does not match the "
	       "signed tree (leaves before it are proven good)\n",
	       (unsigned long long)cp->size, (unsigned long long)first);
	if (source_stored_leaf_hash(src, first, stored) == 0)
		printf("      leaf %llu %s\n", (unsigned long long)first,
		       memcmp(stored, h, MERKLE_HASH_BYTES) != 0
			   ? "no longer hashes to the leaf hash stored for it: the bytes at this "
			     "index were changed (or moved) after they were written"
			   : "hashes to its stored leaf hash: the stored hashes were rewritten "
			     "too");
}

/* Step 3. Returns CLI_OK, CLI_FAILED (printed) or CLI_USAGE. */
static int check_leaves(audit_source *src, const struct checkpoint *cp)
{
	struct pass p;
	merkle_hash root;
	uint64_t have;
	int rc, status = CLI_OK;

	memset(&p, 0, sizeof p);
	merkle_range_init(&p.r);
	rc = source_entries(src, 0, cp->size, pass_leaf, &p);
	if (p.nomem)
		rc = AK_ENOMEM;
	if (rc == AK_ECRYPTO || rc == AK_ECORRUPT) {
		/* A tiled log holds each leaf to its authenticated hash. */
		printf("FAIL: %s\n", source_what(src));
		free(p.snaps);
		return CLI_FAILED;
	}
	if (rc < 0) {
		cli_error("verify: %s: reading leaves: %s", source_name(src), source_what(src));
		free(p.snaps);
		return CLI_USAGE;
	}
	if (p.gap || p.next < cp->size) {
		printf(
		    "FAIL: leaf %llu is missing: the checkpoint covers %llu leaves and the source "
		    "%s\n",
		    (unsigned long long)p.next, (unsigned long long)cp->size,
		    p.gap ? "skips from this index" : "ends before it");
		status = CLI_FAILED;
	}
	if (p.unparsable) {
		printf("FAIL: leaf %llu does not parse as an ankang/v1 leaf (%llu in all)\n",
		       (unsigned long long)p.first_unparsable, (unsigned long long)p.unparsable);
		status = CLI_FAILED;
	}
	if (p.next == cp->size && !p.gap) {
		merkle_range_root(&p.r, root);
		if (memcmp(root, cp->root, MERKLE_HASH_BYTES) != 0) {
			explain_mismatch(src, &p, cp);
			status = CLI_FAILED;
		} else {
			printf("leaves: %llu read, %s; root matches the signed root\n",
			       (unsigned long long)cp->size,
			       p.unparsable ? "some do not parse" : "every one parses");
		}
	}
	free(p.snaps);
	if (source_size(src, &have) == 0 && have > cp->size)
		printf("note: %llu more leaf(s) after the newest checkpoint, not signed yet\n",
		       (unsigned long long)(have - cp->size));
	return status;
}

/* Step 1a. Returns CLI_OK or CLI_FAILED (printed). */
static int check_witnesses(const char *note, size_t len, const struct key_verifier *ws, size_t nws,
			   uint64_t quorum)
{
	uint32_t by = 0;
	uint64_t valid = 0;
	int rc;

	if (nws == 0)
		return CLI_OK;
	if ((rc = cosig_open(note, len, ws, nws, &by, NULL)) != 0) {
		printf("FAIL: a cosignature from one of the witnesses given does not verify (%s)\n",
		       rc == AK_ECRYPTO ? "bad signature" : "malformed");
		return CLI_FAILED;
	}
	for (size_t i = 0; i < nws; i++)
		valid += (by >> i) & 1;
	if (valid < quorum) {
		printf("FAIL: witnesses: %llu valid cosignature(s) of the %llu needed (%zu "
		       "witness(es) given)\n",
		       (unsigned long long)valid, (unsigned long long)quorum, nws);
		return CLI_FAILED;
	}
	printf("witnesses: %llu valid cosignature(s), %llu needed: quorum met\n",
	       (unsigned long long)valid, (unsigned long long)quorum);
	return CLI_OK;
}

/* Step 1b. Returns CLI_OK, CLI_FAILED (printed) or CLI_USAGE. */
static int check_tiles(audit_source *src)
{
	uint64_t n;
	int rc = source_check_tiles(src, &n);

	if (rc == AK_ECRYPTO || rc == AK_ECORRUPT) {
		printf("FAIL: %s\n", source_what(src));
		return CLI_FAILED;
	}
	if (rc != 0) {
		cli_error("verify: %s: %s", source_name(src), source_what(src));
		return CLI_USAGE;
	}
	printf("tiles: the root recomputed from the hash tiles is the signed root; %llu hash "
	       "tile(s) authenticated\n",
	       (unsigned long long)n);
	return CLI_OK;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    OPTS_SOURCE,
	    {"log-key", required_argument, NULL, OPT_LOG_KEY},
	    {"state", required_argument, NULL, OPT_STATE},
	    {"witness", required_argument, NULL, OPT_WITNESS},
	    {"quorum", required_argument, NULL, OPT_QUORUM},
	    {NULL, 0, NULL, 0},
	};
	struct audit_opts o = {0};
	const char *key_arg = NULL, *state = NULL, *quorum_arg = NULL;
	struct key_verifier key, ws[COSIG_MAX_KEYS];
	size_t nws = 0;
	uint64_t quorum = 0;
	int leaves;
	char sum[256];
	struct checkpoint cp, old;
	audit_source *src = NULL;
	char *note = NULL, root_b64[45];
	size_t len;
	int c, rc, have_old, status;

	optind = 1;
	while ((c = opts_getopt(&o, argc, argv, opts, verify_usage, &status)) > 0) {
		switch (c) {
		case OPT_LOG_KEY:
			key_arg = optarg;
			break;
		case OPT_STATE:
			state = optarg;
			break;
		case OPT_WITNESS:
			if (nws == COSIG_MAX_KEYS) {
				cli_error("verify: at most %d --witness", COSIG_MAX_KEYS);
				return CLI_USAGE;
			}
			if (opts_witness(optarg, "verify", &ws[nws]) != CLI_OK)
				return CLI_USAGE;
			nws++;
			break;
		case OPT_QUORUM:
			quorum_arg = optarg;
			break;
		}
	}
	if (c < 0)
		return status;
	if (quorum_arg != NULL &&
	    (nws == 0 || opts_u64(quorum_arg, "verify", "--quorum", &quorum) != CLI_OK ||
	     quorum == 0 || quorum > nws)) {
		cli_error("verify: --quorum N needs --witness, and 1 <= N <= the %zu witness(es) "
			  "given",
			  nws);
		return CLI_USAGE;
	}
	if (quorum_arg == NULL)
		quorum = nws;
	if ((rc = cli_no_operands(argc, argv, "verify")) != CLI_OK)
		return rc;
	if ((rc = opts_log_key(key_arg, "verify", &key)) != CLI_OK)
		return rc;
	if ((rc = load_state(state, &key, &old, &have_old)) != 0)
		return rc;
	if ((rc = opts_open_source(&o, "verify", &src)) != CLI_OK)
		return rc;

	/* 1. The newest checkpoint. */
	if ((rc = source_checkpoint(src, &note, &len)) != 0) {
		if (rc == AK_ENOENT && o.db != NULL) {
			printf("FAIL: %s\n", source_what(src));
			status = CLI_FAILED;
		} else {
			cli_error("verify: %s: %s", source_name(src), source_what(src));
			status = CLI_USAGE;
		}
		goto done;
	}
	if ((rc = checkpoint_open(&cp, note, len, &key)) != 0) {
		printf("FAIL: the newest checkpoint does not verify with the log key (%s)\n",
		       rc == AK_ECRYPTO  ? "bad signature"
		       : rc == AK_ENOENT ? "not signed by this key"
					 : "malformed, or another log's origin");
		status = CLI_FAILED;
		goto done;
	}
	util_b64_encode(root_b64, cp.root, sizeof cp.root);
	printf("checkpoint: %s, size %llu, root %s: signature good\n", cp.origin,
	       (unsigned long long)cp.size, root_b64);
	if ((status = check_witnesses(note, len, ws, nws, quorum)) != CLI_OK)
		goto done;
	if (o.log != NULL && (status = check_tiles(src)) != CLI_OK)
		goto done;

	/* 2. Consistency with what this auditor saw before. */
	if (have_old) {
		if ((status = check_consistency(src, &old, &cp)) != CLI_OK)
			goto done;
	} else if (state != NULL) {
		printf("state: none saved yet; this checkpoint is trusted from now on\n");
	}

	/* 3. Every leaf, where the source gives them. */
	leaves = o.log == NULL || o.token != NULL || o.token_file != NULL;
	if (!leaves)
		printf("leaves: entries not read (no token); the hash tiles are all that was "
		       "checked\n");
	else if ((status = check_leaves(src, &cp)) != CLI_OK)
		goto done;

	/* 4. Remember it. */
	if (state != NULL && (rc = util_write_file_atomic(state, note, len, 0644, 0)) != 0) {
		cli_error("verify: could not save state %s: %s", state,
			  rc == AK_EIO ? strerror(errno) : ak_strerror(rc));
		status = CLI_USAGE;
		goto done;
	}
	printf("verify: OK%s%s%s\n", leaves ? "" : " (entries not read: no token)",
	       state ? ", state saved to " : "", state ? state : "");
done:
	if (source_summary(src, sum, sizeof sum) != NULL)
		printf("%s\n", sum);
	if (status == CLI_FAILED)
		printf("verify: FAILED\n");
	free(note);
	source_close(src);
	return status;
}
