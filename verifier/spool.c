/*
 * spool: the offline scans' append-only record (see spool.h for the
 * format and its invariants).
 *
 * Appends are single write(2)s of a whole line to a file opened with
 * O_APPEND, so two verifiers sharing a folder interleave whole lines. The
 * file's entry is made durable once (fsync of the folder at open), each
 * line with fdatasync before the caller shows the result.
 *
 * A torn tail (bytes after the last LF, left by a crash) is cut off when
 * the spool is next opened. Appenders hold a shared flock(2) from the
 * look at the last byte to the fdatasync, the cut an exclusive one: the
 * cut can then only remove bytes no live process is writing, never a line
 * appended (and shown) between its look and its truncate.
 */
#include "verifier/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"

#define SENT_MAX 32

struct spool {
	int fd;
};

/* ------------------------------------------------------------ the line */

void spool_scan_init(struct spool_scan *s, enum cred_result r, const struct cred *c, uint64_t t)
{
	uint8_t id[SPOOL_ID_HEX / 2];

	memset(s, 0, sizeof *s);
	randombytes_buf(id, sizeof id);
	util_hex_encode(s->id, id, sizeof id);
	s->time = t;
	s->result = r;
	/* The results reached only after the signature verified (cred.h). */
	if (c != NULL && (r == CRED_VALID || r == CRED_NOT_YET_VALID || r == CRED_EXPIRED ||
			  r == CRED_REVOKED)) {
		s->has_cti = 1;
		memcpy(s->cti, c->claims.cti, CRED_CTI_BYTES);
		s->has_sig = 1;
		memcpy(s->sig, c->sig, CRED_SIG_BYTES);
	}
}

static int id_valid(const char *id)
{
	uint8_t raw[SPOOL_ID_HEX / 2];

	return strlen(id) == SPOOL_ID_HEX &&
	       util_hex_decode_lower(raw, sizeof raw, id, SPOOL_ID_HEX) == 0;
}

int spool_format_line(char *out, size_t cap, const struct spool_scan *s)
{
	char cti[2 * CRED_CTI_BYTES + 1] = "-", sig[SPOOL_SIG_HEX + 1] = "-";
	int n;

	if (!id_valid(s->id) || s->result == CRED_SUPERSEDED ||
	    (unsigned)s->result >= CRED_RESULT_COUNT ||
	    (s->v1 ? s->has_sig : s->has_sig != s->has_cti))
		return AK_EINVAL;
	if (s->has_cti)
		util_hex_encode(cti, s->cti, CRED_CTI_BYTES);
	if (s->has_sig)
		util_hex_encode(sig, s->sig, CRED_SIG_BYTES);
	if (s->v1)
		n = snprintf(out, cap, "%s %s %llu %s\n", s->id, cti, (unsigned long long)s->time,
			     cred_result_word(s->result));
	else
		n = snprintf(out, cap, "%s %s %llu %s %s\n", s->id, cti,
			     (unsigned long long)s->time, cred_result_word(s->result), sig);
	if (n < 0 || (size_t)n >= cap)
		return AK_ETOOBIG;
	return n;
}

/*
 * Splits line[0..len) at single spaces into at most max non-empty fields
 * (f[i], n[i]). Returns how many, or -1: an empty field (two spaces, a
 * space at either end, an empty line) or more than max.
 */
static int split_fields(const char *line, size_t len, const char **f, size_t *n, int max)
{
	const char *p = line, *end = line + len;
	int k = 0;

	for (;;) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *e = sp != NULL ? sp : end;
		if (e == p || k == max)
			return -1;
		f[k] = p;
		n[k] = (size_t)(e - p);
		k++;
		if (sp == NULL)
			return k;
		p = sp + 1;
	}
}

int spool_parse_line(struct spool_scan *s, const char *line, size_t len)
{
	const char *f[5];
	size_t n[5];
	int nf, r;

	memset(s, 0, sizeof *s);
	if (len == 0 || len >= SPOOL_LINE_MAX)
		return AK_EINVAL;
	nf = split_fields(line, len, f, n, 5);
	if ((nf != 4 && nf != 5) || n[0] != SPOOL_ID_HEX)
		goto bad;
	memcpy(s->id, f[0], SPOOL_ID_HEX);
	s->id[SPOOL_ID_HEX] = '\0';
	if (!id_valid(s->id))
		goto bad;
	if (n[1] == 1 && f[1][0] == '-') {
		s->has_cti = 0;
	} else if (n[1] == 2 * CRED_CTI_BYTES &&
		   util_hex_decode_lower(s->cti, CRED_CTI_BYTES, f[1], n[1]) == 0) {
		s->has_cti = 1;
	} else {
		goto bad;
	}
	if (util_parse_u64(f[2], n[2], &s->time) != 0)
		goto bad;
	if ((r = cred_result_parse(f[3], n[3])) < 0 || r == CRED_SUPERSEDED)
		goto bad;
	s->result = (enum cred_result)r;
	if (nf == 4) {
		s->v1 = 1;
		return 0;
	}
	if (n[4] == 1 && f[4][0] == '-') {
		s->has_sig = 0;
	} else if (n[4] == SPOOL_SIG_HEX &&
		   util_hex_decode_lower(s->sig, CRED_SIG_BYTES, f[4], n[4]) == 0) {
		s->has_sig = 1;
	} else {
		goto bad;
	}
	/* The writer puts a sig exactly where it puts a cti (spool.h). */
	if (s->has_sig != s->has_cti)
		goto bad;
	return 0;
bad:
	memset(s, 0, sizeof *s);
	return AK_EINVAL;
}

/* --------------------------------------------------------- appending */

static int path_in(char *out, size_t cap, const char *dir, const char *name)
{
	return (size_t)snprintf(out, cap, "%s/%s", dir, name) < cap ? 0 : AK_EINVAL;
}

/*
 * Cuts a torn tail: the bytes after the file's last LF, when there are at
 * most a line's worth (a longer run without an LF is not a torn append of
 * ours; it is left for the next append to close and the reader to skip).
 * The caller holds the exclusive lock. 0 or AK_EIO.
 */
static int drop_torn_tail(int fd)
{
	char buf[SPOOL_LINE_MAX];
	struct stat st;
	off_t from;
	size_t n;

	if (fstat(fd, &st) != 0)
		return AK_EIO;
	if (st.st_size == 0)
		return 0;
	from = st.st_size > (off_t)sizeof buf ? st.st_size - (off_t)sizeof buf : 0;
	n = (size_t)(st.st_size - from);
	if (pread(fd, buf, n, from) != (ssize_t)n)
		return AK_EIO;
	if (buf[n - 1] == '\n')
		return 0;
	while (n > 0 && buf[n - 1] != '\n')
		n--;
	if (n == 0 && from > 0)
		return 0;
	if (ftruncate(fd, from + (off_t)n) != 0 || fdatasync(fd) != 0)
		return AK_EIO;
	return 0;
}

int spool_open(spool **out, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	spool *sp;
	int fd, dfd;

	*out = NULL;
	if (path_in(path, sizeof path, dir, "scans") != 0)
		return AK_EINVAL;
	if (util_mkdir_p(dir, 0700) != 0)
		return AK_EIO;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return AK_EIO;
	if (fstat(dfd, &st) != 0) {
		close(dfd);
		return AK_EIO;
	}
	if (st.st_mode & 077) {
		close(dfd);
		return AK_EPERM;
	}
	/* Read-write only so that append can look at the last byte. */
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		close(dfd);
		return AK_EIO;
	}
	if (st.st_mode & 077) {
		close(fd);
		close(dfd);
		return AK_EPERM;
	}
	/* The file's directory entry, once, so a recorded scan cannot vanish
	 * with a file that was never linked durably. */
	if (fsync(dfd) != 0) {
		close(fd);
		close(dfd);
		return AK_EIO;
	}
	close(dfd);
	if (flock(fd, LOCK_EX) != 0 || drop_torn_tail(fd) != 0 || flock(fd, LOCK_UN) != 0) {
		close(fd);
		return AK_EIO;
	}
	if ((sp = calloc(1, sizeof *sp)) == NULL) {
		close(fd);
		return AK_ENOMEM;
	}
	sp->fd = fd;
	*out = sp;
	return 0;
}

static int write_all(int fd, const char *p, size_t left)
{
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		left -= (size_t)w;
	}
	return 0;
}

/* The append itself, under the shared lock: buf[0] is an LF, written
 * only when the file's last byte is not one (a torn line closed), then
 * the n bytes of whole lines after it; one write, one fdatasync. */
static int append_lines(int fd, const char *buf, size_t n)
{
	struct stat st;
	char last;
	size_t at = 1;

	if (fstat(fd, &st) != 0)
		return AK_EIO;
	if (st.st_size > 0) {
		if (pread(fd, &last, 1, st.st_size - 1) != 1)
			return AK_EIO;
		if (last != '\n')
			at = 0;
	}
	if (write_all(fd, buf + at, n + 1 - at) != 0)
		return AK_EIO;
	if (fdatasync(fd) != 0)
		return AK_EIO;
	return 0;
}

int spool_append_batch(spool *sp, const struct spool_scan *s, size_t n)
{
	size_t cap = 1 + n * SPOOL_LINE_MAX + 1, len = 0;
	char *buf;
	int rc = 0;

	if (n == 0)
		return 0;
	if (n > SPOOL_BATCH_MAX)
		return AK_EINVAL;
	if ((buf = malloc(cap)) == NULL)
		return AK_EIO;
	/* A line torn by another process's crash since we opened is closed
	 * first, so these stay whole. */
	buf[0] = '\n';
	for (size_t i = 0; i < n && rc == 0; i++) {
		int m = spool_format_line(buf + 1 + len, cap - 1 - len, &s[i]);
		if (m < 0)
			rc = m;
		else
			len += (size_t)m;
	}
	if (rc == 0 && flock(sp->fd, LOCK_SH) != 0)
		rc = AK_EIO;
	if (rc == 0) {
		rc = append_lines(sp->fd, buf, len);
		flock(sp->fd, LOCK_UN);
	}
	free(buf);
	return rc;
}

int spool_append(spool *sp, const struct spool_scan *s)
{
	return spool_append_batch(sp, s, 1);
}

void spool_close(spool *sp)
{
	if (sp == NULL)
		return;
	close(sp->fd);
	free(sp);
}

/* ----------------------------------------------------------- reading */

int spool_sent_read(const char *dir, uint64_t *off)
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int rc;

	*off = 0;
	if (path_in(path, sizeof path, dir, "sent") != 0)
		return AK_EINVAL;
	rc = util_read_file(path, SENT_MAX, &text, &len);
	if (rc == AK_ENOENT)
		return 0;
	if (rc != 0)
		return rc == AK_ETOOBIG ? AK_EINVAL : rc;
	if (len < 2 || text[len - 1] != '\n' || util_parse_u64(text, len - 1, off) != 0)
		rc = AK_EINVAL;
	free(text);
	return rc;
}

int spool_sent_write(const char *dir, uint64_t off)
{
	char path[PATH_MAX], text[SENT_MAX];
	int n;

	if (path_in(path, sizeof path, dir, "sent") != 0)
		return AK_EINVAL;
	n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)off);
	return util_write_file_atomic(path, text, (size_t)n, 0600, 0) == 0 ? 0 : AK_EIO;
}

int spool_reader_open(struct spool_reader *r, const char *dir, uint64_t from)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	memset(r, 0, sizeof *r);
	if (path_in(path, sizeof path, dir, "scans") != 0)
		return AK_EINVAL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? AK_ENOENT : AK_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return AK_EIO;
	}
	if ((uint64_t)st.st_size < from) {
		close(fd);
		return AK_EINVAL;
	}
	if ((r->f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return AK_EIO;
	}
	if (fseeko(r->f, (off_t)from, SEEK_SET) != 0) {
		fclose(r->f);
		r->f = NULL;
		return AK_EIO;
	}
	r->off = from;
	r->size = (uint64_t)st.st_size;
	return 0;
}

int spool_reader_next(struct spool_reader *r, struct spool_scan *s)
{
	char line[SPOOL_LINE_MAX];
	size_t n = 0, total = 0;
	int c;

	for (;;) {
		c = getc(r->f);
		if (c == EOF) {
			if (ferror(r->f))
				return AK_EIO;
			/* A torn tail: leave it (and the offset) for a later run. */
			return SPOOL_END;
		}
		total++;
		if (c == '\n')
			break;
		if (n < sizeof line)
			line[n++] = (char)c;
	}
	r->off += total;
	if (total - 1 > n || spool_parse_line(s, line, n) != 0)
		return SPOOL_BAD_LINE;
	return SPOOL_SCAN;
}

void spool_reader_close(struct spool_reader *r)
{
	if (r->f != NULL)
		fclose(r->f);
	r->f = NULL;
}
