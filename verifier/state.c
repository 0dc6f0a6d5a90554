/*
 * state: the default folder and the one move from the old one (see
 * state.h for the steps and the invariant they keep).
 *
 * The copy works through directory descriptors (openat, mkdirat, ...)
 * with O_NOFOLLOW, so a link swapped in during the copy is copied as a
 * link, never followed; trees deeper than STATE_DEPTH_MAX are refused
 * (the verifier's own holds two levels).
 */
#include "verifier/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define STATE_DEPTH_MAX 8
#define MOVING_SUFFIX   ".moving"
#define PART_SUFFIX     ".part"

int vstate_default_dir(char *out, size_t cap, const char *xdg_state_home, const char *home)
{
	int n;

	if (xdg_state_home != NULL && xdg_state_home[0] == '/')
		n = snprintf(out, cap, "%s/%s", xdg_state_home, VSTATE_SUBDIR);
	else
		n = snprintf(out, cap, "%s/.local/state/%s", home != NULL ? home : ".",
			     VSTATE_SUBDIR);
	return n >= 0 && (size_t)n < cap ? 0 : AK_EINVAL;
}

int vstate_old_dir(char *out, size_t cap, const char *home)
{
	int n = snprintf(out, cap, "%s/.cache/%s", home != NULL ? home : ".", VSTATE_SUBDIR);

	return n >= 0 && (size_t)n < cap ? 0 : AK_EINVAL;
}

/* 1 when path names something (not followed), 0 when not, -1 on error. */
static int exists(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/* Makes path's entry in its parent folder durable. */
static int sync_parent(const char *path)
{
	char parent[PATH_MAX];
	char *slash;
	int fd, rc;

	if (snprintf(parent, sizeof parent, "%s", path) >= (int)sizeof parent)
		return AK_EINVAL;
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof parent, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return AK_EIO;
	rc = fsync(fd) == 0 ? 0 : AK_EIO;
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- copy */

static int copy_file(int sfd, int dfd, const char *name, const struct stat *st)
{
	char buf[1 << 16];
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	int in, out, rc = AK_EIO;
	ssize_t n;

	if ((in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return AK_EIO;
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		goto done;
	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto done;
		for (ssize_t w, off = 0; off < n; off += w) {
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0 && errno == EINTR)
				w = 0;
			else if (w <= 0)
				goto done;
		}
	}
	/* The old file's mode and times: status reads the revocation list's
	 * time as the last sync. */
	if (fchmod(out, st->st_mode & 07777) != 0 || futimens(out, times) != 0 || fsync(out) != 0)
		goto done;
	rc = 0;
done:
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

static int copy_dir(int sfd, int dfd, int depth);

static int copy_entry(int sfd, int dfd, const char *name, int depth)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int s2, d2, rc;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return AK_EIO;
	if (S_ISREG(st.st_mode))
		return copy_file(sfd, dfd, name, &st);
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(sfd, name, target, sizeof target)) < 0 ||
		    (size_t)n >= sizeof target)
			return AK_EIO;
		target[n] = '\0';
		return symlinkat(target, dfd, name) == 0 ? 0 : AK_EIO;
	}
	if (!S_ISDIR(st.st_mode) || depth >= STATE_DEPTH_MAX)
		return AK_EINVAL;
	if (mkdirat(dfd, name, 0700) != 0)
		return AK_EIO;
	if ((s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return AK_EIO;
	if ((d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		close(s2);
		return AK_EIO;
	}
	rc = copy_dir(s2, d2, depth + 1);
	if (rc == 0 && fchmod(d2, st.st_mode & 07777) != 0)
		rc = AK_EIO;
	close(s2);
	close(d2);
	return rc;
}

/* Copies the entries of folder sfd into dfd, then makes dfd durable. */
static int copy_dir(int sfd, int dfd, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if ((fd = dup(sfd)) < 0)
		return AK_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return AK_EIO;
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = copy_entry(sfd, dfd, e->d_name, depth);
	}
	if (rc == 0 && errno != 0)
		rc = AK_EIO;
	closedir(d);
	if (rc == 0 && fsync(dfd) != 0)
		rc = AK_EIO;
	return rc;
}

/* Copies folder src to dst (which must not exist), durably. */
static int copy_tree(const char *src, const char *dst)
{
	struct stat st;
	int sfd, dfd, rc;

	/* The top folder may be a link (a ~/.cache/ankang-verify linked to
	 * elsewhere): its folder is copied, and removing it later removes the
	 * link only. */
	if ((sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return AK_EIO;
	if (fstat(sfd, &st) != 0 || mkdir(dst, 0700) != 0) {
		close(sfd);
		return AK_EIO;
	}
	if ((dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		close(sfd);
		return AK_EIO;
	}
	rc = copy_dir(sfd, dfd, 1);
	if (rc == 0 && fchmod(dfd, st.st_mode & 07777) != 0)
		rc = AK_EIO;
	close(sfd);
	close(dfd);
	return rc == 0 ? sync_parent(dst) : rc;
}

/* -------------------------------------------------------------- remove */

static int remove_at(int pfd, const char *name, int depth)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : AK_EIO;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(pfd, name, 0) == 0 ? 0 : AK_EIO;
	if (depth >= STATE_DEPTH_MAX)
		return AK_EINVAL;
	if ((fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return AK_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return AK_EIO;
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = remove_at(dirfd(d), e->d_name, depth + 1);
	}
	if (rc == 0 && errno != 0)
		rc = AK_EIO;
	closedir(d);
	if (rc == 0 && unlinkat(pfd, name, AT_REMOVEDIR) != 0)
		rc = AK_EIO;
	return rc;
}

static int remove_tree(const char *path)
{
	int rc = remove_at(AT_FDCWD, path, 0);

	return rc == 0 ? sync_parent(path) : rc;
}

/* --------------------------------------------------------- the records */

/*
 * 1 when the scans in folder a's spool are a prefix of folder b's (a verifier
 * only ever appends), so removing a loses no record; 0 when not; AK_EIO.
 */
static int scans_kept(const char *a, const char *b)
{
	char pa[PATH_MAX], pb[PATH_MAX], ba[1 << 14], bb[1 << 14];
	int fa, fb, rc = 0;
	ssize_t na, nb, got;

	if (snprintf(pa, sizeof pa, "%s/spool/scans", a) >= (int)sizeof pa ||
	    snprintf(pb, sizeof pb, "%s/spool/scans", b) >= (int)sizeof pb)
		return AK_EINVAL;
	if ((fa = open(pa, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : AK_EIO;
	if ((fb = open(pb, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		close(fa);
		return errno == ENOENT ? 0 : AK_EIO;
	}
	for (;;) {
		if ((na = read(fa, ba, sizeof ba)) < 0) {
			rc = AK_EIO;
			break;
		}
		if (na == 0) {
			rc = 1;
			break;
		}
		for (nb = 0; nb < na; nb += got)
			if ((got = read(fb, bb + nb, (size_t)(na - nb))) <= 0)
				break;
		if (nb < na || memcmp(ba, bb, (size_t)na) != 0)
			break; /* b is shorter, or differs: rc stays 0 */
	}
	close(fa);
	close(fb);
	return rc;
}

/* ---------------------------------------------------------------- move */

/* Removes moving when new holds its every scan: FINISHED (or done), or KEPT_OLD. */
static int finish(const char *moving, const char *new, int done)
{
	int rc = scans_kept(moving, new);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return VSTATE_KEPT_OLD;
	if ((rc = remove_tree(moving)) != 0)
		return rc;
	return done;
}

/* Copies moving to new through part; then finish(). */
static int copy_over(const char *moving, const char *part, const char *new)
{
	int rc;

	/* A part left by a crash is incomplete by definition: new appears only
	 * by the rename of a finished part. */
	if ((rc = remove_tree(part)) != 0 || (rc = copy_tree(moving, part)) != 0)
		return rc;
	if (rename(part, new) != 0 || sync_parent(new) != 0)
		return AK_EIO;
	return finish(moving, new, VSTATE_COPIED);
}

int vstate_move(const char *old, const char *new)
{
	char moving[PATH_MAX], part[PATH_MAX], parent[PATH_MAX];
	const char *src;
	char *slash;
	int e_old, e_moving, e_new, lock = -1, rc;

	if (snprintf(moving, sizeof moving, "%s" MOVING_SUFFIX, old) >= (int)sizeof moving ||
	    snprintf(part, sizeof part, "%s" PART_SUFFIX, new) >= (int)sizeof part ||
	    snprintf(parent, sizeof parent, "%s", new) >= (int)sizeof parent)
		return AK_EINVAL;

	/* Lock the folder being moved, under whichever name it has now; a
	 * second run waits here, then sees what the first one did. */
	src = exists(moving) == 1 ? moving : exists(old) == 1 ? old : NULL;
	if (src == NULL)
		return VSTATE_NOTHING;
	if ((lock = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? VSTATE_NOTHING : AK_EIO;
	if (flock(lock, LOCK_EX) != 0) {
		rc = AK_EIO;
		goto done;
	}
	e_old = exists(old);
	e_moving = exists(moving);
	e_new = exists(new);
	if (e_old < 0 || e_moving < 0 || e_new < 0) {
		rc = AK_EIO;
		goto done;
	}
	if (e_moving) {
		rc = e_new ? finish(moving, new, VSTATE_FINISHED) : copy_over(moving, part, new);
		goto done;
	}
	if (!e_old) {
		rc = VSTATE_NOTHING;
		goto done;
	}
	if (e_new) {
		rc = VSTATE_BOTH_EXIST;
		goto done;
	}
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if ((rc = util_mkdir_p(parent, 0700)) != 0)
			goto done;
	}
	if (rename(old, new) == 0) {
		rc = sync_parent(new) == 0 && sync_parent(old) == 0 ? VSTATE_RENAMED : AK_EIO;
		goto done;
	}
	if (errno != EXDEV) {
		rc = AK_EIO;
		goto done;
	}
	if (rename(old, moving) != 0 || sync_parent(old) != 0) {
		rc = AK_EIO;
		goto done;
	}
	rc = copy_over(moving, part, new);
done:
	close(lock);
	return rc;
}
