/*
 * show: one check's result in words, as a script reads it (a line) and as
 * a checkpoint worker reads it at a glance (a banner on a terminal).
 *
 * Both forms start with the result, and both keep one rule: a refused
 * code's status never stands where a pass's status stands. A valid code's
 * status is the second word; a refused code's follows "was" (revoked: the
 * status the code claims, which no longer holds) or "now" (superseded: the
 * holder's status today, which this code does not prove), in parentheses:
 *
 *   line     valid green NAME
 *            revoked (was green) NAME
 *            superseded (now red) NAME
 *            superseded - NAME         (online, past the code's window)
 *            expired                   (no name or status for the others)
 *
 *   banner   three lines in the result's colour, each cleared to the end
 *            of the line with the background set (ESC [ K), so the block
 *            spans the terminal's width whatever the name's width:
 *              "  VALID  绿码 green  NAME" on green (yellow, red: the
 *              code's colour; red still means "stop");
 *              "  REFUSED: revoked (was green)  NAME" in white on red.
 *
 * The name passes through term_safe() (term.h) in both forms. Pure: the
 * caller prints, and rings the bell (the caller knows whether stdout is a
 * terminal).
 */
#ifndef ANKANG_SHOW_H
#define ANKANG_SHOW_H

#include <stddef.h>

#include "crypto/cred.h"
#include "verifier/term.h"

/* Room for any line or banner: the safe name and the fixed words. */
#define SHOW_CAP (TERM_SAFE_CAP(CRED_NAME_MAX) + 256)

/* --color: auto (a banner when stdout is a terminal and NO_COLOR is not
 * set), always, never. Zero is no choice, so a forgotten one fails. */
enum show_color {
	SHOW_COLOR_NONE = 0,
	SHOW_COLOR_AUTO,
	SHOW_COLOR_ALWAYS,
	SHOW_COLOR_NEVER
};

struct show_result {
	enum cred_result result;
	int has_status; /* 0: online, superseded past its window */
	enum cred_status status;
	const char *name; /* NULL when there is none, or the result may not show it */
};

/* The --color word: 0, or -1 for anything but auto, always and never. */
int show_color_parse(const char *word, enum show_color *out);

/*
 * Whether to draw banners: always; never; or for auto, when stdout is a
 * terminal (tty), NO_COLOR is unset or empty (no_color: its value, or
 * NULL) and TERM is not "dumb" (term: its value, or NULL).
 */
int show_banner_wanted(enum show_color c, int tty, const char *no_color, const char *term);

/*
 * The line (show_line) or banner (show_banner) for r, with its final LF,
 * into out (cap bytes; SHOW_CAP always suffices). Returns its length, or
 * -1 when out is too small (out then holds ""). The name, when shown, is
 * shown only for a result cred_result_shows_data() allows.
 */
long show_line(char *out, size_t cap, const struct show_result *r);
long show_banner(char *out, size_t cap, const struct show_result *r);

#endif
