/*
 * note: opening C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys.
 *
 *   <text: one or more non-empty lines, each ending in "\n">
 *   "\n"
 *   "— " <key name> " " base64(key_id[4] || signature) "\n"   (1..NOTE_MAX_SIGS)
 *
 * What we accept is a strict subset of C2SP, in three places, all of them
 * forms ankang never produces:
 *   - the text has no empty line (C2SP allows them and splits at the last
 *     one; with none allowed, the first "\n\n" is the separator);
 *   - base64 must be canonical (no stray bits in the last character);
 *   - at most NOTE_MAX_SIGS signature lines, each signature at most
 *     SIG_MAX_BYTES (room for post-quantum signatures, which C2SP warns
 *     may be near 5 kB).
 * Names of unknown signers follow C2SP's rule (non-empty, no Unicode space,
 * no '+') rather than key_name_valid's ASCII-only one, so that a witness
 * cosignature with a non-ASCII name is ignored as C2SP requires rather than
 * failing the note.
 *
 * The note is checked in full before any signature is: a malformed note is
 * AK_EINVAL whatever its signatures, so the result does not depend on the
 * order of lines. Every line whose name and id both match a trusted key is
 * verified (C2SP: "MUST verify"), duplicates included.
 *
 * Must never: read outside note[0..len); sign anything (note_sign.c does).
 */
#include "crypto/note.h"

#include <string.h>

#include <sodium.h>

#include "common/util.h"

#define SIG_PREFIX     "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define SIG_MAX_BYTES  (4 + 8192) /* key id + the longest signature we skip */
#define SIG_B64_MAX    ((SIG_MAX_BYTES + 2) / 3 * 4)

/* One parsed signature line. sig points into the caller's buffer. */
struct sig_line {
	const char *name;
	size_t name_len;
	uint32_t id;
	const uint8_t *sig; /* after the key id */
	size_t sig_len;
};

/* C2SP forbids ASCII control characters other than newline. */
static int chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 && c != '\n')
			return 0;
	}
	return util_utf8_valid(s, len);
}

int note_text_valid(const char *text, size_t len)
{
	if (len < 2 || text[0] == '\n' || text[len - 1] != '\n')
		return 0;
	if (memmem(text, len, "\n\n", 2) != NULL)
		return 0;
	return chars_ok(text, len);
}

/* Decodes one UTF-8 sequence of a string already known to be valid. */
static uint32_t utf8_next(const unsigned char *s, size_t *i)
{
	uint32_t c = s[*i];
	size_t n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;

	c &= n == 0 ? 0x7f : n == 1 ? 0x1f : n == 2 ? 0x0f : 0x07;
	for (size_t k = 1; k <= n; k++)
		c = c << 6 | (s[*i + k] & 0x3f);
	*i += n + 1;
	return c;
}

/* Unicode White_Space, which includes every space separator (Zs). */
static int is_unicode_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* C2SP key names: non-empty, no Unicode space, no '+'. s is valid UTF-8. */
static int sig_name_ok(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		uint32_t c = utf8_next((const unsigned char *)s, &i);
		if (c == '+' || is_unicode_space(c))
			return 0;
	}
	return 1;
}

/*
 * Parses the signature line at *p (which ends before end, and the block is
 * known to end in "\n"), decoding its base64 into buf. Advances *p past the
 * line. Returns 0 or AK_EINVAL.
 */
static int parse_sig_line(const char **p, const char *end, struct sig_line *sl,
			  uint8_t buf[SIG_MAX_BYTES])
{
	const char *line = *p, *nl, *sp, *b64;
	size_t line_len, b64_len, got = 0;

	nl = memchr(line, '\n', (size_t)(end - line));
	line_len = (size_t)(nl - line);
	*p = nl + 1;
	if (line_len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return AK_EINVAL;
	sl->name = line + SIG_PREFIX_LEN;
	if ((sp = memchr(sl->name, ' ', (size_t)(nl - sl->name))) == NULL)
		return AK_EINVAL;
	sl->name_len = (size_t)(sp - sl->name);
	if (!sig_name_ok(sl->name, sl->name_len))
		return AK_EINVAL;
	b64 = sp + 1;
	b64_len = (size_t)(nl - b64);
	if (b64_len == 0 || b64_len > SIG_B64_MAX)
		return AK_EINVAL;
	if (util_b64_decode(buf, SIG_MAX_BYTES, &got, b64, b64_len) != 0 || got < 5)
		return AK_EINVAL;
	sl->id = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	sl->sig = buf + 4;
	sl->sig_len = got - 4;
	return 0;
}

static int key_matches(const struct key_verifier *v, const struct sig_line *sl)
{
	return v->id == sl->id && strnlen(v->name, sizeof v->name) == sl->name_len &&
	       memcmp(v->name, sl->name, sl->name_len) == 0;
}

int note_open_with(const char *note, size_t len, const struct key_verifier *vs, size_t nvs,
		   size_t sig_bytes, note_check_fn check, void *ctx, size_t *text_len,
		   uint32_t *verified_by)
{
	uint8_t buf[SIG_MAX_BYTES];
	const char *sep, *sigs, *end, *p;
	struct sig_line sl;
	size_t tlen, nsigs = 0, good = 0;
	uint32_t bits = 0;

	if (len == 0 || len > NOTE_MAX_BYTES || !chars_ok(note, len))
		return AK_EINVAL;
	/* No empty line in the text, so the first one is the separator. */
	if ((sep = memmem(note, len, "\n\n", 2)) == NULL)
		return AK_EINVAL;
	tlen = (size_t)(sep - note) + 1;
	if (note[0] == '\n') /* an empty first line, or no text at all */
		return AK_EINVAL;
	sigs = sep + 2;
	end = note + len;
	if (sigs == end || end[-1] != '\n')
		return AK_EINVAL;

	/* Pass 1: the whole signature block is well-formed. */
	for (p = sigs; p < end;) {
		if (++nsigs > NOTE_MAX_SIGS)
			return AK_EINVAL;
		if (parse_sig_line(&p, end, &sl, buf) != 0)
			return AK_EINVAL;
		for (size_t i = 0; i < nvs; i++) {
			if (key_matches(&vs[i], &sl) && sl.sig_len != sig_bytes)
				return AK_EINVAL;
		}
	}

	/* Pass 2: every signature by a trusted key verifies. */
	if (sodium_init() < 0)
		return AK_ECRYPTO;
	for (p = sigs; p < end;) {
		if (parse_sig_line(&p, end, &sl, buf) != 0)
			return AK_EINVAL; /* not reached: pass 1 parsed every line */
		for (size_t i = 0; i < nvs; i++) {
			if (!key_matches(&vs[i], &sl))
				continue;
			if (check(ctx, &vs[i], i, (const uint8_t *)note, tlen, sl.sig) != 0)
				return AK_ECRYPTO;
			good++;
			if (i < 32)
				bits |= (uint32_t)1 << i;
		}
	}
	if (good == 0)
		return AK_ENOENT;
	*text_len = tlen;
	if (verified_by != NULL)
		*verified_by = bits;
	return 0;
}

static int check_ed25519(void *ctx, const struct key_verifier *v, size_t i, const uint8_t *text,
			 size_t len, const uint8_t *sig)
{
	(void)ctx;
	(void)i;
	return crypto_sign_verify_detached(sig, text, len, v->pk);
}

int note_open(const char *note, size_t len, const struct key_verifier *vs, size_t nvs,
	      size_t *text_len, uint32_t *verified_by)
{
	return note_open_with(note, len, vs, nvs, KEY_SIG_BYTES, check_ed25519, NULL, text_len,
			      verified_by);
}
