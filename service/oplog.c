/*
 * oplog: the operator's log (see oplog.h). Each line is built whole and
 * written with one fputs on an unbuffered stderr, so lines from several
 * threads do not interleave.
 */
#include "service/oplog.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "common/util.h"

static atomic_int quiet;

void oplog_quiet(int q)
{
	atomic_store(&quiet, q);
}

static void stamp(char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void oplog_request(const char *method, const char *route, unsigned status, const char *code,
		   uint64_t ns)
{
	char line[256], when[32];

	if (atomic_load(&quiet))
		return;
	stamp(when, sizeof when);
	snprintf(line, sizeof line, "%s %s %s %u%s%s %.3fms\n", when, method, route, status,
		 code ? " " : "", code ? code : "", (double)ns / 1e6);
	fputs(line, stderr);
}

void oplog_fault(const char *method, const char *route, const char *doing, int rc,
		 const char *detail)
{
	char line[512], when[32];

	stamp(when, sizeof when);
	snprintf(line, sizeof line, "%s fault %s%s%s%s%s: %s%s%.160s\n", when, method ? method : "",
		 method ? " " : "", route ? route : "", route ? ": " : "", doing, ak_strerror(rc),
		 detail ? ": " : "", detail ? detail : "");
	fputs(line, stderr);
}

void oplog_note(const char *fmt, ...)
{
	char line[512], when[32], text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	stamp(when, sizeof when);
	snprintf(line, sizeof line, "%s note %s\n", when, text);
	fputs(line, stderr);
}
