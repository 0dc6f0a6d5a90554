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
 * grown since it was opened (util_read_file): the files of a running
 * service's data folder do grow (a WAL, while the writer signs a
 * checkpoint).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

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
		char *buf = NULL;
		size_t len = 0;
		int rc = util_read_file(argv[i], (size_t)1 << 30, &buf, &len);
		if (rc == AK_ENOENT)
			continue; /* a -wal or -shm that is not there holds nothing */
		if (rc != 0) {
			fprintf(stderr, "findbytes: %s: %s\n", argv[i], ak_strerror(rc));
			free(needle);
			return 2;
		}
		if (memmem(buf, len, needle, n) != NULL) {
			printf("%s\n", argv[i]);
			found = 1;
		}
		free(buf);
	}
	free(needle);
	return found;
}
