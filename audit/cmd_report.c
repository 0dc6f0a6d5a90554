/*
 * ankang-audit report: the inspector's summary of the log (rules in
 * report.h): counts by action, result and actor, and the flags. Plain
 * text for a person, or one JSON object with --json.
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
#include "audit/report.h"
#include "audit/timeparse.h"
#include "common/cli.h"
#include "common/util.h"
#include "crypto/leaf.h"

static const char report_usage[] =
    "usage: ankang-audit report (--db FILE | --server URL --token T) [--since TIME]\n"
    "                           [--until TIME] [--hours HH-HH] [--json] [RULES]\n"
    "\n"
    "Counts entries by action, result and actor, and flags: look-ups without a\n"
    "purpose; officers whose status changes are far above the others'; scans\n"
    "outside the expected local hours; bursts of denied results; officers\n"
    "reading residents in bursts. Exit 0 when nothing is flagged, 1 when\n"
    "something is, 2 on errors.\n"
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
    "  --max-list N        list at most N flagged entries per flag [20]\n";

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
	OPT_MAX_LIST
};

struct feeder {
	report *r;
	int nomem;
};

static int feed(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct feeder *fd = ctx;
	struct leaf l;

	if (len > LEAF_MAX || leaf_parse(&l, leaf, len) != 0) {
		report_add_unparsable(fd->r, idx);
		return 0;
	}
	if (report_add(fd->r, idx, &l) != 0) {
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

static void print_text(const struct report_result *res, const struct report_config *c)
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

	printf("\nFlags:\n");
	if (!report_flagged(res))
		printf("  none\n");
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

/* ------------------------------------------------------------------ JSON */

static json_t *json_actor(int role, uint64_t id)
{
	char actor[48];

	leaf_actor_text(actor, role, id);
	return json_string(actor);
}

static json_t *json_events(const struct report_event *ev, size_t n, uint64_t total)
{
	json_t *o = json_object(), *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "index", json_integer((json_int_t)ev[i].index));
		json_object_set_new(e, "time_ms", json_integer((json_int_t)ev[i].time_ms));
		json_object_set_new(e, "actor", json_actor(ev[i].role, ev[i].id));
		json_object_set_new(e, "action", json_string(leaf_action_word(ev[i].action)));
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	json_object_set_new(o, "listed", arr);
	return o;
}

/* {"n", "window_s", "total", "listed": [{actor, count, start_ms, end_ms,
 * first_index}]}: the first max_list of bursts b[0..n). */
static json_t *json_bursts(const struct report_burst *b, size_t n, uint64_t rule_n,
			   uint64_t window_s, size_t max_list)
{
	json_t *f = json_object(), *arr = json_array();

	json_object_set_new(f, "n", json_integer((json_int_t)rule_n));
	json_object_set_new(f, "window_s", json_integer((json_int_t)window_s));
	for (size_t i = 0; i < n && i < max_list; i++) {
		const struct report_burst *x = &b[i];
		json_t *o = json_object();
		json_object_set_new(o, "actor",
				    x->overall ? json_string("all") : json_actor(x->role, x->id));
		json_object_set_new(o, "count", json_integer((json_int_t)x->count));
		json_object_set_new(o, "start_ms", json_integer((json_int_t)x->start_ms));
		json_object_set_new(o, "end_ms", json_integer((json_int_t)x->end_ms));
		json_object_set_new(o, "first_index", json_integer((json_int_t)x->first_index));
		json_array_append_new(arr, o);
	}
	json_object_set_new(f, "total", json_integer((json_int_t)n));
	json_object_set_new(f, "listed", arr);
	return f;
}

static json_t *json_report(const struct report_result *res, const struct report_config *c)
{
	json_t *o = json_object(), *m, *arr, *flags = json_object(), *f;
	char hours[8];

	json_object_set_new(o, "entries", json_integer((json_int_t)res->leaves));
	json_object_set_new(o, "read", json_integer((json_int_t)res->seen));
	json_object_set_new(o, "first_index", json_integer((json_int_t)res->first_index));
	json_object_set_new(o, "last_index", json_integer((json_int_t)res->last_index));
	json_object_set_new(o, "first_time_ms", json_integer((json_int_t)res->min_time_ms));
	json_object_set_new(o, "last_time_ms", json_integer((json_int_t)res->max_time_ms));
	json_object_set_new(o, "unparsable", json_integer((json_int_t)res->unparsable));
	if (res->unparsable)
		json_object_set_new(o, "first_unparsable",
				    json_integer((json_int_t)res->first_unparsable));

	m = json_object();
	for (int i = 0; i < ACT_COUNT; i++)
		if (res->by_action[i])
			json_object_set_new(m, leaf_action_word(i),
					    json_integer((json_int_t)res->by_action[i]));
	json_object_set_new(o, "by_action", m);
	m = json_object();
	for (int i = 0; i < RES_COUNT; i++)
		if (res->by_result[i])
			json_object_set_new(m, leaf_result_word(i),
					    json_integer((json_int_t)res->by_result[i]));
	json_object_set_new(o, "by_result", m);
	arr = json_array();
	for (size_t i = 0; i < res->nactors; i++) {
		const struct report_actor *x = &res->actors[i];
		json_t *a = json_object(), *acts = json_object();
		json_object_set_new(a, "actor", json_actor(x->role, x->id));
		json_object_set_new(a, "entries", json_integer((json_int_t)x->total));
		json_object_set_new(a, "denied", json_integer((json_int_t)x->denied));
		json_object_set_new(a, "off_hours", json_integer((json_int_t)x->off_hours));
		for (int k = 0; k < ACT_COUNT; k++)
			if (x->by_action[k])
				json_object_set_new(acts, leaf_action_word(k),
						    json_integer((json_int_t)x->by_action[k]));
		json_object_set_new(a, "by_action", acts);
		json_array_append_new(arr, a);
	}
	json_object_set_new(o, "by_actor", arr);

	json_object_set_new(flags, "lookup_without_purpose",
			    json_events(res->no_purpose, res->nno_purpose, res->no_purpose_total));
	f = json_object();
	json_object_set_new(f, "median", json_integer((json_int_t)res->officers_median));
	json_object_set_new(f, "officers", json_integer((json_int_t)res->officers));
	json_object_set_new(f, "factor", json_integer((json_int_t)c->busy_factor));
	json_object_set_new(f, "min", json_integer((json_int_t)c->busy_min));
	arr = json_array();
	for (size_t i = 0; i < res->nbusy; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "actor", json_actor(res->busy[i].role, res->busy[i].id));
		json_object_set_new(x, "status_set", json_integer((json_int_t)res->busy[i].count));
		json_array_append_new(arr, x);
	}
	json_object_set_new(f, "officers_flagged", arr);
	json_object_set_new(flags, "busy_officers", f);
	f = json_events(res->off_hours, res->noff_hours, res->off_hours_total);
	snprintf(hours, sizeof hours, "%02u-%02u", c->hours_from, c->hours_to);
	json_object_set_new(f, "hours", json_string(hours));
	json_object_set_new(flags, "off_hours", f);
	json_object_set_new(
	    flags, "denied_bursts",
	    json_bursts(res->bursts, res->nbursts, c->burst_n, c->burst_window_s, c->max_list));
	json_object_set_new(flags, "officer_read_bursts",
			    json_bursts(res->read_bursts, res->nread_bursts, c->read_burst_n,
					c->read_burst_window_s, c->max_list));
	json_object_set_new(o, "flags", flags);
	json_object_set_new(o, "flagged", json_boolean(report_flagged(res)));
	return o;
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
	    {NULL, 0, NULL, 0},
	};
	struct audit_opts o = {0};
	struct report_config cfg;
	struct feeder fd = {NULL, 0};
	const struct report_result *res;
	audit_source *src = NULL;
	uint64_t v;
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
	if (json) {
		json_t *j = json_report(res, &cfg);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (s == NULL) {
			cli_error("report: out of memory");
			goto done;
		}
		puts(s);
		free(s);
	} else {
		print_text(res, &cfg);
	}
	if (fflush(stdout) != 0) {
		cli_error("report: writing the output failed");
		goto done;
	}
	status = report_flagged(res) ? CLI_FAILED : CLI_OK;
done:
	report_free(fd.r);
	source_close(src);
	return status;
}
