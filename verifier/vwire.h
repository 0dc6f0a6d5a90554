/*
 * vwire: the bodies of the service's verifier endpoints (docs/API.md), as
 * ankang-verify writes and reads them.
 *
 *   POST /v1/verify  {"credential": "AK1:..."}
 *                    -> {"result": "valid", "name": "...", "status": "green"}
 *   POST /v1/scans   {"scans": [{"id": hex32, "cti": hex32 | null,
 *                                "time": N, "result": "valid",
 *                                "sig": hex128 (only with a cti)}, ...]}
 *                    -> {"accepted": N, "duplicates": M}
 *
 * The server is not trusted to keep its promises, and a verify answer is
 * what the checkpoint's screen shows, so it is parsed strictly: no
 * duplicate keys, no key but result, name and status, a known result
 * word, and name and status together, only for the results that may show
 * them (valid, revoked, superseded), the name by the rule for names in a
 * code. A scans answer is only counted, never shown: keys other than
 * accepted and duplicates are ignored there.
 *
 * Pure: no I/O.
 */
#ifndef ANKANG_VWIRE_H
#define ANKANG_VWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "verifier/spool.h"

/* Scans in one upload. The API takes up to 1000, but the service caps
 * every body at --max-body (16 KiB by default) and one scan with its
 * signature is at most 272 bytes of JSON: 50 a page (13.6 KB at most)
 * stays under the default cap. */
#define VWIRE_SCANS_PAGE 50

struct vwire_verdict {
	enum cred_result result;
	int has_name;   /* name present: valid, revoked or superseded */
	int has_status; /* status present; always with the name, but a
			 * superseded code past its online window gets the
			 * name alone */
	enum cred_status status;
	char name[CRED_NAME_MAX + 1];
};

/*
 * The verify request for text[0..len). AK_EINVAL when text cannot be a
 * credential at all (empty, over CRED_TEXT_MAX, or not printable ASCII),
 * which the caller reports as malformed without asking. Else 0 and a
 * malloc'd, NUL-terminated body.
 */
int vwire_verify_body(char **out, size_t *outlen, const char *text, size_t len);

/* Parses a verify answer. 0 or AK_EINVAL. */
int vwire_parse_verdict(struct vwire_verdict *v, const char *body, size_t len);

/* The scans upload for s[0..n), 1 <= n <= VWIRE_SCANS_PAGE; "sig" for each
 * scan that has one. 0, AK_EINVAL (a field out of range, a sig without a
 * cti), AK_ENOMEM. */
int vwire_scans_body(char **out, size_t *outlen, const struct spool_scan *s, size_t n);

/* Parses a scans answer: two non-negative integers. 0 or AK_EINVAL. */
int vwire_parse_scans_answer(const char *body, size_t len, uint64_t *accepted,
			     uint64_t *duplicates);

#endif
