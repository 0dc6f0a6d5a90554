/*
 * test_verifier: ankang-verify's pure parts and its spool:
 *   - term_safe: C0, C1, DEL, bidi embeddings/overrides/isolates, the
 *     bidi marks LRM/RLM/ALM, line separators and broken UTF-8 become
 *     U+FFFD; everything else is kept;
 *   - the spool line: format and strict parse, each with tampered twins;
 *     the cti and the code's signature only for results reached after
 *     the signature verified; four-field lines from before signatures
 *     still read;
 *   - the spool files: modes, append, a torn tail closed by the next
 *     append and skipped by the reader, the sent offset;
 *   - the verifier endpoints' bodies: a verify answer parsed strictly
 *     (no extra key, no name where the result may not show one), the
 *     scans upload (a sig only with a cti, a full page under the
 *     service's default body cap) and its answer.
 *   - show: the result first; a refused code's status after "was" or
 *     "now", never second; no name where the result may not show one;
 *     a banner's colour by result and status; too small a buffer fails
 *     whole; --color's words and when auto draws banners.
 *   - state: the default folder from $XDG_STATE_HOME (absolute only) or
 *     $HOME, and the old one (the move is tested in verify_day.sh).
 * Names here are made up and never printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/httpc.h"
#include "common/util.h"
#include "service/http/http.h"
#include "tests/lib/tap.h"
#include "verifier/show.h"
#include "verifier/spool.h"
#include "verifier/state.h"
#include "verifier/term.h"
#include "verifier/vwire.h"

static const char *safe(const char *in, size_t len, long *replaced)
{
	static char out[TERM_SAFE_CAP(256)];

	*replaced = term_safe(out, sizeof out, in, len);
	return out;
}

static void test_term(void)
{
	long n;
	char small[4];

	is_str(safe("Zhang San", 9, &n), "Zhang San", "plain ASCII is kept");
	ok(n == 0, "and nothing replaced");
	is_str(safe("\xe5\xbc\xa0\xe4\xb8\x89", 6, &n), "\xe5\xbc\xa0\xe4\xb8\x89", "CJK is kept");
	is_str(safe("a\xc2\x9b"
		    "31mb",
		    7, &n),
	       "a\xef\xbf\xbd"
	       "31mb",
	       "C1 CSI (U+009B) replaced");
	ok(n == 1, "one replacement");
	is_str(safe("\xc2\x80\xc2\x9f\xc2\xa0", 6, &n), "\xef\xbf\xbd\xef\xbf\xbd\xc2\xa0",
	       "U+0080 and U+009F replaced, U+00A0 kept");
	is_str(safe("x\x1b[2Jy\x7f", 7, &n), "x\xef\xbf\xbd[2Jy\xef\xbf\xbd",
	       "ESC and DEL replaced");
	is_str(safe("\xe2\x80\xaa\xe2\x80\xae\xe2\x80\xa9\xe2\x80\xa8", 12, &n),
	       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	       "LRE, RLO, U+2029, U+2028 replaced");
	is_str(safe("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\xaf\xe2\x81\xaa", 12, &n),
	       "\xef\xbf\xbd\xef\xbf\xbd\xe2\x80\xaf\xe2\x81\xaa",
	       "LRI and PDI replaced; U+202F and U+206A kept");
	is_str(safe("a\xe2\x80\x8e"
		    "b\xe2\x80\x8f"
		    "c\xd8\x9c"
		    "d",
		    12, &n),
	       "a\xef\xbf\xbd"
	       "b\xef\xbf\xbd"
	       "c\xef\xbf\xbd"
	       "d",
	       "the bidi marks LRM, RLM and ALM replaced");
	ok(n == 3, "three replacements");
	is_str(safe("\xe2\x80\x8d\xd8\x9b\xd8\x9d", 7, &n), "\xe2\x80\x8d\xd8\x9b\xd8\x9d",
	       "their neighbours U+200D, U+061B and U+061D kept");
	is_str(safe("a\xff"
		    "b\xc0\xafz",
		    6, &n),
	       "a\xef\xbf\xbd"
	       "b\xef\xbf\xbd\xef\xbf\xbdz",
	       "invalid bytes and an overlong '/' replaced byte by byte");
	is_str(safe("\xed\xa0\x80", 3, &n), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	       "a surrogate is invalid");
	is_str(safe("\xe5\xbc", 2, &n), "\xef\xbf\xbd\xef\xbf\xbd", "a truncated sequence");
	is_str(safe("\xf0\x9f\x98\x80", 4, &n), "\xf0\x9f\x98\x80", "4-byte UTF-8 is kept");
	is_str(safe("a\0b", 3, &n),
	       "a\xef\xbf\xbd"
	       "b",
	       "NUL replaced");
	ok(term_safe(small, sizeof small,
		     "\xc2\x9b"
		     "a",
		     3) == -1 &&
	       small[0] == '\0',
	   "too small a buffer: -1 and an empty string");
	ok(term_safe(small, sizeof small, "abc", 3) == 0, "exactly enough room");
}

/* 128 lowercase hex digits: bytes 0x00, 0x01, ... 0x3f. */
#define SIG_HEX                                                                                    \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"                         \
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
#define LINE_V2                                                                                    \
	"0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 1767225600 "            \
	"valid " SIG_HEX

static void test_line_v2(void)
{
	struct spool_scan s, p;
	struct cred c;
	char line[SPOOL_LINE_MAX + 1];
	int n, sig_ok = 1;
	const char *good = LINE_V2;
	const char *nocti = "0123456789abcdef0123456789abcdef - 7 bad_signature -";
	/* Its tampered twins. */
	const char *bad[] = {
	    /* a sig one digit short, one too long, in uppercase, not hex */
	    "0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 1767225600 valid "
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3",
	    LINE_V2 "f",
	    "0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 1767225600 valid "
	    "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
	    "0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 1767225600 valid "
	    "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
	    /* a sig with a cti of "-" (no code verified: nothing to prove) */
	    "0123456789abcdef0123456789abcdef - 1767225600 malformed " SIG_HEX,
	    /* a cti with a sig of "-" (the writer never separates them) */
	    "0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 1767225600 valid -",
	    /* spacing and field count */
	    LINE_V2 " ",
	    LINE_V2 " -",
	    "0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 1767225600 valid "
	    " " SIG_HEX,
	    "0123456789abcdef0123456789abcdef - 7 bad_signature --",
	};

	ok(spool_parse_line(&p, good, strlen(good)) == 0, "a v2 line parses");
	for (int i = 0; i < CRED_SIG_BYTES; i++)
		sig_ok &= p.sig[i] == i;
	ok(p.has_cti && p.cti[0] == 0xfe && p.time == 1767225600 && p.result == CRED_VALID &&
	       p.has_sig && !p.v1 && sig_ok,
	   "its fields, the signature's 64 bytes among them");
	n = spool_format_line(line, sizeof line, &p);
	ok(n == (int)strlen(good) + 1 && memcmp(line, good, strlen(good)) == 0 &&
	       line[n - 1] == '\n',
	   "and formats back to the same bytes, with LF");
	ok(spool_parse_line(&p, nocti, strlen(nocti)) == 0 && !p.has_cti && !p.has_sig && !p.v1,
	   "a v2 line with neither cti nor sig parses");
	n = spool_format_line(line, sizeof line, &p);
	ok(n == (int)strlen(nocti) + 1 && memcmp(line, nocti, strlen(nocti)) == 0,
	   "and formats back");
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
		ok(spool_parse_line(&p, bad[i], strlen(bad[i])) == AK_EINVAL && !p.has_sig,
		   "bad v2 line %zu refused, nothing kept", i);

	/* The scan carries the code's signature exactly when it carries its cti. */
	memset(&c, 0, sizeof c);
	memset(c.claims.cti, 0xab, sizeof c.claims.cti);
	memset(c.sig, 0x5a, sizeof c.sig);
	spool_scan_init(&s, CRED_VALID, &c, 42);
	ok(s.has_sig && s.sig[0] == 0x5a && s.sig[CRED_SIG_BYTES - 1] == 0x5a && !s.v1,
	   "valid: the code's signature");
	n = spool_format_line(line, sizeof line, &s);
	ok(n > 0 && strstr(line, " 42 valid 5a5a5a") != NULL && line[n - 1] == '\n',
	   "written in lowercase hex as the fifth field");
	spool_scan_init(&s, CRED_NOT_YET_VALID, &c, 42);
	ok(s.has_sig, "not_yet_valid: the signature (it verified)");
	spool_scan_init(&s, CRED_BAD_SIGNATURE, &c, 42);
	ok(!s.has_sig, "bad_signature: no signature (it proves nothing)");
	spool_scan_init(&s, CRED_MALFORMED, NULL, 42);
	n = spool_format_line(line, sizeof line, &s);
	ok(n > 0 && strstr(line, " - 42 malformed -\n") != NULL, "malformed: '-' and '-'");
	s.has_sig = 1;
	ok(spool_format_line(line, sizeof line, &s) == AK_EINVAL,
	   "a sig without a cti is not written");
	spool_scan_init(&s, CRED_VALID, &c, 42);
	s.has_sig = 0;
	ok(spool_format_line(line, sizeof line, &s) == AK_EINVAL, "nor a cti without a sig");

	/* The longest line: the longest result word, the largest time. */
	spool_scan_init(&s, CRED_NOT_YET_VALID, &c, UINT64_MAX);
	n = spool_format_line(line, sizeof line, &s);
	is_int(n, SPOOL_LINE_MAX, "the longest line is exactly SPOOL_LINE_MAX with its LF");
	ok(n > 0 && spool_parse_line(&p, line, (size_t)n - 1) == 0 && p.time == UINT64_MAX &&
	       memcmp(p.sig, c.sig, CRED_SIG_BYTES) == 0,
	   "and parses back");
	ok(spool_parse_line(&p, line, (size_t)n) == AK_EINVAL, "one byte more is refused");
}

static void test_line(void)
{
	struct spool_scan s, p;
	struct cred c;
	char line[SPOOL_LINE_MAX + 1];
	int n;
	/* A valid four-field (v1) line and its tampered twins. */
	const char *good = "0123456789abcdef0123456789abcdef fedcba9876543210fedcba9876543210 "
			   "1767225600 valid";
	const char *bad[] = {
	    "0123456789ABCDEF0123456789abcdef - 1767225600 valid",      /* uppercase id */
	    "0123456789abcdef0123456789abcde - 1767225600 valid",       /* short id */
	    "0123456789abcdef0123456789abcdef  - 1767225600 valid",     /* two spaces */
	    "0123456789abcdef0123456789abcdef - 01767225600 valid",     /* leading zero */
	    "0123456789abcdef0123456789abcdef - 1767225600 valid ",     /* trailing space */
	    "0123456789abcdef0123456789abcdef - 1767225600 Valid",      /* unknown word */
	    "0123456789abcdef0123456789abcdef - 1767225600 superseded", /* online only */
	    "0123456789abcdef0123456789abcdef -- 1767225600 valid",
	    "0123456789abcdef0123456789abcdef - 1767225600",
	    "0123456789abcdef0123456789abcdef - -1 valid",
	    "0123456789abcdef0123456789abcdef fedcba98 1767225600 valid",
	    "0123456789abcdef0123456789abcdef - 99999999999999999999 valid",
	    " 0123456789abcdef0123456789abcdef - 1767225600 valid",
	    "",
	};

	ok(spool_parse_line(&p, good, strlen(good)) == 0, "a v1 spool line still parses");
	ok(p.has_cti && p.cti[0] == 0xfe && p.time == 1767225600 && p.result == CRED_VALID &&
	       p.v1 && !p.has_sig,
	   "its fields, and no sig");
	n = spool_format_line(line, sizeof line, &p);
	ok(n == (int)strlen(good) + 1 && memcmp(line, good, strlen(good)) == 0 &&
	       line[n - 1] == '\n',
	   "and formats back to the same bytes, with LF");
	p.has_sig = 1;
	ok(spool_format_line(line, sizeof line, &p) == AK_EINVAL, "a v1 scan has no sig to write");
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
		ok(spool_parse_line(&p, bad[i], strlen(bad[i])) == AK_EINVAL,
		   "bad line %zu refused", i);
	ok(spool_parse_line(&p, "0123456789abcdef0123456789abcdef - 1 valid\0x", 44) == AK_EINVAL,
	   "a NUL inside refused");

	memset(&c, 0, sizeof c);
	memset(c.claims.cti, 0xab, sizeof c.claims.cti);
	snprintf(c.claims.name, sizeof c.claims.name, "Test Resident");
	spool_scan_init(&s, CRED_EXPIRED, &c, 42);
	ok(s.has_cti && s.cti[0] == 0xab && s.time == 42 && strlen(s.id) == 32, "expired: the cti");
	spool_scan_init(&p, CRED_EXPIRED, &c, 42);
	ok(strcmp(s.id, p.id) != 0, "scan ids are random");
	n = spool_format_line(line, sizeof line, &s);
	ok(n > 0 && strstr(line, "Test") == NULL, "a line never holds the name");
	spool_scan_init(&s, CRED_BAD_SIGNATURE, &c, 42);
	ok(!s.has_cti, "bad_signature: no cti (a forger picks any cti)");
	spool_scan_init(&s, CRED_UNKNOWN_KEY, &c, 42);
	ok(!s.has_cti, "unknown_key: no cti");
	spool_scan_init(&s, CRED_MALFORMED, NULL, 42);
	n = spool_format_line(line, sizeof line, &s);
	ok(n > 0 && strstr(line, " - 42 malformed -\n") != NULL, "malformed: '-'");
	spool_scan_init(&s, CRED_REVOKED, &c, 42);
	ok(s.has_cti, "revoked: the cti");
	s.result = CRED_SUPERSEDED;
	ok(spool_format_line(line, sizeof line, &s) == AK_EINVAL, "superseded is never spooled");
	spool_scan_init(&s, CRED_VALID, &c, UINT64_MAX);
	ok(spool_format_line(line, 20, &s) == AK_ETOOBIG, "too small a buffer");
}

static void test_files(const char *tmp)
{
	char dir[512], path[600], text[512];
	struct spool_reader r;
	struct spool_scan s, got;
	struct stat st;
	struct cred c;
	spool *sp;
	uint64_t off;
	FILE *f;
	int kinds[8], k = 0, rc;

	snprintf(dir, sizeof dir, "%s/a/spool", tmp);
	ok(spool_open(&sp, dir) == 0, "spool_open creates the folders");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "the folder is 0700");
	snprintf(path, sizeof path, "%s/scans", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
	memset(&c, 0, sizeof c);
	spool_scan_init(&s, CRED_VALID, &c, 100);
	ok(spool_append(sp, &s) == 0, "append");
	/* A crash in the middle of a line. */
	f = fopen(path, "a");
	fputs("0123456789abcdef0123456789abcdef - 100 val", f);
	fclose(f);
	ok(spool_reader_open(&r, dir, 0) == 0, "the reader opens");
	ok(spool_reader_next(&r, &got) == SPOOL_SCAN && strcmp(got.id, s.id) == 0, "the scan");
	ok(spool_reader_next(&r, &got) == SPOOL_END, "a torn tail is not a line yet");
	off = r.off;
	spool_reader_close(&r);
	spool_scan_init(&s, CRED_EXPIRED, &c, 101);
	ok(spool_append(sp, &s) == 0, "append after the torn tail");
	spool_close(sp);
	ok(spool_reader_open(&r, dir, off) == 0, "reading from the first line's end");
	while ((rc = spool_reader_next(&r, &got)) > 0 && k < 8)
		kinds[k++] = rc;
	ok(rc == SPOOL_END && k == 2 && kinds[0] == SPOOL_BAD_LINE && kinds[1] == SPOOL_SCAN &&
	       got.result == CRED_EXPIRED && got.has_sig && !got.v1,
	   "the torn line was closed (now malformed) and the new one is whole");
	ok(r.off == r.size, "the reader ends at the end");
	spool_reader_close(&r);
	/* A line written before scans carried signatures, in a spool still
	 * being uploaded. */
	off = r.size;
	f = fopen(path, "a");
	fputs("00000000000000000000000000000001 fedcba9876543210fedcba9876543210 99 valid\n", f);
	fclose(f);
	ok(spool_reader_open(&r, dir, off) == 0 && spool_reader_next(&r, &got) == SPOOL_SCAN &&
	       got.v1 && got.has_cti && !got.has_sig && got.time == 99,
	   "a v1 line among v2 ones is read as a scan without a sig");
	spool_reader_close(&r);
	ok(spool_reader_open(&r, dir, 1u << 20) == AK_EINVAL, "an offset past the end is refused");

	ok(spool_sent_read(dir, &off) == 0 && off == 0, "no sent file: offset 0");
	ok(spool_sent_write(dir, 12345) == 0, "write the offset");
	ok(spool_sent_read(dir, &off) == 0 && off == 12345, "read it back");
	snprintf(path, sizeof path, "%s/sent", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the sent file is 0600");
	f = fopen(path, "w");
	fputs("12x\n", f);
	fclose(f);
	ok(spool_sent_read(dir, &off) == AK_EINVAL, "a garbled offset is refused");

	/* A batch: whole lines, in order, in one append; a torn tail
	 * before it closed first, as for one. */
	{
		struct spool_scan b[3];
		snprintf(dir, sizeof dir, "%s/batch", tmp);
		ok(spool_open(&sp, dir) == 0, "a second spool");
		snprintf(path, sizeof path, "%s/scans", dir);
		f = fopen(path, "a");
		fputs("0123456789abcdef", f);
		fclose(f);
		for (int i = 0; i < 3; i++)
			spool_scan_init(&b[i], i == 1 ? CRED_MALFORMED : CRED_VALID,
					i == 1 ? NULL : &c, 200 + (uint64_t)i);
		ok(spool_append_batch(sp, b, 0) == 0, "an empty batch writes nothing");
		ok(spool_append_batch(sp, b, SPOOL_BATCH_MAX + 1) == AK_EINVAL,
		   "a batch over SPOOL_BATCH_MAX is refused");
		ok(spool_append_batch(sp, b, 3) == 0, "a batch of three");
		spool_close(sp);
		k = 0;
		ok(spool_reader_open(&r, dir, 0) == 0, "read it back");
		while ((rc = spool_reader_next(&r, &got)) > 0 && k < 8) {
			kinds[k] = rc;
			if (rc == SPOOL_SCAN)
				ok(strcmp(got.id, b[k - 1].id) == 0 &&
				       got.time == 200 + (uint64_t)k - 1,
				   "scan %d of the batch, in order", k);
			k++;
		}
		ok(rc == SPOOL_END && k == 4 && kinds[0] == SPOOL_BAD_LINE && r.off == r.size,
		   "the torn line closed, then the three whole lines");
		spool_reader_close(&r);
	}

	snprintf(dir, sizeof dir, "%s/b", tmp);
	mkdir(dir, 0755);
	ok(spool_open(&sp, dir) == AK_EPERM && sp == NULL, "a folder open to others is refused");
	snprintf(dir, sizeof dir, "%s/c", tmp);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/scans", dir);
	snprintf(text, sizeof text, "%s/elsewhere", tmp);
	ok(symlink(text, path) == 0 && spool_open(&sp, dir) == AK_EIO,
	   "a symlinked spool is refused");
	ok(spool_reader_open(&r, dir, 0) == AK_EIO, "also for reading");
	snprintf(dir, sizeof dir, "%s/none", tmp);
	ok(spool_reader_open(&r, dir, 0) == AK_ENOENT, "no spool: AK_ENOENT");
}

static void test_vwire(void)
{
	struct vwire_verdict v;
	struct spool_scan s[2];
	char *body, code[32];
	size_t len;
	uint64_t a, d;
	json_t *j;
	json_error_t err;
	const char *c1 = "{\"result\":\"valid\",\"name\":\"a\\u009bb\",\"status\":\"green\"}";
	const char *good =
	    "{\"result\":\"superseded\",\"name\":\"Test Resident\",\"status\":\"red\"}";
	const char *late = "{\"result\":\"superseded\",\"name\":\"Test Resident\"}";
	const char *bad[] = {
	    "{\"result\":\"revoked\",\"name\":\"Test Resident\"}",
	    /* A long line, split. */
	    /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
	    "{\"result\":\"valid\",\"name\":\"Test "
	    "Resident\",\"status\":\"red\",\"id_number\":\"x\"}",
	    "{\"result\":\"expired\",\"name\":\"Test Resident\",\"status\":\"red\"}",
	    "{\"result\":\"valid\",\"name\":\"Test Resident\"}",
	    "{\"result\":\"valid\",\"status\":\"green\"}",
	    "{\"result\":\"valid\",\"name\":\"\",\"status\":\"green\"}",
	    "{\"result\":\"valid\",\"name\":\"a\\u001bb\",\"status\":\"green\"}",
	    "{\"result\":\"valid\",\"name\":\"a\\u0000b\",\"status\":\"green\"}",
	    "{\"result\":\"valid\",\"name\":\"Test\",\"status\":\"purple\"}",
	    "{\"result\":\"great\"}",
	    "{\"result\":\"valid\",\"result\":\"valid\"}",
	    "{\"result\":1}",
	    "[\"valid\"]",
	    "",
	};

	ok(vwire_parse_verdict(&v, good, strlen(good)) == 0, "a verify answer parses");
	ok(v.result == CRED_SUPERSEDED && v.has_name && v.has_status && v.status == CRED_RED &&
	       strcmp(v.name, "Test Resident") == 0,
	   "superseded, with the current status and the name");
	ok(vwire_parse_verdict(&v, "{\"result\":\"bad_signature\"}", 26) == 0 && !v.has_name &&
	       v.result == CRED_BAD_SIGNATURE,
	   "a result alone");
	ok(vwire_parse_verdict(&v, "{\"result\":\"valid\"}", 18) == 0 && !v.has_name,
	   "valid without name and status: the result only");
	ok(vwire_parse_verdict(&v, late, strlen(late)) == 0 && v.result == CRED_SUPERSEDED &&
	       v.has_name && !v.has_status && strcmp(v.name, "Test Resident") == 0,
	   "superseded past its online window: the name, no status");
	ok(vwire_parse_verdict(&v, c1, strlen(c1)) == 0 && strcmp(v.name, "a\xc2\x9b"
									  "b") == 0,
	   "a C1 control is a legal name (term_safe handles the screen)");
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++)
		ok(vwire_parse_verdict(&v, bad[i], strlen(bad[i])) == AK_EINVAL &&
		       v.name[0] == '\0',
		   "bad verify answer %zu refused, nothing kept", i);

	ok(vwire_verify_body(&body, &len, "AK1:ABC", 7) == 0 &&
	       strcmp(body, "{\"credential\":\"AK1:ABC\"}") == 0,
	   "the verify request");
	free(body);
	ok(vwire_verify_body(&body, &len, "AK1:\x01", 5) == AK_EINVAL && body == NULL,
	   "a control character is not asked about");
	ok(vwire_verify_body(&body, &len, "", 0) == AK_EINVAL, "nor an empty code");

	memset(s, 0, sizeof s);
	snprintf(s[0].id, sizeof s[0].id, "%032x", 1);
	s[0].has_cti = 1;
	memset(s[0].cti, 0x11, sizeof s[0].cti);
	s[0].has_sig = 1;
	memset(s[0].sig, 0xc3, sizeof s[0].sig);
	s[0].time = 1767225600;
	s[0].result = CRED_VALID;
	snprintf(s[1].id, sizeof s[1].id, "%032x", 2);
	s[1].time = 7;
	s[1].result = CRED_MALFORMED;
	ok(vwire_scans_body(&body, &len, s, 2) == 0, "a scans upload");
	j = json_loads(body, 0, &err);
	ok(j != NULL && json_array_size(json_object_get(j, "scans")) == 2 &&
	       json_is_null(
		   json_object_get(json_array_get(json_object_get(j, "scans"), 1), "cti")) &&
	       strcmp(json_string_value(
			  json_object_get(json_array_get(json_object_get(j, "scans"), 0), "cti")),
		      "11111111111111111111111111111111") == 0 &&
	       json_object_size(json_array_get(json_object_get(j, "scans"), 1)) == 4,
	   "id, cti (or null), time, result");
	{
		json_t *o0 = json_array_get(json_object_get(j, "scans"), 0);
		json_t *o1 = json_array_get(json_object_get(j, "scans"), 1);
		const char *sig = json_string_value(json_object_get(o0, "sig"));
		int all_c3 = sig != NULL && strlen(sig) == 2 * CRED_SIG_BYTES;
		for (size_t i = 0; all_c3 && i < 2 * CRED_SIG_BYTES; i += 2)
			all_c3 = sig[i] == 'c' && sig[i + 1] == '3';
		ok(all_c3 && json_object_size(o0) == 5,
		   "and sig, the 64 bytes in lowercase hex, with a cti");
		ok(json_object_get(o1, "sig") == NULL, "no sig key at all without one (not null)");
	}
	json_decref(j);
	free(body);
	s[0].has_sig = 0;
	ok(vwire_scans_body(&body, &len, s, 1) == 0 && strstr(body, "\"sig\"") == NULL,
	   "a v1 scan with a cti goes without a sig");
	free(body);
	s[1].has_sig = 1;
	ok(vwire_scans_body(&body, &len, s, 2) == AK_EINVAL && body == NULL,
	   "a sig without a cti is not sent");
	s[1].has_sig = 0;
	{
		/* A full page of the longest scans fits the service's default
		 * body cap, or every upload of a busy checkpoint would be 413. */
		struct spool_scan *page = calloc(VWIRE_SCANS_PAGE, sizeof *page);
		int rc;
		if (page == NULL)
			bail_out("calloc");
		for (size_t i = 0; i < VWIRE_SCANS_PAGE; i++) {
			page[i] = s[0];
			snprintf(page[i].id, sizeof page[i].id, "%032zx", i);
			page[i].has_sig = 1;
			page[i].time = (uint64_t)INT64_MAX;
			page[i].result = CRED_NOT_YET_VALID;
		}
		rc = vwire_scans_body(&body, &len, page, VWIRE_SCANS_PAGE);
		ok(rc == 0 && len <= HTTP_DEFAULT_MAX_BODY,
		   "a full page of %d of the longest scans is %zu bytes, under %d",
		   VWIRE_SCANS_PAGE, len, HTTP_DEFAULT_MAX_BODY);
		free(body);
		free(page);
	}
	ok(vwire_scans_body(&body, &len, s, 0) == AK_EINVAL, "an empty page is not sent");
	s[1].result = CRED_SUPERSEDED;
	ok(vwire_scans_body(&body, &len, s, 2) == AK_EINVAL, "nor a superseded scan");

	ok(vwire_parse_scans_answer("{\"accepted\":3,\"duplicates\":1,\"log_index\":9}", 43, &a,
				    &d) == 0 &&
	       a == 3 && d == 1,
	   "a scans answer (other keys ignored)");
	ok(vwire_parse_scans_answer("{\"accepted\":-1,\"duplicates\":1}", 30, &a, &d) == AK_EINVAL,
	   "a negative count refused");
	ok(vwire_parse_scans_answer("{\"accepted\":3}", 14, &a, &d) == AK_EINVAL,
	   "a missing count refused");

	body = "{\"error\":\"bad_token\",\"message\":\"x\"}";
	httpc_error_code(body, strlen(body), code, sizeof code);
	is_str(code, "bad_token", "httpc_error_code: the code");
	body = "{\"error\":\"\\u001b[31mX\"}";
	httpc_error_code(body, strlen(body), code, sizeof code);
	is_str(code, "31m", "httpc_error_code: only [a-z0-9_] survives");
	ok(httpc_token_valid("aka_x") && !httpc_token_valid("a b") && !httpc_token_valid(""),
	   "httpc_token_valid");
}

static void test_show(void)
{
	char out[SHOW_CAP], small[16];
	struct show_result r = {CRED_VALID, 1, CRED_GREEN, "Zhang San"};
	enum show_color c = SHOW_COLOR_NONE;

	ok(show_line(out, sizeof out, &r) > 0 && strcmp(out, "valid green Zhang San\n") == 0,
	   "show_line: valid: result, status, name");
	r.result = CRED_REVOKED;
	ok(show_line(out, sizeof out, &r) > 0 &&
	       strcmp(out, "revoked (was green) Zhang San\n") == 0,
	   "show_line: revoked: the status after 'was'");
	r.result = CRED_SUPERSEDED;
	r.status = CRED_RED;
	ok(show_line(out, sizeof out, &r) > 0 &&
	       strcmp(out, "superseded (now red) Zhang San\n") == 0,
	   "show_line: superseded: the status after 'now'");
	r.has_status = 0;
	ok(show_line(out, sizeof out, &r) > 0 && strcmp(out, "superseded - Zhang San\n") == 0,
	   "show_line: superseded without a status: '-'");
	r.result = CRED_EXPIRED;
	r.has_status = 1;
	ok(show_line(out, sizeof out, &r) > 0 && strcmp(out, "expired\n") == 0,
	   "show_line: expired: no name even when one is given");
	ok(show_banner(out, sizeof out, &r) > 0 && strstr(out, "Zhang") == NULL &&
	       strstr(out, "\033[1;97;41m  REFUSED: expired\033[K") != NULL,
	   "show_banner: expired: REFUSED on red, no name");
	r.result = CRED_VALID;
	r.status = CRED_RED;
	ok(show_banner(out, sizeof out, &r) > 0 &&
	       strstr(out, "\033[1;30;41m  VALID  \xe7\xba\xa2\xe7\xa0\x81 red  Zhang San\033[K") !=
		   NULL,
	   "show_banner: valid red: VALID, the status in two words, black on red");
	r.result = CRED_REVOKED;
	r.status = CRED_GREEN;
	ok(show_banner(out, sizeof out, &r) > 0 && strstr(out, "42m") == NULL &&
	       strstr(out, "REFUSED: revoked (was green)  Zhang San") != NULL,
	   "show_banner: revoked green: REFUSED, 'was green', never on green");
	/* The bidirectional override is what this tests. */
	/* NOLINTNEXTLINE(misc-misleading-bidirectional) */
	r.name = "Eve\xe2\x80\xae";
	ok(show_banner(out, sizeof out, &r) > 0 && strstr(out, "Eve\xef\xbf\xbd") != NULL,
	   "show_banner: the name made safe");
	ok(show_line(small, sizeof small, &r) == -1 && small[0] == '\0',
	   "show_line: too small a buffer: -1 and nothing");
	ok(show_banner(small, sizeof small, &r) == -1 && small[0] == '\0',
	   "show_banner: too small a buffer: -1 and nothing");

	ok(show_color_parse("always", &c) == 0 && c == SHOW_COLOR_ALWAYS &&
	       show_color_parse("never", &c) == 0 && c == SHOW_COLOR_NEVER &&
	       show_color_parse("auto", &c) == 0 && c == SHOW_COLOR_AUTO,
	   "show_color_parse: auto, always, never");
	ok(show_color_parse("yes", &c) != 0 && show_color_parse("", &c) != 0,
	   "show_color_parse: nothing else");
	ok(show_banner_wanted(SHOW_COLOR_AUTO, 1, NULL, "xterm") &&
	       show_banner_wanted(SHOW_COLOR_AUTO, 1, "", "xterm") &&
	       !show_banner_wanted(SHOW_COLOR_AUTO, 0, NULL, "xterm") &&
	       !show_banner_wanted(SHOW_COLOR_AUTO, 1, "1", "xterm") &&
	       !show_banner_wanted(SHOW_COLOR_AUTO, 1, NULL, "dumb"),
	   "auto: a terminal, NO_COLOR unset or empty, TERM not dumb");
	ok(show_banner_wanted(SHOW_COLOR_ALWAYS, 0, "1", "dumb") &&
	       !show_banner_wanted(SHOW_COLOR_NEVER, 1, NULL, "xterm") &&
	       !show_banner_wanted(SHOW_COLOR_NONE, 1, NULL, "xterm"),
	   "always and never win; no choice is never");
}

static void test_state(void)
{
	char out[64], tiny[8];

	ok(vstate_default_dir(out, sizeof out, "/x/state", "/home/a") == 0 &&
	       strcmp(out, "/x/state/ankang-verify") == 0,
	   "state: $XDG_STATE_HOME/ankang-verify");
	ok(vstate_default_dir(out, sizeof out, "rel", "/home/a") == 0 &&
	       strcmp(out, "/home/a/.local/state/ankang-verify") == 0,
	   "state: a relative $XDG_STATE_HOME is ignored");
	ok(vstate_default_dir(out, sizeof out, NULL, "/home/a") == 0 &&
	       strcmp(out, "/home/a/.local/state/ankang-verify") == 0,
	   "state: else ~/.local/state/ankang-verify");
	ok(vstate_old_dir(out, sizeof out, "/home/a") == 0 &&
	       strcmp(out, "/home/a/.cache/ankang-verify") == 0,
	   "state: the old folder, ~/.cache/ankang-verify");
	ok(vstate_default_dir(tiny, sizeof tiny, NULL, "/home/a") == AK_EINVAL &&
	       vstate_old_dir(tiny, sizeof tiny, "/home/a") == AK_EINVAL,
	   "state: a folder that does not fit is refused, not cut");
}

int main(void)
{
	char tmp[] = "/tmp/test_verifier.XXXXXX";
	char cmd[600];

	if (sodium_init() < 0 || mkdtemp(tmp) == NULL)
		bail_out("setup");
	umask(022);
	test_term();
	test_line();
	test_line_v2();
	test_files(tmp);
	test_vwire();
	test_show();
	test_state();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
	return tap_done();
}
