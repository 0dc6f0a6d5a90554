/*
 * report_json: the report as JSON (see report_json.h).
 */
#include "log/report_json.h"

#include <stdio.h>

#include "crypto/leaf.h"

/* Whoever is asked for actors' labels. */
struct labels {
	report_label_fn fn;
	void *ctx;
};

/* Sets "actor" (and "actor_label" when lb has one) in o. */
static void set_actor(json_t *o, const struct labels *lb, int role, uint64_t id)
{
	char actor[LEAF_ACTOR_TEXT];
	json_t *label;

	leaf_actor_text(actor, role, id);
	json_object_set_new(o, "actor", json_string(actor));
	if (lb->fn == NULL || (label = lb->fn(lb->ctx, role, id)) == NULL)
		return;
	if (json_is_string(label))
		json_object_set_new(o, "actor_label", label);
	else
		json_decref(label);
}

/* {word: n} for the non-zero counts of a closed list. */
static json_t *counts(const uint64_t *n, int count, const char *(*word)(int))
{
	json_t *m = json_object();

	for (int i = 0; i < count; i++)
		if (n[i])
			json_object_set_new(m, word(i), json_integer((json_int_t)n[i]));
	return m;
}

static json_t *json_events(const struct report_event *ev, size_t n, uint64_t total,
			   const struct labels *lb)
{
	json_t *o = json_object(), *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "index", json_integer((json_int_t)ev[i].index));
		json_object_set_new(e, "time_ms", json_integer((json_int_t)ev[i].time_ms));
		set_actor(e, lb, ev[i].role, ev[i].id);
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
			   uint64_t window_s, size_t max_list, const struct labels *lb)
{
	json_t *f = json_object(), *arr = json_array();

	json_object_set_new(f, "n", json_integer((json_int_t)rule_n));
	json_object_set_new(f, "window_s", json_integer((json_int_t)window_s));
	for (size_t i = 0; i < n && i < max_list; i++) {
		const struct report_burst *x = &b[i];
		json_t *o = json_object();
		if (x->overall)
			json_object_set_new(o, "actor", json_string("all"));
		else
			set_actor(o, lb, x->role, x->id);
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

static json_t *json_hours(const struct report_result *res)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < res->nhours; i++) {
		const struct report_hour *h = &res->hours[i];
		json_t *o = json_object();
		json_object_set_new(o, "hour", json_integer((json_int_t)h->hour_s));
		json_object_set_new(o, "actions",
				    counts(h->by_action, ACT_COUNT, leaf_action_word));
		json_object_set_new(o, "results",
				    counts(h->by_result, RES_COUNT, leaf_result_word));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *report_json(const struct report_result *res, const struct report_config *c,
		    report_label_fn label, void *ctx)
{
	const struct labels lb = {label, ctx};
	json_t *o = json_object(), *arr, *flags = json_object(), *f;
	char hours[8];

	if (o == NULL || flags == NULL) {
		json_decref(o);
		json_decref(flags);
		return NULL;
	}
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

	json_object_set_new(o, "by_action", counts(res->by_action, ACT_COUNT, leaf_action_word));
	json_object_set_new(o, "by_result", counts(res->by_result, RES_COUNT, leaf_result_word));
	arr = json_array();
	for (size_t i = 0; i < res->nactors; i++) {
		const struct report_actor *x = &res->actors[i];
		json_t *a = json_object();
		set_actor(a, &lb, x->role, x->id);
		json_object_set_new(a, "entries", json_integer((json_int_t)x->total));
		json_object_set_new(a, "denied", json_integer((json_int_t)x->denied));
		json_object_set_new(a, "off_hours", json_integer((json_int_t)x->off_hours));
		json_object_set_new(a, "by_action",
				    counts(x->by_action, ACT_COUNT, leaf_action_word));
		json_array_append_new(arr, a);
	}
	json_object_set_new(o, "by_actor", arr);
	json_object_set_new(o, "hours", json_hours(res));

	json_object_set_new(
	    flags, "lookup_without_purpose",
	    json_events(res->no_purpose, res->nno_purpose, res->no_purpose_total, &lb));
	f = json_object();
	json_object_set_new(f, "median", json_integer((json_int_t)res->officers_median));
	json_object_set_new(f, "officers", json_integer((json_int_t)res->officers));
	json_object_set_new(f, "factor", json_integer((json_int_t)c->busy_factor));
	json_object_set_new(f, "min", json_integer((json_int_t)c->busy_min));
	arr = json_array();
	for (size_t i = 0; i < res->nbusy; i++) {
		json_t *x = json_object();
		set_actor(x, &lb, res->busy[i].role, res->busy[i].id);
		json_object_set_new(x, "status_set", json_integer((json_int_t)res->busy[i].count));
		json_array_append_new(arr, x);
	}
	json_object_set_new(f, "officers_flagged", arr);
	json_object_set_new(flags, "busy_officers", f);
	f = json_events(res->off_hours, res->noff_hours, res->off_hours_total, &lb);
	snprintf(hours, sizeof hours, "%02u-%02u", c->hours_from, c->hours_to);
	json_object_set_new(f, "hours", json_string(hours));
	json_object_set_new(flags, "off_hours", f);
	json_object_set_new(flags, "denied_bursts",
			    json_bursts(res->bursts, res->nbursts, c->burst_n, c->burst_window_s,
					c->max_list, &lb));
	json_object_set_new(flags, "officer_read_bursts",
			    json_bursts(res->read_bursts, res->nread_bursts, c->read_burst_n,
					c->read_burst_window_s, c->max_list, &lb));
	json_object_set_new(o, "flags", flags);
	json_object_set_new(o, "flagged", json_boolean(report_flagged(res)));
	return o;
}
