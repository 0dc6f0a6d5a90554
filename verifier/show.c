/*
 * show: a result's line and banner (see show.h for the forms and the rule
 * they keep). Colours are the eight basic SGR ones, which every terminal
 * that takes colour at all has.
 */
#include "verifier/show.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

/* Background and foreground per banner: black on the code's colour for a
 * pass, bold white on red for a refusal. */
#define SGR_GREEN   "\033[1;30;42m"
#define SGR_YELLOW  "\033[1;30;43m"
#define SGR_RED     "\033[1;30;41m"
#define SGR_REFUSED "\033[1;97;41m"
/* A pass whose status the server left out (it may): no colour to give. */
#define SGR_NEUTRAL "\033[1;7m"
/* Clear to the end of the line (in the background colour), then reset. */
#define SGR_EOL "\033[K\033[0m\n"

/* The status as a checkpoint in China says it, then the word. */
static const char *const status_zh[] = {"绿码", "黄码", "红码"};

struct buf {
	char *p;
	size_t cap, len;
	int full;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->full = 1;
	else
		b->len += (size_t)n;
}

static long finish(struct buf *b)
{
	if (b->full) {
		sodium_memzero(b->p, b->cap);
		b->p[0] = '\0';
		return -1;
	}
	return (long)b->len;
}

int show_color_parse(const char *word, enum show_color *out)
{
	if (strcmp(word, "auto") == 0)
		*out = SHOW_COLOR_AUTO;
	else if (strcmp(word, "always") == 0)
		*out = SHOW_COLOR_ALWAYS;
	else if (strcmp(word, "never") == 0)
		*out = SHOW_COLOR_NEVER;
	else
		return -1;
	return 0;
}

int show_banner_wanted(enum show_color c, int tty, const char *no_color, const char *term)
{
	switch (c) {
	case SHOW_COLOR_ALWAYS:
		return 1;
	case SHOW_COLOR_AUTO:
		/* no-color.org: set and not empty turns colour off. */
		return tty && (no_color == NULL || no_color[0] == '\0') &&
		       (term == NULL || strcmp(term, "dumb") != 0);
	default:
		return 0;
	}
}

/* The name made safe into safe (TERM_SAFE_CAP(CRED_NAME_MAX)), or NULL
 * when there is none to show. */
static const char *safe_name(char *safe, size_t cap, const struct show_result *r)
{
	if (r->name == NULL || !cred_result_shows_data(r->result))
		return NULL;
	if (term_safe(safe, cap, r->name, strnlen(r->name, CRED_NAME_MAX + 1)) < 0)
		safe[0] = '\0';
	return safe;
}

/* "(was green)", "(now red)" or "-": a refused code's status, in words
 * that say it is not a pass. */
static void put_refused_status(struct buf *b, const struct show_result *r)
{
	if (!r->has_status)
		put(b, "-");
	else
		put(b, "(%s %s)", r->result == CRED_SUPERSEDED ? "now" : "was",
		    cred_status_word(r->status));
}

long show_line(char *out, size_t cap, const struct show_result *r)
{
	char safe[TERM_SAFE_CAP(CRED_NAME_MAX)];
	const char *name = safe_name(safe, sizeof safe, r);
	struct buf b = {out, cap, 0, cap == 0};
	long n;

	if (cap == 0)
		return -1;
	put(&b, "%s", cred_result_word(r->result));
	if (name != NULL) {
		put(&b, " ");
		if (r->result == CRED_VALID)
			put(&b, "%s", r->has_status ? cred_status_word(r->status) : "-");
		else
			put_refused_status(&b, r);
		put(&b, " %s", name);
	}
	put(&b, "\n");
	n = finish(&b);
	sodium_memzero(safe, sizeof safe);
	return n;
}

long show_banner(char *out, size_t cap, const struct show_result *r)
{
	char safe[TERM_SAFE_CAP(CRED_NAME_MAX)];
	const char *name = safe_name(safe, sizeof safe, r);
	int pass = r->result == CRED_VALID;
	const char *sgr = SGR_REFUSED;
	struct buf b = {out, cap, 0, cap == 0};
	long n;

	if (cap == 0)
		return -1;
	if (pass && !r->has_status)
		sgr = SGR_NEUTRAL;
	else if (pass)
		sgr = r->status == CRED_GREEN    ? SGR_GREEN
		      : r->status == CRED_YELLOW ? SGR_YELLOW
						 : SGR_RED;
	put(&b, "%s" SGR_EOL "%s  ", sgr, sgr);
	if (pass) {
		put(&b, "VALID");
		if (r->has_status)
			put(&b, "  %s %s",
			    (unsigned)r->status < sizeof status_zh / sizeof *status_zh
				? status_zh[r->status]
				: "",
			    cred_status_word(r->status));
	} else {
		put(&b, "REFUSED: %s", cred_result_word(r->result));
		if (name != NULL) {
			put(&b, " ");
			put_refused_status(&b, r);
		}
	}
	if (name != NULL)
		put(&b, "  %s", name);
	put(&b, SGR_EOL "%s" SGR_EOL, sgr);
	n = finish(&b);
	sodium_memzero(safe, sizeof safe);
	return n;
}
