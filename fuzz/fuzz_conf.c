/*
 * fuzz_conf: conf_parse on arbitrary bytes.
 *
 * Invariants checked beyond "no crash": every key handed over is
 * non-empty and made of key characters, every key and value lies inside
 * the text, neither has a blank at either end, and a refused line is a
 * line of the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const char *text;
	size_t size;
	unsigned lines, last;
};

static int inside(const struct seen *s, const char *p)
{
	return p >= s->text && p + strlen(p) <= s->text + s->size;
}

static int each(void *ctx, const char *key, const char *value, unsigned line)
{
	struct seen *s = ctx;
	size_t kn = strlen(key), vn = strlen(value);

	if (kn == 0 || !inside(s, key) || !inside(s, value) || line <= s->last || line > s->lines)
		abort();
	for (size_t i = 0; i < kn; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
			   key[i]) == NULL)
			abort();
	if (vn > 0 && (strchr(" \t\r", value[0]) || strchr(" \t\r", value[vn - 1])))
		abort();
	s->last = line;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct seen s = {text, size, 1, 0};
	unsigned bad;

	if (text == NULL || size > CONF_MAX_BYTES) {
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		s.lines += data[i] == '\n';
	if (conf_parse(text, size, each, &s, &bad) != 0 && (bad == 0 || bad > s.lines))
		abort();
	free(text);
	return 0;
}
