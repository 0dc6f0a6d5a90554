/*
 * ankang-audit entries: lists log entries, as a table for a person or as
 * JSON lines for a program, selected by time, action, actor and subject.
 *
 * Every leaf is parsed from its bytes here; the selection applies to what
 * the bytes say. A leaf that does not parse is reported on standard error
 * by index (never its bytes) and makes the exit status 1. Listing does
 * not verify the log: `verify` does, and should run first.
 *
 * Every field of a leaf is from [A-Za-z0-9_.:-] (FORMAT.md 3.1), so the
 * JSON is written directly: nothing in it needs escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/commands.h"
#include "audit/filter.h"
#include "audit/timeparse.h"
#include "common/cli.h"
#include "common/util.h"
#include "crypto/leaf.h"

static const char entries_usage[] =
    "usage: ankang-audit entries (--db FILE | --server URL --token T)\n"
    "                            [--since TIME] [--until TIME] [--action A]\n"
    "                            [--actor ROLE[:ID]] [--subject HEX] [--json]\n"
    "\n"
    "Lists log entries: local time, index, actor, action, subject (first 8 hex\n"
    "digits), result and detail; or with --json one object per line with the\n"
    "leaf's index and exact bytes (base64) and its fields.\n"
    "TIME is unix seconds or YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] (local time\n"
    "without a zone); --since is inclusive, --until exclusive.\n"
    "  --action A         only entries of the action word A (lookup, verify, ...)\n"
    "  --actor ROLE[:ID]  only entries by that role, or that account\n"
    "  --subject HEX      only entries about that pseudonym (32 hex digits)\n"
    "  --json             one JSON object per line instead of the table\n"
    "\n" OPTS_SOURCE_USAGE;

enum {
	OPT_SINCE = OPT_FIRST_LOCAL,
	OPT_UNTIL,
	OPT_ACTION,
	OPT_ACTOR,
	OPT_SUBJECT,
	OPT_JSON
};

struct lister {
	struct audit_filter f;
	int json;
	uint64_t shown, unparsable;
};

static void print_leaf(struct lister *ls, uint64_t idx, const char *leaf, size_t len,
		       const struct leaf *l)
{
	char actor[LEAF_ACTOR_TEXT], subject[LEAF_ID_TEXT], object[LEAF_ID_TEXT];
	const char *action = leaf_action_word(l->action), *result = leaf_result_word(l->result),
		   *detail = leaf_detail_word(l->detail);

	leaf_actor_of(actor, l);
	leaf_id_text(subject, l->has_subject, l->subject);
	leaf_id_text(object, l->has_object, l->object);

	if (ls->json) {
		char b64[((LEAF_MAX + 2) / 3) * 4 + 1];
		util_b64_encode(b64, (const uint8_t *)leaf, len);
		printf("{\"index\":%llu,\"leaf\":\"%s\",\"time_ms\":%llu,\"actor\":\"%s\","
		       "\"action\":\"%s\",\"subject\":\"%s\",\"object\":\"%s\",\"result\":\"%s\","
		       "\"detail\":\"%s\"}\n",
		       (unsigned long long)idx, b64, (unsigned long long)l->time_ms, actor, action,
		       subject, object, result, detail);
	} else {
		char when[AUDIT_TIME_TEXT];
		audit_time_local(when, l->time_ms);
		if (l->has_subject)
			subject[8] = '\0';
		printf("%-19s %8llu  %-14s %-15s %-8s %-13s %s\n", when, (unsigned long long)idx,
		       actor, action, subject, result, detail);
	}
	ls->shown++;
}

static int list_leaf(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct lister *ls = ctx;
	struct leaf l;

	if (len > LEAF_MAX || leaf_parse(&l, leaf, len) != 0) {
		cli_error("entries: leaf %llu does not parse as an ankang/v1 leaf; skipped",
			  (unsigned long long)idx);
		ls->unparsable++;
		return 0;
	}
	if (audit_filter_match(&ls->f, &l))
		print_leaf(ls, idx, leaf, len, &l);
	return 0;
}

int cmd_entries(int argc, char **argv)
{
	static const struct option opts[] = {
	    OPTS_SOURCE,
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"action", required_argument, NULL, OPT_ACTION},
	    {"actor", required_argument, NULL, OPT_ACTOR},
	    {"subject", required_argument, NULL, OPT_SUBJECT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	struct audit_opts o = {0};
	struct lister ls;
	audit_source *src = NULL;
	int c, rc, status;

	memset(&ls, 0, sizeof ls);
	audit_filter_init(&ls.f);
	optind = 1;
	while ((c = opts_getopt(&o, argc, argv, opts, entries_usage, &status)) > 0) {
		switch (c) {
		case OPT_SINCE:
			if (opts_time(optarg, "entries", "--since", &ls.f.since_ms) != CLI_OK)
				return CLI_USAGE;
			break;
		case OPT_UNTIL:
			if (opts_time(optarg, "entries", "--until", &ls.f.until_ms) != CLI_OK)
				return CLI_USAGE;
			break;
		case OPT_ACTION:
			if (audit_filter_action(&ls.f, optarg) != 0) {
				cli_error("entries: --action: not an audit action word");
				return CLI_USAGE;
			}
			break;
		case OPT_ACTOR:
			if (audit_filter_actor(&ls.f, optarg) != 0) {
				cli_error("entries: --actor takes ROLE, ROLE:ID or ROLE:- (roles: "
					  "resident verifier officer auditor admin system)");
				return CLI_USAGE;
			}
			break;
		case OPT_SUBJECT:
			if (audit_filter_subject(&ls.f, optarg) != 0) {
				cli_error("entries: --subject takes 32 hex digits");
				return CLI_USAGE;
			}
			break;
		case OPT_JSON:
			ls.json = 1;
			break;
		}
	}
	if (c < 0)
		return status;
	if ((rc = cli_no_operands(argc, argv, "entries")) != CLI_OK)
		return rc;
	if ((rc = opts_open_source(&o, "entries", &src)) != CLI_OK)
		return rc;
	if (!ls.json)
		printf("%-19s %8s  %-14s %-15s %-8s %-13s %s\n", "TIME (local)", "INDEX", "ACTOR",
		       "ACTION", "SUBJECT", "RESULT", "DETAIL");
	rc = source_entries(src, 0, UINT64_MAX, list_leaf, &ls);
	if (rc != 0) {
		cli_error("entries: %s: %s", source_name(src), source_what(src));
		opts_close_source(src);
		return CLI_USAGE;
	}
	opts_close_source(src);
	if (fflush(stdout) != 0) {
		cli_error("entries: writing the output failed");
		return CLI_USAGE;
	}
	return ls.unparsable ? CLI_FAILED : CLI_OK;
}
