/*
 * report: the inspector's counts and flags (rules in report.h).
 *
 * Actors live in an array found through a small open-addressing hash on
 * (role, id), so a log with many verifier accounts costs one probe per
 * leaf. Denied leaves and officers' reads are the only events kept in
 * full (their times are needed for bursts). At the end the denied ones are
 * sorted twice, by time for the overall bursts and by actor then time for
 * each actor's; the reads once, by officer then time.
 *
 * Hours live in an array sorted by hour. Leaves mostly come in time
 * order, so the hour of the previous leaf is tried first, then a binary
 * search; a new hour is inserted in place.
 */
#include "log/report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

/* Windows longer than this are refused, so time + window never wraps. */
#define MAX_WINDOW_S (100u * 365u * 86400u)
/* The end of the year 9999: later times have no local hour. */
#define MAX_UNIX_SECONDS 253402300799ULL
#define HOUR_MS          3600000u

/* A leaf kept for the burst rules: when, where in the log, whose, and how
 * many attempts it stands for (weight_of). */
struct stamp {
	uint64_t t, index, id, weight;
	enum leaf_role role;
};

/* A growing array of stamps. */
struct stamps {
	struct stamp *v;
	size_t n, cap;
};

/* One burst rule: its threshold and window, and the list it fills. */
struct burst_rule {
	uint64_t n, window_ms;
	struct report_burst **list;
	size_t *count, *cap;
};

struct report {
	struct report_config cfg;
	struct report_result res;
	size_t cap_actors;
	uint32_t *slots; /* actor index + 1; 0 is empty */
	size_t nslots;   /* a power of two, at least twice the actors */
	struct stamps denied, reads;
	size_t cap_hours, last_hour; /* last_hour: where the previous leaf's hour is */
	size_t cap_bursts, cap_read_bursts;
	int finished;
};

void report_config_default(struct report_config *c)
{
	memset(c, 0, sizeof *c);
	c->hours_from = REPORT_HOURS_FROM;
	c->hours_to = REPORT_HOURS_TO;
	c->busy_factor = REPORT_BUSY_FACTOR;
	c->busy_min = REPORT_BUSY_MIN;
	c->burst_n = REPORT_BURST_N;
	c->burst_window_s = REPORT_BURST_WINDOW_S;
	c->read_burst_n = REPORT_READ_BURST_N;
	c->read_burst_window_s = REPORT_READ_BURST_WINDOW_S;
	c->max_list = REPORT_MAX_LIST;
}

int report_new(report **out, const struct report_config *c)
{
	report *r;
	size_t list = c->max_list;

	*out = NULL;
	if (c->busy_factor == 0 || c->burst_n == 0 || c->burst_window_s == 0 ||
	    c->burst_window_s > MAX_WINDOW_S || c->read_burst_n == 0 ||
	    c->read_burst_window_s == 0 || c->read_burst_window_s > MAX_WINDOW_S ||
	    c->hours_from > 23 || c->hours_to > 23 || list > 1000000)
		return AK_EINVAL;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return AK_ENOMEM;
	r->cfg = *c;
	r->res.min_time_ms = UINT64_MAX;
	r->res.first_index = UINT64_MAX;
	r->nslots = 64;
	r->slots = calloc(r->nslots, sizeof *r->slots);
	r->res.no_purpose = calloc(list ? list : 1, sizeof *r->res.no_purpose);
	r->res.off_hours = calloc(list ? list : 1, sizeof *r->res.off_hours);
	if (r->slots == NULL || r->res.no_purpose == NULL || r->res.off_hours == NULL) {
		report_free(r);
		return AK_ENOMEM;
	}
	*out = r;
	return 0;
}

void report_free(report *r)
{
	if (r == NULL)
		return;
	free(r->slots);
	free(r->denied.v);
	free(r->reads.v);
	free(r->res.actors);
	free(r->res.hours);
	free(r->res.no_purpose);
	free(r->res.off_hours);
	free(r->res.busy);
	free(r->res.bursts);
	free(r->res.read_bursts);
	free(r);
}

/* ---------------------------------------------------------------- actors */

static size_t actor_hash(enum leaf_role role, uint64_t id, size_t mask)
{
	uint64_t h = (id ^ ((uint64_t)role << 56)) * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 32) & mask;
}

static int grow_slots(report *r)
{
	size_t n = r->nslots * 2;
	uint32_t *s = calloc(n, sizeof *s);

	if (s == NULL)
		return AK_ENOMEM;
	for (size_t i = 0; i < r->res.nactors; i++) {
		const struct report_actor *a = &r->res.actors[i];
		size_t h = actor_hash(a->role, a->id, n - 1);
		while (s[h] != 0)
			h = (h + 1) & (n - 1);
		s[h] = (uint32_t)(i + 1);
	}
	free(r->slots);
	r->slots = s;
	r->nslots = n;
	return 0;
}

static struct report_actor *actor(report *r, enum leaf_role role, uint64_t id)
{
	size_t mask = r->nslots - 1, h = actor_hash(role, id, mask);
	struct report_actor *a;

	for (; r->slots[h] != 0; h = (h + 1) & mask) {
		a = &r->res.actors[r->slots[h] - 1];
		if (a->role == role && a->id == id)
			return a;
	}
	if (r->res.nactors == r->cap_actors) {
		size_t cap = r->cap_actors ? r->cap_actors * 2 : 16;
		void *p;
		if (cap > UINT32_MAX - 1 || (p = realloc(r->res.actors, cap * sizeof *a)) == NULL)
			return NULL;
		r->res.actors = p;
		r->cap_actors = cap;
	}
	a = &r->res.actors[r->res.nactors];
	memset(a, 0, sizeof *a);
	a->role = role;
	a->id = id;
	r->slots[h] = (uint32_t)++r->res.nactors;
	if (r->res.nactors * 2 > r->nslots && grow_slots(r) != 0)
		return NULL;
	return &r->res.actors[r->res.nactors - 1];
}

/* v (capacity *cap, n used) with room for one more element of size,
 * doubling from first: the new block (v's memory is then its), or NULL
 * when out of memory (v unchanged). */
static void *room_for_one(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c;
	void *p;

	if (n < *cap)
		return v;
	c = *cap ? *cap * 2 : first;
	if ((p = realloc(v, c * size)) == NULL)
		return NULL;
	*cap = c;
	return p;
}

/* ----------------------------------------------------------------- hours */

static struct report_hour *hour_of(report *r, uint64_t time_ms)
{
	struct report_result *res = &r->res;
	uint64_t h = time_ms / HOUR_MS * 3600;
	size_t lo = 0, hi = res->nhours;

	if (r->last_hour < res->nhours && res->hours[r->last_hour].hour_s == h)
		return &res->hours[r->last_hour];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (res->hours[mid].hour_s < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == res->nhours || res->hours[lo].hour_s != h) {
		void *p =
		    room_for_one(res->hours, &r->cap_hours, res->nhours, sizeof *res->hours, 32);
		if (p == NULL)
			return NULL;
		res->hours = p;
		memmove(&res->hours[lo + 1], &res->hours[lo],
			(res->nhours - lo) * sizeof *res->hours);
		memset(&res->hours[lo], 0, sizeof *res->hours);
		res->hours[lo].hour_s = h;
		res->nhours++;
	}
	r->last_hour = lo;
	return &res->hours[lo];
}

int report_local_hour(uint64_t ms)
{
	struct tm tm;
	time_t t;

	if (ms / 1000 > MAX_UNIX_SECONDS)
		return -1;
	t = (time_t)(ms / 1000);
	return localtime_r(&t, &tm) == NULL ? -1 : tm.tm_hour;
}

int report_hour_expected(unsigned hour, unsigned from, unsigned to)
{
	if (from == to)
		return 1;
	if (from < to)
		return hour >= from && hour < to;
	return hour >= from || hour < to;
}

/* ---------------------------------------------------------------- adding */

static void keep_event(struct report_event *list, size_t *n, size_t cap, uint64_t index,
		       const struct leaf *l)
{
	if (*n >= cap)
		return;
	list[*n].index = index;
	list[*n].time_ms = l->time_ms;
	list[*n].role = l->role;
	list[*n].id = l->actor_id;
	list[*n].action = l->action;
	(*n)++;
}

/* How many attempts a leaf stands for: a failed log-in burst's summary
 * (service/limits.h) the least its size word allows, any other leaf one. */
static uint64_t weight_of(const struct leaf *l)
{
	switch (l->detail) {
	case DET_BURST_2_9:
		return 2;
	case DET_BURST_10_99:
		return 10;
	case DET_BURST_100_999:
		return 100;
	case DET_BURST_1000_PLUS:
		return 1000;
	default:
		return 1;
	}
}

static int keep_stamp(struct stamps *s, uint64_t index, const struct leaf *l)
{
	void *p = room_for_one(s->v, &s->cap, s->n, sizeof *s->v, 64);

	if (p == NULL)
		return AK_ENOMEM;
	s->v = p;
	s->v[s->n++] = (struct stamp){.t = l->time_ms,
				      .index = index,
				      .id = l->actor_id,
				      .weight = weight_of(l),
				      .role = l->role};
	return 0;
}

int report_add(report *r, uint64_t index, const struct leaf *l)
{
	struct report_result *res = &r->res;
	struct report_actor *a;
	struct report_hour *h;

	if (r->finished)
		return AK_EINVAL;
	res->seen++;
	if (l->time_ms < r->cfg.since_ms || (r->cfg.until_ms != 0 && l->time_ms >= r->cfg.until_ms))
		return 0;
	if ((a = actor(r, l->role, l->actor_id)) == NULL || (h = hour_of(r, l->time_ms)) == NULL)
		return AK_ENOMEM;
	h->by_action[l->action]++;
	h->by_result[l->result]++;
	res->leaves++;
	if (index < res->first_index)
		res->first_index = index;
	if (index > res->last_index)
		res->last_index = index;
	if (l->time_ms < res->min_time_ms)
		res->min_time_ms = l->time_ms;
	if (l->time_ms > res->max_time_ms)
		res->max_time_ms = l->time_ms;
	res->by_action[l->action]++;
	res->by_result[l->result]++;
	a->total++;
	a->by_action[l->action]++;

	if (l->action == ACT_LOOKUP && l->detail == DET_EMPTY) {
		res->no_purpose_total++;
		keep_event(res->no_purpose, &res->nno_purpose, r->cfg.max_list, index, l);
	}
	if (l->action == ACT_VERIFY || l->action == ACT_VERIFY_OFFLINE) {
		int lh = report_local_hour(l->time_ms);
		if (lh >= 0 &&
		    !report_hour_expected((unsigned)lh, r->cfg.hours_from, r->cfg.hours_to)) {
			res->off_hours_total++;
			a->off_hours++;
			keep_event(res->off_hours, &res->noff_hours, r->cfg.max_list, index, l);
		}
	}
	if (l->result == RES_DENIED) {
		a->denied += weight_of(l);
		if (keep_stamp(&r->denied, index, l) != 0)
			return AK_ENOMEM;
	}
	if (l->role == ROLE_OFFICER && (l->action == ACT_LOOKUP || l->action == ACT_PRINT_CODE) &&
	    keep_stamp(&r->reads, index, l) != 0)
		return AK_ENOMEM;
	return 0;
}

void report_add_unparsable(report *r, uint64_t index)
{
	if (r->res.unparsable == 0 || index < r->res.first_unparsable)
		r->res.first_unparsable = index;
	r->res.unparsable++;
	r->res.seen++;
}

int report_add_bytes(report *r, uint64_t index, const char *leaf, size_t len)
{
	struct leaf l;

	if (len > LEAF_MAX || leaf_parse(&l, leaf, len) != 0) {
		report_add_unparsable(r, index);
		return 0;
	}
	return report_add(r, index, &l);
}

/* ------------------------------------------------------------- finishing */

static int cmp_actor_key(enum leaf_role ra, uint64_t ia, enum leaf_role rb, uint64_t ib)
{
	if (ra != rb)
		return ra < rb ? -1 : 1;
	/* LEAF_NO_ID is UINT64_MAX, so "-" sorts after every numbered id. */
	return ia < ib ? -1 : ia > ib;
}

static int cmp_actor(const void *x, const void *y)
{
	const struct report_actor *a = x, *b = y;
	return cmp_actor_key(a->role, a->id, b->role, b->id);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static int cmp_stamp_time(const void *x, const void *y)
{
	const struct stamp *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int cmp_stamp_actor(const void *x, const void *y)
{
	const struct stamp *a = x, *b = y;
	int c = cmp_actor_key(a->role, a->id, b->role, b->id);
	return c != 0 ? c : cmp_stamp_time(x, y);
}

static int cmp_busy(const void *x, const void *y)
{
	const struct report_busy *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The earliest index among ev[a..b): ties in time keep index order, but
 * a burst's times need not follow the log's order (offline scans). */
static uint64_t min_index(const struct stamp *ev, size_t a, size_t b)
{
	uint64_t m = UINT64_MAX;
	for (size_t i = a; i < b; i++)
		if (ev[i].index < m)
			m = ev[i].index;
	return m;
}

/* Records the events ev[a..b) as one burst in br's list. */
static int add_burst(const struct burst_rule *br, const struct stamp *ev, size_t a, size_t b,
		     int overall)
{
	uint64_t count = 0;
	struct report_burst x;
	void *p;

	for (size_t i = a; i < b; i++)
		count += ev[i].weight;
	x = (struct report_burst){
	    .overall = overall,
	    .role = ev[a].role,
	    .id = ev[a].id,
	    .start_ms = ev[a].t,
	    .end_ms = ev[b - 1].t,
	    .count = count,
	    .first_index = min_index(ev, a, b),
	};

	if ((p = room_for_one(*br->list, br->cap, *br->count, sizeof x, 8)) == NULL)
		return AK_ENOMEM;
	*br->list = p;
	(*br->list)[(*br->count)++] = x;
	return 0;
}

/*
 * Bursts among ev[0..n), sorted by time: every window of events within
 * br's window of its first whose weights add up to at least br's count
 * is marked, and marked windows that overlap are one burst.
 */
static int find_bursts(const struct burst_rule *br, const struct stamp *ev, size_t n, int overall)
{
	uint64_t w = br->window_ms, sum = 0; /* sum: the weights of ev[i..j) */
	size_t j = 0, cur_a = 0, cur_b = 0;
	int open = 0, rc;

	for (size_t i = 0; i < n; sum -= ev[i].weight, i++) {
		while (j < n && ev[j].t - ev[i].t <= w)
			sum += ev[j++].weight;
		if (sum < br->n)
			continue;
		if (open && i < cur_b) {
			cur_b = j;
			continue;
		}
		if (open && (rc = add_burst(br, ev, cur_a, cur_b, overall)) != 0)
			return rc;
		open = 1;
		cur_a = i;
		cur_b = j;
	}
	return open ? add_burst(br, ev, cur_a, cur_b, overall) : 0;
}

/* Each actor's bursts among ev[0..n), sorted by actor then time. */
static int find_bursts_per_actor(const struct burst_rule *br, const struct stamp *ev, size_t n)
{
	int rc;

	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && ev[b].role == ev[a].role && ev[b].id == ev[a].id; b++)
			;
		if ((rc = find_bursts(br, ev + a, b - a, 0)) != 0)
			return rc;
	}
	return 0;
}

static int busy_officers(report *r)
{
	struct report_result *res = &r->res;
	uint64_t *counts;
	size_t k = 0;

	for (size_t i = 0; i < res->nactors; i++)
		if (res->actors[i].role == ROLE_OFFICER && res->actors[i].by_action[ACT_STATUS_SET])
			k++;
	res->officers = k;
	if (k == 0)
		return 0;
	if ((counts = malloc(k * sizeof *counts)) == NULL)
		return AK_ENOMEM;
	k = 0;
	for (size_t i = 0; i < res->nactors; i++)
		if (res->actors[i].role == ROLE_OFFICER && res->actors[i].by_action[ACT_STATUS_SET])
			counts[k++] = res->actors[i].by_action[ACT_STATUS_SET];
	qsort(counts, k, sizeof *counts, cmp_u64);
	res->officers_median = counts[(k - 1) / 2];
	free(counts);
	if (k < 2)
		return 0;
	for (size_t i = 0; i < res->nactors; i++) {
		const struct report_actor *a = &res->actors[i];
		uint64_t c = a->by_action[ACT_STATUS_SET], m = res->officers_median;
		void *p;
		if (a->role != ROLE_OFFICER || c < r->cfg.busy_min ||
		    m > UINT64_MAX / r->cfg.busy_factor || c <= m * r->cfg.busy_factor)
			continue;
		if ((p = realloc(res->busy, (res->nbusy + 1) * sizeof *res->busy)) == NULL)
			return AK_ENOMEM;
		res->busy = p;
		res->busy[res->nbusy++] = (struct report_busy){a->role, a->id, c};
	}
	if (res->nbusy > 1)
		qsort(res->busy, res->nbusy, sizeof *res->busy, cmp_busy);
	return 0;
}

int report_finish(report *r)
{
	struct burst_rule denied_rule = {r->cfg.burst_n, r->cfg.burst_window_s * 1000,
					 &r->res.bursts, &r->res.nbursts, &r->cap_bursts};
	struct burst_rule read_rule = {r->cfg.read_burst_n, r->cfg.read_burst_window_s * 1000,
				       &r->res.read_bursts, &r->res.nread_bursts,
				       &r->cap_read_bursts};
	int rc;

	if (r->finished)
		return 0;
	r->finished = 1;
	if (r->res.leaves == 0) {
		r->res.first_index = 0;
		r->res.min_time_ms = 0;
	}
	if (r->res.nactors > 1)
		qsort(r->res.actors, r->res.nactors, sizeof *r->res.actors, cmp_actor);
	/* The hash now points at the wrong places; nothing looks up again. */
	free(r->slots);
	r->slots = NULL;
	if ((rc = busy_officers(r)) != 0)
		return rc;
	if (r->denied.n > 0) {
		qsort(r->denied.v, r->denied.n, sizeof *r->denied.v, cmp_stamp_time);
		if ((rc = find_bursts(&denied_rule, r->denied.v, r->denied.n, 1)) != 0)
			return rc;
		qsort(r->denied.v, r->denied.n, sizeof *r->denied.v, cmp_stamp_actor);
		if ((rc = find_bursts_per_actor(&denied_rule, r->denied.v, r->denied.n)) != 0)
			return rc;
	}
	if (r->reads.n > 0) {
		qsort(r->reads.v, r->reads.n, sizeof *r->reads.v, cmp_stamp_actor);
		if ((rc = find_bursts_per_actor(&read_rule, r->reads.v, r->reads.n)) != 0)
			return rc;
	}
	return 0;
}

const struct report_result *report_result(const report *r)
{
	return &r->res;
}

int report_flagged(const struct report_result *res)
{
	return res->no_purpose_total != 0 || res->nbusy != 0 || res->off_hours_total != 0 ||
	       res->nbursts != 0 || res->nread_bursts != 0 || res->unparsable != 0;
}
