/*
 * fuzz_spool: ankang-verify's spool files as a crash, a full disk or
 * another process may leave them (verifier/spool.h): the input is the
 * `sent` file and the `scans` file, written into a private folder, then
 * read as `ankang-verify sync` reads them: spool_sent_read,
 * spool_open (which cuts a torn tail), and spool_reader from the sent
 * offset to the end.
 *
 * Input: byte 0 mod 24 is the length k of the sent file's text, which
 * is the next k bytes (k = 0: no sent file); the rest is the scans file.
 *
 * Invariants checked: spool_open leaves the file as the rule says
 * (spool.c, drop_torn_tail: the bytes after the last LF cut when there
 * are at most SPOOL_LINE_MAX of them, else left), never changing a byte
 * before; a sent offset that reads back is the decimal the file holds;
 * the reader starts only at an offset inside the file, moves forward
 * only to just past an LF, and each scan it returns formats back to the
 * exact line it was read from; it stops at the end, with no more lines
 * than the file has LFs.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "verifier/spool.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], scans_path[300], sent_path[300];

static int rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	nftw(dir, rm, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	(void)argc, (void)argv;
	snprintf(dir, sizeof dir, "%s/ankang-fuzz-spool-XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	snprintf(scans_path, sizeof scans_path, "%s/scans", dir);
	snprintf(sent_path, sizeof sent_path, "%s/sent", dir);
	return 0;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n) || close(fd) != 0)
		abort();
}

/* The length spool_open must leave a file of n bytes at (drop_torn_tail). */
static size_t after_open(const uint8_t *p, size_t n)
{
	size_t from = n > SPOOL_LINE_MAX ? n - SPOOL_LINE_MAX : 0, k = n;

	if (n == 0 || p[n - 1] == '\n')
		return n;
	while (k > from && p[k - 1] != '\n')
		k--;
	if (k == from && from > 0)
		return n; /* no LF in the last line's worth: not a torn append */
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t k = size > 0 ? data[0] % 24 : 0, n, lfs = 0, want;
	const uint8_t *scans;
	struct spool_reader r;
	struct spool_scan s;
	spool *sp = NULL;
	uint64_t off = 0, prev;
	char *file = NULL, line[SPOOL_LINE_MAX + 1];
	size_t len = 0;
	int rc;

	if (size == 0 || 1 + k > size)
		return 0;
	scans = data + 1 + k;
	n = size - 1 - k;
	unlink(sent_path);
	if (k > 0)
		put(sent_path, data + 1, k);
	put(scans_path, scans, n);

	if ((rc = spool_sent_read(dir, &off)) == 0 && k > 0) {
		char text[32];
		int m = snprintf(text, sizeof text, "%llu\n", (unsigned long long)off);
		if ((size_t)m != k || memcmp(text, data + 1, k) != 0)
			abort();
	}
	if (rc != 0)
		off = 0;

	if (spool_open(&sp, dir) != 0)
		abort();
	spool_close(sp);
	want = after_open(scans, n);
	if (util_read_file(scans_path, 1 << 20, &file, &len) != 0 || len != want ||
	    memcmp(file, scans, len) != 0)
		abort();
	for (size_t i = 0; i < len; i++)
		lfs += file[i] == '\n';

	rc = spool_reader_open(&r, dir, off);
	if ((off > len) != (rc == AK_EINVAL) || (rc != 0 && rc != AK_EINVAL))
		abort();
	if (rc == 0) {
		size_t lines = 0;
		prev = r.off;
		while ((rc = spool_reader_next(&r, &s)) == SPOOL_SCAN || rc == SPOOL_BAD_LINE) {
			if (r.off <= prev || r.off > len || file[r.off - 1] != '\n' ||
			    ++lines > lfs)
				abort();
			if (rc == SPOOL_SCAN) {
				int m = spool_format_line(line, sizeof line, &s);
				if (m < 1 || (uint64_t)m != r.off - prev ||
				    memcmp(line, file + prev, (size_t)m) != 0)
					abort();
			}
			prev = r.off;
		}
		if (rc != SPOOL_END)
			abort();
		spool_reader_close(&r);
	}
	free(file);
	return 0;
}
