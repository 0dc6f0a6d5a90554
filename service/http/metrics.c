/*
 * metrics: see metrics.h. Each counter is a relaxed atomic: a scrape may
 * see a request counted in one series and not yet in another, which
 * Prometheus tolerates; nothing here takes a lock on the request path.
 */
#include "service/http/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "log/auditlog.h"
#include "service/epochshare.h"
#include "service/http/routes.h"

static const unsigned statuses[] = {200, 201, 204, 400, 401, 403, 404,
				    405, 409, 413, 415, 429, 500, 503};
/* + "other", and "aborted": status 0, no answer was sent (the client
 * closed the connection first, as a load generator does when it stops). */
#define N_STATUS       (AK_ARRAY_LEN(statuses) + 2)
#define STATUS_OTHER   (N_STATUS - 2)
#define STATUS_ABORTED (N_STATUS - 1)
/* Latency bucket upper bounds, seconds. */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1};
#define N_BUCKET (AK_ARRAY_LEN(buckets) + 1) /* + "+Inf" */

struct route_counters {
	atomic_uint_fast64_t by_status[N_STATUS];
	atomic_uint_fast64_t by_bucket[N_BUCKET];
	atomic_uint_fast64_t ns_sum;
};

struct metrics {
	struct guard *guard;
	witnessing *witnessing;
	struct epochshare *epochshare;
	size_t n_routes;
	struct route_counters r[]; /* n_routes + 1 */
};

struct metrics *metrics_new(size_t n)
{
	struct metrics *m = calloc(1, sizeof *m + (n + 1) * sizeof m->r[0]);
	if (m != NULL)
		m->n_routes = n;
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_set_guard(struct metrics *m, struct guard *g)
{
	m->guard = g;
}

void metrics_set_epochshare(struct metrics *m, struct epochshare *e)
{
	m->epochshare = e;
}

void metrics_set_witnessing(struct metrics *m, witnessing *w)
{
	m->witnessing = w;
}

void metrics_request(struct metrics *m, size_t route_index, unsigned status, uint64_t ns)
{
	struct route_counters *c;
	size_t s = status == 0 ? STATUS_ABORTED : STATUS_OTHER, b = N_BUCKET - 1;

	if (m == NULL)
		return;
	c = &m->r[route_index <= m->n_routes ? route_index : m->n_routes];
	for (size_t i = 0; i < AK_ARRAY_LEN(statuses); i++)
		if (statuses[i] == status)
			s = i;
	for (size_t i = 0; i < AK_ARRAY_LEN(buckets); i++)
		if ((double)ns / 1e9 <= buckets[i]) {
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&c->by_status[s], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->by_bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->ns_sum, ns, memory_order_relaxed);
}

/* A growing text buffer; on allocation failure it stops growing and
 * metrics_render reports AK_ENOMEM. */
struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p, b->cap = cap;
	}
}

static void route_label(const struct metrics *m, size_t i, char *out, size_t cap)
{
	if (i < m->n_routes && i < n_routes)
		snprintf(out, cap, "method=\"%s\",route=\"%s\"", routes[i].method,
			 routes[i].pattern);
	else
		snprintf(out, cap, "method=\"-\",route=\"-\"");
}

/*
 * Each witness by its name (a key name: printable ASCII, no space; a
 * quote or backslash, which a label would have to escape, becomes '_'),
 * and the checkpoint served beside the newest signed one: while they
 * differ, newer checkpoints wait for a quorum.
 */
static void put_witnesses(struct buf *b, witnessing *w)
{
	static const char *const series[][3] = {
	    {"ankang_witness_cosigned_size", "gauge",
	     "Tree size of the newest checkpoint the witness cosigned."},
	    {"ankang_witness_up", "gauge",
	     "1 when the last request to the witness got its cosignature."},
	    {"ankang_witness_failures_total", "counter",
	     "Requests to the witness that got no cosignature."},
	    {"ankang_witness_conflicts_total", "counter",
	     "409 answers: the witness held another size than the one sent."},
	};
	struct witnessing_stats st;
	char names[COSIG_MAX_KEYS][KEY_NAME_MAX + 1];

	witnessing_stats(w, &st);
	for (size_t i = 0; i < st.n; i++) {
		snprintf(names[i], sizeof names[i], "%s", st.peers[i].name);
		for (char *c = names[i]; *c != '\0'; c++)
			if (*c == '"' || *c == '\\')
				*c = '_';
	}
	for (size_t k = 0; k < AK_ARRAY_LEN(series); k++) {
		put(b, "# HELP %s %s\n# TYPE %s %s\n", series[k][0], series[k][2], series[k][0],
		    series[k][1]);
		for (size_t i = 0; i < st.n; i++) {
			const struct witnessing_peer_stats *p = &st.peers[i];
			uint64_t v = k == 0   ? p->cosigned_size
				     : k == 1 ? (uint64_t)p->up
				     : k == 2 ? p->failures
					      : p->conflicts;
			put(b, "%s{witness=\"%s\"} %llu\n", series[k][0], names[i],
			    (unsigned long long)v);
		}
	}
	put(b,
	    "# HELP ankang_witness_quorum Witnesses that must cosign a checkpoint before it is"
	    " served.\n"
	    "# TYPE ankang_witness_quorum gauge\nankang_witness_quorum %u\n"
	    "# HELP ankang_witness_served_checkpoint_size Tree size of the checkpoint served:"
	    " the newest a quorum cosigned (0: none yet).\n"
	    "# TYPE ankang_witness_served_checkpoint_size gauge\n"
	    "ankang_witness_served_checkpoint_size %llu\n"
	    "# HELP ankang_witness_newest_checkpoint_size Tree size of the newest signed checkpoint"
	    " sent to the witnesses.\n"
	    "# TYPE ankang_witness_newest_checkpoint_size gauge\n"
	    "ankang_witness_newest_checkpoint_size %llu\n",
	    st.quorum, (unsigned long long)st.served_size, (unsigned long long)st.newest_size);
}

/* The KEK epochs shared between nodes (service/epochshare.h). */
static void put_epochs(struct buf *b, struct epochshare *e)
{
	struct epochshare_stats st;

	epochshare_stats(e, &st);
	put(b,
	    "# HELP ankang_epochs_leader 1 when this node leads the KEK epoch rotations.\n"
	    "# TYPE ankang_epochs_leader gauge\nankang_epochs_leader %d\n"
	    "# HELP ankang_epochs_behind 1 while a listed epoch is not held here yet.\n"
	    "# TYPE ankang_epochs_behind gauge\nankang_epochs_behind %d\n"
	    "# HELP ankang_epochs_current The epoch new data keys are wrapped under here.\n"
	    "# TYPE ankang_epochs_current gauge\nankang_epochs_current %llu\n"
	    "# HELP ankang_epochs_floor The database's floor: older epochs are destroyed.\n"
	    "# TYPE ankang_epochs_floor gauge\nankang_epochs_floor %llu\n"
	    "# HELP ankang_epochs_stale_nodes Nodes not seen lately, which do not hold a"
	    " rotation back (the leader's count).\n"
	    "# TYPE ankang_epochs_stale_nodes gauge\nankang_epochs_stale_nodes %llu\n"
	    "# HELP ankang_epochs_rounds_failed_total Rounds of the epoch sharing that failed.\n"
	    "# TYPE ankang_epochs_rounds_failed_total counter\n"
	    "ankang_epochs_rounds_failed_total %llu\n",
	    st.leading, st.behind, (unsigned long long)st.current, (unsigned long long)st.floor,
	    (unsigned long long)st.stale_nodes, (unsigned long long)st.rounds_failed);
}

int metrics_render(struct metrics *m, auditlog *log, char **out, size_t *len)
{
	struct buf b = {malloc(8192), 0, 8192, 0};
	struct auditlog_stats st;
	uint64_t size;
	merkle_hash root;
	char label[160];

	if (b.p == NULL)
		return AK_ENOMEM;
	put(&b, "# HELP ankang_http_requests_total Requests answered, by route and status.\n"
		"# TYPE ankang_http_requests_total counter\n");
	for (size_t i = 0; i <= m->n_routes; i++) {
		route_label(m, i, label, sizeof label);
		for (size_t s = 0; s < N_STATUS; s++) {
			uint64_t v =
			    atomic_load_explicit(&m->r[i].by_status[s], memory_order_relaxed);
			if (v == 0)
				continue;
			if (s < AK_ARRAY_LEN(statuses))
				put(&b, "ankang_http_requests_total{%s,status=\"%u\"} %llu\n",
				    label, statuses[s], (unsigned long long)v);
			else
				put(&b, "ankang_http_requests_total{%s,status=\"%s\"} %llu\n",
				    label, s == STATUS_ABORTED ? "aborted" : "other",
				    (unsigned long long)v);
		}
	}
	put(&b, "# HELP ankang_http_request_seconds Time from request to answer.\n"
		"# TYPE ankang_http_request_seconds histogram\n");
	for (size_t i = 0; i <= m->n_routes; i++) {
		uint64_t cum = 0;
		route_label(m, i, label, sizeof label);
		for (size_t k = 0; k < N_BUCKET; k++) {
			cum += atomic_load_explicit(&m->r[i].by_bucket[k], memory_order_relaxed);
			if (k < AK_ARRAY_LEN(buckets))
				put(&b, "ankang_http_request_seconds_bucket{%s,le=\"%g\"} %llu\n",
				    label, buckets[k], (unsigned long long)cum);
			else
				put(&b, "ankang_http_request_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
				    label, (unsigned long long)cum);
		}
		put(&b, "ankang_http_request_seconds_sum{%s} %.6f\n", label,
		    (double)atomic_load_explicit(&m->r[i].ns_sum, memory_order_relaxed) / 1e9);
		put(&b, "ankang_http_request_seconds_count{%s} %llu\n", label,
		    (unsigned long long)cum);
	}

	auditlog_stats(log, &st);
	auditlog_head(log, &size, root);
	put(&b,
	    "# HELP ankang_audit_leaves Leaves in the audit log.\n"
	    "# TYPE ankang_audit_leaves gauge\nankang_audit_leaves %llu\n"
	    "# HELP ankang_audit_checkpoint_size Tree size of the newest signed checkpoint.\n"
	    "# TYPE ankang_audit_checkpoint_size gauge\nankang_audit_checkpoint_size %llu\n"
	    "# HELP ankang_audit_batches_total Transactions committed by the audit writer.\n"
	    "# TYPE ankang_audit_batches_total counter\nankang_audit_batches_total %llu\n"
	    "# HELP ankang_audit_operations_total Operations committed.\n"
	    "# TYPE ankang_audit_operations_total counter\nankang_audit_operations_total %llu\n"
	    "# HELP ankang_audit_failed_batches_total Batches whose commit failed.\n"
	    "# TYPE ankang_audit_failed_batches_total counter\n"
	    "ankang_audit_failed_batches_total %llu\n"
	    "# HELP ankang_audit_checkpoints_total Checkpoints signed.\n"
	    "# TYPE ankang_audit_checkpoints_total counter\nankang_audit_checkpoints_total %llu\n"
	    "# HELP ankang_audit_commit_seconds Time spent in COMMIT (fsync included).\n"
	    "# TYPE ankang_audit_commit_seconds summary\n"
	    "ankang_audit_commit_seconds_sum %.6f\nankang_audit_commit_seconds_count %llu\n"
	    "# HELP ankang_audit_commit_seconds_max Longest COMMIT so far.\n"
	    "# TYPE ankang_audit_commit_seconds_max gauge\nankang_audit_commit_seconds_max %.6f\n",
	    (unsigned long long)size, (unsigned long long)st.checkpoint_size,
	    (unsigned long long)st.batches, (unsigned long long)st.ops,
	    (unsigned long long)st.failed_batches, (unsigned long long)st.checkpoints,
	    (double)st.commit_ns_total / 1e9, (unsigned long long)st.batches,
	    (double)st.commit_ns_max / 1e9);
	put(&b, "# HELP ankang_audit_batch_operations Operations per committed batch.\n"
		"# TYPE ankang_audit_batch_operations histogram\n");
	{
		static const char *const le[] = {"1", "3", "7", "15", "31", "63", "127", "+Inf"};
		uint64_t cum = 0;
		for (size_t k = 0; k < 8; k++) {
			cum += st.batch_hist[k];
			put(&b, "ankang_audit_batch_operations_bucket{le=\"%s\"} %llu\n", le[k],
			    (unsigned long long)cum);
		}
		put(&b, "ankang_audit_batch_operations_sum %llu\n", (unsigned long long)st.ops);
		put(&b, "ankang_audit_batch_operations_count %llu\n", (unsigned long long)cum);
	}
	put(&b,
	    "# HELP ankang_log_leader 1 while this node's writer holds the log's leader lock and"
	    " signs its checkpoints (always on SQLite).\n"
	    "# TYPE ankang_log_leader gauge\nankang_log_leader %d\n",
	    st.leader);
	put(&b,
	    "# HELP ankang_log_writes_refused 1 when the audit log refuses every write (503).\n"
	    "# TYPE ankang_log_writes_refused gauge\nankang_log_writes_refused %d\n"
	    "# HELP ankang_log_scrub_leaves_per_second The scrubber's rate; 0: off.\n"
	    "# TYPE ankang_log_scrub_leaves_per_second gauge\n"
	    "ankang_log_scrub_leaves_per_second %u\n"
	    "# HELP ankang_log_scrub_passes_total Whole passes over the audit log completed.\n"
	    "# TYPE ankang_log_scrub_passes_total counter\nankang_log_scrub_passes_total %llu\n"
	    "# HELP ankang_log_scrub_leaves_total Leaves rehashed, in every pass.\n"
	    "# TYPE ankang_log_scrub_leaves_total counter\nankang_log_scrub_leaves_total %llu\n"
	    "# HELP ankang_log_scrub_position Leaves verified in the current pass.\n"
	    "# TYPE ankang_log_scrub_position gauge\nankang_log_scrub_position %llu\n"
	    "# HELP ankang_log_scrub_pass_size_leaves Where the current pass ends.\n"
	    "# TYPE ankang_log_scrub_pass_size_leaves gauge\n"
	    "ankang_log_scrub_pass_size_leaves %llu\n"
	    "# HELP ankang_log_scrub_last_pass_timestamp_seconds When the last pass completed.\n"
	    "# TYPE ankang_log_scrub_last_pass_timestamp_seconds gauge\n"
	    "ankang_log_scrub_last_pass_timestamp_seconds %.3f\n"
	    "# HELP ankang_log_scrub_mismatch 1 once the scrubber found a leaf, hash or"
	    " checkpoint that does not match.\n"
	    "# TYPE ankang_log_scrub_mismatch gauge\nankang_log_scrub_mismatch %d\n",
	    st.writes_refused, st.scrub.leaves_per_s, (unsigned long long)st.scrub.passes,
	    (unsigned long long)st.scrub.leaves, (unsigned long long)st.scrub.position,
	    (unsigned long long)st.scrub.pass_size, (double)st.scrub.last_pass_ms / 1e3,
	    st.scrub.mismatch);
	put(&b,
	    "# HELP ankang_log_wipes_total Erasures' wipes done: the WAL copied back and"
	    " truncated.\n"
	    "# TYPE ankang_log_wipes_total counter\nankang_log_wipes_total %llu\n"
	    "# HELP ankang_log_wipe_seconds_max Longest wipe so far.\n"
	    "# TYPE ankang_log_wipe_seconds_max gauge\nankang_log_wipe_seconds_max %.6f\n"
	    "# HELP ankang_log_wipe_late_total Erasures answered 503 erasure_incomplete.\n"
	    "# TYPE ankang_log_wipe_late_total counter\nankang_log_wipe_late_total %llu\n"
	    "# HELP ankang_log_wipe_owed 1 while a wipe waits for readers of older snapshots.\n"
	    "# TYPE ankang_log_wipe_owed gauge\nankang_log_wipe_owed %d\n",
	    (unsigned long long)st.wipes, (double)st.wipe_ns_max / 1e9,
	    (unsigned long long)st.wipes_late, st.wipe_owed);
	put(&b,
	    "# HELP ankang_log_queue_depth Operations waiting for this node's audit writer.\n"
	    "# TYPE ankang_log_queue_depth gauge\nankang_log_queue_depth %llu\n"
	    "# HELP ankang_log_unsigned_leaves Leaves not yet under a signed checkpoint, as the"
	    " writer last read them (PostgreSQL).\n"
	    "# TYPE ankang_log_unsigned_leaves gauge\nankang_log_unsigned_leaves %llu\n"
	    "# HELP ankang_log_overloaded_total Requests refused 503 overloaded, by the bound"
	    " that refused them (--max-queue, --max-unsigned).\n"
	    "# TYPE ankang_log_overloaded_total counter\n"
	    "ankang_log_overloaded_total{bound=\"queue\"} %llu\n"
	    "ankang_log_overloaded_total{bound=\"unsigned\"} %llu\n"
	    "# HELP ankang_log_db_lost 1 while the audit writer's database connection is lost"
	    " (PostgreSQL).\n"
	    "# TYPE ankang_log_db_lost gauge\nankang_log_db_lost %d\n"
	    "# HELP ankang_log_reconnects_total Times the audit writer's connection was made"
	    " again.\n"
	    "# TYPE ankang_log_reconnects_total counter\nankang_log_reconnects_total %llu\n"
	    "# HELP ankang_log_grouped_ops_total Operations whose change the writer did with"
	    " others of their kind in one statement (PostgreSQL).\n"
	    "# TYPE ankang_log_grouped_ops_total counter\nankang_log_grouped_ops_total %llu\n"
	    "# HELP ankang_log_group_fallbacks_total Such groups that could not be done whole,"
	    " whose operations then ran one by one.\n"
	    "# TYPE ankang_log_group_fallbacks_total counter\n"
	    "ankang_log_group_fallbacks_total %llu\n"
	    "# HELP ankang_log_gathered_batches_total Batches the audit writer waited for"
	    " more requests before taking (--batch-gather).\n"
	    "# TYPE ankang_log_gathered_batches_total counter\n"
	    "ankang_log_gathered_batches_total %llu\n"
	    "# HELP ankang_log_gather_seconds_total Time the audit writer spent waiting so.\n"
	    "# TYPE ankang_log_gather_seconds_total counter\n"
	    "ankang_log_gather_seconds_total %.6f\n",
	    (unsigned long long)st.queued, (unsigned long long)st.unsigned_leaves,
	    (unsigned long long)st.shed_queue, (unsigned long long)st.shed_unsigned, st.db_lost,
	    (unsigned long long)st.reconnects, (unsigned long long)st.grouped_ops,
	    (unsigned long long)st.group_fallbacks, (unsigned long long)st.gathers,
	    (double)st.gather_ns_total / 1e9);
	if (st.scrub.mismatch)
		put(&b,
		    "# HELP ankang_log_scrub_mismatch_index The leaf (or checkpoint size) where it"
		    " was found.\n"
		    "# TYPE ankang_log_scrub_mismatch_index gauge\n"
		    "ankang_log_scrub_mismatch_index %llu\n",
		    (unsigned long long)st.scrub.mismatch_at);
	if (m->guard != NULL) {
		struct guard_stats gs;
		guard_get_stats(m->guard, &gs);
		put(&b,
		    "# HELP ankang_http_refused_total Requests refused by the transport guard (400"
		    " bad_request: smuggling, %%00, bad headers).\n"
		    "# TYPE ankang_http_refused_total counter\nankang_http_refused_total %llu\n"
		    "# HELP ankang_http_cut_total Connections cut off for sending too slowly.\n"
		    "# TYPE ankang_http_cut_total counter\n"
		    "ankang_http_cut_total{deadline=\"head\"} %llu\n"
		    "ankang_http_cut_total{deadline=\"request\"} %llu\n",
		    (unsigned long long)gs.refused, (unsigned long long)gs.cut_head,
		    (unsigned long long)gs.cut_request);
	}
	if (m->witnessing != NULL)
		put_witnesses(&b, m->witnessing);
	if (m->epochshare != NULL)
		put_epochs(&b, m->epochshare);
	if (b.failed) {
		free(b.p);
		return AK_ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
