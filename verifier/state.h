/*
 * state: where ankang-verify keeps its folder by default, and the one move
 * from where it used to keep it.
 *
 * The root key, the lists and above all the spool of scans not yet
 * uploaded are state: deleting them loses records, so they do not belong
 * in a cache that any cleaner may empty. The default folder is
 * $XDG_STATE_HOME/ankang-verify (XDG_STATE_HOME only when it is an
 * absolute path, as the XDG spec asks), else $HOME/.local/state/
 * ankang-verify; it was $HOME/.cache/ankang-verify. A system unit sets
 * the folder itself (/var/lib/ankang-verify, by --dir or
 * ANKANG_VERIFY_DIR), and then nothing moves.
 *
 * The move (vstate_move), made once and safe against a crash at any
 * point; the invariant is that every scan recorded in the old folder's
 * spool is, at every moment, in a folder the next run will find or
 * finish moving:
 *
 *   same file system    rename(old, new): atomic; a verifier still
 *                       running from before keeps appending to the same
 *                       file under its new name.
 *   across file systems rename(old, OLD.moving) (atomic, and marks the
 *                       move begun); copy OLD.moving to NEW.part, every
 *                       file and folder fsync'd; rename(NEW.part, new);
 *                       then remove OLD.moving, but only when its spool's
 *                       scans are a prefix of the new folder's (a
 *                       verifier from before may have appended to it after
 *                       the copy: then it is kept, and said). A verifier
 *                       from before that appends in the instant between
 *                       that check and the removal is the one case not
 *                       covered: stop running verifiers before the first
 *                       run of this one when ~/.cache is on another file
 *                       system.
 *
 * A run that finds OLD.moving without new starts the copy again (NEW.part
 * is a partial copy: removed first); one that finds both finishes the
 * removal under the same prefix rule. Two runs at once are serialised by
 * an flock on the folder being moved. Only regular files, folders and
 * symbolic links are moved (modes and file times kept); anything else
 * stops the move, leaving the old folder in place.
 *
 * Library code: never prints; the caller says what happened.
 */
#ifndef ANKANG_STATE_H
#define ANKANG_STATE_H

#include <stddef.h>

#define VSTATE_SUBDIR "ankang-verify"

/*
 * The default folder into out: from xdg_state_home ($XDG_STATE_HOME, may
 * be NULL) or home ($HOME, may be NULL: then "."). 0, or AK_EINVAL when
 * it does not fit.
 */
int vstate_default_dir(char *out, size_t cap, const char *xdg_state_home, const char *home);

/* The old default folder, home/.cache/ankang-verify. 0 or AK_EINVAL. */
int vstate_old_dir(char *out, size_t cap, const char *home);

enum vstate_outcome {
	VSTATE_NONE = 0,
	VSTATE_NOTHING,    /* nothing to move: no old folder, or already moved */
	VSTATE_RENAMED,    /* moved by one rename */
	VSTATE_COPIED,     /* copied across file systems, the old one removed */
	VSTATE_FINISHED,   /* an interrupted copy's removal finished */
	VSTATE_KEPT_OLD,   /* moved, but OLD.moving holds scans the new spool lacks */
	VSTATE_BOTH_EXIST, /* old and new both exist and neither is a move: untouched */
};

/*
 * Moves the folder old to new once, as described above. Returns a
 * vstate_outcome (> 0) or AK_EIO (a step failed: errno says which),
 * AK_EINVAL (a path too long, or something not a file, folder or link in
 * the old folder). On failure the scans are still in old or OLD.moving,
 * and the next run goes on from there.
 */
int vstate_move(const char *old, const char *new);

#endif
