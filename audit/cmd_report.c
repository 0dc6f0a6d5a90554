/*
 * ankang-audit report: the inspector's summary of the log (rules in
 * report.h): counts by action, result and actor, and the flags. Plain
 * text for a person, or one JSON object with --json.
 *
 * Overdue appeals (log/report_appeals.h) are flagged too: they come not
 * from the log but from the appeals table of a database copy, judged by
 * each appeal's due (or by --appeal-deadline), or from the server's own
 * report, judged by its deadline.
 *
 * Exit status: 0 when nothing is flagged, 1 when anything is (or a leaf
 * does not parse), so a scheduled run can alert; 2 on errors. Like
 * entries, report reads the source as it is: run verify first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/commands.h"
#include "audit/filter.h"
#include "audit/timeparse.h"
#include "common/cli.h"
#include "common/util.h"
#include "crypto/leaf.h"
#include "log/report.h"
#include "log/report_appeals.h"
#include "log/report_json.h"

static const char report_usage[] =
    "usage: ankang-audit report (--db FILE | --server URL --token T) [--since TIME]\n"
    "                           [--until TIME] [--hours HH-HH] [--json] [RULES]\n"
    "\n"
    "Counts entries by action, result and actor, and flags: look-ups without a\n"
    "purpose; officers whose status changes are far above the others'; scans\n"
    "outside the expected local hours; bursts of denied results; officers\n"
    "reading residents in bursts; appeals overdue (unanswered past their due),\n"
    "counted by the team of the officer who set the status appealed. Exit 0\n"
    "when nothing is flagged, 1 when something is, 2 on errors.\n"
    "\n" OPTS_SOURCE_USAGE "  --since/--until TIME  leaf times [since, until), as for entries\n"
    "  --hours HH-HH       local hours in which scans are expected (default 06-22)\n"
    "  --json              one JSON object\n"
    "RULES (defaults in brackets):\n"
    "  --busy-factor F     flag an officer with more than F x the median of\n"
    "                      officers' status changes [3] ...\n"
    "  --busy-min N        ... and at least N of them [10]\n"
    "  --burst N           flag N or more denied results ... [10]\n"
    "  --burst-window S    ... within S seconds, per actor and overall [60]\n"
    "  --read-burst N      flag an officer with N or more lookup or print_code\n"
    "                      entries ... [20]\n"
    "  --read-burst-window S  ... within S seconds [600]\n"
    "  --max-list N        list at most N flagged entries per flag [20]\n"
    "  --appeal-deadline S with --db: an appeal is overdue S seconds after it\n"
    "                      opened [each appeal's own due, from the service's\n"
    "                      --appeal-deadline when it opened]; a server judges\n"
    "                      by its own\n";

enum {
	OPT_SINCE = OPT_FIRST_LOCAL,
	OPT_UNTIL,
	OPT_HOURS,
	OPT_JSON,
	OPT_BUSY_FACTOR,
	OPT_BUSY_MIN,
	OPT_BURST,
	OPT_BURST_WINDOW,
	OPT_READ_BURST,
	OPT_READ_BURST_WINDOW,
	OPT_MAX_LIST,
	OPT_APPEAL_DEADLINE
};

struct feeder {
	report *r;
	int nomem;
};

static int feed(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct feeder *fd = ctx;

	if (report_add_bytes(fd->r, idx, leaf, len) != 0) {
		fd->nomem = 1;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ text */

static void text_event(const struct report_event *e)
{
	char when[AUDIT_TIME_TEXT], actor[48];

	audit_time_local(when, e->time_ms);
	leaf_actor_text(actor, e->role, e->id);
	printf("      index %-8llu %s  %-14s %s\n", (unsigned long long)e->index, when, actor,
	       leaf_action_word(e->action));
}

static void text_more(size_t listed, uint64_t total)
{
	if (total > listed)
		printf("      ... and %llu more\n", (unsigned long long)(total - listed));
}

/* The appeals section's flag, in words. */
static void text_appeals(const json_t *a)
{
	const json_t *v;
	size_t i;
	json_int_t overdue = json_integer_value(json_object_get(a, "overdue"));
	char when[AUDIT_TIME_TEXT], due[AUDIT_TIME_TEXT];

	if (overdue <= 0)
		return;
	printf("  [!] %lld appeal%s overdue (unanswered past due; %lld open), by the team of the "
	       "officer who set the status appealed:\n",
	       (long long)overdue, overdue == 1 ? "" : "s",
	       (long long)json_integer_value(json_object_get(a, "open")));
	json_array_foreach(json_object_get(a, "overdue_by_team"), i, v)
	{
		const char *team = json_string_value(json_object_get(v, "team"));
		printf("      %-18s %lld\n", team ? team : "(no team)",
		       (long long)json_integer_value(json_object_get(v, "count")));
	}
	json_array_foreach(json_object_get(a, "overdue_list"), i, v)
	{
		const char *officer = json_string_value(json_object_get(v, "officer"));
		const char *team = json_string_value(json_object_get(v, "team"));
		json_t *id = json_object_get(v, "officer_id");
		audit_time_local(when, (uint64_t)json_integer_value(json_object_get(v, "opened")) *
					   1000u);
		audit_time_local(due,
				 (uint64_t)json_integer_value(json_object_get(v, "due")) * 1000u);
		printf("      %s  opened %s, due %s, status set by ",
		       json_string_value(json_object_get(v, "appeal")), when, due);
		if (json_is_integer(id))
			printf("officer:%lld%s%s%s", (long long)json_integer_value(id),
			       officer ? " (" : "", officer ? officer : "", officer ? ")" : "");
		else
			printf("enrolment");
		printf("%s%s\n", team ? ", team " : "", team ? team : "");
	}
	if ((json_int_t)json_array_size(json_object_get(a, "overdue_list")) < overdue)
		printf("      ... and %lld more\n",
		       (long long)(overdue - (json_int_t)json_array_size(
						 json_object_get(a, "overdue_list"))));
}

static int appeals_flagged(const json_t *a)
{
	return a != NULL && json_integer_value(json_object_get(a, "overdue")) > 0;
}

static void print_text(const struct report_result *res, const struct report_config *c,
		       const json_t *appeals)
{
	char a[AUDIT_TIME_TEXT], b[AUDIT_TIME_TEXT], actor[48];

	if (res->leaves == 0) {
		printf("Audit report: no entries in range (%llu read)\n",
		       (unsigned long long)res->seen);
	} else {
		audit_time_local(a, res->min_time_ms);
		audit_time_local(b, res->max_time_ms);
		printf("Audit report: %llu entries (index %llu to %llu), %s to %s local time\n",
		       (unsigned long long)res->leaves, (unsigned long long)res->first_index,
		       (unsigned long long)res->last_index, a, b);
	}
	if (res->unparsable)
		printf("  %llu leaves do not parse (first: index %llu) and are not counted\n",
		       (unsigned long long)res->unparsable,
		       (unsigned long long)res->first_unparsable);

	printf("\nBy action:\n");
	for (int i = 0; i < ACT_COUNT; i++)
		if (res->by_action[i])
			printf("  %-18s %10llu\n", leaf_action_word(i),
			       (unsigned long long)res->by_action[i]);
	printf("\nBy result:\n");
	for (int i = 0; i < RES_COUNT; i++)
		if (res->by_result[i])
			printf("  %-18s %10llu\n", leaf_result_word(i),
			       (unsigned long long)res->by_result[i]);
	printf("\nBy actor:\n  %-18s %10s %10s %10s  %s\n", "ACTOR", "ENTRIES", "DENIED",
	       "OFF-HOURS", "MOST FREQUENT ACTION");
	for (size_t i = 0; i < res->nactors; i++) {
		const struct report_actor *x = &res->actors[i];
		int top = 0;
		for (int k = 1; k < ACT_COUNT; k++)
			if (x->by_action[k] > x->by_action[top])
				top = k;
		leaf_actor_text(actor, x->role, x->id);
		printf("  %-18s %10llu %10llu %10llu  %s (%llu)\n", actor,
		       (unsigned long long)x->total, (unsigned long long)x->denied,
		       (unsigned long long)x->off_hours, leaf_action_word(top),
		       (unsigned long long)x->by_action[top]);
	}

	if (appeals != NULL)
		printf("\nAppeals: %lld open, %lld overdue\n",
		       (long long)json_integer_value(json_object_get(appeals, "open")),
		       (long long)json_integer_value(json_object_get(appeals, "overdue")));
	printf("\nFlags:\n");
	if (!report_flagged(res) && !appeals_flagged(appeals))
		printf("  none\n");
	if (appeals != NULL)
		text_appeals(appeals);
	if (res->no_purpose_total) {
		printf("  [!] %llu look-ups without a purpose:\n",
		       (unsigned long long)res->no_purpose_total);
		for (size_t i = 0; i < res->nno_purpose; i++)
			text_event(&res->no_purpose[i]);
		text_more(res->nno_purpose, res->no_purpose_total);
	}
	if (res->nbusy) {
		printf("  [!] %zu officers with status changes far above the others (median %llu "
		       "over %zu officers; rule: at least %llu and more than %llu x the median):\n",
		       res->nbusy, (unsigned long long)res->officers_median, res->officers,
		       (unsigned long long)c->busy_min, (unsigned long long)c->busy_factor);
		for (size_t i = 0; i < res->nbusy; i++) {
			leaf_actor_text(actor, res->busy[i].role, res->busy[i].id);
			printf("      %-18s %llu status_set\n", actor,
			       (unsigned long long)res->busy[i].count);
		}
	}
	if (res->off_hours_total) {
		printf("  [!] %llu verifications outside the expected hours %02u-%02u local:\n",
		       (unsigned long long)res->off_hours_total, c->hours_from, c->hours_to);
		for (size_t i = 0; i < res->noff_hours; i++)
			text_event(&res->off_hours[i]);
		text_more(res->noff_hours, res->off_hours_total);
	}
	if (res->nbursts) {
		size_t shown = res->nbursts < c->max_list ? res->nbursts : c->max_list;
		printf("  [!] %zu burst%s of denied results (rule: %llu or more within %llu s):\n",
		       res->nbursts, res->nbursts == 1 ? "" : "s", (unsigned long long)c->burst_n,
		       (unsigned long long)c->burst_window_s);
		for (size_t i = 0; i < shown; i++) {
			const struct report_burst *x = &res->bursts[i];
			if (x->overall)
				snprintf(actor, sizeof actor, "all actors");
			else
				leaf_actor_text(actor, x->role, x->id);
			audit_time_local(a, x->start_ms);
			audit_time_local(b, x->end_ms);
			printf("      %-18s %llu denied, %s to %s, from index %llu\n", actor,
			       (unsigned long long)x->count, a, b,
			       (unsigned long long)x->first_index);
		}
		text_more(shown, res->nbursts);
	}
	if (res->nread_bursts) {
		size_t shown = res->nread_bursts < c->max_list ? res->nread_bursts : c->max_list;
		printf("  [!] %zu burst%s of officers reading residents (rule: %llu or more lookup "
		       "or print_code within %llu s):\n",
		       res->nread_bursts, res->nread_bursts == 1 ? "" : "s",
		       (unsigned long long)c->read_burst_n,
		       (unsigned long long)c->read_burst_window_s);
		for (size_t i = 0; i < shown; i++) {
			const struct report_burst *x = &res->read_bursts[i];
			leaf_actor_text(actor, x->role, x->id);
			audit_time_local(a, x->start_ms);
			audit_time_local(b, x->end_ms);
			printf("      %-18s %llu reads, %s to %s, from index %llu\n", actor,
			       (unsigned long long)x->count, a, b,
			       (unsigned long long)x->first_index);
		}
		text_more(shown, res->nread_bursts);
	}
	if (res->unparsable)
		printf("  [!] %llu leaves do not parse (first: index %llu)\n",
		       (unsigned long long)res->unparsable,
		       (unsigned long long)res->first_unparsable);
}

/* ------------------------------------------------------------------ main */

static int rule(const char *arg, const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	if (util_parse_u64(arg, strlen(arg), out) != 0 || *out < min || *out > max) {
		cli_error("report: %s takes a number from %llu to %llu", name,
			  (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
	    OPTS_SOURCE,
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"hours", required_argument, NULL, OPT_HOURS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"busy-factor", required_argument, NULL, OPT_BUSY_FACTOR},
	    {"busy-min", required_argument, NULL, OPT_BUSY_MIN},
	    {"burst", required_argument, NULL, OPT_BURST},
	    {"burst-window", required_argument, NULL, OPT_BURST_WINDOW},
	    {"read-burst", required_argument, NULL, OPT_READ_BURST},
	    {"read-burst-window", required_argument, NULL, OPT_READ_BURST_WINDOW},
	    {"max-list", required_argument, NULL, OPT_MAX_LIST},
	    {"appeal-deadline", required_argument, NULL, OPT_APPEAL_DEADLINE},
	    {NULL, 0, NULL, 0},
	};
	struct audit_opts o = {0};
	struct report_config cfg;
	struct feeder fd = {NULL, 0};
	const struct report_result *res;
	audit_source *src = NULL;
	json_t *appeals = NULL;
	uint64_t v, deadline = 0, as_of;
	int c, rc, json = 0, status = CLI_USAGE;

	report_config_default(&cfg);
	optind = 1;
	while ((c = opts_getopt(&o, argc, argv, opts, report_usage, &status)) > 0) {
		switch (c) {
		case OPT_SINCE:
			if (opts_time(optarg, "report", "--since", &cfg.since_ms) != CLI_OK)
				return CLI_USAGE;
			break;
		case OPT_UNTIL:
			if (opts_time(optarg, "report", "--until", &cfg.until_ms) != CLI_OK)
				return CLI_USAGE;
			break;
		case OPT_HOURS:
			if (audit_hours_parse(optarg, &cfg.hours_from, &cfg.hours_to) != 0) {
				cli_error("report: --hours takes HH-HH, hours 0 to 24");
				return CLI_USAGE;
			}
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_BUSY_FACTOR:
			if (rule(optarg, "--busy-factor", 1, 1000000, &cfg.busy_factor) != 0)
				return CLI_USAGE;
			break;
		case OPT_BUSY_MIN:
			if (rule(optarg, "--busy-min", 0, UINT64_MAX - 1, &cfg.busy_min) != 0)
				return CLI_USAGE;
			break;
		case OPT_BURST:
			if (rule(optarg, "--burst", 1, UINT64_MAX - 1, &cfg.burst_n) != 0)
				return CLI_USAGE;
			break;
		case OPT_BURST_WINDOW:
			if (rule(optarg, "--burst-window", 1, 86400u * 366u, &cfg.burst_window_s) !=
			    0)
				return CLI_USAGE;
			break;
		case OPT_READ_BURST:
			if (rule(optarg, "--read-burst", 1, UINT64_MAX - 1, &cfg.read_burst_n) != 0)
				return CLI_USAGE;
			break;
		case OPT_READ_BURST_WINDOW:
			if (rule(optarg, "--read-burst-window", 1, 86400u * 366u,
				 &cfg.read_burst_window_s) != 0)
				return CLI_USAGE;
			break;
		case OPT_MAX_LIST:
			if (rule(optarg, "--max-list", 0, 100000, &v) != 0)
				return CLI_USAGE;
			cfg.max_list = (size_t)v;
			break;
		case OPT_APPEAL_DEADLINE:
			if (rule(optarg, "--appeal-deadline", 1, 366u * 86400u, &deadline) != 0)
				return CLI_USAGE;
			break;
		}
	}
	if (c < 0)
		return status;
	if ((rc = cli_no_operands(argc, argv, "report")) != CLI_OK)
		return rc;
	if ((rc = report_new(&fd.r, &cfg)) != 0) {
		cli_error("report: %s", ak_strerror(rc));
		return CLI_USAGE;
	}
	if ((rc = opts_open_source(&o, "report", &src)) != CLI_OK) {
		report_free(fd.r);
		return rc;
	}
	rc = source_entries(src, 0, UINT64_MAX, feed, &fd);
	if (fd.nomem || rc < 0) {
		cli_error("report: %s: %s", source_name(src),
			  fd.nomem ? "out of memory" : source_what(src));
		goto done;
	}
	if ((rc = report_finish(fd.r)) != 0) {
		cli_error("report: %s", ak_strerror(rc));
		goto done;
	}
	res = report_result(fd.r);
	/* As of --until when given, else now. */
	as_of = cfg.until_ms != UINT64_MAX && cfg.until_ms != 0 ? cfg.until_ms / 1000u : util_now();
	rc = source_appeals(src, as_of, deadline, cfg.max_list, &appeals);
	if (rc != 0 && rc != AK_ENOENT) {
		cli_error("report: %s: %s", source_name(src), source_what(src));
		goto done;
	}
	if (json) {
		json_t *j = report_json(res, &cfg, NULL, NULL);
		char *s;
		if (j != NULL && appeals != NULL &&
		    (json_object_set(j, "appeals", appeals) != 0 ||
		     (appeals_flagged(appeals) &&
		      json_object_set_new(j, "flagged", json_true()) != 0))) {
			json_decref(j);
			j = NULL;
		}
		s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (s == NULL) {
			cli_error("report: out of memory");
			goto done;
		}
		puts(s);
		free(s);
	} else {
		print_text(res, &cfg, appeals);
	}
	if (fflush(stdout) != 0) {
		cli_error("report: writing the output failed");
		goto done;
	}
	status = report_flagged(res) || appeals_flagged(appeals) ? CLI_FAILED : CLI_OK;
done:
	json_decref(appeals);
	report_free(fd.r);
	opts_close_source(src);
	return status;
}
