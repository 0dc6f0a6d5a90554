/*
 * term: text from a code or a server, made safe to print on a terminal.
 *
 * A name may hold any UTF-8 except C0 controls and DEL (FORMAT.md), so
 * C1 controls (U+0080..U+009F, which some terminals take as CSI and other
 * escapes) and bidi controls reach the verifier intact: embeddings,
 * overrides and isolates, and the marks LRM, RLM and ALM (U+200E, U+200F,
 * U+061C). Each of those can make a name display as something it is not:
 * a mark is invisible yet moves the neutral characters around it, such as
 * the spaces and punctuation between a family name and a given name.
 * term_safe() replaces each of them, every C0 control and DEL, the line
 * and paragraph separators U+2028 and U+2029 (output is one line per
 * code), and every byte that is not part of valid UTF-8, with U+FFFD.
 * Everything else is copied unchanged. The service refuses all of these
 * in a name at enrolment (service/policy.h); a code may still come from
 * elsewhere, so the verifier does not rely on that.
 *
 * Pure: no I/O. The JSON output needs none of this: jansson escapes.
 */
#ifndef ANKANG_TERM_H
#define ANKANG_TERM_H

#include <stddef.h>

/* Room term_safe needs for len input bytes (each may become U+FFFD). */
#define TERM_SAFE_CAP(len) (3 * (len) + 1)

/*
 * Writes the safe form of in[0..len) and a NUL into out (cap bytes;
 * TERM_SAFE_CAP(len) always suffices). Returns the number of characters
 * replaced, or -1 when out is too small (out then holds "").
 */
long term_safe(char *out, size_t cap, const char *in, size_t len);

/* 1 when code point c is one term_safe replaces. */
int term_unsafe_cp(unsigned long c);

#endif
