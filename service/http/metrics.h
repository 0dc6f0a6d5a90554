/*
 * metrics: counters for GET /metrics (Prometheus text format): requests by
 * route and status with latency histograms, and the audit writer's batch
 * sizes, commit latency, leaves and checkpoint size, what the
 * transport guard refused or cut off, and each witness's cosigning. Counters only: no
 * label ever carries a path, an id or anything a client sent.
 */
#ifndef ANKANG_METRICS_H
#define ANKANG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "log/auditlog.h"
#include "service/http/guard.h"
#include "service/witnessing.h"

struct metrics;

/* Counters for the first n_routes routes of the table (routes.h) plus one
 * slot for unmatched requests. */
struct metrics *metrics_new(size_t n);
void metrics_free(struct metrics *m);
/* The transport guard whose refusals and cuts are shown (NULL: none). */
void metrics_set_guard(struct metrics *m, struct guard *g);
/* The witnesses whose cosigning is shown (NULL: none configured). */
void metrics_set_witnessing(struct metrics *m, witnessing *w);
/* The epochs shared between nodes on PostgreSQL (NULL: none). */
struct epochshare;
void metrics_set_epochshare(struct metrics *m, struct epochshare *e);

/* Counts one finished request (route_index == n_routes: unmatched). Lock-free. */
void metrics_request(struct metrics *m, size_t route_index, unsigned status, uint64_t ns);

/* The exposition text, malloc'd. */
int metrics_render(struct metrics *m, auditlog *log, char **out, size_t *len);

#endif
