/*
 * ankang-audit prove / check-proof: one entry's inclusion proof, in the
 * C2SP tlog-proof text form (tlogproof.h), made from a source and checked
 * offline by anyone holding the log's verifier key: a resident who wants
 * to show that an access to their data was recorded, or a court.
 *
 * prove fetches the checkpoint (the newest, or the one of --size), the
 * leaf and its inclusion proof, verifies the proof against the
 * checkpoint's root itself (and the signature, given --log-key) so it
 * never hands out a proof that fails, and prints it with the leaf in the
 * "extra" line.
 *
 * check-proof needs nothing but the file and the key: the checkpoint's
 * signature, then the leaf's inclusion. The leaf is --leaf FILE,
 * --leaf-b64, or else the proof's own extra line; whichever it is, it is
 * the thing proven, so a changed leaf fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/commands.h"
#include "audit/filter.h"
#include "audit/timeparse.h"
#include "audit/tlogproof.h"
#include "common/cli.h"
#include "common/util.h"
#include "crypto/checkpoint.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"

static const char prove_usage[] =
    "usage: ankang-audit prove (--db FILE | --server URL --token T | --log URL --token T)\n"
    "                          (INDEX | --index INDEX) [--size N] [--log-key VKEY]\n"
    "\n"
    "Prints the inclusion proof of entry INDEX in the C2SP tlog-proof form\n"
    "(c2sp.org/tlog-proof@v1, the leaf in its extra line, the signed checkpoint).\n"
    "  --index INDEX       the entry, as an option rather than an operand\n"
    "  --size N            prove against the checkpoint of this size (default: the\n"
    "                      newest; a server offers only its newest)\n"
    "  --log-key VKEY      also check the checkpoint's signature before printing\n"
    "\n" OPTS_SOURCE_USAGE;

static const char check_usage[] =
    "usage: ankang-audit check-proof FILE --log-key VKEY [--leaf FILE | --leaf-b64 B]\n"
    "\n"
    "Verifies a tlog-proof offline: the checkpoint's signature with the log key,\n"
    "then that the leaf is in the tree it signs. The leaf is --leaf (its exact\n"
    "bytes), --leaf-b64, or else the proof's extra line. Exit 0 proven, 1 not,\n"
    "2 on usage or unreadable input.\n";

enum {
	OPT_SIZE = OPT_FIRST_LOCAL,
	OPT_LOG_KEY,
	OPT_LEAF,
	OPT_LEAF_B64,
	OPT_INDEX
};

struct one_leaf {
	uint64_t want;
	int found;
	size_t len;
	char bytes[LEAF_MAX * 2];
};

static int grab_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct one_leaf *o = ctx;

	if (idx != o->want || len > sizeof o->bytes)
		return 1;
	memcpy(o->bytes, leaf, len);
	o->len = len;
	o->found = 1;
	return 1;
}

/* Prints what a proven leaf says (no personal data exists in one). */
static void describe(const char *leaf, size_t len)
{
	char when[AUDIT_TIME_TEXT], actor[48];
	struct leaf l;

	if (leaf_parse(&l, leaf, len) != 0) {
		printf("warning: the proven leaf does not parse as an ankang/v1 leaf\n");
		return;
	}
	audit_time_local(when, l.time_ms);
	leaf_actor_of(actor, &l);
	printf("entry: %s (local), %s, %s, %s, %s\n", when, actor, leaf_action_word(l.action),
	       leaf_result_word(l.result), leaf_detail_word(l.detail));
}

int cmd_prove(int argc, char **argv)
{
	static const struct option opts[] = {
	    OPTS_SOURCE,
	    {"size", required_argument, NULL, OPT_SIZE},
	    {"log-key", required_argument, NULL, OPT_LOG_KEY},
	    {"index", required_argument, NULL, OPT_INDEX},
	    {NULL, 0, NULL, 0},
	};
	struct audit_opts o = {0};
	const char *size_arg = NULL, *key_arg = NULL, *index_arg = NULL;
	struct key_verifier key;
	struct checkpoint cp;
	struct one_leaf leaf;
	merkle_hash proof[MERKLE_MAX_PROOF], lh;
	audit_source *src = NULL;
	uint64_t index, size = 0;
	char *note = NULL, *text = NULL;
	size_t len, n, tlen;
	int c, rc, status = CLI_USAGE;

	optind = 1;
	while ((c = opts_getopt(&o, argc, argv, opts, prove_usage, &status)) > 0) {
		switch (c) {
		case OPT_SIZE:
			size_arg = optarg;
			break;
		case OPT_LOG_KEY:
			key_arg = optarg;
			break;
		case OPT_INDEX:
			index_arg = optarg;
			break;
		}
	}
	if (c < 0)
		return status;
	if (index_arg == NULL && optind + 1 == argc)
		index_arg = argv[optind++];
	if (index_arg == NULL || optind != argc) {
		cli_error("prove: give exactly one INDEX (try --help)");
		return CLI_USAGE;
	}
	if (opts_u64(index_arg, "prove", "INDEX", &index) != CLI_OK ||
	    (size_arg != NULL && opts_u64(size_arg, "prove", "--size", &size) != CLI_OK))
		return CLI_USAGE;
	if (key_arg != NULL && (rc = opts_log_key(key_arg, "prove", &key)) != CLI_OK)
		return rc;
	if ((rc = opts_open_source(&o, "prove", &src)) != CLI_OK)
		return rc;

	rc = size_arg ? source_checkpoint_at(src, size, &note, &len)
		      : source_checkpoint(src, &note, &len);
	if (rc != 0) {
		cli_error("prove: %s: %s", source_name(src), source_what(src));
		goto done;
	}
	rc = key_arg ? checkpoint_open(&cp, note, len, &key) : source_note_peek(note, len, &cp);
	if (rc != 0) {
		printf("FAIL: the checkpoint from the source %s\n",
		       key_arg ? "does not verify with the log key" : "is malformed");
		status = CLI_FAILED;
		goto done;
	}
	if (index >= cp.size) {
		cli_error("prove: index %llu is not in the checkpoint of size %llu",
			  (unsigned long long)index, (unsigned long long)cp.size);
		goto done;
	}
	memset(&leaf, 0, sizeof leaf);
	leaf.want = index;
	rc = source_entries(src, index, index + 1, grab_leaf, &leaf);
	if (rc < 0) {
		cli_error("prove: %s: %s", source_name(src), source_what(src));
		goto done;
	}
	if (!leaf.found) {
		printf("FAIL: the source has no leaf %llu\n", (unsigned long long)index);
		status = CLI_FAILED;
		goto done;
	}
	if ((rc = source_prove_inclusion(src, index, cp.size, proof, &n)) != 0) {
		if (rc == AK_EIO || rc == AK_ENOMEM) {
			cli_error("prove: %s: %s", source_name(src), source_what(src));
		} else {
			printf("FAIL: no inclusion proof: %s\n", source_what(src));
			status = CLI_FAILED;
		}
		goto done;
	}
	merkle_leaf_hash(lh, (const uint8_t *)leaf.bytes, leaf.len);
	if (merkle_verify_inclusion(lh, index, cp.size, proof, n, cp.root) != 0) {
		printf("FAIL: the source's proof for leaf %llu does not verify against its own "
		       "checkpoint (size %llu): run verify\n",
		       (unsigned long long)index, (unsigned long long)cp.size);
		status = CLI_FAILED;
		goto done;
	}
	if ((rc = tlogproof_format(&text, &tlen, index, proof, n, (const uint8_t *)leaf.bytes,
				   leaf.len, note, len)) != 0) {
		cli_error("prove: cannot format the proof: %s", ak_strerror(rc));
		goto done;
	}
	fwrite(text, 1, tlen, stdout);
	status = fflush(stdout) == 0 ? CLI_OK : CLI_USAGE;
done:
	free(text);
	free(note);
	opts_close_source(src);
	return status;
}

int cmd_check_proof(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"log-key", required_argument, NULL, OPT_LOG_KEY},
	    {"leaf", required_argument, NULL, OPT_LEAF},
	    {"leaf-b64", required_argument, NULL, OPT_LEAF_B64},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *key_arg = NULL, *leaf_file = NULL, *leaf_b64 = NULL;
	struct key_verifier key;
	struct checkpoint cp;
	struct tlogproof p;
	merkle_hash lh;
	uint8_t given[TLOGPROOF_EXTRA_MAX];
	const uint8_t *leaf;
	char *text = NULL, *file_leaf = NULL;
	size_t len, leaf_len = 0;
	int c, rc, status = CLI_USAGE;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, OPT_HELP, check_usage, &status)) > 0) {
		switch (c) {
		case OPT_LOG_KEY:
			key_arg = optarg;
			break;
		case OPT_LEAF:
			leaf_file = optarg;
			break;
		case OPT_LEAF_B64:
			leaf_b64 = optarg;
			break;
		}
	}
	if (c < 0)
		return status;
	if (optind + 1 != argc) {
		cli_error("check-proof: give exactly one proof FILE (try --help)");
		return CLI_USAGE;
	}
	if (leaf_file != NULL && leaf_b64 != NULL) {
		cli_error("check-proof: give --leaf or --leaf-b64, not both");
		return CLI_USAGE;
	}
	if ((rc = opts_log_key(key_arg, "check-proof", &key)) != CLI_OK)
		return rc;
	if ((rc = util_read_file(argv[optind], TLOGPROOF_MAX, &text, &len)) != 0) {
		cli_error("check-proof: %s: %s", argv[optind], ak_strerror(rc));
		return CLI_USAGE;
	}
	if (tlogproof_parse(&p, text, len) != 0) {
		cli_error("check-proof: %s: not a well-formed %s proof", argv[optind],
			  TLOGPROOF_HEADER);
		goto done;
	}
	if (leaf_file != NULL) {
		if ((rc = util_read_file(leaf_file, TLOGPROOF_EXTRA_MAX, &file_leaf, &leaf_len)) !=
		    0) {
			cli_error("check-proof: --leaf %s: %s", leaf_file, ak_strerror(rc));
			goto done;
		}
		leaf = (const uint8_t *)file_leaf;
	} else if (leaf_b64 != NULL) {
		if (util_b64_decode(given, sizeof given, &leaf_len, leaf_b64, strlen(leaf_b64)) !=
			0 ||
		    leaf_len == 0) {
			cli_error("check-proof: --leaf-b64: not canonical base64 of a leaf");
			goto done;
		}
		leaf = given;
	} else if (p.has_extra) {
		leaf = p.extra;
		leaf_len = p.extra_len;
	} else {
		cli_error("check-proof: the proof carries no leaf: give --leaf or --leaf-b64");
		goto done;
	}
	if (p.has_extra && (p.extra_len != leaf_len || memcmp(p.extra, leaf, leaf_len) != 0))
		printf("note: the proof's extra line is not the leaf given; checking the leaf "
		       "given\n");

	status = CLI_FAILED;
	if ((rc = checkpoint_open(&cp, p.note, p.note_len, &key)) != 0) {
		printf("FAIL: the proof's checkpoint does not verify with the log key (%s)\n",
		       rc == AK_ECRYPTO  ? "bad signature"
		       : rc == AK_ENOENT ? "not signed by this key"
					 : "malformed, or another log's origin");
		goto done;
	}
	merkle_leaf_hash(lh, leaf, leaf_len);
	if (p.index >= cp.size ||
	    merkle_verify_inclusion(lh, p.index, cp.size, p.proof, p.nproof, cp.root) != 0) {
		printf("FAIL: the leaf is not proven at index %llu of %s at size %llu\n",
		       (unsigned long long)p.index, cp.origin, (unsigned long long)cp.size);
		goto done;
	}
	printf("OK: leaf %llu is in %s at size %llu (checkpoint signature good)\n",
	       (unsigned long long)p.index, cp.origin, (unsigned long long)cp.size);
	describe((const char *)leaf, leaf_len);
	status = CLI_OK;
done:
	free(file_leaf);
	free(text);
	return status;
}
