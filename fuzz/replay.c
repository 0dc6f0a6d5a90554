/*
 * replay: a plain main() for a libFuzzer target, so `make test` runs every
 * seed of fuzz/corpus/<name>/, and of FUZZ_SEEDS/<name>/ (the seeds
 * fuzz/seeds makes from the vectors), through it (under ASan in
 * check-asan) without needing clang. One TAP line per seed: a crash fails
 * the run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* A target's one-time set-up, when it has one (libFuzzer calls it first). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the seeds of dir to names (as paths); returns the new count. */
static size_t add_dir(const char *dir, char **names, size_t n, size_t cap)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return n;
	while ((e = readdir(d)) != NULL && n < cap) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		names[n++] = strdup(path);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	char dir[256];
	char *names[4096];
	size_t n = 0;
	const char *name = FUZZ_NAME;

	if (strncmp(name, "fuzz_", 5) == 0)
		name += 5;
	snprintf(dir, sizeof dir, "fuzz/corpus/%s", name);
	n = add_dir(dir, names, n, AK_ARRAY_LEN(names));
	snprintf(dir, sizeof dir, "%s/%s", FUZZ_SEEDS, name);
	n = add_dir(dir, names, n, AK_ARRAY_LEN(names));
	if (n == 0) {
		printf("1..0 # SKIP no seeds for %s\n", name);
		return 0;
	}
	qsort(names, n, sizeof names[0], cmp);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;
		if (util_read_file(names[i], 1 << 20, &buf, &len) != 0) {
			printf("not ok %zu - %s unreadable\n", i + 1, names[i]);
			free(names[i]);
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
