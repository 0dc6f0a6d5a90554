/*
 * oplog: the operator's log, one line per event on standard error, the
 * only place the service itself prints while it runs.
 *
 *   2026-12-06T10:00:00Z POST /v1/lookup 404 not_found 3.1ms
 *       one line per request: method, the route's pattern (never the path,
 *       which may hold a handle), status, the error's code when it is
 *       one, and the time taken;
 *   2026-12-06T10:00:00Z fault POST /v1/lookup: opening a record: ...
 *       the service's own failures (an api_error that is ours), with the
 *       cause: what it was doing and the AK_E* phrase (and, from the
 *       store, SQLite's own words, which never hold data);
 *   2026-12-06T10:00:00Z note scrubber: ...
 *       events of the background threads.
 *
 * Never: a body, a query string, a token, a client address, a name, an
 * ID number, a handle. Callers pass only constants, route patterns and
 * error phrases.
 */
#ifndef ANKANG_OPLOG_H
#define ANKANG_OPLOG_H

#include <stdint.h>

/* Per-request lines on or off (serve --quiet); faults are always logged. */
void oplog_quiet(int quiet);

/* A finished request. code NULL for a success. */
void oplog_request(const char *method, const char *route, unsigned status, const char *code,
		   uint64_t ns);

/* The service's own failure while doing `doing`, with rc's phrase and an
 * optional detail (store_errmsg's words), on behalf of route (NULL for a
 * background thread). */
void oplog_fault(const char *method, const char *route, const char *doing, int rc,
		 const char *detail);

/* Anything else worth an operator's eye, printf-style. */
void oplog_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
