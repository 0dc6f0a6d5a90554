/*
 * test_audit: the pure parts of ankang-audit: TIME and HOURS parsing, the
 * selection filter, the report's rules (lower median, busy officers,
 * off-hours scans, denied bursts, officers' read bursts), the tlog-proof
 * text form and the parsing of the server's JSON bodies. Every parser gets
 * its rejections.
 *
 * Times are checked in UTC and in a fixed-offset zone set through TZ, so
 * the results do not depend on the machine's zone.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/filter.h"
#include "audit/timeparse.h"
#include "audit/tlogproof.h"
#include "audit/wire.h"
#include "common/httpc.h"
#include "common/util.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"
#include "log/report.h"
#include "tests/lib/tap.h"

/* 2025-03-01T00:00:00Z */
#define BASE_S 1740787200ULL
#define H_MS   3600000ULL

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* ------------------------------------------------------------------ time */

static void test_time(void)
{
	static const struct {
		const char *in;
		unsigned long long want_s;
	} good[] = {
	    {"0", 0},
	    {"1740787200", BASE_S},
	    {"2025-03-01", BASE_S},
	    {"2025-03-01T00:00Z", BASE_S},
	    {"2025-03-01T08:30Z", BASE_S + 8 * 3600 + 1800},
	    {"2025-03-01 08:30:15Z", BASE_S + 8 * 3600 + 1800 + 15},
	    {"2025-03-01T08:00+08:00", BASE_S},
	    {"2025-02-28T19:00-05:00", BASE_S},
	    {"2024-02-29T12:00Z", 1709208000},
	    {"1970-01-01T00:00:00Z", 0},
	    {"2000-01-01", 946684800},
	    {"9999-12-31T23:59:59Z", 253402300799ULL},
	};
	static const char *const bad[] = {
	    "",
	    "-1",
	    "01740787200",
	    "1e9",
	    "253402300800",
	    "2025-3-1",
	    "2025-02-29",
	    "2023-02-29",
	    "1900-02-29",
	    "2025-13-01",
	    "2025-00-10",
	    "2025-04-31",
	    "2025-03-01T24:00Z",
	    "2025-03-01T12:60Z",
	    "2025-03-01T12:00:60Z",
	    "2025-03-01T12Z",
	    "2025-03-01T12:00:0Z",
	    "2025-03-01Z2",
	    "2025-03-01T12:00+8",
	    "2025-03-01T12:00+24:00",
	    "2025-03-01T12:00 ",
	    "1969-12-31",
	    "yesterday",
	    "2025-03-01T12:00Zjunk",
	    "2025/03/01",
	    "1970-01-01T07:00+08:00",
	};
	uint64_t ms;
	char out[AUDIT_TIME_TEXT];

	set_tz("UTC0");
	for (size_t i = 0; i < AK_ARRAY_LEN(good); i++) {
		ms = 1;
		is_int(audit_time_parse(good[i].in, &ms), 0, "time '%s' parses", good[i].in);
		is_int(ms, good[i].want_s * 1000, "time '%s' is %llu s", good[i].in,
		       good[i].want_s);
	}
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
		is_int(audit_time_parse(bad[i], &ms), AK_EINVAL, "time '%s' is refused", bad[i]);

	/* Without a zone: local time, here eight hours ahead of UTC. */
	set_tz("CST-8");
	ok(audit_time_parse("2025-03-01T08:00", &ms) == 0 && ms == BASE_S * 1000,
	   "a zone-less time is local (UTC+8)");
	ok(audit_time_parse("2025-03-01", &ms) == 0 && ms == (BASE_S - 8 * 3600) * 1000,
	   "a date alone is local midnight");
	ok(audit_time_parse("2025-03-01T08:00Z", &ms) == 0 && ms == (BASE_S + 8 * 3600) * 1000,
	   "Z ignores the local zone");
	audit_time_local(out, BASE_S * 1000);
	is_str(out, "2025-03-01 08:00:00", "local time is printed in TZ");
	is_int(report_local_hour(BASE_S * 1000 + 20 * H_MS), 4, "local hour wraps past midnight");
	set_tz("UTC0");
	audit_time_local(out, BASE_S * 1000 + 999);
	is_str(out, "2025-03-01 00:00:00", "milliseconds are cut, not rounded");
	audit_time_local(out, UINT64_MAX);
	is_str(out, "?", "a time beyond the year 9999 prints as ?");
	is_int(report_local_hour(UINT64_MAX), -1, "and has no hour");
}

static void test_hours(void)
{
	unsigned f, t;

	ok(audit_hours_parse("06-22", &f, &t) == 0 && f == 6 && t == 22, "hours 06-22");
	ok(audit_hours_parse("6-22", &f, &t) == 0 && f == 6 && t == 22, "hours 6-22");
	ok(audit_hours_parse("22-06", &f, &t) == 0 && f == 22 && t == 6, "hours 22-06 (wrapping)");
	ok(audit_hours_parse("0-24", &f, &t) == 0 && f == 0 && t == 0, "hours 0-24 is all day");
	is_int(audit_hours_parse("06", &f, &t), AK_EINVAL, "hours without a dash");
	is_int(audit_hours_parse("06-25", &f, &t), AK_EINVAL, "hour 25");
	is_int(audit_hours_parse("006-22", &f, &t), AK_EINVAL, "three digits");
	is_int(audit_hours_parse("-22", &f, &t), AK_EINVAL, "empty from");
	is_int(audit_hours_parse("06-", &f, &t), AK_EINVAL, "empty to");
	is_int(audit_hours_parse("a6-22", &f, &t), AK_EINVAL, "not a digit");

	ok(report_hour_expected(6, 6, 22) && report_hour_expected(21, 6, 22),
	   "06-22 includes 6, 21");
	ok(!report_hour_expected(22, 6, 22) && !report_hour_expected(5, 6, 22),
	   "06-22 excludes 22 and 5");
	ok(report_hour_expected(23, 22, 6) && report_hour_expected(0, 22, 6) &&
	       !report_hour_expected(6, 22, 6) && !report_hour_expected(12, 22, 6),
	   "22-06 wraps midnight");
	ok(report_hour_expected(3, 0, 0) && report_hour_expected(23, 0, 0),
	   "0-24 expects every hour");
}

/* ---------------------------------------------------------------- filter */

static struct leaf mk(uint64_t t_ms, enum leaf_role role, uint64_t id, enum leaf_action a,
		      enum leaf_result r, enum leaf_detail d)
{
	struct leaf l;

	memset(&l, 0, sizeof l);
	l.time_ms = t_ms;
	l.role = role;
	l.actor_id = id;
	l.action = a;
	l.result = r;
	l.detail = d;
	return l;
}

static void test_filter(void)
{
	struct audit_filter f;
	struct leaf l = mk(5000, ROLE_OFFICER, 7, ACT_STATUS_SET, RES_OK, DET_CLOSE_CONTACT);
	char text[48];

	audit_filter_init(&f);
	ok(audit_filter_match(&f, &l), "an empty filter selects everything");
	f.since_ms = 5000;
	f.until_ms = 5001;
	ok(audit_filter_match(&f, &l), "since is inclusive");
	f.until_ms = 5000;
	ok(!audit_filter_match(&f, &l), "until is exclusive");

	audit_filter_init(&f);
	is_int(audit_filter_actor(&f, "officer:7"), 0, "--actor officer:7");
	ok(audit_filter_match(&f, &l), "selects officer 7");
	l.actor_id = 8;
	ok(!audit_filter_match(&f, &l), "and not officer 8");
	is_int(audit_filter_actor(&f, "officer"), 0, "--actor officer");
	ok(audit_filter_match(&f, &l), "selects any officer");
	is_int(audit_filter_actor(&f, "admin:-"), 0, "--actor admin:-");
	l = mk(1, ROLE_ADMIN, LEAF_NO_ID, ACT_ISSUE, RES_OK, DET_GREEN);
	ok(audit_filter_match(&f, &l), "selects the command-line admin");
	l.actor_id = 1;
	ok(!audit_filter_match(&f, &l), "and not admin 1");
	is_int(audit_filter_actor(&f, "officer:"), AK_EINVAL, "--actor officer: (empty id)");
	is_int(audit_filter_actor(&f, "officer:07"), AK_EINVAL, "--actor with a leading zero");
	is_int(audit_filter_actor(&f, "boss:1"), AK_EINVAL, "--actor with an unknown role");
	is_int(audit_filter_actor(&f, "officer:18446744073709551615"), AK_EINVAL,
	       "--actor with the reserved id");

	audit_filter_init(&f);
	is_int(audit_filter_action(&f, "lookup"), 0, "--action lookup");
	is_int(audit_filter_action(&f, "lookups"), AK_EINVAL, "--action lookups");
	l = mk(1, ROLE_OFFICER, 1, ACT_LOOKUP, RES_OK, DET_EMPTY);
	ok(audit_filter_match(&f, &l), "selects a lookup");
	l.action = ACT_VERIFY;
	ok(!audit_filter_match(&f, &l), "and not a verify");

	audit_filter_init(&f);
	is_int(audit_filter_subject(&f, "00112233445566778899aabbccddeeff"), 0, "--subject");
	is_int(audit_filter_subject(&f, "00112233"), AK_EINVAL, "--subject too short");
	is_int(audit_filter_subject(&f, "00112233445566778899aabbccddeefg"), AK_EINVAL,
	       "--subject not hex");
	l = mk(1, ROLE_VERIFIER, 2, ACT_VERIFY, RES_VALID, DET_GREEN);
	ok(!audit_filter_match(&f, &l), "a leaf without a subject is not selected");
	l.has_subject = 1;
	util_hex_decode(l.subject, LEAF_ID_BYTES, "00112233445566778899aabbccddeeff", 32);
	ok(audit_filter_match(&f, &l), "the same subject is");
	l.subject[15] ^= 1;
	ok(!audit_filter_match(&f, &l), "another is not");

	leaf_actor_text(text, ROLE_VERIFIER, 12);
	is_str(text, "verifier:12", "actor text with an id");
	leaf_actor_text(text, ROLE_RESIDENT, LEAF_NO_ID);
	is_str(text, "resident:-", "actor text without one");
}

/* ---------------------------------------------------------------- report */

static report *new_report(const struct report_config *c)
{
	report *r = NULL;

	if (report_new(&r, c) != 0)
		bail_out("report_new failed");
	return r;
}

static void add(report *r, uint64_t *idx, struct leaf l)
{
	if (report_add(r, (*idx)++, &l) != 0)
		bail_out("report_add failed");
}

static void test_report_officers(void)
{
	struct report_config c;
	const struct report_result *res;
	report *r;
	uint64_t idx = 0;
	static const unsigned counts[] = {2, 3, 4, 2, 3, 40};

	report_config_default(&c);
	r = new_report(&c);
	for (size_t o = 0; o < AK_ARRAY_LEN(counts); o++)
		for (unsigned k = 0; k < counts[o]; k++)
			add(r, &idx,
			    mk(BASE_S * 1000 + 10 * H_MS, ROLE_OFFICER, o + 1, ACT_STATUS_SET,
			       RES_OK, DET_CLOSE_CONTACT));
	/* Officers who only look people up do not count toward the median. */
	add(r, &idx,
	    mk(BASE_S * 1000 + 10 * H_MS, ROLE_OFFICER, 50, ACT_LOOKUP, RES_OK, DET_PAPER_CODE));
	is_int(report_finish(r), 0, "report_finish");
	res = report_result(r);
	is_int(res->officers, 6, "six officers changed a status");
	is_int(res->officers_median, 3, "the lower median of 2,2,3,3,4,40 is 3");
	is_int(res->nbusy, 1, "one officer is far above the others");
	ok(res->nbusy == 1 && res->busy[0].id == 6 && res->busy[0].count == 40,
	   "officer 6, with 40");
	is_int(res->nactors, 7, "seven actors");
	ok(res->actors[0].role == ROLE_OFFICER && res->actors[0].id == 1 && res->actors[6].id == 50,
	   "actors sorted by role and id");
	ok(report_flagged(res), "flagged");
	report_free(r);

	/* Two officers: the lower median is the smaller count. */
	r = new_report(&c);
	idx = 0;
	for (unsigned k = 0; k < 12; k++)
		add(r, &idx, mk(1, ROLE_OFFICER, 1, ACT_STATUS_SET, RES_OK, DET_RECOVERED));
	for (unsigned k = 0; k < 3; k++)
		add(r, &idx, mk(1, ROLE_OFFICER, 2, ACT_STATUS_SET, RES_OK, DET_RECOVERED));
	report_finish(r);
	res = report_result(r);
	ok(res->officers_median == 3 && res->nbusy == 1 && res->busy[0].id == 1,
	   "of two officers the lower count is the median: 12 > 3 x 3 is flagged");
	report_free(r);

	/* The minimum count: 9 changes against a median of 1 are not enough. */
	r = new_report(&c);
	idx = 0;
	for (unsigned k = 0; k < 9; k++)
		add(r, &idx, mk(1, ROLE_OFFICER, 1, ACT_STATUS_SET, RES_OK, DET_RECOVERED));
	add(r, &idx, mk(1, ROLE_OFFICER, 2, ACT_STATUS_SET, RES_OK, DET_RECOVERED));
	add(r, &idx, mk(1, ROLE_OFFICER, 3, ACT_STATUS_SET, RES_OK, DET_RECOVERED));
	report_finish(r);
	res = report_result(r);
	is_int(res->nbusy, 0, "fewer than busy_min (10) is never flagged");
	report_free(r);

	/* One officer alone has no one to be compared with. */
	r = new_report(&c);
	idx = 0;
	for (unsigned k = 0; k < 100; k++)
		add(r, &idx, mk(1, ROLE_OFFICER, 1, ACT_STATUS_SET, RES_OK, DET_RECOVERED));
	report_finish(r);
	ok(report_result(r)->nbusy == 0 && !report_flagged(report_result(r)),
	   "a single officer is never flagged");
	report_free(r);
}

static void test_report_flags(void)
{
	struct report_config c;
	const struct report_result *res;
	report *r;
	uint64_t idx = 0, t0 = BASE_S * 1000;

	set_tz("UTC0");
	report_config_default(&c);
	c.max_list = 3;
	r = new_report(&c);
	/* Five look-ups without a purpose, one with. */
	for (int k = 0; k < 5; k++)
		add(r, &idx, mk(t0 + 10 * H_MS, ROLE_OFFICER, 3, ACT_LOOKUP, RES_OK, DET_EMPTY));
	add(r, &idx, mk(t0 + 10 * H_MS, ROLE_OFFICER, 3, ACT_LOOKUP, RES_OK, DET_APPEAL_REVIEW));
	/* Scans at 05:59:59, 06:00, 21:59:59, 22:00 and 03:00 (offline). */
	add(r, &idx, mk(t0 + 6 * H_MS - 1000, ROLE_VERIFIER, 1, ACT_VERIFY, RES_VALID, DET_GREEN));
	add(r, &idx, mk(t0 + 6 * H_MS, ROLE_VERIFIER, 1, ACT_VERIFY, RES_VALID, DET_GREEN));
	add(r, &idx, mk(t0 + 22 * H_MS - 1000, ROLE_VERIFIER, 1, ACT_VERIFY, RES_VALID, DET_GREEN));
	add(r, &idx, mk(t0 + 22 * H_MS, ROLE_VERIFIER, 1, ACT_VERIFY, RES_VALID, DET_GREEN));
	add(r, &idx, mk(t0 + 3 * H_MS, ROLE_VERIFIER, 2, ACT_VERIFY_OFFLINE, RES_VALID, DET_GREEN));
	/* A status change at night is not a scan. */
	add(r, &idx, mk(t0 + 2 * H_MS, ROLE_OFFICER, 3, ACT_STATUS_SET, RES_OK, DET_RECOVERED));
	is_int(report_finish(r), 0, "report_finish");
	res = report_result(r);
	is_int(res->no_purpose_total, 5, "five look-ups without a purpose");
	is_int(res->nno_purpose, 3, "listed up to max_list");
	ok(res->no_purpose[0].index == 0 && res->no_purpose[2].index == 2,
	   "listed in the order read");
	is_int(res->off_hours_total, 3, "05:59:59, 22:00 and 03:00 are off hours");
	ok(res->off_hours[0].index == 6 && res->off_hours[1].index == 9 &&
	       res->off_hours[2].index == 10,
	   "the right three");
	is_int(res->by_action[ACT_LOOKUP], 6, "counted by action");
	is_int(res->by_result[RES_VALID], 5, "counted by result");
	report_free(r);

	/* The same scans in a zone eight hours ahead: other hours are night. */
	set_tz("CST-8");
	r = new_report(&c);
	idx = 0;
	add(r, &idx, mk(t0 + 3 * H_MS, ROLE_VERIFIER, 2, ACT_VERIFY, RES_VALID, DET_GREEN));
	add(r, &idx, mk(t0 + 15 * H_MS, ROLE_VERIFIER, 2, ACT_VERIFY, RES_VALID, DET_GREEN));
	report_finish(r);
	ok(report_result(r)->off_hours_total == 1 && report_result(r)->off_hours[0].index == 1,
	   "off hours follow the local zone (03:00Z is 11:00, 15:00Z is 23:00)");
	report_free(r);
	set_tz("UTC0");

	/* The time range. */
	c.since_ms = t0 + 10 * H_MS;
	c.until_ms = t0 + 11 * H_MS;
	r = new_report(&c);
	idx = 0;
	add(r, &idx, mk(t0 + 10 * H_MS - 1, ROLE_OFFICER, 3, ACT_LOOKUP, RES_OK, DET_EMPTY));
	add(r, &idx, mk(t0 + 10 * H_MS, ROLE_OFFICER, 3, ACT_LOOKUP, RES_OK, DET_EMPTY));
	add(r, &idx, mk(t0 + 11 * H_MS, ROLE_OFFICER, 3, ACT_LOOKUP, RES_OK, DET_EMPTY));
	report_add_unparsable(r, 3);
	report_finish(r);
	res = report_result(r);
	ok(res->leaves == 1 && res->seen == 4 && res->first_index == 1 && res->last_index == 1,
	   "only [since, until) is counted");
	ok(res->unparsable == 1 && res->first_unparsable == 3, "unparsable leaves are counted");
	is_int(report_add(r, 9, &(struct leaf){0}), AK_EINVAL, "no adding after finish");
	report_free(r);
}

static void test_report_bursts(void)
{
	struct report_config c;
	const struct report_result *res;
	report *r;
	uint64_t idx = 0, t0 = BASE_S * 1000;

	report_config_default(&c); /* 10 within 60 s */
	r = new_report(&c);
	/* Verifier 9: ten denials 6 s apart (54 s in all): a burst. */
	for (int k = 0; k < 10; k++)
		add(r, &idx, mk(t0 + k * 6000, ROLE_VERIFIER, 9, ACT_LOGIN, RES_DENIED, DET_EMPTY));
	/* Verifier 8: nine denials 1 s apart: one short of a burst alone. */
	for (int k = 0; k < 9; k++)
		add(r, &idx,
		    mk(t0 + 3600000 + k * 1000, ROLE_VERIFIER, 8, ACT_LOGIN, RES_DENIED,
		       DET_EMPTY));
	/* ...but with one from officer 2 in the same minute, a burst overall. */
	add(r, &idx, mk(t0 + 3600000 + 30000, ROLE_OFFICER, 2, ACT_LOGIN, RES_DENIED, DET_EMPTY));
	/* Resident log-ins: ten denials 61 s apart: never ten in one window. */
	for (int k = 0; k < 10; k++)
		add(r, &idx,
		    mk(t0 + 7200000 + k * 61000, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN, RES_DENIED,
		       DET_EMPTY));
	/* Results other than denied do not count. */
	for (int k = 0; k < 20; k++)
		add(r, &idx,
		    mk(t0 + 10800000 + k, ROLE_VERIFIER, 7, ACT_VERIFY, RES_BAD_SIGNATURE,
		       DET_EMPTY));
	is_int(report_finish(r), 0, "report_finish");
	res = report_result(r);
	is_int(res->nbursts, 3, "three bursts");
	ok(res->nbursts >= 2 && res->bursts[0].overall && res->bursts[0].count == 10 &&
	       res->bursts[0].start_ms == t0 && res->bursts[0].end_ms == t0 + 54000 &&
	       res->bursts[0].first_index == 0,
	   "overall: verifier 9's ten, from its first to its last");
	ok(res->nbursts >= 2 && res->bursts[1].overall && res->bursts[1].count == 10 &&
	       res->bursts[1].first_index == 10,
	   "overall: verifier 8's nine and officer 2's one, in time order");
	ok(res->nbursts == 3 && !res->bursts[2].overall && res->bursts[2].role == ROLE_VERIFIER &&
	       res->bursts[2].id == 9 && res->bursts[2].count == 10,
	   "per actor: only verifier 9");
	is_int(res->actors[0].denied, 10, "denials are counted per actor (resident:- first)");
	report_free(r);

	/* Overlapping windows merge; a window is inclusive of its length. */
	c.burst_n = 3;
	c.burst_window_s = 10;
	r = new_report(&c);
	idx = 0;
	{
		static const uint64_t ts[] = {0, 5000, 10000, 15000, 20000, 100000, 105000, 110000};
		for (size_t k = 0; k < AK_ARRAY_LEN(ts); k++)
			add(r, &idx,
			    mk(t0 + ts[k], ROLE_ADMIN, 1, ACT_LOGIN, RES_DENIED, DET_EMPTY));
	}
	report_finish(r);
	res = report_result(r);
	ok(res->nbursts == 4 && res->bursts[0].count == 5 && res->bursts[0].end_ms == t0 + 20000 &&
	       res->bursts[1].count == 3 && res->bursts[1].start_ms == t0 + 100000,
	   "0..20 s merge into one burst of five; 100..110 s is one of three");
	report_free(r);

	/* A failed log-in flood as the service writes it: the first failure,
	 * then one summary leaf whose size word stands for the rest. */
	report_config_default(&c); /* 10 within 60 s */
	r = new_report(&c);
	idx = 0;
	add(r, &idx, mk(t0, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN, RES_DENIED, DET_EMPTY));
	add(r, &idx,
	    mk(t0 + 30000, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN, RES_DENIED, DET_BURST_1000_PLUS));
	/* A small one an hour later: 1 + 2 to 9, counted as 3, no burst. */
	add(r, &idx, mk(t0 + 3600000, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN, RES_DENIED, DET_EMPTY));
	add(r, &idx,
	    mk(t0 + 3610000, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN, RES_DENIED, DET_BURST_2_9));
	/* burst_10_99 alone is ten attempts: a burst by itself. */
	add(r, &idx,
	    mk(t0 + 7200000, ROLE_RESIDENT, LEAF_NO_ID, ACT_LOGIN, RES_DENIED, DET_BURST_10_99));
	is_int(report_finish(r), 0, "report_finish");
	res = report_result(r);
	ok(res->nbursts == 4 && res->bursts[0].overall && res->bursts[0].count == 1001 &&
	       res->bursts[0].first_index == 0 && res->bursts[1].overall &&
	       res->bursts[1].count == 10 && res->bursts[1].first_index == 4,
	   "a flood's two leaves are a burst of at least 1001 attempts, burst_10_99 one of 10");
	is_int(res->actors[0].denied, 1014, "and count so in the actor's denials (1001 + 3 + 10)");
	report_free(r);

	c.burst_n = 0;
	is_int(report_new(&r, &c), AK_EINVAL, "burst_n 0 is refused");
	report_config_default(&c);
	c.busy_factor = 0;
	is_int(report_new(&r, &c), AK_EINVAL, "busy_factor 0 is refused");
}

/* An officer's lookup (k even) or print_code (k odd) at time t. */
static struct leaf officer_read(uint64_t t, uint64_t officer, int k)
{
	return k % 2 == 0 ? mk(t, ROLE_OFFICER, officer, ACT_LOOKUP, RES_OK, DET_APPEAL_REVIEW)
			  : mk(t, ROLE_OFFICER, officer, ACT_PRINT_CODE, RES_OK, DET_PAPER_CODE);
}

static void test_report_reads(void)
{
	struct report_config c;
	const struct report_result *res;
	report *r;
	uint64_t idx = 0, t0 = BASE_S * 1000 + 10 * H_MS;

	report_config_default(&c); /* 20 within 600 s */
	ok(c.read_burst_n == 20 && c.read_burst_window_s == 600, "defaults: 20 reads in 600 s");
	r = new_report(&c);
	/* Officer 4: twenty reads, the last exactly 600 s after the first. */
	for (int k = 0; k < 19; k++)
		add(r, &idx, officer_read(t0 + (uint64_t)k * 30000, 4, k));
	add(r, &idx, officer_read(t0 + 600000, 4, 19));
	/* Officer 5: twenty reads, the last 1 ms too late: 19 in any window. */
	for (int k = 0; k < 19; k++)
		add(r, &idx, officer_read(t0 + H_MS + (uint64_t)k * 30000, 5, k));
	add(r, &idx, officer_read(t0 + H_MS + 600001, 5, 19));
	/* Officer 6: nineteen reads in a minute, one below the threshold. */
	for (int k = 0; k < 19; k++)
		add(r, &idx, officer_read(t0 + 2 * H_MS + (uint64_t)k * 3000, 6, k));
	/* Others' leaves do not count: officer 7's status changes, an admin's
	 * and a verifier's reads, twenty each in a minute. */
	for (int k = 0; k < 20; k++) {
		add(r, &idx,
		    mk(t0 + 3 * H_MS + (uint64_t)k * 1000, ROLE_OFFICER, 7, ACT_STATUS_SET, RES_OK,
		       DET_RECOVERED));
		add(r, &idx,
		    mk(t0 + 3 * H_MS + (uint64_t)k * 1000, ROLE_ADMIN, 1, ACT_LOOKUP, RES_OK,
		       DET_APPEAL_REVIEW));
		add(r, &idx,
		    mk(t0 + 3 * H_MS + (uint64_t)k * 1000, ROLE_VERIFIER, 7, ACT_VERIFY, RES_VALID,
		       DET_GREEN));
	}
	is_int(report_finish(r), 0, "report_finish");
	res = report_result(r);
	is_int(res->nread_bursts, 1, "one read burst");
	ok(res->nread_bursts == 1 && res->read_bursts[0].role == ROLE_OFFICER &&
	       res->read_bursts[0].id == 4 && !res->read_bursts[0].overall,
	   "officer 4's twenty reads in exactly 600 s (the window is inclusive)");
	ok(res->nread_bursts == 1 && res->read_bursts[0].count == 20 &&
	       res->read_bursts[0].start_ms == t0 && res->read_bursts[0].end_ms == t0 + 600000 &&
	       res->read_bursts[0].first_index == 0,
	   "its count, first and last time and first index");
	is_int(res->nbursts, 0, "no denied burst");
	ok(report_flagged(res), "a read burst alone flags the report");
	report_free(r);

	/* Two officers interleaved, nineteen reads each in one minute: 38
	 * reads together, but the rule is per officer. */
	r = new_report(&c);
	idx = 0;
	for (int k = 0; k < 38; k++)
		add(r, &idx, officer_read(t0 + (uint64_t)k * 1000, 8 + (uint64_t)(k % 2), k / 2));
	report_finish(r);
	res = report_result(r);
	ok(res->nread_bursts == 0 && !report_flagged(res),
	   "two officers interleaved, each below the threshold: not flagged");
	report_free(r);

	/* Every result counts; leaves in any order; the first index is the
	 * smallest, not the earliest's. */
	r = new_report(&c);
	for (int k = 0; k < 20; k++) {
		struct leaf l = officer_read(t0 + (uint64_t)k * 1000, 3, k);
		l.result = k < 5 ? RES_NOT_FOUND : k < 10 ? RES_DENIED : RES_OK;
		if (report_add(r, 100 - (uint64_t)k, &l) != 0)
			bail_out("report_add failed");
	}
	report_finish(r);
	res = report_result(r);
	ok(res->nread_bursts == 1 && res->read_bursts[0].count == 20 &&
	       res->read_bursts[0].start_ms == t0 && res->read_bursts[0].first_index == 81,
	   "not_found and denied reads count; leaves read in reverse order");
	report_free(r);

	/* Overlapping windows merge; separate ones stay apart. */
	c.read_burst_n = 3;
	c.read_burst_window_s = 10;
	r = new_report(&c);
	idx = 0;
	{
		static const uint64_t ts[] = {0, 5000, 10000, 15000, 20000, 100000, 105000, 110000};
		for (size_t k = 0; k < AK_ARRAY_LEN(ts); k++)
			add(r, &idx, officer_read(t0 + ts[k], 2, (int)k));
		/* Officer 1, later in time but first in the list (by id). */
		for (int k = 0; k < 3; k++)
			add(r, &idx, officer_read(t0 + 500000 + (uint64_t)k, 1, k));
	}
	report_finish(r);
	res = report_result(r);
	is_int(res->nread_bursts, 3, "three read bursts");
	ok(res->nread_bursts == 3 && res->read_bursts[0].id == 1 && res->read_bursts[0].count == 3,
	   "listed by officer id: officer 1 first");
	ok(res->nread_bursts == 3 && res->read_bursts[1].id == 2 &&
	       res->read_bursts[1].count == 5 && res->read_bursts[1].start_ms == t0 &&
	       res->read_bursts[1].end_ms == t0 + 20000 && res->read_bursts[2].count == 3 &&
	       res->read_bursts[2].start_ms == t0 + 100000 && res->read_bursts[2].first_index == 5,
	   "0..20 s merge into one burst of five; 100..110 s is one of three");
	report_free(r);

	c.read_burst_n = 0;
	is_int(report_new(&r, &c), AK_EINVAL, "read_burst_n 0 is refused");
	report_config_default(&c);
	c.read_burst_window_s = 0;
	is_int(report_new(&r, &c), AK_EINVAL, "read_burst_window_s 0 is refused");
}

/* A log of many actors grows the hash table; counts stay exact. */
static void test_report_many(void)
{
	struct report_config c;
	const struct report_result *res;
	report *r;
	uint64_t idx = 0, sum = 0;

	report_config_default(&c);
	r = new_report(&c);
	for (uint64_t k = 0; k < 20000; k++)
		add(r, &idx,
		    mk(BASE_S * 1000 + 12 * H_MS, ROLE_VERIFIER, k % 5000, ACT_VERIFY, RES_VALID,
		       DET_GREEN));
	report_finish(r);
	res = report_result(r);
	is_int(res->nactors, 5000, "5000 actors");
	for (size_t i = 0; i < res->nactors; i++)
		sum += res->actors[i].total == 4;
	is_int(sum, 5000, "each with its four entries");
	ok(res->actors[0].id == 0 && res->actors[4999].id == 4999, "sorted by id");
	report_free(r);
}

/* ------------------------------------------------------------- tlogproof */

static const char note_text[] = "audit.test/audit\n5\n"
				"8BH5xZTCz5cbLKMXecYSud9OiJkTC/i+74rRGd3FYvM=\n\n"
				"\xe2\x80\x94 audit.test/audit AAAAAAAA\n";

static void test_tlogproof(void)
{
	merkle_hash proof[3];
	struct tlogproof p;
	const char leaf[] = "ankang/v1 1 admin:- issue - - ok green\n";
	char *text = NULL, buf[4096];
	size_t len;

	for (int i = 0; i < 3; i++)
		memset(proof[i], 0x11 * (i + 1), MERKLE_HASH_BYTES);
	is_int(tlogproof_format(&text, &len, 2, proof, 3, (const uint8_t *)leaf, strlen(leaf),
				note_text, strlen(note_text)),
	       0, "tlogproof_format");
	ok(text != NULL && strncmp(text, "c2sp.org/tlog-proof@v1\nextra YW5rYW5n", 37) == 0,
	   "starts with the header and the extra line");
	ok(text != NULL &&
	       strstr(text, "\nindex 2\nERERERERERERERERERERERERERERERERERERERERERE=\n") != NULL,
	   "then the index and the hashes");
	is_int(tlogproof_parse(&p, text, len), 0, "it parses back");
	ok(p.index == 2 && p.nproof == 3 && memcmp(p.proof[2], proof[2], 32) == 0 && p.has_extra &&
	       p.extra_len == strlen(leaf) && memcmp(p.extra, leaf, p.extra_len) == 0,
	   "index, hashes and leaf round-trip");
	ok(p.note_len == strlen(note_text) && memcmp(p.note, note_text, p.note_len) == 0,
	   "the note is carried verbatim");
	free(text);

	is_int(tlogproof_format(&text, &len, 0, proof, 0, NULL, 0, note_text, strlen(note_text)), 0,
	       "a proof with no hashes and no extra");
	is_int(tlogproof_parse(&p, text, len), 0, "parses");
	ok(p.index == 0 && p.nproof == 0 && !p.has_extra, "index 0, empty proof, no extra");
	free(text);
	is_int(tlogproof_format(&text, &len, 0, proof, MERKLE_MAX_PROOF + 1, NULL, 0, note_text,
				strlen(note_text)),
	       AK_EINVAL, "format refuses more than 64 hashes");

	{
		static const char *const bad[] = {
		    "",
		    "c2sp.org/tlog-proof@v2\nindex 1\n\nnote\n",
		    "c2sp.org/tlog-proof@v1\r\nindex 1\n\nnote\n",
		    "c2sp.org/tlog-proof@v1\nindex 01\n\nnote\n",
		    "c2sp.org/tlog-proof@v1\nindex -1\n\nnote\n",
		    "c2sp.org/tlog-proof@v1\nindex \n\nnote\n",
		    "c2sp.org/tlog-proof@v1\nindex 1\n",
		    "c2sp.org/tlog-proof@v1\nindex 1\n\n",
		    "c2sp.org/tlog-proof@v1\nextra \nindex 1\n\nnote\n",
		    "c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nnote\n",
		    "c2sp.org/tlog-proof@v1\nindex 1\nextra YQ==\n\nnote\n",
		    /* Long lines, split. */
		    /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
		    "c2sp.org/tlog-proof@v1\nindex "
		    "1\nERERERERERERERERERERERERERERERERERERERERERE\n\nn\n",
		    "c2sp.org/tlog-proof@v1\nindex "
		    "1\nERERERERERERERERERERERERERERERERERERERERERF=\n\nn\n",
		    "c2sp.org/tlog-proof@v1\nindex "
		    "1\nEREREREREREREREREREREREREREREREREREREREREREA\n\nn\n",
		    "c2sp.org/tlog-proof@v1\nindex 1\nERERERERERERERERERERERERERERERERERERERERERE=",
		};
		for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
			is_int(tlogproof_parse(&p, bad[i], strlen(bad[i])), AK_EINVAL,
			       "tlogproof rejection %zu", i);
	}
	/* 65 hashes: one too many. */
	len = (size_t)snprintf(buf, sizeof buf, "c2sp.org/tlog-proof@v1\nindex 1\n");
	for (int i = 0; i < 65; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"ERERERERERERERERERERERERERERERERERERERERERE=\n");
	len += (size_t)snprintf(buf + len, sizeof buf - len, "\nn\n");
	is_int(tlogproof_parse(&p, buf, len), AK_EINVAL, "65 hashes are refused");
	/* A proof read from a buffer without a NUL: nothing past len. */
	{
		const char *ok_text = "c2sp.org/tlog-proof@v1\nindex 7\n\nx\n";
		size_t n = strlen(ok_text);
		char *exact = malloc(n);
		memcpy(exact, ok_text, n);
		is_int(tlogproof_parse(&p, exact, n), 0, "parses an unterminated buffer");
		is_int(tlogproof_parse(&p, exact, n - 3), AK_EINVAL, "and refuses it cut short");
		free(exact);
	}
}

/* ------------------------------------------------------------------ wire */

struct got {
	uint64_t idx[8];
	size_t n;
	char first[64];
};

static int collect(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct got *g = ctx;

	if (g->n == 0 && len < sizeof g->first) {
		memcpy(g->first, leaf, len);
		g->first[len] = '\0';
	}
	if (g->n < 8)
		g->idx[g->n] = idx;
	g->n++;
	return 0;
}

static int stop_at_two(void *ctx, uint64_t idx, const char *leaf, size_t len)
{
	struct got *g = ctx;
	(void)idx;
	(void)leaf;
	(void)len;
	return ++g->n == 2 ? 42 : 0;
}

static void err_code(const char *body, char *code, size_t cap)
{
	httpc_error_code(body, strlen(body), code, cap);
}

static void test_wire(void)
{
	struct got g;
	merkle_hash proof[MERKLE_MAX_PROOF];
	size_t count, n;
	uint64_t last;
	char code[16], *big;
	const char *page = "{\"entries\":[{\"index\":5,\"leaf\":\"aGVsbG8K\",\"time_ms\":1},"
			   "{\"index\":7,\"leaf\":\"YQ==\"}],\"more\":true}";

	memset(&g, 0, sizeof g);
	is_int(wire_parse_entries(page, strlen(page), 5, 10, collect, &g, &count, &last), 0,
	       "an entries page parses");
	ok(g.n == 2 && g.idx[0] == 5 && g.idx[1] == 7 && count == 2 && last == 7,
	   "indexes 5 and 7 (gaps are the caller's to judge)");
	is_str(g.first, "hello\n", "the leaf bytes are decoded");
	memset(&g, 0, sizeof g);
	is_int(wire_parse_entries("{\"entries\":[]}", 14, 0, 10, collect, &g, &count, &last), 0,
	       "an empty page");
	ok(count == 0 && g.n == 0, "has no entries");
	memset(&g, 0, sizeof g);
	is_int(wire_parse_entries(page, strlen(page), 5, 10, stop_at_two, &g, &count, &last), 42,
	       "the callback's value stops the page");
	{
		static const char *const bad[] = {
		    "",
		    "[]",
		    "{}",
		    "{\"entries\":{}}",
		    "{\"entries\":[1]}",
		    "{\"entries\":[{\"index\":5}]}",
		    "{\"entries\":[{\"leaf\":\"YQ==\"}]}",
		    "{\"entries\":[{\"index\":\"5\",\"leaf\":\"YQ==\"}]}",
		    "{\"entries\":[{\"index\":5.0,\"leaf\":\"YQ==\"}]}",
		    "{\"entries\":[{\"index\":-1,\"leaf\":\"YQ==\"}]}",
		    "{\"entries\":[{\"index\":4,\"leaf\":\"YQ==\"}]}",
		    "{\"entries\":[{\"index\":10,\"leaf\":\"YQ==\"}]}",
		    /* Long lines, split. */
		    /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
		    "{\"entries\":[{\"index\":6,\"leaf\":\"YQ==\"},{\"index\":6,\"leaf\":\"YQ==\"}]"
		    "}",
		    "{\"entries\":[{\"index\":7,\"leaf\":\"YQ==\"},{\"index\":6,\"leaf\":\"YQ==\"}]"
		    "}",
		    "{\"entries\":[{\"index\":5,\"leaf\":\"YQ\"}]}",
		    "{\"entries\":[{\"index\":5,\"leaf\":\"\"}]}",
		    "{\"entries\":[{\"index\":5,\"leaf\":\"YQ==\",\"index\":6}]}",
		    "{\"entries\":[],\"entries\":[]}",
		    "{\"entries\":[{\"index\":5,\"leaf\":\"YQ==\"}]} trailing",
		};
		for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++) {
			memset(&g, 0, sizeof g);
			is_int(wire_parse_entries(bad[i], strlen(bad[i]), 5, 10, collect, &g,
						  &count, &last),
			       AK_EINVAL, "entries rejection %zu", i);
			if (g.n != 0)
				ok(0, "entries rejection %zu handed on a leaf", i);
		}
	}
	{
		const char *two = "{\"entries\":[{\"index\":5,\"leaf\":\"YQ==\"},"
				  "{\"index\":6,\"leaf\":\"YQ==\"}]}";
		memset(&g, 0, sizeof g);
		is_int(wire_parse_entries(two, strlen(two), 5, 6, collect, &g, &count, &last),
		       AK_EINVAL, "more entries than asked for");
	}
	ok(g.n == 0, "a bad page hands on no leaf at all");
	/* 1001 entries: more than a page. */
	{
		size_t cap = 40000, pos;
		big = malloc(cap);
		pos = (size_t)snprintf(big, cap, "{\"entries\":[");
		for (int i = 0; i < 1001; i++)
			pos +=
			    (size_t)snprintf(big + pos, cap - pos,
					     "%s{\"index\":%d,\"leaf\":\"YQ==\"}", i ? "," : "", i);
		pos += (size_t)snprintf(big + pos, cap - pos, "]}");
		is_int(wire_parse_entries(big, pos, 0, 5000, collect, &g, &count, &last), AK_EINVAL,
		       "a page of 1001 entries is refused");
		free(big);
	}

	is_int(wire_parse_proof("{\"proof\":[]}", 12, proof, &n), 0, "an empty proof");
	is_int(n, 0, "has no hashes");
	{
		const char *p = "{\"proof\":[\"ERERERERERERERERERERERERERERERERERERERERERE=\","
				"\"IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=\"]}";
		is_int(wire_parse_proof(p, strlen(p), proof, &n), 0, "a proof of two");
		ok(n == 2 && proof[0][0] == 0x11 && proof[1][31] == 0x22, "decoded");
	}
	{
		static const char *const bad[] = {
		    "{}",
		    "{\"proof\":{}}",
		    "{\"proof\":[1]}",
		    "{\"proof\":[\"YQ==\"]}",
		    "{\"proof\":[\"ERERERERERERERERERERERERERERERERERERERERERE\"]}",
		    "{\"proof\":[],\"proof\":[]}",
		};
		for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
			is_int(wire_parse_proof(bad[i], strlen(bad[i]), proof, &n), AK_EINVAL,
			       "proof rejection %zu", i);
	}
	{
		size_t cap = 4096, pos = 0;
		big = malloc(cap);
		pos = (size_t)snprintf(big, cap, "{\"proof\":[");
		for (int i = 0; i < 65; i++)
			pos += (size_t)snprintf(big + pos, cap - pos, "%s\"%s\"", i ? "," : "",
						"ERERERERERERERERERERERERERERERERERERERERERE=");
		pos += (size_t)snprintf(big + pos, cap - pos, "]}");
		is_int(wire_parse_proof(big, pos, proof, &n), AK_EINVAL, "65 hashes are refused");
		free(big);
	}

	err_code("{\"error\":\"rate_limited\",\"message\":\"x\"}", code, sizeof code);
	is_str(code, "rate_limited", "an error body's code");
	err_code("{\"error\":\"Bad\\u001b[31m code!\"}", code, sizeof code);
	is_str(code, "ad31mcode", "is reduced to [a-z0-9_]");
	err_code("{\"error\":\"a_very_long_error_code_indeed\"}", code, sizeof code);
	is_int(strlen(code), sizeof code - 1, "and bounded");
	err_code("<html>", code, sizeof code);
	is_str(code, "", "a non-JSON body has no code");
}

/* Hours: each UTC hour that holds leaves, oldest first, whatever order
 * the leaves come in, counted by action and result. */
static void test_report_hours(void)
{
	struct report_config c;
	const struct report_result *res;
	uint64_t idx = 0, t = BASE_S * 1000;
	report *r;

	report_config_default(&c);
	r = new_report(&c);
	add(r, &idx, mk(t + 2 * H_MS + 5, ROLE_VERIFIER, 1, ACT_VERIFY, RES_VALID, DET_GREEN));
	add(r, &idx, mk(t + 10, ROLE_VERIFIER, 1, ACT_VERIFY, RES_EXPIRED, DET_EMPTY));
	add(r, &idx, mk(t + H_MS - 1, ROLE_OFFICER, 2, ACT_LOOKUP, RES_OK, DET_APPEAL_REVIEW));
	add(r, &idx, mk(t + 2 * H_MS, ROLE_VERIFIER, 1, ACT_VERIFY, RES_VALID, DET_GREEN));
	is_int(report_add_bytes(r, idx++, "not a leaf\n", 11), 0, "bytes that do not parse");
	is_int(report_finish(r), 0, "report_finish");
	res = report_result(r);
	is_int(res->nhours, 2, "two hours hold leaves; the one between is left out");
	ok(res->nhours == 2 && res->hours[0].hour_s == BASE_S &&
	       res->hours[1].hour_s == BASE_S + 7200,
	   "oldest first, each the second its hour starts");
	ok(res->nhours == 2 && res->hours[0].by_action[ACT_VERIFY] == 1 &&
	       res->hours[0].by_action[ACT_LOOKUP] == 1 &&
	       res->hours[0].by_result[RES_EXPIRED] == 1 &&
	       res->hours[1].by_action[ACT_VERIFY] == 2 && res->hours[1].by_result[RES_VALID] == 2,
	   "counted by action and by result");
	is_int(res->unparsable, 1, "the bytes that do not parse are counted apart");
	report_free(r);
}

int main(void)
{
	test_time();
	test_hours();
	test_filter();
	test_report_officers();
	test_report_flags();
	test_report_bursts();
	test_report_reads();
	test_report_many();
	test_report_hours();
	test_tlogproof();
	test_wire();
	return tap_done();
}
