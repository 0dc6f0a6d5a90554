/*
 * report_appeals: the appeals section of the auditors' report (see
 * report_appeals.h). Teams are few (a district's offices), so they are
 * kept in a small array searched in order; the overdue list is kept to
 * max_list entries, oldest first as they are added.
 */
#include "log/report_appeals.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct team_count {
	char *team; /* NULL: no team */
	uint64_t count;
};

struct listed {
	uint8_t handle[REPORT_APPEAL_HANDLE_BYTES];
	uint64_t opened, due, officer_id;
	char *officer, *team;
};

struct report_appeals {
	uint64_t as_of, deadline, open, overdue;
	size_t max_list, nlisted, nteams, cap_teams;
	struct listed *listed;
	struct team_count *teams;
};

int report_appeals_new(report_appeals **out, uint64_t as_of, uint64_t deadline, size_t max_list)
{
	report_appeals *r = calloc(1, sizeof *r);

	*out = NULL;
	if (r == NULL ||
	    (max_list > 0 && (r->listed = calloc(max_list, sizeof *r->listed)) == NULL)) {
		free(r);
		return AK_ENOMEM;
	}
	r->as_of = as_of;
	r->deadline = deadline;
	r->max_list = max_list;
	*out = r;
	return 0;
}

static int same_team(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int count_team(report_appeals *r, const char *team)
{
	struct team_count *t;

	for (size_t i = 0; i < r->nteams; i++) {
		if (same_team(r->teams[i].team, team)) {
			r->teams[i].count++;
			return 0;
		}
	}
	if (r->nteams == r->cap_teams) {
		size_t cap = r->cap_teams ? 2 * r->cap_teams : 8;
		if ((t = realloc(r->teams, cap * sizeof *t)) == NULL)
			return AK_ENOMEM;
		r->teams = t;
		r->cap_teams = cap;
	}
	t = &r->teams[r->nteams];
	t->team = NULL;
	if (team != NULL && (t->team = strdup(team)) == NULL)
		return AK_ENOMEM;
	t->count = 1;
	r->nteams++;
	return 0;
}

int report_appeals_add(report_appeals *r, const struct report_appeal *a)
{
	uint64_t due = r->deadline ? a->opened + r->deadline : a->due;
	struct listed *l;

	r->open++;
	if (r->as_of <= due)
		return 0;
	r->overdue++;
	if (count_team(r, a->team) != 0)
		return AK_ENOMEM;
	if (r->nlisted == r->max_list)
		return 0;
	l = &r->listed[r->nlisted];
	memcpy(l->handle, a->handle, sizeof l->handle);
	l->opened = a->opened;
	l->due = due;
	l->officer_id = a->officer_id;
	l->officer = a->officer != NULL ? strdup(a->officer) : NULL;
	l->team = a->team != NULL ? strdup(a->team) : NULL;
	r->nlisted++;
	if ((a->officer != NULL && l->officer == NULL) || (a->team != NULL && l->team == NULL))
		return AK_ENOMEM;
	return 0;
}

uint64_t report_appeals_overdue(const report_appeals *r)
{
	return r->overdue;
}

static int by_count(const void *pa, const void *pb)
{
	const struct team_count *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->team == NULL || b->team == NULL)
		return (a->team == NULL) - (b->team == NULL);
	return strcmp(a->team, b->team);
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *report_appeals_json(const report_appeals *r, uint64_t deadline_shown)
{
	json_t *o = json_object(), *teams = json_array(), *list = json_array();
	char h[5 + 2 * REPORT_APPEAL_HANDLE_BYTES];
	int bad;

	/* o owns the arrays from here, whatever fails after. */
	bad = o == NULL || json_object_set_new(o, "overdue_by_team", teams) != 0 ||
	      json_object_set_new(o, "overdue_list", list) != 0;
	if (r->nteams > 1)
		qsort(r->teams, r->nteams, sizeof *r->teams, by_count);
	for (size_t i = 0; !bad && i < r->nteams; i++)
		bad = json_array_append_new(teams, json_pack("{s:o, s:I}", "team",
							     str_or_null(r->teams[i].team), "count",
							     (json_int_t)r->teams[i].count)) != 0;
	for (size_t i = 0; !bad && i < r->nlisted; i++) {
		const struct listed *l = &r->listed[i];
		memcpy(h, "apl_", 4);
		util_hex_encode(h + 4, l->handle, sizeof l->handle);
		bad = json_array_append_new(list,
					    json_pack("{s:s, s:I, s:I, s:o, s:o, s:o}", "appeal", h,
						      "opened", (json_int_t)l->opened, "due",
						      (json_int_t)l->due, "officer_id",
						      l->officer_id == UINT64_MAX
							  ? json_null()
							  : json_integer((json_int_t)l->officer_id),
						      "officer", str_or_null(l->officer), "team",
						      str_or_null(l->team))) != 0;
	}
	if (!bad)
		bad = json_object_set_new(o, "as_of", json_integer((json_int_t)r->as_of)) != 0 ||
		      json_object_set_new(o, "deadline",
					  deadline_shown ? json_integer((json_int_t)deadline_shown)
							 : json_null()) != 0 ||
		      json_object_set_new(o, "open", json_integer((json_int_t)r->open)) != 0 ||
		      json_object_set_new(o, "overdue", json_integer((json_int_t)r->overdue)) != 0;
	if (bad) {
		if (o == NULL) {
			json_decref(teams);
			json_decref(list);
		}
		json_decref(o);
		return NULL;
	}
	return o;
}

void report_appeals_free(report_appeals *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nlisted; i++) {
		free(r->listed[i].officer);
		free(r->listed[i].team);
	}
	for (size_t i = 0; i < r->nteams; i++)
		free(r->teams[i].team);
	free(r->listed);
	free(r->teams);
	free(r);
}
