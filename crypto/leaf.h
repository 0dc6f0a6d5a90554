/*
 * leaf: audit log entries (FORMAT.md section 3.1).
 *
 *   ankang/v1 <time_ms> <actor> <action> <subject> <object> <result> <detail>\n
 *
 * Every field comes from a closed list or is a number or fixed-length hex,
 * so there is no way to put free text, and so no way to put a name, an ID
 * number or a phone number, into the log. The constructor (leaf_format)
 * takes enums, not strings; the parser (leaf_parse) accepts exactly what
 * leaf_format can produce.
 *
 * The word tables here are the closed lists; extend them deliberately
 * (append only: auditors' tools must keep parsing old leaves).
 */
#ifndef ANKANG_LEAF_H
#define ANKANG_LEAF_H

#include <stddef.h>
#include <stdint.h>

#define LEAF_PREFIX   "ankang/v1"
#define LEAF_MAX      512
#define LEAF_ID_BYTES 16 /* subject pseudonym and object cti: 32 hex digits */
#define LEAF_NO_ID    UINT64_MAX

/*
 * Every enum that ends up in a leaf starts with a *_NONE = 0 that has no
 * word: leaf_format refuses it. A leaf whose field was never set (a
 * calloc'd struct, a forgotten assignment) fails loudly instead of being
 * logged as a plausible entry.
 */
enum leaf_role {
	ROLE_NONE,
	ROLE_RESIDENT,
	ROLE_VERIFIER,
	ROLE_OFFICER,
	ROLE_AUDITOR,
	ROLE_ADMIN,
	ROLE_SYSTEM,
	ROLE_COUNT
};

enum leaf_action {
	ACT_NONE, /* also: a route that writes no leaf (service/routes.c) */
	ACT_ENROLL,
	ACT_LOGIN,
	ACT_ISSUE,
	ACT_VERIFY,
	ACT_VERIFY_OFFLINE,
	ACT_STATUS_SET,
	ACT_LOOKUP,
	ACT_ACCESSES_READ,
	ACT_ERASE,
	ACT_ACCOUNT_ADD,
	ACT_KEY_ROTATE,
	ACT_PRINT_CODE,
	ACT_PURGE,
	ACT_ACCOUNT_DISABLE,
	ACT_HISTORY_READ,  /* a resident read their own status history */
	ACT_LOGOUT,        /* a resident ended a session (detail: which) */
	ACT_SESSIONS_READ, /* a resident listed their own sessions */
	ACT_APPEAL_OPEN,   /* a resident appealed their status (detail: the reason) */
	ACT_APPEALS_READ,  /* a resident read their own appeals */
	ACT_APPEAL_LIST,   /* an officer was shown an appeal in a list (one per appeal) */
	ACT_APPEAL_READ,   /* an officer read an appeal's text */
	ACT_APPEAL_ANSWER, /* an officer answered an appeal (detail: the answer's reason) */

	ACT_HOUSEHOLD_ADD,     /* a guardian added a household member (detail: the relation) */
	ACT_HOUSEHOLD_LIST,    /* a household member's masked name was shown (one per person) */
	ACT_HOUSEHOLD_CONFIRM, /* an officer confirmed an adult member's consent */
	ACT_HOUSEHOLD_REMOVE,  /* a link ended: removed by the guardian or withdrawn */
	ACT_EXPORT,            /* a resident downloaded everything held about them */
	ACT_COUNT
};

/* The credential results of FORMAT.md section 1 come first, in the order
 * of enum cred_result (leaf_result_of_cred converts). */
enum leaf_result {
	RES_NONE,
	RES_VALID,
	RES_MALFORMED,
	RES_UNKNOWN_KEY,
	RES_BAD_SIGNATURE,
	RES_NOT_YET_VALID,
	RES_EXPIRED,
	RES_REVOKED,
	RES_SUPERSEDED,
	RES_OK,
	RES_DENIED,
	RES_NOT_FOUND,
	RES_INVALID,
	RES_COUNT
};

enum leaf_detail {
	DET_NONE,
	DET_EMPTY, /* "-": the entry has no detail */
	/* statuses, in enum cred_status order */
	DET_GREEN,
	DET_YELLOW,
	DET_RED,
	/* look-up purposes */
	DET_EPIDEMIOLOGICAL_INVESTIGATION,
	DET_STATUS_CORRECTION,
	DET_APPEAL_REVIEW,
	DET_PAPER_CODE,
	/* status reason codes */
	DET_CONFIRMED_CASE,
	DET_SUSPECTED_CASE,
	DET_CLOSE_CONTACT,
	DET_SECONDARY_CONTACT,
	DET_TRAVEL_FROM_RISK_AREA,
	DET_QUARANTINE_COMPLETED,
	DET_NEGATIVE_TEST,
	DET_RECOVERED,
	DET_DATA_CORRECTION,
	DET_APPEAL_UPHELD,
	/* account roles (account_add) */
	DET_ROLE_VERIFIER,
	DET_ROLE_OFFICER,
	DET_ROLE_AUDITOR,
	DET_ROLE_ADMIN,
	/* why something was denied */
	DET_RATE_LIMITED,
	/* how many failed log-ins a summarised burst held (limits.h) */
	DET_BURST_2_9,
	DET_BURST_10_99,
	DET_BURST_100_999,
	DET_BURST_1000_PLUS,
	/* which sessions a log-out ended */
	DET_THIS_SESSION,
	DET_ALL_SESSIONS,
	/* a KEK epoch rotation (key_rotate, service/rewrap.h): a chunk of data
	 * keys wrapped again under the new epoch; the older epochs destroyed */
	DET_KEK_REWRAP,
	DET_KEK_EPOCH,
	/* why a resident appeals (with negative_test and quarantine_completed
	 * from the status reasons); policy_appeal_reason_parse */
	DET_WRONG_PERSON,
	DET_NOT_IN_RISK_AREA,
	DET_OTHER,
	/* an appeal's answer: upheld for evidence_accepted or record_error,
	 * rejected for evidence_insufficient or status_confirmed */
	DET_EVIDENCE_ACCEPTED,
	DET_RECORD_ERROR,
	DET_EVIDENCE_INSUFFICIENT,
	DET_STATUS_CONFIRMED,
	/* a household member's relation to the guardian (household_add), and
	 * other from the appeal reasons above */
	DET_CHILD,
	DET_PARENT,
	DET_SPOUSE,
	/* the purpose an officer states confirming a member's consent */
	DET_HOUSEHOLD_CONSENT,
	DET_COUNT
};

struct leaf {
	uint64_t time_ms;
	enum leaf_role role;
	/* Account id, or LEAF_NO_ID for "-": a command-line admin, the system,
	 * and always a resident (their row id would link the log to the
	 * resident table beyond the keyed pseudonym). */
	uint64_t actor_id;
	/* A resident acting on another resident's data (a guardian showing a
	 * household member's code): the acting resident's pseudonym is the
	 * actor's id, "resident:<32 hex>"; actor_id stays LEAF_NO_ID. */
	int has_actor_pseudonym;
	uint8_t actor_pseudonym[LEAF_ID_BYTES];
	enum leaf_action action;
	int has_subject; /* subject pseudonym, else "-" */
	uint8_t subject[LEAF_ID_BYTES];
	int has_object; /* credential id, else "-" */
	uint8_t object[LEAF_ID_BYTES];
	enum leaf_result result;
	enum leaf_detail detail;
};

/*
 * Writes the leaf line (with its "\n") and a NUL into out, which holds
 * LEAF_MAX + 1 bytes. Returns the length, or AK_EINVAL when an enum is out
 * of range, a resident or system actor has an id, or an actor pseudonym
 * is given for anyone but a resident.
 */
int leaf_format(char *out, const struct leaf *l);

/*
 * A fresh leaf for actor role:actor_id (LEAF_NO_ID for "-") doing action,
 * with no subject or object, time 0, and result and detail RES_NONE and
 * DET_NONE, which leaf_format refuses: the caller must say how it went
 * and what detail it records (DET_EMPTY for none) before it is logged.
 */
void leaf_init(struct leaf *l, enum leaf_role role, uint64_t actor_id, enum leaf_action action);

/* A credential's verification result (enum cred_result) as a leaf result;
 * RES_NONE for a value outside that list. */
enum leaf_result leaf_result_of_cred(int cred_result);
/* A health status (enum cred_status) as its detail word; DET_NONE if out
 * of range. */
enum leaf_detail leaf_detail_of_status(int status);

/* Parses exactly line[0..len), "\n" included. 0 or AK_EINVAL. */
int leaf_parse(struct leaf *l, const char *line, size_t len);

/* "role:id", or "role:-" for LEAF_NO_ID ("?" for a role out of range),
 * and a NUL, as the leaf spells its actor; out holds LEAF_ACTOR_TEXT. */
#define LEAF_ACTOR_TEXT 48
void leaf_actor_text(char out[LEAF_ACTOR_TEXT], int role, uint64_t id);
/* A leaf's actor as it spells it: leaf_actor_text, or "resident:<32 hex>"
 * for a resident acting with their pseudonym. */
void leaf_actor_of(char out[LEAF_ACTOR_TEXT], const struct leaf *l);
/* A subject or object as the leaf spells it: 32 lowercase hex digits of
 * id when present, else "-"; and a NUL. */
#define LEAF_ID_TEXT (2 * LEAF_ID_BYTES + 1)
void leaf_id_text(char out[LEAF_ID_TEXT], int present, const uint8_t id[LEAF_ID_BYTES]);

/* Words for each closed list (NULL when out of range), and back (-1). */
const char *leaf_role_word(int role);
const char *leaf_action_word(int action);
const char *leaf_result_word(int result);
const char *leaf_detail_word(int detail);
int leaf_role_parse(const char *w, size_t len);
int leaf_action_parse(const char *w, size_t len);
int leaf_result_parse(const char *w, size_t len);
int leaf_detail_parse(const char *w, size_t len);

#endif
