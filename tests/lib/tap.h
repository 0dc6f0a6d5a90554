/*
 * tap.h: the Test Anything Protocol for ankang's C tests, header only.
 *
 * A test program calls the checks below and returns tap_done() from
 * main(); prove reads its standard output. Failures print a diagnostic on
 * standard error with the file and line. Never print personal data in a
 * diagnostic: tests use made-up names, and even those stay out of output.
 */
#ifndef ANKANG_TAP_H
#define ANKANG_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
	tap_n++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		fprintf(stderr, "#   failed at %s line %d\n", file, line);
	}
	fflush(stdout);
}

static inline int tap_ok_at(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return pass;
}

static inline int tap_is_int_at(long long got, long long want, const char *file, int line,
				const char *fmt, ...)
{
	va_list ap;
	int pass = got == want;
	va_start(ap, fmt);
	tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		fprintf(stderr, "#          got: %lld\n#     expected: %lld\n", got, want);
	return pass;
}

static inline int tap_is_str_at(const char *got, const char *want, const char *file, int line,
				const char *fmt, ...)
{
	va_list ap;
	int pass = got != NULL && want != NULL && strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		fprintf(stderr, "#          got: '%s'\n#     expected: '%s'\n",
			got ? got : "(null)", want ? want : "(null)");
	return pass;
}

#define ok(pass, ...) tap_ok_at(!!(pass), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                                     \
	tap_is_int_at((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "# ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* n tries of a bounded wait, scaled as tests/lib/tap.sh's patience is:
 * ANKANG_SLOW (1 to 100; make check-valgrind sets it) times as many. */
static inline int patience(int n)
{
	const char *slow = getenv("ANKANG_SLOW");
	long k = slow != NULL ? strtol(slow, NULL, 10) : 1;

	return k >= 1 && k <= 100 ? n * (int)k : n;
}

/* Stops the whole test program: for a broken precondition (missing vector
 * file), not for an ordinary failed check. */
static inline void bail_out(const char *msg)
{
	printf("Bail out! %s\n", msg);
	exit(255);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
