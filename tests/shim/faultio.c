/*
 * faultio: an LD_PRELOAD shim that makes the database's file I/O fail on
 * demand, for tests/sh/fault_io.sh. Test build only: never installed.
 *
 * FAULTIO_CTL names a control file. While it is absent, every call goes
 * straight to libc. While it exists, its first byte says what fails, and
 * only on descriptors of files whose name contains "ankang.db" (the
 * database, its WAL, its index file), so that sockets and stderr work:
 *
 *   f  fsync and fdatasync fail with EIO (the data was written, and is
 *      perhaps gone: the fsyncgate case)
 *   F  the same, but only on the database file itself (ankang.db, not its
 *      WAL): what a WAL checkpoint syncs, never a commit
 *   w  write, pwrite and pwrite64 fail with EIO
 *   n  write, pwrite and pwrite64 fail with ENOSPC
 *
 * It must not be built with a sanitizer: under ASan, libasan comes first
 * in LD_PRELOAD and this shim second, and each finds the next one's
 * symbols with dlsym(RTLD_NEXT).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* The fault the control file asks for on fd, or 0. */
static int fault_for(int fd)
{
	const char *ctl = getenv("FAULTIO_CTL");
	char link[64], path[4096], mode = 0;
	ssize_t n;
	int saved = errno, c;

	if (ctl == NULL || fd < 0)
		return 0;
	c = open(ctl, O_RDONLY | O_CLOEXEC);
	if (c < 0) {
		errno = saved;
		return 0;
	}
	if (read(c, &mode, 1) != 1)
		mode = 0;
	close(c);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	errno = saved;
	if (n <= 0)
		return 0;
	path[n] = '\0';
	if (strstr(path, "ankang.db") == NULL)
		return 0;
	if (mode == 'F') {
		size_t len = strlen(path);
		return len >= 10 && strcmp(path + len - 10, "/ankang.db") == 0 ? 'f' : 0;
	}
	return mode;
}

#define NEXT(name) ((__typeof__(&(name)))dlsym(RTLD_NEXT, #name))

int fsync(int fd)
{
	if (fault_for(fd) == 'f') {
		errno = EIO;
		return -1;
	}
	return NEXT(fsync)(fd);
}

int fdatasync(int fd)
{
	if (fault_for(fd) == 'f') {
		errno = EIO;
		return -1;
	}
	return NEXT(fdatasync)(fd);
}

/* -1 with errno set when writes to fd are to fail, else 0. */
static int write_fault(int fd)
{
	switch (fault_for(fd)) {
	case 'w':
		errno = EIO;
		return -1;
	case 'n':
		errno = ENOSPC;
		return -1;
	default:
		return 0;
	}
}

ssize_t write(int fd, const void *buf, size_t len)
{
	if (write_fault(fd) != 0)
		return -1;
	return NEXT(write)(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (write_fault(fd) != 0)
		return -1;
	return NEXT(pwrite)(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	if (write_fault(fd) != 0)
		return -1;
	return NEXT(pwrite64)(fd, buf, len, off);
}
