/*
 * api_error: every error the HTTP API answers, in one table (DESIGN.md,
 * "HTTP API"): an enum, its HTTP status, its stable code (the word
 * clients switch on) and its message in plain words. A handler, the
 * authoriser and the rate limiter return one of these; only the
 * dispatcher turns it into a reply, {"error": code, "message": text}.
 *
 * Messages are constants, built at compile time from the same constants
 * the checks use (policy.h), so a message cannot drift from its rule.
 * One kind of message takes an argument: the name of a field or query
 * argument, which is always one of ours (an allowed-list entry), never
 * anything the client sent. No message ever carries personal data.
 *
 * Every error is one of two kinds, and the operator's log tells them
 * apart (oplog.h): a client's mistake (4xx), logged as its code on the
 * request's line; or the service's own failure (5xx), logged with its
 * cause on a line of its own.
 */
#ifndef ANKANG_API_ERROR_H
#define ANKANG_API_ERROR_H

#include <stddef.h>

enum api_error {
	API_OK = 0,
	/* 400: the request's shape */
	API_JSON_MISSING,
	API_JSON_INVALID,
	API_JSON_NOT_OBJECT,
	API_UNKNOWN_FIELD,
	API_FIELD_MISSING,    /* arg: the field */
	API_FIELD_NOT_STRING, /* arg: the field */
	API_FIELD_NOT_UINT,   /* arg: the field */
	API_QUERY_MISSING,    /* arg: the argument */
	API_QUERY_NOT_NUMBER, /* arg: the argument */
	API_BAD_REQUEST,      /* a request HTTP itself refuses: smuggling, a NUL in the path */
	/* 400: the request's content */
	API_BAD_NAME,
	API_BAD_ID_NUMBER,
	API_BAD_PHONE,
	API_BAD_PASSPHRASE,
	API_BAD_STATUS,
	API_BAD_REASON,
	API_BAD_PURPOSE,
	API_BAD_DAYS,
	API_BAD_LIMIT,
	API_BAD_CURSOR,
	API_BAD_ACTION,
	API_BAD_FORMAT,
	API_BAD_WITH,
	API_BAD_RANGE,
	API_BAD_RESULT,
	API_BAD_ACTOR,
	API_BAD_ORDER,
	API_BAD_BEFORE,
	API_BAD_TIMES,
	API_BAD_PROOF_RANGE,
	API_BAD_SCANS,
	API_BAD_SCAN_TIME,
	API_BAD_SCAN_RESULT,
	/* 401, 403: who is asking */
	API_NO_TOKEN,
	API_BAD_TOKEN,
	API_UNKNOWN_TOKEN,
	API_BAD_LOGIN,
	API_WRONG_ROLE,
	API_OFFICERS_ENROL,
	API_NOT_YOURS,
	API_ID_NUMBER_MISMATCH,
	/* 404, 405, 409, 413, 415 */
	API_NO_ROUTE,
	API_METHOD,
	API_NO_RESIDENT,
	API_NO_SUCH_ID_NUMBER,
	API_NO_ENTRY,
	API_NO_CHECKPOINT,
	API_DUPLICATE,
	API_TOO_LARGE,
	API_MEDIA_TYPE,
	/* 429 */
	API_LIMIT_ENROL,
	API_LIMIT_LOGIN,
	API_LIMIT_OFFICER,
	/* 500, 503: the service's own */
	API_INTERNAL,
	API_UNAVAILABLE,
	API_UNRECORDED,
	API_STORAGE_FAILED,
	API_OVERLAPPED,
	API_STOPPING,
	API_LIST_NOT_READY,
	API_ERASE_PENDING,
	API_OVERLOADED, /* 503 with Retry-After: 1 (reply.c) */
	API_BEHIND,     /* 503 unavailable with Retry-After: 1: AK_EBEHIND */
	/* appeals (h_appeals.c) */
	API_BAD_APPEAL_REASON,
	API_BAD_APPEAL_TEXT,
	API_BAD_DECISION,
	API_BAD_ANSWER_REASON,
	API_BAD_APPEAL_STATE,
	API_NO_APPEAL,
	API_APPEAL_OPEN,
	API_APPEAL_CLOSED,
	/* household (h_household.c) */
	API_BAD_RELATION,            /* 400 */
	API_BAD_MEMBER_PASSPHRASE,   /* 400: the field's form */
	API_HOUSEHOLD_SELF,          /* 400 */
	API_MEMBER_PASSPHRASE_WRONG, /* 403 */
	API_MEMBER_MISMATCH,         /* 403 */
	API_MEMBER_PENDING,          /* 403 */
	API_NO_MEMBER,               /* 404 */
	API_NO_LINK,                 /* 404 */
	API_MEMBER_EXISTS,           /* 409 */
	API_LINK_NOT_PENDING,        /* 409 */
	API_HOUSEHOLD_FULL,          /* 409 */
	/* the log as tiles (h_tiles.c) */
	API_BAD_TILE, /* 400: not a tlog-tiles path */
	API_NO_TILE,  /* 404: no signed checkpoint covers it */
	API_ERROR_COUNT
};

struct api_error_info {
	unsigned status;
	const char *code;    /* stable: a word of [a-z_] */
	const char *message; /* plain words; "%s" once where it takes an argument */
};

/* The table row of e; API_INTERNAL's row for a value outside the table. */
const struct api_error_info *api_error_info(enum api_error e);

/*
 * The message of e with its argument (NULL where it takes none) into
 * out (cap bytes). Returns out.
 */
const char *api_error_message(enum api_error e, const char *arg, char *out, size_t cap);

/* 1 for the service's own failures (5xx), 0 for a client's mistakes. */
int api_error_is_ours(enum api_error e);

/*
 * The error to answer when the audit writer could not commit an
 * operation (rc an AK_E* code other than 0): the resident it concerns
 * is gone (AK_ENOENT), another request got there first (AK_ECONFLICT),
 * the service is closing (AK_EBUSY), the writer is behind and sheds it
 * (AK_EOVERLOAD: auditlog.h, AUDITLOG_SHED), this node lacks an epoch key it
 * is fetching (AK_EBEHIND: record.h), a leaf or change of ours was wrong
 * (AK_EINVAL: 500), an erasure committed but its copies are not yet wiped
 * from the files (AK_EPENDING: log/auditlog.h's AUDITLOG_WIPE), anything
 * else could not be recorded (nothing was changed).
 */
enum api_error api_error_of_writer(int rc);

#endif
