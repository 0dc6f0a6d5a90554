/*
 * spool: ankang-verify's record of its offline scans, which `sync`
 * uploads to POST /v1/scans (DESIGN.md, Data flow step 4).
 *
 * Folder (mode 0700, created on first use) and files (0600):
 *
 *   SPOOL/scans  append-only, one line per scan:
 *                <scan id: hex32> SP <cti: hex32 or "-"> SP <unix seconds>
 *                SP <result word> SP <sig: hex128 or "-"> LF
 *                where the sig is the code's 64-byte COSE signature, present
 *                exactly when the cti is. Lines written before scans
 *                carried a signature have four fields (no sig); they are
 *                still read and uploaded, without a sig.
 *   SPOOL/sent   the byte offset of scans up to which the server has
 *                accepted every line: decimal, LF; replaced atomically
 *
 * The invariants:
 *   - A scan is appended (one write with O_APPEND) and fdatasync'd before
 *     its result is shown: a scan shown is a scan recorded.
 *   - A line holds the credential id, never a name or a status: the spool
 *     is personal data only in the sense the audit log is (a code's cti,
 *     which the service can link to its holder, as it must to audit).
 *   - The cti is written only when the code's signature verified
 *     (not_yet_valid, expired, revoked, valid): a forged code can name any
 *     cti it likes, and must not put a scan on someone else's record.
 *   - With the cti goes the code's signature: the proof that this
 *     verifier saw the code itself, not a cti copied from the public
 *     revocation list. The service keeps a hash of every signature it
 *     issued and attributes a scan only when the two match (docs/API.md).
 *     The signature is not personal data: it is 64 bytes fixed by the
 *     claims and the issuer's key, from which no claim can be read; it
 *     can only confirm a guess of every claim at once, name, status and
 *     issuing second included.
 *   - sent only grows, and only after the server accepted the lines before
 *     it; uploads are idempotent by scan id, so a crash between upload and
 *     recording merely sends some lines twice.
 *   - A line cut short by a crash (no LF) was never shown: the next
 *     spool_open cuts it off. One torn while another verifier has the
 *     spool open is closed by that verifier's next append with an LF
 *     first, and then skipped by the reader as malformed. Lines are
 *     neither chained nor checksummed: a whole line is one that ends in
 *     LF and parses strictly, and everything the writer promises is about
 *     what a crash can leave (a torn tail), not about a disk that changes
 *     bytes it acknowledged.
 *
 * Never holds a name; never prints.
 */
#ifndef ANKANG_SPOOL_H
#define ANKANG_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/cred.h"

#define SPOOL_ID_HEX  32
#define SPOOL_SIG_HEX (2 * CRED_SIG_BYTES)
/* The longest valid line with its LF: id, cti, a 20-digit time, a
 * 13-letter result word ("not_yet_valid"), sig, four spaces and the LF. */
#define SPOOL_LINE_MAX (32 + 1 + 32 + 1 + 20 + 1 + 13 + 1 + SPOOL_SIG_HEX + 1)

struct spool_scan {
	char id[SPOOL_ID_HEX + 1];
	int has_cti;
	uint8_t cti[CRED_CTI_BYTES];
	uint64_t time;
	enum cred_result result;
	int has_sig; /* equals has_cti, except in a four-field line (v1) */
	uint8_t sig[CRED_SIG_BYTES];
	int v1; /* read from a four-field line: no sig field, formats as one */
};

/*
 * A scan of result r at time t: a fresh random id, and c's cti and
 * signature when the result says its signature verified (c may be NULL
 * when there is none).
 */
void spool_scan_init(struct spool_scan *s, enum cred_result r, const struct cred *c, uint64_t t);

/* The line for s, with its LF, and a NUL; returns its length, or
 * AK_EINVAL (a field out of range, a sig without a cti or, unless v1, a
 * cti without a sig) / AK_ETOOBIG (cap too small). */
int spool_format_line(char *out, size_t cap, const struct spool_scan *s);

/*
 * Parses one line (without its LF) strictly: five fields, or four (v1, no
 * sig); lowercase hex, a canonical decimal time, a known result word,
 * single spaces; in five, a sig exactly when a cti. A result of
 * superseded is refused (only the service decides it). 0 or AK_EINVAL.
 */
int spool_parse_line(struct spool_scan *s, const char *line, size_t len);

/* ---------------------------------------------------------- appending */

typedef struct spool spool;

/*
 * Opens dir/scans for appending, creating dir (0700) and the file (0600)
 * if needed, and cuts a torn last line (spool.c says when); a symlink in
 * the file's place is refused. Returns 0,
 * AK_EIO, AK_EPERM (dir or file open to group or others) or AK_ENOMEM.
 */
int spool_open(spool **out, const char *dir);

/* Appends s's line and fdatasyncs. 0 or AK_EIO (nothing may be shown). */
int spool_append(spool *sp, const struct spool_scan *s);
/*
 * Appends the lines of s[0..n) (n <= SPOOL_BATCH_MAX) with one write and
 * one fdatasync: scans checked together (codes piped in faster than they
 * could be shown one by one) are made durable together before any of
 * their results is shown. 1024 checks take some 50 ms of CPU, ten
 * times a disk's sync, so a stream of codes is checked at nearly the
 * speed of the checks. 0, AK_EINVAL (a scan that does not format, or n
 * too large: nothing written), AK_EIO (none of them may be shown).
 */
#define SPOOL_BATCH_MAX 1024
int spool_append_batch(spool *sp, const struct spool_scan *s, size_t n);

/* NULL is a no-op. */
void spool_close(spool *sp);

/* ------------------------------------------------------------ reading */

/* The sent offset; 0 when dir/sent does not exist. 0, AK_EINVAL, AK_EIO. */
int spool_sent_read(const char *dir, uint64_t *off);

/* Replaces dir/sent atomically. 0 or AK_EIO. */
int spool_sent_write(const char *dir, uint64_t off);

struct spool_reader {
	FILE *f;
	uint64_t off;  /* the byte after the last complete line consumed */
	uint64_t size; /* the file's size when opened */
};

enum {
	SPOOL_END = 0,     /* no more complete lines (a torn tail is left alone) */
	SPOOL_SCAN = 1,    /* *s holds the next scan; off is past its LF */
	SPOOL_BAD_LINE = 2 /* a complete line that does not parse; off is past it */
};

/*
 * Opens dir/scans for reading from byte offset from. AK_ENOENT when there
 * is no spool; AK_EINVAL when from is past its end (the spool was
 * replaced or truncated behind our back); AK_EIO.
 */
int spool_reader_open(struct spool_reader *r, const char *dir, uint64_t from);

/* The next line: SPOOL_SCAN, SPOOL_BAD_LINE, SPOOL_END or AK_EIO. */
int spool_reader_next(struct spool_reader *r, struct spool_scan *s);

void spool_reader_close(struct spool_reader *r);

#endif
