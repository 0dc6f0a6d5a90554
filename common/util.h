/*
 * util: small helpers every part of ankang shares: error codes, hex and
 * base64, bounded file reading, atomic file writing, the clock.
 *
 * Library code returns 0 (or a length) on success and one of the negative
 * AK_E* codes on failure; it never prints and never exits. Only main()
 * paths turn codes into messages (ak_strerror) and exit statuses.
 */
#ifndef ANKANG_UTIL_H
#define ANKANG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	AK_OK = 0,
	AK_EINVAL = -1,     /* malformed or out-of-range input */
	AK_ENOMEM = -2,     /* allocation failed */
	AK_EIO = -3,        /* read, write, fsync or rename failed */
	AK_ECRYPTO = -4,    /* a signature, MAC or decryption did not verify */
	AK_EPERM = -5,      /* a secret file is readable by group or others */
	AK_EEXIST = -6,     /* refusing to overwrite */
	AK_ENOENT = -7,     /* no such file, row or key */
	AK_ETOOBIG = -8,    /* input or output exceeds a named limit */
	AK_EDB = -9,        /* the database failed or refused */
	AK_ECORRUPT = -10,  /* stored state contradicts itself (e.g. log head) */
	AK_EDENIED = -11,   /* not allowed (role, rate limit, disabled) */
	AK_EBUSY = -12,     /* shutting down, or a queue is full */
	AK_ECONFLICT = -13, /* duplicate of an existing record */
	AK_EPENDING = -14,  /* done, but not all of it yet: the rest goes on by itself */
	AK_EOVERLOAD = -15, /* refused, nothing done: more work waits than is taken; retry */
	AK_EBEHIND = -16    /* refused, nothing done: this node lacks a key it is fetching; retry */
};

/* A short English phrase for an AK_E* code; never NULL. */
const char *ak_strerror(int err);

/*
 * Writes a one-line reason, printf-style, into why (cap bytes) and
 * returns rc, so that a function that explains its failures to the
 * operator (app_open, witnessing_start) can `return util_why(...)`.
 */
int util_why(char *why, size_t cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define AK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Lowercase hex. util_hex_encode writes 2*n characters and a NUL into out,
 * which must hold 2*n+1. util_hex_decode accepts exactly 2*n lowercase or
 * uppercase hex digits in len characters and returns 0, or AK_EINVAL.
 */
void util_hex_encode(char *out, const uint8_t *in, size_t n);
int util_hex_decode(uint8_t *out, size_t n, const char *in, size_t len);
/* Like util_hex_decode but lowercase only: the canonical form in formats. */
int util_hex_decode_lower(uint8_t *out, size_t n, const char *in, size_t len);

/*
 * Standard base64 with padding (RFC 4648 section 4), as FORMAT.md uses it.
 * util_b64_encoded_len(n) counts the characters (without NUL).
 * util_b64_encode writes them and a NUL; out must hold encoded_len+1.
 * util_b64_decode is strict: the whole of in[0..len) must be canonical
 * padded base64; it writes at most cap bytes and sets *outlen.
 */
size_t util_b64_encoded_len(size_t n);
void util_b64_encode(char *out, const uint8_t *in, size_t n);
int util_b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len);

/* Wall clock, unix seconds and milliseconds. */
uint64_t util_now(void);
uint64_t util_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
uint64_t util_mono_ns(void);

/*
 * Reads a whole regular file of at most max bytes into a malloc'd buffer
 * with a NUL appended (not counted in *len), to its end even if it grows
 * while it is read. Opens with O_NOFOLLOW, so a symlink planted where a
 * key or list should be is refused.
 * Returns 0, AK_ENOENT, AK_ETOOBIG, AK_EIO or AK_ENOMEM.
 */
int util_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Reads a secret file like util_read_file, but first refuses (AK_EPERM) a
 * file that group or others may read or write, and reads it into
 * sodium_malloc'd memory, which the caller frees with sodium_free.
 */
int util_read_secret_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Writes buf to path atomically: a temporary file in the same directory,
 * fsync, chmod to mode, rename over path, fsync of the directory. Readers
 * see the old file or the new one, never half of either. With excl set it
 * refuses (AK_EEXIST) when path already exists. After AK_EIO, errno is
 * the system's reason (EACCES, ENOSPC, ...), for a message to name.
 */
int util_write_file_atomic(const char *path, const void *buf, size_t n, mode_t mode, int excl);

/* mkdir -p with the given mode for directories it creates. */
int util_mkdir_p(const char *path, mode_t mode);

/*
 * Parses a decimal unsigned integer with no sign, no leading zeros (except
 * "0" itself), no spaces, and no overflow, from exactly len characters.
 */
int util_parse_u64(const char *s, size_t len, uint64_t *out);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int util_utf8_valid(const char *s, size_t len);

#endif
