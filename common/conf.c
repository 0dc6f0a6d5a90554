/*
 * conf: the `key = value` file format (see conf.h). The text is split in
 * place, so the strings handed to the callback live as long as the text.
 */
#include "common/conf.h"

#include <string.h>

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* s[0..n) without the blanks around it, NUL-terminated in place (s[n]
 * must be writable: the '\n', '=' or the byte after the text). */
static char *trim(char *s, size_t n)
{
	while (n > 0 && blank(s[0]))
		s++, n--;
	while (n > 0 && blank(s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

int conf_parse(char *text, size_t len,
	       int (*each)(void *ctx, const char *key, const char *value, unsigned line), void *ctx,
	       unsigned *bad_line)
{
	const char *nul = memchr(text, '\0', len);
	size_t at = 0;
	unsigned line = 0;

	*bad_line = 0;
	if (nul != NULL) {
		/* A NUL would cut a value short unseen: refused at its line. */
		*bad_line = 1;
		for (const char *p = text; p < nul; p++)
			*bad_line += *p == '\n';
		return -1;
	}
	while (at < len) {
		char *start = text + at, *nl = memchr(start, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - at;
		char *eq, *key, *value;
		int rc;

		line++;
		at += n + (nl != NULL);
		{
			size_t i = 0;
			while (i < n && blank(start[i]))
				i++;
			if (i == n || start[i] == '#')
				continue;
		}
		if ((eq = memchr(start, '=', n)) == NULL) {
			*bad_line = line;
			return -1;
		}
		value = trim(eq + 1, n - (size_t)(eq + 1 - start));
		key = trim(start, (size_t)(eq - start));
		if (key[0] == '\0') {
			*bad_line = line;
			return -1;
		}
		for (const char *k = key; *k != '\0'; k++)
			if (!key_char(*k)) {
				*bad_line = line;
				return -1;
			}
		if ((rc = each(ctx, key, value, line)) != 0) {
			*bad_line = line;
			return rc;
		}
	}
	return 0;
}
