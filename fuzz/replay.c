/*
 * replay: a plain main() for a libFuzzer target, so `make test` runs every
 * seed of fuzz/corpus/<name>/ through it (under ASan in check-asan)
 * without needing clang. One TAP line per seed: a crash fails the run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char dir[256], path[512];
	char *names[4096];
	size_t n = 0;
	struct dirent *e;
	DIR *d;
	const char *name = FUZZ_NAME;

	if (strncmp(name, "fuzz_", 5) == 0)
		name += 5;
	snprintf(dir, sizeof dir, "fuzz/corpus/%s", name);
	if ((d = opendir(dir)) == NULL) {
		printf("1..0 # SKIP no corpus at %s\n", dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL && n < AK_ARRAY_LEN(names)) {
		if (e->d_name[0] == '.')
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (util_read_file(path, 1 << 20, &buf, &len) != 0) {
			printf("not ok %zu - %s unreadable\n", i + 1, names[i]);
			continue;
		}
		/* A copy of exactly len bytes, so ASan sees any over-read. */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, buf, len);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
		free(buf);
		printf("ok %zu - %s\n", i + 1, names[i]);
		free(names[i]);
	}
	return 0;
}
