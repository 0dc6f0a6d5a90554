/*
 * leaf: the audit log's entries (FORMAT.md section 3.1), one line each:
 *
 *   ankang/v1 <time_ms> <actor> <action> <subject> <object> <result> <detail>\n
 *
 * Every closed list of words a leaf may hold is defined in this file, in
 * the tables below, and nowhere else; the enums of leaf.h index them.
 * Extend a list only by appending (to the enum and the table together):
 * auditors' tools must keep parsing the leaves already in the log.
 *
 * Invariant: leaf_parse accepts exactly the lines leaf_format produces,
 * byte for byte, and gives back the struct that produced them. The parser
 * is strict field by field, and then formats what it parsed and demands
 * the identical line, so any gap between the two is a rejection, never a
 * second spelling of the same entry.
 *
 * Never: accept free text (every field is a number, fixed-length lowercase
 * hex, "-" or a table word), read beyond the length given, or write to the
 * caller's struct on a rejected line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "crypto/cred.h"
#include "crypto/leaf.h"

/* ------------------------------------------------------- the closed lists */

/* Index 0 of every table (the *_NONE values) has no word: it never
 * formats and never parses. */
static const char *const role_words[] = {
    [ROLE_NONE] = NULL,         [ROLE_RESIDENT] = "resident", [ROLE_VERIFIER] = "verifier",
    [ROLE_OFFICER] = "officer", [ROLE_AUDITOR] = "auditor",   [ROLE_ADMIN] = "admin",
    [ROLE_SYSTEM] = "system",
};

/* DESIGN.md's audit actions, then those added since, in order. */
static const char *const action_words[] = {
    [ACT_NONE] = NULL,
    [ACT_ENROLL] = "enroll",
    [ACT_LOGIN] = "login",
    [ACT_ISSUE] = "issue",
    [ACT_VERIFY] = "verify",
    [ACT_VERIFY_OFFLINE] = "verify_offline",
    [ACT_STATUS_SET] = "status_set",
    [ACT_LOOKUP] = "lookup",
    [ACT_ACCESSES_READ] = "accesses_read",
    [ACT_ERASE] = "erase",
    [ACT_ACCOUNT_ADD] = "account_add",
    [ACT_KEY_ROTATE] = "key_rotate",
    [ACT_PRINT_CODE] = "print_code",
    [ACT_PURGE] = "purge",
    [ACT_ACCOUNT_DISABLE] = "account_disable",
    [ACT_HISTORY_READ] = "history_read",
    [ACT_LOGOUT] = "logout",
    [ACT_SESSIONS_READ] = "sessions_read",
    [ACT_APPEAL_OPEN] = "appeal_open",
    [ACT_APPEALS_READ] = "appeals_read",
    [ACT_APPEAL_LIST] = "appeal_list",
    [ACT_APPEAL_READ] = "appeal_read",
    [ACT_APPEAL_ANSWER] = "appeal_answer",
    [ACT_HOUSEHOLD_ADD] = "household_add",
    [ACT_HOUSEHOLD_LIST] = "household_list",
    [ACT_HOUSEHOLD_CONFIRM] = "household_confirm",
    [ACT_HOUSEHOLD_REMOVE] = "household_remove",
    [ACT_EXPORT] = "export",
};

/* The credential result words of FORMAT.md section 1, then the outcomes
 * of everything that is not a verification. */
static const char *const result_words[] = {
    [RES_NONE] = NULL,
    [RES_VALID] = "valid",
    [RES_MALFORMED] = "malformed",
    [RES_UNKNOWN_KEY] = "unknown_key",
    [RES_BAD_SIGNATURE] = "bad_signature",
    [RES_NOT_YET_VALID] = "not_yet_valid",
    [RES_EXPIRED] = "expired",
    [RES_REVOKED] = "revoked",
    [RES_SUPERSEDED] = "superseded",
    [RES_OK] = "ok",
    [RES_DENIED] = "denied",
    [RES_NOT_FOUND] = "not_found",
    [RES_INVALID] = "invalid",
};

static const char *const detail_words[] = {
    [DET_NONE] = NULL,
    [DET_EMPTY] = "-",
    /* health statuses */
    [DET_GREEN] = "green",
    [DET_YELLOW] = "yellow",
    [DET_RED] = "red",
    /* look-up purposes (DESIGN.md) */
    [DET_EPIDEMIOLOGICAL_INVESTIGATION] = "epidemiological_investigation",
    [DET_STATUS_CORRECTION] = "status_correction",
    [DET_APPEAL_REVIEW] = "appeal_review",
    [DET_PAPER_CODE] = "paper_code",
    /* status reason codes (DESIGN.md) */
    [DET_CONFIRMED_CASE] = "confirmed_case",
    [DET_SUSPECTED_CASE] = "suspected_case",
    [DET_CLOSE_CONTACT] = "close_contact",
    [DET_SECONDARY_CONTACT] = "secondary_contact",
    [DET_TRAVEL_FROM_RISK_AREA] = "travel_from_risk_area",
    [DET_QUARANTINE_COMPLETED] = "quarantine_completed",
    [DET_NEGATIVE_TEST] = "negative_test",
    [DET_RECOVERED] = "recovered",
    [DET_DATA_CORRECTION] = "data_correction",
    [DET_APPEAL_UPHELD] = "appeal_upheld",
    /* the role of an account being added */
    [DET_ROLE_VERIFIER] = "verifier",
    [DET_ROLE_OFFICER] = "officer",
    [DET_ROLE_AUDITOR] = "auditor",
    [DET_ROLE_ADMIN] = "admin",
    /* why a request was denied */
    [DET_RATE_LIMITED] = "rate_limited",
    /* the size of a summarised burst of failed log-ins */
    [DET_BURST_2_9] = "burst_2_9",
    [DET_BURST_10_99] = "burst_10_99",
    [DET_BURST_100_999] = "burst_100_999",
    [DET_BURST_1000_PLUS] = "burst_1000_plus",
    /* the sessions a log-out ended */
    [DET_THIS_SESSION] = "this_session",
    [DET_ALL_SESSIONS] = "all_sessions",
    /* KEK epoch rotation */
    [DET_KEK_REWRAP] = "kek_rewrap",
    [DET_KEK_EPOCH] = "kek_epoch",
    /* why a resident appeals */
    [DET_WRONG_PERSON] = "wrong_person",
    [DET_NOT_IN_RISK_AREA] = "not_in_risk_area",
    [DET_OTHER] = "other",
    /* an appeal's answer */
    [DET_EVIDENCE_ACCEPTED] = "evidence_accepted",
    [DET_RECORD_ERROR] = "record_error",
    [DET_EVIDENCE_INSUFFICIENT] = "evidence_insufficient",
    [DET_STATUS_CONFIRMED] = "status_confirmed",
    /* a household member's relation */
    [DET_CHILD] = "child",
    [DET_PARENT] = "parent",
    [DET_SPOUSE] = "spouse",
    /* confirming a member's consent */
    [DET_HOUSEHOLD_CONSENT] = "household_consent",
};

/* One word per enum value. The sizes are checked here; a hole in the
 * middle of a table is found by the unit test, which round-trips every
 * value of every list. */
_Static_assert(AK_ARRAY_LEN(role_words) == ROLE_COUNT, "role table");
_Static_assert(AK_ARRAY_LEN(action_words) == ACT_COUNT, "action table");
_Static_assert(AK_ARRAY_LEN(result_words) == RES_COUNT, "result table");
_Static_assert(AK_ARRAY_LEN(detail_words) == DET_COUNT, "detail table");
/* leaf_result_of_cred and leaf_detail_of_status add an offset. */
_Static_assert(RES_SUPERSEDED - RES_VALID == (int)CRED_SUPERSEDED - (int)CRED_VALID &&
		   RES_OK - RES_VALID == CRED_RESULT_COUNT,
	       "leaf results follow cred results");
_Static_assert(DET_YELLOW - DET_GREEN == (int)CRED_YELLOW && DET_RED - DET_GREEN == (int)CRED_RED,
	       "leaf statuses follow cred statuses");

static const char *word_of(const char *const *table, int count, int i)
{
	return i > 0 && i < count ? table[i] : NULL;
}

static int word_index(const char *const *table, int count, const char *w, size_t len)
{
	for (int i = 1; i < count; i++) {
		if (strlen(table[i]) == len && memcmp(table[i], w, len) == 0)
			return i;
	}
	return -1;
}

void leaf_init(struct leaf *l, enum leaf_role role, uint64_t actor_id, enum leaf_action action)
{
	memset(l, 0, sizeof *l);
	l->role = role;
	l->actor_id = actor_id;
	l->action = action;
	l->result = RES_NONE;
	l->detail = DET_NONE;
}

enum leaf_result leaf_result_of_cred(int cred_result)
{
	if (cred_result < (int)CRED_VALID || cred_result >= CRED_RESULT_COUNT)
		return RES_NONE;
	return (enum leaf_result)(RES_VALID + (cred_result - (int)CRED_VALID));
}

enum leaf_detail leaf_detail_of_status(int status)
{
	if (status < (int)CRED_GREEN || status > (int)CRED_RED)
		return DET_NONE;
	return (enum leaf_detail)(DET_GREEN + (status - (int)CRED_GREEN));
}

void leaf_actor_text(char out[LEAF_ACTOR_TEXT], int role, uint64_t id)
{
	const char *w = leaf_role_word(role);

	if (id == LEAF_NO_ID)
		snprintf(out, LEAF_ACTOR_TEXT, "%s:-", w ? w : "?");
	else
		snprintf(out, LEAF_ACTOR_TEXT, "%s:%" PRIu64, w ? w : "?", id);
}

void leaf_actor_of(char out[LEAF_ACTOR_TEXT], const struct leaf *l)
{
	char hex[2 * LEAF_ID_BYTES + 1];

	if (!l->has_actor_pseudonym) {
		leaf_actor_text(out, (int)l->role, l->actor_id);
		return;
	}
	util_hex_encode(hex, l->actor_pseudonym, LEAF_ID_BYTES);
	snprintf(out, LEAF_ACTOR_TEXT, "%s:%s", leaf_role_word((int)l->role), hex);
}

void leaf_id_text(char out[LEAF_ID_TEXT], int present, const uint8_t id[LEAF_ID_BYTES])
{
	if (present)
		util_hex_encode(out, id, LEAF_ID_BYTES);
	else
		strcpy(out, "-");
}

const char *leaf_role_word(int role)
{
	return word_of(role_words, ROLE_COUNT, role);
}

const char *leaf_action_word(int action)
{
	return word_of(action_words, ACT_COUNT, action);
}

const char *leaf_result_word(int result)
{
	return word_of(result_words, RES_COUNT, result);
}

const char *leaf_detail_word(int detail)
{
	return word_of(detail_words, DET_COUNT, detail);
}

int leaf_role_parse(const char *w, size_t len)
{
	return word_index(role_words, ROLE_COUNT, w, len);
}

int leaf_action_parse(const char *w, size_t len)
{
	return word_index(action_words, ACT_COUNT, w, len);
}

int leaf_result_parse(const char *w, size_t len)
{
	return word_index(result_words, RES_COUNT, w, len);
}

int leaf_detail_parse(const char *w, size_t len)
{
	return word_index(detail_words, DET_COUNT, w, len);
}

/* ------------------------------------------------------------- formatting */

/* Appends the n bytes of s at *at, never past end (LEAF_MAX bytes of
 * room): 0, or AK_ETOOBIG. */
static int put(char **at, const char *end, const char *s, size_t n)
{
	if ((size_t)(end - *at) < n)
		return AK_ETOOBIG;
	memcpy(*at, s, n);
	*at += n;
	return 0;
}

static int put_word(char **at, const char *end, const char *w)
{
	return put(at, end, w, strlen(w));
}

/* A number in decimal, as "%" PRIu64 writes it. */
static int put_u64(char **at, const char *end, uint64_t v)
{
	char d[20];
	size_t i = sizeof d;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return put(at, end, d + i, sizeof d - i);
}

/* "-" or 32 lowercase hex digits. */
static int put_id(char **at, const char *end, int present, const uint8_t id[LEAF_ID_BYTES])
{
	char hex[2 * LEAF_ID_BYTES + 1];

	if (!present)
		return put(at, end, "-", 1);
	util_hex_encode(hex, id, LEAF_ID_BYTES);
	return put(at, end, hex, 2 * LEAF_ID_BYTES);
}

/*
 * The line is put together byte by byte rather than with snprintf: about
 * 1,000 instructions a leaf where snprintf took about 4,000 (callgrind,
 * on a POST /v1/verify's thread, which formats its leaf before queueing
 * it); the bytes are the same: "PREFIX TIME ROLE:ACTOR ACTION SUBJECT
 * OBJECT RESULT DETAIL\n" (tests/unit/test_leaf.c compares the two).
 */
int leaf_format(char *out, const struct leaf *l)
{
	const char *role = leaf_role_word((int)l->role);
	const char *action = leaf_action_word((int)l->action);
	const char *result = leaf_result_word((int)l->result);
	const char *detail = leaf_detail_word((int)l->detail);
	char *at = out;
	const char *end = out + LEAF_MAX;

	if (role == NULL || action == NULL || result == NULL || detail == NULL)
		return AK_EINVAL;
	/* A resident's row id would link the log to the resident table; the
	 * system has no account (FORMAT.md 3.1: both are "-"). */
	if ((l->role == ROLE_RESIDENT || l->role == ROLE_SYSTEM) && l->actor_id != LEAF_NO_ID)
		return AK_EINVAL;
	/* Only a resident acts by pseudonym (a guardian for a member). */
	if (l->has_actor_pseudonym && (l->role != ROLE_RESIDENT || l->actor_id != LEAF_NO_ID))
		return AK_EINVAL;

	/* At most about 200 bytes with the longest words: LEAF_MAX is slack. */
	if (put(&at, end, LEAF_PREFIX " ", sizeof LEAF_PREFIX) != 0 ||
	    put_u64(&at, end, l->time_ms) != 0 || put(&at, end, " ", 1) != 0 ||
	    put_word(&at, end, role) != 0 || put(&at, end, ":", 1) != 0)
		return AK_ETOOBIG;
	if (l->has_actor_pseudonym) {
		if (put_id(&at, end, 1, l->actor_pseudonym) != 0)
			return AK_ETOOBIG;
	} else if (l->actor_id == LEAF_NO_ID) {
		if (put(&at, end, "-", 1) != 0)
			return AK_ETOOBIG;
	} else if (put_u64(&at, end, l->actor_id) != 0) {
		return AK_ETOOBIG;
	}
	if (put(&at, end, " ", 1) != 0 || put_word(&at, end, action) != 0 ||
	    put(&at, end, " ", 1) != 0 || put_id(&at, end, l->has_subject, l->subject) != 0 ||
	    put(&at, end, " ", 1) != 0 || put_id(&at, end, l->has_object, l->object) != 0 ||
	    put(&at, end, " ", 1) != 0 || put_word(&at, end, result) != 0 ||
	    put(&at, end, " ", 1) != 0 || put_word(&at, end, detail) != 0 ||
	    put(&at, end, "\n", 1) != 0)
		return AK_ETOOBIG;
	*at = '\0';
	return (int)(at - out);
}

/* ---------------------------------------------------------------- parsing */

/* FORMAT.md's alphabet for every field after the prefix. */
static int field_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '-';
}

static int is_dash(const char *s, size_t len)
{
	return len == 1 && s[0] == '-';
}

/* "-" (has = 0) or exactly 32 lowercase hex digits. */
static int parse_id(int *has, uint8_t id[LEAF_ID_BYTES], const char *s, size_t len)
{
	if (is_dash(s, len)) {
		*has = 0;
		memset(id, 0, LEAF_ID_BYTES);
		return 0;
	}
	if (len != 2 * LEAF_ID_BYTES || util_hex_decode_lower(id, LEAF_ID_BYTES, s, len) != 0)
		return AK_EINVAL;
	*has = 1;
	return 0;
}

/* <role>:<id>, the id decimal without leading zeros, "-", or 32
 * lowercase hex digits (a pseudonym: longer than any decimal u64, so the
 * two never meet). */
static int parse_actor(struct leaf *l, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	size_t rlen, ilen;
	int role;

	if (colon == NULL)
		return AK_EINVAL;
	rlen = (size_t)(colon - s);
	ilen = len - rlen - 1;
	if ((role = leaf_role_parse(s, rlen)) < 0)
		return AK_EINVAL;
	l->role = (enum leaf_role)role;
	l->actor_id = LEAF_NO_ID;
	if (is_dash(colon + 1, ilen))
		return 0;
	if (ilen == 2 * LEAF_ID_BYTES)
		return parse_id(&l->has_actor_pseudonym, l->actor_pseudonym, colon + 1, ilen);
	/* UINT64_MAX is the "-" sentinel, so it cannot be a number here. */
	if (util_parse_u64(colon + 1, ilen, &l->actor_id) != 0 || l->actor_id == LEAF_NO_ID)
		return AK_EINVAL;
	return 0;
}

enum {
	F_TIME,
	F_ACTOR,
	F_ACTION,
	F_SUBJECT,
	F_OBJECT,
	F_RESULT,
	F_DETAIL,
	F_COUNT
};

int leaf_parse(struct leaf *l, const char *line, size_t len)
{
	static const char prefix[] = LEAF_PREFIX " ";
	const size_t plen = sizeof prefix - 1;
	const char *field[F_COUNT];
	size_t flen[F_COUNT];
	char again[LEAF_MAX + 1];
	struct leaf t;
	size_t pos, end, nf = 0;
	int v;

	if (len > LEAF_MAX || len <= plen || line[len - 1] != '\n' ||
	    memcmp(line, prefix, plen) != 0)
		return AK_EINVAL;

	/* Split line[plen, len - 1) at single spaces into exactly F_COUNT
	 * non-empty fields of the alphabet; anything else (a tab, a CR, a
	 * second newline, a byte over 0x7f, two spaces) stops it here. */
	end = len - 1;
	pos = plen;
	for (size_t i = plen; i <= end; i++) {
		if (i < end && field_char((unsigned char)line[i]))
			continue;
		if (i < end && line[i] != ' ')
			return AK_EINVAL;
		if (i == pos || nf == F_COUNT)
			return AK_EINVAL;
		field[nf] = line + pos;
		flen[nf] = i - pos;
		nf++;
		pos = i + 1;
	}
	if (nf != F_COUNT)
		return AK_EINVAL;

	memset(&t, 0, sizeof t);
	if (util_parse_u64(field[F_TIME], flen[F_TIME], &t.time_ms) != 0)
		return AK_EINVAL;
	if (parse_actor(&t, field[F_ACTOR], flen[F_ACTOR]) != 0)
		return AK_EINVAL;
	if ((v = leaf_action_parse(field[F_ACTION], flen[F_ACTION])) < 0)
		return AK_EINVAL;
	t.action = (enum leaf_action)v;
	if (parse_id(&t.has_subject, t.subject, field[F_SUBJECT], flen[F_SUBJECT]) != 0 ||
	    parse_id(&t.has_object, t.object, field[F_OBJECT], flen[F_OBJECT]) != 0)
		return AK_EINVAL;
	if ((v = leaf_result_parse(field[F_RESULT], flen[F_RESULT])) < 0)
		return AK_EINVAL;
	t.result = (enum leaf_result)v;
	if ((v = leaf_detail_parse(field[F_DETAIL], flen[F_DETAIL])) < 0)
		return AK_EINVAL;
	t.detail = (enum leaf_detail)v;

	/* The rules leaf_format enforces (a resident has no id), and any
	 * spelling it would not produce, end here. */
	if (leaf_format(again, &t) != (int)len || memcmp(again, line, len) != 0)
		return AK_EINVAL;
	*l = t;
	return 0;
}
