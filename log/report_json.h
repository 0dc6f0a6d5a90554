/*
 * report_json: the report (report.h) as one JSON object, the answer of
 * both `ankang-audit report --json` and GET /v1/audit/report, so that the
 * two cannot drift apart:
 *
 *   {"entries", "read", "first_index", "last_index", "first_time_ms",
 *    "last_time_ms", "unparsable", ["first_unparsable"],
 *    "by_action": {word: n}, "by_result": {word: n},
 *    "by_actor": [{"actor", ["actor_label"], "entries", "denied",
 *                  "off_hours", "by_action"}],
 *    "hours": [{"hour", "actions": {word: n}, "results": {word: n}}],
 *    "flags": {...}, "flagged"}
 *
 * docs/man/ankang-audit.1 and docs/API.md spell out the flags. Actors are
 * "role:id" or "role:-"; a caller that knows account names (the service)
 * passes label, which is asked for every actor written and may give a
 * string for "actor_label" (a new reference) or NULL / null for none.
 */
#ifndef ANKANG_LOG_REPORT_JSON_H
#define ANKANG_LOG_REPORT_JSON_H

#include <stdint.h>

#include <jansson.h>

#include "log/report.h"

typedef json_t *(*report_label_fn)(void *ctx, int role, uint64_t id);

/* A new object, or NULL when out of memory. label may be NULL. */
json_t *report_json(const struct report_result *res, const struct report_config *c,
		    report_label_fn label, void *ctx);

#endif
