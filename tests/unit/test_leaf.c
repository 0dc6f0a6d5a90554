/*
 * test_leaf: audit log entries (FORMAT.md section 3.1).
 *
 * The five leaves of tests/vectors/lists.json parse, format back byte for
 * byte, and hash to the root of the signed checkpoint there; every word of
 * every closed list round-trips; and each rule of the format has a line
 * that breaks it and must be rejected, leaving the caller's struct alone.
 */
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "crypto/leaf.h"
#include "crypto/merkle.h"
#include "tests/lib/tap.h"

#define GOOD                                                                                       \
	"ankang/v1 1767225600000 verifier:7 verify 6e340b9cffb37a989ca544e6bb780a2c "              \
	"000102030405060708090a0b0c0d0e0f valid -\n"

/* Parses a NUL-terminated line by its strlen. */
static int parse_str(struct leaf *l, const char *line)
{
	return leaf_parse(l, line, strlen(line));
}

/* ------------------------------------------------------------ vectors */

static void test_vectors(void)
{
	json_error_t jerr;
	json_t *j = json_load_file("tests/vectors/lists.json", 0, &jerr);
	json_t *leaves, *cp;
	struct merkle_range r;
	merkle_hash root, want;
	const char *text, *line2, *line3, *line4;
	uint64_t size = 0;
	size_t n;

	if (j == NULL)
		bail_out("cannot read tests/vectors/lists.json (run from the repository root)");
	leaves = json_object_get(j, "audit_leaves");
	cp = json_object_get(j, "checkpoint");
	if (!json_is_array(leaves) || json_array_size(leaves) != 5 || !json_is_string(cp))
		bail_out("lists.json lacks audit_leaves or checkpoint");

	merkle_range_init(&r);
	for (size_t i = 0; i < json_array_size(leaves); i++) {
		json_t *v = json_array_get(leaves, i);
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		char out[LEAF_MAX + 1];
		struct leaf l;
		merkle_hash h;

		is_int(leaf_parse(&l, s, len), 0, "vector leaf %zu parses", i);
		is_int(leaf_format(out, &l), (long long)len, "and formats to the same length");
		ok(memcmp(out, s, len) == 0, "and the same bytes");
		merkle_leaf_hash(h, (const uint8_t *)s, len);
		merkle_range_append(&r, h, NULL, NULL);
	}
	merkle_range_root(&r, root);

	/* The checkpoint body: origin, size, base64 root (FORMAT.md 3.3). */
	text = json_string_value(cp);
	line2 = strchr(text, '\n');
	line3 = line2 ? strchr(line2 + 1, '\n') : NULL;
	line4 = line3 ? strchr(line3 + 1, '\n') : NULL;
	if (line4 == NULL)
		bail_out("checkpoint has fewer than three lines");
	line2++;
	line3++;
	ok(util_parse_u64(line2, (size_t)(line3 - 1 - line2), &size) == 0 && size == 5,
	   "checkpoint is for 5 leaves");
	ok(util_b64_decode(want, sizeof want, &n, line3, (size_t)(line4 - line3)) == 0 &&
	       n == MERKLE_HASH_BYTES,
	   "checkpoint root decodes to 32 bytes");
	if (!ok(memcmp(root, want, MERKLE_HASH_BYTES) == 0,
		"RFC 6962 root of the five leaves equals the checkpoint's")) {
		char hex[2 * MERKLE_HASH_BYTES + 1];
		util_hex_encode(hex, root, MERKLE_HASH_BYTES);
		diag("computed root %s", hex);
	}
	json_decref(j);
}

/* ---------------------------------------------------------- round trips */

static int same_leaf(const struct leaf *a, const struct leaf *b)
{
	return a->time_ms == b->time_ms && a->role == b->role && a->actor_id == b->actor_id &&
	       a->action == b->action && !a->has_subject == !b->has_subject &&
	       (!a->has_subject || memcmp(a->subject, b->subject, LEAF_ID_BYTES) == 0) &&
	       !a->has_object == !b->has_object &&
	       (!a->has_object || memcmp(a->object, b->object, LEAF_ID_BYTES) == 0) &&
	       a->result == b->result && a->detail == b->detail &&
	       !a->has_actor_pseudonym == !b->has_actor_pseudonym &&
	       (!a->has_actor_pseudonym ||
		memcmp(a->actor_pseudonym, b->actor_pseudonym, LEAF_ID_BYTES) == 0);
}

/* Formats l, parses it back, and wants the same leaf and the same bytes. */
static int round_trip(const struct leaf *l)
{
	char out[LEAF_MAX + 1], again[LEAF_MAX + 1];
	struct leaf back;
	int n = leaf_format(out, l);

	if (n <= 0 || (size_t)n != strlen(out) || out[n - 1] != '\n')
		return 0;
	if (leaf_parse(&back, out, (size_t)n) != 0 || !same_leaf(l, &back))
		return 0;
	return leaf_format(again, &back) == n && memcmp(out, again, (size_t)n) == 0;
}

static struct leaf base_leaf(void)
{
	struct leaf l;
	memset(&l, 0, sizeof l);
	l.time_ms = 1767225600000;
	l.role = ROLE_OFFICER;
	l.actor_id = 42;
	l.action = ACT_STATUS_SET;
	l.has_subject = 1;
	for (int i = 0; i < LEAF_ID_BYTES; i++)
		l.subject[i] = (uint8_t)(0xa0 + i);
	l.has_object = 0;
	l.result = RES_OK;
	l.detail = DET_CLOSE_CONTACT;
	return l;
}

struct list {
	const char *name;
	int count;
	const char *(*word)(int);
	int (*parse)(const char *, size_t);
	const char *const *words; /* the closed list, as FORMAT.md and DESIGN.md spell it */
	int nwords;
};

static void test_words(void)
{
	static const char *const roles[] = {"resident", "verifier", "officer",
					    "auditor",  "admin",    "system"};
	static const char *const actions[] = {"enroll",
					      "login",
					      "issue",
					      "verify",
					      "verify_offline",
					      "status_set",
					      "lookup",
					      "accesses_read",
					      "erase",
					      "account_add",
					      "key_rotate",
					      "print_code",
					      "purge",
					      "account_disable",
					      "history_read",
					      "logout",
					      "sessions_read",
					      "appeal_open",
					      "appeals_read",
					      "appeal_list",
					      "appeal_read",
					      "appeal_answer",
					      "household_add",
					      "household_list",
					      "household_confirm",
					      "household_remove",
					      "export"};
	static const char *const results[] = {
	    "valid",   "malformed",  "unknown_key", "bad_signature", "not_yet_valid", "expired",
	    "revoked", "superseded", "ok",          "denied",        "not_found",     "invalid"};
	static const char *const details[] = {"-",
					      "green",
					      "yellow",
					      "red",
					      "epidemiological_investigation",
					      "status_correction",
					      "appeal_review",
					      "paper_code",
					      "confirmed_case",
					      "suspected_case",
					      "close_contact",
					      "secondary_contact",
					      "travel_from_risk_area",
					      "quarantine_completed",
					      "negative_test",
					      "recovered",
					      "data_correction",
					      "appeal_upheld",
					      "verifier",
					      "officer",
					      "auditor",
					      "admin",
					      "rate_limited",
					      "burst_2_9",
					      "burst_10_99",
					      "burst_100_999",
					      "burst_1000_plus",
					      "this_session",
					      "all_sessions",
					      "kek_rewrap",
					      "kek_epoch",
					      "wrong_person",
					      "not_in_risk_area",
					      "other",
					      "evidence_accepted",
					      "record_error",
					      "evidence_insufficient",
					      "status_confirmed",
					      "child",
					      "parent",
					      "spouse",
					      "household_consent"};
	const struct list lists[] = {
	    {"role", ROLE_COUNT, leaf_role_word, leaf_role_parse, roles, AK_ARRAY_LEN(roles)},
	    {"action", ACT_COUNT, leaf_action_word, leaf_action_parse, actions,
	     AK_ARRAY_LEN(actions)},
	    {"result", RES_COUNT, leaf_result_word, leaf_result_parse, results,
	     AK_ARRAY_LEN(results)},
	    {"detail", DET_COUNT, leaf_detail_word, leaf_detail_parse, details,
	     AK_ARRAY_LEN(details)},
	};

	for (size_t k = 0; k < AK_ARRAY_LEN(lists); k++) {
		const struct list *L = &lists[k];
		/* Value 0 is the list's *_NONE, which has no word. */
		is_int(L->count, L->nwords + 1, "%s list has the documented %d words and NONE",
		       L->name, L->nwords);
		for (int i = 0; i + 1 < L->count && i < L->nwords; i++) {
			const char *w = L->word(i + 1);
			is_str(w, L->words[i], "%s %d is \"%s\"", L->name, i + 1, L->words[i]);
			is_int(L->parse(L->words[i], strlen(L->words[i])), i + 1,
			       "and parses back");
		}
		ok(L->word(-1) == NULL && L->word(0) == NULL && L->word(L->count) == NULL,
		   "%s words out of range and for NONE: NULL", L->name);
		is_int(L->parse("nonsense", 8), -1, "unknown %s word: -1", L->name);
		is_int(L->parse(L->words[0], strlen(L->words[0]) - 1), -1,
		       "a prefix of a %s word: -1", L->name);
	}
	/* Word lookups never read past len: the words are not NUL-terminated. */
	is_int(leaf_action_parse("verify_offline", 6), ACT_VERIFY, "length bounds the lookup");
}

static void test_round_trips(void)
{
	struct leaf l;
	int bad;

	for (int r = ROLE_NONE + 1; r < ROLE_COUNT; r++) {
		l = base_leaf();
		l.role = (enum leaf_role)r;
		l.actor_id = LEAF_NO_ID;
		ok(round_trip(&l), "role %s with \"-\" round-trips", leaf_role_word(r));
		if (r != ROLE_RESIDENT && r != ROLE_SYSTEM) {
			l.actor_id = 7;
			ok(round_trip(&l), "role %s with an id round-trips", leaf_role_word(r));
		}
	}
	bad = 0;
	for (int a = ACT_NONE + 1; a < ACT_COUNT; a++) {
		l = base_leaf();
		l.action = (enum leaf_action)a;
		bad += !round_trip(&l);
	}
	is_int(bad, 0, "every action round-trips");
	bad = 0;
	for (int r = RES_NONE + 1; r < RES_COUNT; r++) {
		l = base_leaf();
		l.result = (enum leaf_result)r;
		bad += !round_trip(&l);
	}
	is_int(bad, 0, "every result round-trips");
	bad = 0;
	for (int d = DET_NONE + 1; d < DET_COUNT; d++) {
		l = base_leaf();
		l.detail = (enum leaf_detail)d;
		bad += !round_trip(&l);
	}
	is_int(bad, 0, "every detail round-trips");

	l = base_leaf();
	l.has_subject = 0;
	l.has_object = 1;
	memset(l.object, 0xff, LEAF_ID_BYTES);
	ok(round_trip(&l), "no subject, an object of ff bytes");
	l.has_subject = 1;
	memset(l.subject, 0, LEAF_ID_BYTES);
	ok(round_trip(&l), "subject of zero bytes and an object");
	l.time_ms = 0;
	ok(round_trip(&l), "time 0");
	l.time_ms = UINT64_MAX;
	ok(round_trip(&l), "time 2^64 - 1");
	l.actor_id = 0;
	ok(round_trip(&l), "actor id 0");
	l.actor_id = UINT64_MAX - 1;
	ok(round_trip(&l), "actor id 2^64 - 2, the largest that is not \"-\"");

	{
		char out[LEAF_MAX + 1];
		l = base_leaf();
		l.role = ROLE_RESIDENT;
		l.actor_id = LEAF_NO_ID;
		l.action = ACT_ACCESSES_READ;
		l.detail = DET_EMPTY;
		static const char want[] = "ankang/v1 1767225600000 resident:- accesses_read "
					   "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf - ok -\n";
		is_int(leaf_format(out, &l), sizeof want - 1, "a resident reading their accesses");
		is_str(out, want, "formats as FORMAT.md shows");
	}
	{
		/* FORMAT.md 3.1: a guardian showing a member's code acts by
		 * the guardian's pseudonym, in the member's log. */
		char out[LEAF_MAX + 1], actor[LEAF_ACTOR_TEXT];
		struct leaf back;
		l = base_leaf();
		l.role = ROLE_RESIDENT;
		l.actor_id = LEAF_NO_ID;
		l.has_actor_pseudonym = 1;
		memset(l.actor_pseudonym, 0xb7, LEAF_ID_BYTES);
		l.action = ACT_ISSUE;
		l.has_object = 0;
		l.detail = DET_GREEN;
		static const char want[] = "ankang/v1 1767225600000 "
					   "resident:b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7 issue "
					   "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf - ok green\n";
		is_int(leaf_format(out, &l), sizeof want - 1,
		       "a guardian's display of a member's code");
		is_str(out, want, "formats with the guardian's pseudonym as the actor");
		ok(round_trip(&l), "and round-trips");
		ok(leaf_parse(&back, want, sizeof want - 1) == 0 && back.has_actor_pseudonym &&
		       back.actor_id == LEAF_NO_ID && back.role == ROLE_RESIDENT,
		   "parses back to a resident acting by pseudonym");
		leaf_actor_of(actor, &back);
		is_str(actor, "resident:b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7b7",
		       "leaf_actor_of spells it");
		char id[LEAF_ID_TEXT];
		leaf_id_text(id, back.has_subject, back.subject);
		is_str(id, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "leaf_id_text spells its subject");
		leaf_id_text(id, back.has_object, back.object);
		is_str(id, "-", "and its missing object as -");
		l.role = ROLE_OFFICER;
		is_int(leaf_format(out, &l), AK_EINVAL, "format: an officer with a pseudonym");
		l.role = ROLE_RESIDENT;
		l.actor_id = 3;
		is_int(leaf_format(out, &l), AK_EINVAL, "format: a pseudonym with an id");
		l = base_leaf();
		l.role = ROLE_RESIDENT;
		l.actor_id = LEAF_NO_ID;
		l.action = ACT_HOUSEHOLD_ADD;
		l.detail = DET_CHILD;
		ok(round_trip(&l), "household_add child round-trips");
	}
}

/* ------------------------------------------------------------ rejections */

static void test_format_rejects(void)
{
	char out[LEAF_MAX + 1];
	struct leaf l;

	l = base_leaf();
	l.role = ROLE_RESIDENT;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: a resident with an id");
	l = base_leaf();
	l.role = ROLE_SYSTEM;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: the system with an id");
	l = base_leaf();
	l.role = ROLE_NONE;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: role never set (ROLE_NONE)");
	l = base_leaf();
	l.action = ACT_NONE;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: action never set (ACT_NONE)");
	l = base_leaf();
	l.result = RES_NONE;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: result never set (RES_NONE)");
	l = base_leaf();
	l.detail = DET_NONE;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: detail never set (DET_NONE)");
	{
		struct leaf z;
		memset(&z, 0, sizeof z);
		z.actor_id = LEAF_NO_ID;
		is_int(leaf_format(out, &z), AK_EINVAL, "format: an all-zero leaf is refused");
		leaf_init(&z, ROLE_OFFICER, 3, ACT_LOOKUP);
		is_int(leaf_format(out, &z), AK_EINVAL,
		       "format: leaf_init's leaf without result and detail is refused");
		z.result = RES_OK;
		z.detail = DET_EMPTY;
		ok(leaf_format(out, &z) > 0, "and formats once both are set");
	}
	l = base_leaf();
	l.role = ROLE_COUNT;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: role out of range");
	l.role = (enum leaf_role) - 1;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: negative role");
	l = base_leaf();
	l.action = ACT_COUNT;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: action out of range");
	l = base_leaf();
	l.result = RES_COUNT;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: result out of range");
	l = base_leaf();
	l.detail = DET_COUNT;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: detail out of range");
	l.detail = (enum leaf_detail) - 1;
	is_int(leaf_format(out, &l), AK_EINVAL, "format: negative detail");
}

#define SUBJ "6e340b9cffb37a989ca544e6bb780a2c"
#define OBJ  "000102030405060708090a0b0c0d0e0f"

static void test_parse_rejects(void)
{
	static const struct {
		const char *why, *line;
	} bad[] = {
	    {"empty line", ""},
	    {"only a newline", "\n"},
	    {"an officer acting by pseudonym",
	     "ankang/v1 1767225600000 officer:" SUBJ " issue " SUBJ " - ok green\n"},
	    {"an uppercase actor pseudonym",
	     "ankang/v1 1767225600000 resident:6E340B9CFFB37A989CA544E6BB780A2C issue " SUBJ
	     " - ok green\n"},
	    {"a 31-digit actor pseudonym",
	     "ankang/v1 1767225600000 resident:6e340b9cffb37a989ca544e6bb780a2 issue " SUBJ
	     " - ok green\n"},
	    {"only the prefix", "ankang/v1\n"},
	    {"prefix and a space", "ankang/v1 \n"},
	    {"wrong version",
	     "ankang/v2 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"uppercase prefix",
	     "Ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"no prefix", "1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"leading space",
	     " ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"double space",
	     "ankang/v1 1767225600000  verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"trailing space",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid - \n"},
	    {"tab separator",
	     "ankang/v1 1767225600000\tverifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"missing field", "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid\n"},
	    {"missing subject", "ankang/v1 1767225600000 verifier:7 verify " OBJ " valid -\n"},
	    {"extra field",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid - -\n"},
	    {"no trailing newline",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -"},
	    {"CRLF", "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\r\n"},
	    {"two newlines",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\n\n"},
	    {"newline inside",
	     "ankang/v1 1767225600000 verifier:7 verify\n" SUBJ " " OBJ " valid -\n"},
	    {"two lines", GOOD GOOD},
	    {"leading zero time",
	     "ankang/v1 01767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"time 00", "ankang/v1 00 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"time overflow",
	     "ankang/v1 18446744073709551616 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"negative time", "ankang/v1 -1 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"plus sign time",
	     "ankang/v1 +1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"fractional time",
	     "ankang/v1 1767225600.000 verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"time as -", "ankang/v1 - verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"unknown role", "ankang/v1 1767225600000 doctor:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"uppercase role",
	     "ankang/v1 1767225600000 Verifier:7 verify " SUBJ " " OBJ " valid -\n"},
	    {"empty role", "ankang/v1 1767225600000 :7 verify " SUBJ " " OBJ " valid -\n"},
	    {"actor without colon",
	     "ankang/v1 1767225600000 verifier7 verify " SUBJ " " OBJ " valid -\n"},
	    {"actor with two colons",
	     "ankang/v1 1767225600000 verifier:7:8 verify " SUBJ " " OBJ " valid -\n"},
	    {"actor without id",
	     "ankang/v1 1767225600000 verifier: verify " SUBJ " " OBJ " valid -\n"},
	    {"actor id with leading zero",
	     "ankang/v1 1767225600000 verifier:07 verify " SUBJ " " OBJ " valid -\n"},
	    {"actor id that is the \"-\" sentinel",
	     "ankang/v1 1767225600000 verifier:18446744073709551615 verify " SUBJ " " OBJ
	     " valid -\n"},
	    {"actor id overflow",
	     "ankang/v1 1767225600000 verifier:18446744073709551616 verify " SUBJ " " OBJ
	     " valid -\n"},
	    {"actor id in hex",
	     "ankang/v1 1767225600000 verifier:0x7 verify " SUBJ " " OBJ " valid -\n"},
	    {"actor id --",
	     "ankang/v1 1767225600000 verifier:-- verify " SUBJ " " OBJ " valid -\n"},
	    {"resident with an id",
	     "ankang/v1 1767225600000 resident:5 accesses_read " SUBJ " - ok -\n"},
	    {"system with an id", "ankang/v1 1767225600000 system:1 purge - - ok -\n"},
	    {"unknown action",
	     "ankang/v1 1767225600000 verifier:7 delete " SUBJ " " OBJ " valid -\n"},
	    {"uppercase action",
	     "ankang/v1 1767225600000 verifier:7 VERIFY " SUBJ " " OBJ " valid -\n"},
	    {"action with a suffix",
	     "ankang/v1 1767225600000 verifier:7 verifyx " SUBJ " " OBJ " valid -\n"},
	    {"uppercase subject hex", "ankang/v1 1767225600000 verifier:7 verify "
				      "6E340B9CFFB37A989CA544E6BB780A2C " OBJ " valid -\n"},
	    {"31 hex digit subject", "ankang/v1 1767225600000 verifier:7 verify "
				     "6e340b9cffb37a989ca544e6bb780a2 " OBJ " valid -\n"},
	    {"33 hex digit subject", "ankang/v1 1767225600000 verifier:7 verify "
				     "6e340b9cffb37a989ca544e6bb780a2c0 " OBJ " valid -\n"},
	    {"non-hex subject", "ankang/v1 1767225600000 verifier:7 verify "
				"6e340b9cffb37a989ca544e6bb780a2g " OBJ " valid -\n"},
	    {"subject --", "ankang/v1 1767225600000 verifier:7 verify -- " OBJ " valid -\n"},
	    {"uppercase object hex", "ankang/v1 1767225600000 verifier:7 verify " SUBJ
				     " 000102030405060708090A0B0C0D0E0F valid -\n"},
	    {"31 hex digit object", "ankang/v1 1767225600000 verifier:7 verify " SUBJ
				    " 000102030405060708090a0b0c0d0e0 valid -\n"},
	    {"33 hex digit object", "ankang/v1 1767225600000 verifier:7 verify " SUBJ
				    " 000102030405060708090a0b0c0d0e0f0 valid -\n"},
	    {"unknown result",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " success -\n"},
	    {"result with a suffix",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid_ -\n"},
	    {"unknown detail",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid purple\n"},
	    {"free text detail",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid Zhang_San\n"},
	    {"detail --", "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid --\n"},
	    {"non-ASCII detail",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid gr\xc3\xa9"
	     "en\n"},
	    {"non-ASCII byte 0x80",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid \x80\n"},
	    {"slash in a field",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid -/\n"},
	    {"vertical tab",
	     "ankang/v1 1767225600000 verifier:7 verify " SUBJ " " OBJ " valid\v-\n"},
	};
	char line[1024];
	struct leaf l, sentinel;
	size_t n;

	memset(&sentinel, 0x5a, sizeof sentinel);
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++) {
		memcpy(&l, &sentinel, sizeof l);
		is_int(parse_str(&l, bad[i].line), AK_EINVAL, "rejects %s", bad[i].why);
		/* Every byte, padding too (copied with memcpy). */
		/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
		if (memcmp(&l, &sentinel, sizeof l) != 0)
			ok(0, "rejecting %s left the struct untouched", bad[i].why);
	}
	ok(1, "no rejection wrote to the caller's struct");

	/* Lengths the literals above cannot express. */
	l = sentinel;
	memcpy(line, GOOD, sizeof GOOD);
	line[20] = '\0';
	is_int(leaf_parse(&l, line, sizeof GOOD - 1), AK_EINVAL, "rejects a NUL byte inside");
	is_int(leaf_parse(&l, GOOD, sizeof GOOD - 2), AK_EINVAL,
	       "rejects a length one short (no newline within it)");
	is_int(leaf_parse(&l, GOOD, 0), AK_EINVAL, "rejects length 0");

	/* Over 512 bytes: a line that would be fine but for a long field. */
	n = (size_t)snprintf(line, sizeof line,
			     "ankang/v1 1767225600000 verifier:7 verify %s %s %s -\n", SUBJ, OBJ,
			     "valid");
	is_int(leaf_parse(&l, line, n), 0, "(the base line parses)");
	memset(line, 'a', sizeof line);
	memcpy(line, "ankang/v1 ", 10);
	line[LEAF_MAX] = '\n';
	is_int(leaf_parse(&l, line, LEAF_MAX + 1), AK_EINVAL, "rejects 513 bytes");
	line[600] = '\n';
	is_int(leaf_parse(&l, line, 601), AK_EINVAL, "rejects 601 bytes");
	/* Any byte that differs shows the parse wrote. */
	/* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison) */
	ok(memcmp(&l, &sentinel, sizeof l) != 0, "a good parse does fill the struct");

	/* And what is accepted at the edges. */
	is_int(parse_str(&l, "ankang/v1 0 system:- purge - - ok -\n"), 0, "accepts time 0, system");
	ok(l.time_ms == 0 && l.role == ROLE_SYSTEM && l.actor_id == LEAF_NO_ID &&
	       l.action == ACT_PURGE && !l.has_subject && !l.has_object && l.result == RES_OK &&
	       l.detail == DET_EMPTY,
	   "and gives the fields");
	is_int(parse_str(&l, "ankang/v1 18446744073709551615 admin:0 account_add - - ok officer\n"),
	       0, "accepts the largest time and id 0");
	ok(l.time_ms == UINT64_MAX && l.actor_id == 0 && l.detail == DET_ROLE_OFFICER,
	   "and gives the fields");
}

/* ---------------------------------------------- the format, byte for byte */

/* The line as the format's definition writes it, with snprintf: what
 * leaf_format wrote before it put the line together itself. */
static int reference_format(char *out, const struct leaf *l)
{
	char actor[LEAF_ID_TEXT], subject[LEAF_ID_TEXT], object[LEAF_ID_TEXT];

	if (l->has_actor_pseudonym || l->actor_id == LEAF_NO_ID)
		leaf_id_text(actor, l->has_actor_pseudonym, l->actor_pseudonym);
	else
		snprintf(actor, sizeof actor, "%" PRIu64, l->actor_id);
	leaf_id_text(subject, l->has_subject, l->subject);
	leaf_id_text(object, l->has_object, l->object);
	return snprintf(out, LEAF_MAX + 1, LEAF_PREFIX " %" PRIu64 " %s:%s %s %s %s %s %s\n",
			l->time_ms, leaf_role_word((int)l->role), actor,
			leaf_action_word((int)l->action), subject, object,
			leaf_result_word((int)l->result), leaf_detail_word((int)l->detail));
}

/* Random leaves of every shape leaf_format accepts: the same bytes as
 * the reference, and the line parses back to the leaf. */
static void test_format_reference(void)
{
	static const uint64_t times[] = {0, 1, 9, 10, 999, 1767225600000ull, UINT64_MAX};
	int same = 1, back = 1, n = 0;

	for (int i = 0; i < 20000; i++) {
		struct leaf l, p;
		char got[LEAF_MAX + 1], want[LEAF_MAX + 1];
		uint32_t r = randombytes_uniform(1u << 30);
		int k, w;

		memset(&l, 0, sizeof l);
		l.role = (enum leaf_role)randombytes_uniform(ROLE_COUNT);
		l.action = (enum leaf_action)randombytes_uniform(ACT_COUNT);
		l.result = (enum leaf_result)randombytes_uniform(RES_COUNT);
		l.detail = (enum leaf_detail)randombytes_uniform(DET_COUNT);
		l.time_ms = (r & 1) ? times[randombytes_uniform(7)]
				    : ((uint64_t)randombytes_random() << 32 | randombytes_random());
		if (l.role == ROLE_RESIDENT || l.role == ROLE_SYSTEM)
			l.actor_id = LEAF_NO_ID;
		else
			l.actor_id =
			    (r & 2) ? randombytes_uniform(100000)
				    : ((uint64_t)randombytes_random() << 31 ^ randombytes_random());
		if (l.role == ROLE_RESIDENT && (r & 4)) {
			l.has_actor_pseudonym = 1;
			randombytes_buf(l.actor_pseudonym, sizeof l.actor_pseudonym);
		}
		if ((l.has_subject = (r & 8) != 0))
			randombytes_buf(l.subject, sizeof l.subject);
		if ((l.has_object = (r & 16) != 0))
			randombytes_buf(l.object, sizeof l.object);
		k = leaf_format(got, &l);
		w = reference_format(want, &l);
		if (k < 0)
			continue; /* DET_NONE and the like, which it refuses */
		n++;
		if (k != w || memcmp(got, want, (size_t)w + 1) != 0)
			same = 0;
		else if (leaf_parse(&p, got, (size_t)k) != 0 || p.time_ms != l.time_ms ||
			 p.actor_id != l.actor_id || p.role != l.role || p.action != l.action)
			back = 0;
	}
	ok(n > 10000, "random leaves formatted (%d)", n);
	ok(same, "leaf_format writes the bytes snprintf's format wrote");
	ok(back, "and they parse back");
}

int main(void)
{
	if (sodium_init() < 0)
		bail_out("sodium_init");
	test_vectors();
	test_words();
	test_round_trips();
	test_format_rejects();
	test_parse_rejects();
	test_format_reference();
	return tap_done();
}
