/*
 * util: shared helpers. See util.h for each contract.
 *
 * Base64 is libsodium's (sodium_bin2base64 / sodium_base642bin); decoding
 * additionally re-encodes and compares, so that only the one canonical
 * spelling of a value is accepted (no stray trailing bits, no missing
 * padding). Formats that sign text depend on that uniqueness.
 */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

const char *ak_strerror(int err)
{
	switch (err) {
	case AK_OK:
		return "success";
	case AK_EINVAL:
		return "invalid input";
	case AK_ENOMEM:
		return "out of memory";
	case AK_EIO:
		return "input/output error";
	case AK_ECRYPTO:
		return "signature or authentication check failed";
	case AK_EPERM:
		return "secret file is readable by group or others (want mode 0600)";
	case AK_EEXIST:
		return "already exists";
	case AK_ENOENT:
		return "not found";
	case AK_ETOOBIG:
		return "too large";
	case AK_EDB:
		return "database error";
	case AK_ECORRUPT:
		return "stored state is inconsistent";
	case AK_EDENIED:
		return "not allowed";
	case AK_EBUSY:
		return "busy or shutting down";
	case AK_ECONFLICT:
		return "duplicate";
	case AK_EPENDING:
		return "done, but not yet complete";
	case AK_EOVERLOAD:
		return "overloaded: try again shortly";
	case AK_EBEHIND:
		return "a key this node is still fetching: try again shortly";
	}
	return "unknown error";
}

/* ------------------------------------------------------------------ hex */

void util_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c, int lower_only)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (!lower_only && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex_decode(uint8_t *out, size_t n, const char *in, size_t len, int lower_only)
{
	if (len != 2 * n)
		return AK_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i], lower_only), lo = hexval(in[2 * i + 1], lower_only);
		if (hi < 0 || lo < 0)
			return AK_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int util_hex_decode(uint8_t *out, size_t n, const char *in, size_t len)
{
	return hex_decode(out, n, in, len, 0);
}

int util_hex_decode_lower(uint8_t *out, size_t n, const char *in, size_t len)
{
	return hex_decode(out, n, in, len, 1);
}

/* --------------------------------------------------------------- base64 */

size_t util_b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void util_b64_encode(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2base64(out, util_b64_encoded_len(n) + 1, in, n, sodium_base64_VARIANT_ORIGINAL);
}

int util_b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len)
{
	const char *end = NULL;
	size_t n = 0;

	if (len % 4 != 0)
		return AK_EINVAL;
	if (sodium_base642bin(out, cap, in, len, NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL) !=
		0 ||
	    end != in + len)
		return AK_EINVAL;
	/* Canonical check: the re-encoding must be the very same text. */
	if (util_b64_encoded_len(n) != len)
		return AK_EINVAL;
	{
		char buf[256];
		char *re = len + 1 <= sizeof buf ? buf : malloc(len + 1);
		int same;
		if (re == NULL)
			return AK_ENOMEM;
		util_b64_encode(re, out, n);
		same = memcmp(re, in, len) == 0;
		/* The text may be a secret (a key's seed): leave no copy behind. */
		sodium_memzero(re, len + 1);
		if (re != buf)
			free(re);
		if (!same)
			return AK_EINVAL;
	}
	*outlen = n;
	return 0;
}

/* ---------------------------------------------------------------- clock */

uint64_t util_now(void)
{
	return util_now_ms() / 1000;
}

uint64_t util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t util_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- files */

/* Reads at most max bytes into buf (which holds max + 1); a file longer
 * than max, even one that grew after it was measured, is AK_ETOOBIG. */
static int read_fd(int fd, size_t max, char *buf, size_t *len)
{
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, buf + got, max + 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return AK_EIO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > max)
			return AK_ETOOBIG;
	}
	buf[got] = '\0';
	*len = got;
	return 0;
}

static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? AK_ENOENT : AK_EIO;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return AK_EIO;
	}
	return fd;
}

int util_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t cap, got = 0;
	int fd, rc;

	if ((fd = open_regular(path, &st)) < 0)
		return fd;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return AK_ETOOBIG;
	}
	/* Sized by the file, not by the cap: a 1 KiB list costs 1 KiB. A
	 * file that grows while it is read (a running service's WAL, read by
	 * a test's scan) is read on, in a buffer twice as large each time, up
	 * to max: only a file past max is too big. */
	cap = (size_t)st.st_size;
	if ((buf = malloc(cap + 2)) == NULL) {
		close(fd);
		return AK_ENOMEM;
	}
	while ((rc = read_fd(fd, cap - got, buf + got, len)) == AK_ETOOBIG && cap < max) {
		/* read_fd read cap - got + 1 bytes: the buffer is full. */
		char *grown;
		got = cap + 1;
		cap = cap > max / 2 ? max : 2 * cap + 1;
		if ((grown = realloc(buf, cap + 2)) == NULL) {
			rc = AK_ENOMEM;
			break;
		}
		buf = grown;
	}
	close(fd);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*len += got;
	*out = buf;
	return 0;
}

int util_read_secret_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	int fd, rc;

	if ((fd = open_regular(path, &st)) < 0)
		return fd;
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return AK_EPERM;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return AK_ETOOBIG;
	}
	if ((buf = sodium_malloc((size_t)st.st_size + 2)) == NULL) {
		close(fd);
		return AK_ENOMEM;
	}
	rc = read_fd(fd, (size_t)st.st_size, buf, len);
	close(fd);
	if (rc != 0) {
		sodium_free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return AK_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		if ((size_t)(slash - path) >= sizeof dir)
			return AK_EINVAL;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return AK_EIO;
	rc = fsync(fd) == 0 ? 0 : AK_EIO;
	close(fd);
	return rc;
}

int util_write_file_atomic(const char *path, const void *buf, size_t n, mode_t mode, int excl)
{
	char tmp[PATH_MAX];
	int fd, rc, why;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return AK_EINVAL;
	if (excl && access(path, F_OK) == 0)
		return AK_EEXIST;
	/* Created with the final mode from the start: a secret is never, even
	 * briefly, in a file others could open. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return AK_EIO;
	if ((rc = write_all(fd, buf, n)) != 0)
		goto fail;
	rc = AK_EIO;
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (excl) {
		/* link() fails if path exists: no race with a concurrent writer. */
		if (link(tmp, path) != 0) {
			rc = errno == EEXIST ? AK_EEXIST : AK_EIO;
			goto fail;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		goto fail;
	}
	return fsync_dir_of(path);
fail:
	why = errno; /* the cause, not what the clean-up meets */
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = why;
	return rc;
}

int util_why(char *why, size_t cap, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return rc;
}

int util_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof buf)
		return AK_EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return AK_EIO;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return AK_EIO;
	return 0;
}

/* -------------------------------------------------------------- parsing */

int util_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return AK_EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return AK_EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return AK_EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int util_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}
