/*
 * findbytes: a test helper for the forensic tests of erasure: which files
 * hold a given byte string.
 *
 *   findbytes HEX FILE...
 *
 * Prints the name of each FILE that holds the bytes HEX spells (at any
 * offset), one a line, and nothing of its contents. Exit status 0 when
 * none holds them, 1 when one does, 2 on bad usage or a file it cannot
 * read. Each file is read to its end (up to 1 GiB), however long it has
 * grown since it was opened: the files of a running service's data
 * folder do grow (a WAL, while the writer signs a checkpoint), and a read
 * bounded by the size fstat gave failed on them (CI, check-asan).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define MAX_FILE ((size_t)1 << 30)

/* The whole of path into *buf (*len bytes): 0, or -1 with errno's story
 * on stderr. A file that is not there holds nothing: *len 0. */
static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, got = 0, r;
	char *p = NULL;

	*buf = NULL;
	*len = 0;
	if (f == NULL) {
		if (errno == ENOENT)
			return 0; /* a -wal or -shm that is gone holds nothing */
		fprintf(stderr, "findbytes: %s: cannot open\n", path);
		return -1;
	}
	for (;;) {
		if (got == cap) {
			char *q;
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > MAX_FILE + 1 || (q = realloc(p, cap)) == NULL) {
				fprintf(stderr, "findbytes: %s: too big\n", path);
				break;
			}
			p = q;
		}
		r = fread(p + got, 1, cap - got, f);
		got += r;
		if (r == 0) {
			if (ferror(f))
				fprintf(stderr, "findbytes: %s: cannot read\n", path);
			break;
		}
	}
	if (got == cap || ferror(f)) {
		fclose(f);
		free(p);
		return -1;
	}
	fclose(f);
	*buf = p;
	*len = got;
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t *needle;
	size_t hexlen, n;
	int found = 0;

	if (argc < 3 || (hexlen = strlen(argv[1])) == 0 || hexlen % 2 != 0) {
		fprintf(stderr, "usage: findbytes HEX FILE...\n");
		return 2;
	}
	n = hexlen / 2;
	if ((needle = malloc(n)) == NULL || util_hex_decode(needle, n, argv[1], hexlen) != 0) {
		fprintf(stderr, "findbytes: not hex\n");
		free(needle);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		char *buf;
		size_t len;
		if (read_all(argv[i], &buf, &len) != 0) {
			free(needle);
			return 2;
		}
		if (buf != NULL && memmem(buf, len, needle, n) != NULL) {
			printf("%s\n", argv[i]);
			found = 1;
		}
		free(buf);
	}
	free(needle);
	return found;
}
