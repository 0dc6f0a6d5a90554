/*
 * enroll: POST /v1/enroll (docs/API.md), a resident's enrolment.
 *
 *   {"name", "id_number", "phone"?, "passphrase"}
 *     -> 201 {"resident_id", "status": "green", "log_index"}
 *
 * Order: who may enrol (anyone, or only officers with --enroll officer),
 * the per-address limit (open enrolment only), every field validated,
 * the passphrase hashed with Argon2id here on the server thread (slow
 * work stays out of the writer), and then one audit operation whose
 * change inserts the row, seals the fields (resident_create) and names
 * the new resident's pseudonym in the `enroll` leaf. A duplicate ID
 * number is audited too (result denied, subject "-": the existing
 * resident is not read to find theirs) and answered 409.
 *
 * Dates of birth: idcard_normalise refuses one after today, and today
 * (idcard_today) is the server's local date (run the service with
 * TZ=Asia/Shanghai to judge by Beijing time, as the ID numbers do).
 *
 * Rate limit: RL_ENROLL_ADDRESS counts every valid enrolment attempt from
 * an address (duplicates included: they reveal that a number is
 * enrolled). Officers are not counted: they enrol people at a desk, one
 * after another, and each enrolment names them in the log.
 *
 * Never: echo a field in an error, keep the clear fields or the
 * passphrase past the request (the state and the parsed body are wiped).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/passphrase.h"
#include "service/ratelimit.h"
#include "service/resident.h"
#include "service/routes.h"
#include "service/server.h"

struct enroll_state {
	struct server *srv;
	struct leaf leaf;
	struct resident_view v;             /* name, id_number, phone in the clear */
	char passhash[PASSPHRASE_HASH_MAX]; /* Argon2id string */
	uint64_t now;
	uint64_t id; /* the new resident */
	int duplicate;
};

static void enroll_free(void *p)
{
	http_state_wipe(p, sizeof(struct enroll_state));
}

/* In the writer, inside the operation's savepoint. */
static int enroll_change(void *ctx, store *w, struct leaf *l, size_t n)
{
	struct enroll_state *s = ctx;
	int rc;
	(void)n;

	rc = resident_create(s->srv, w, &s->v, s->passhash, s->now, &s->id);
	if (rc == AK_ECONFLICT) {
		s->duplicate = 1;
		l->result = RES_DENIED;
		l->detail = DET_NONE;
		l->has_subject = 0;
		return 0; /* the attempt is recorded; nothing was written */
	}
	if (rc != 0)
		return rc;
	server_pseudonym(s->srv, s->id, l->subject);
	l->has_subject = 1;
	return 0;
}

static int enroll_then(struct http_request *rq, int rc, uint64_t index)
{
	struct enroll_state *s = rq->state;

	sodium_memzero(&s->v, sizeof s->v);
	sodium_memzero(s->passhash, sizeof s->passhash);
	if (rc != 0)
		return http_error(rq, 503, "unavailable", "The enrolment could not be recorded.");
	if (s->duplicate)
		return http_error(rq, 409, "duplicate", "This ID number is already enrolled.");
	return http_json(rq, 201,
			 json_pack("{s:I, s:s, s:I}", "resident_id", (json_int_t)s->id, "status",
				   cred_status_word(CRED_GREEN), "log_index", (json_int_t)index));
}

/* Who may enrol: 0, or replied 401/403 and -1. */
static int enroll_allowed(struct http_request *rq)
{
	if (!rq->srv->cfg.enroll_officer_only)
		return 0;
	if (rq->who.anonymous) {
		http_header(rq, "WWW-Authenticate", "Bearer");
		http_error(rq, 401, "no_token", "Only officers may enrol residents here.");
		return -1;
	}
	if (rq->who.role != ROLE_OFFICER) {
		http_error(rq, 403, "wrong_role", "Only officers may enrol residents here.");
		return -1;
	}
	return 0;
}

static int rate_limited(struct http_request *rq, uint64_t now)
{
	char ra[24];
	uint64_t wait;

	if (!ratelimit_blocked(rq->srv->rl, RL_ENROLL_ADDRESS, rq->client, strlen(rq->client), now))
		return 0;
	wait = ratelimit_retry_after(rq->srv->rl, RL_ENROLL_ADDRESS, rq->client, strlen(rq->client),
				     now);
	snprintf(ra, sizeof ra, "%" PRIu64, wait > 0 ? wait : 1);
	http_header(rq, "Retry-After", ra);
	http_error(rq, 429, "rate_limited", "Too many enrolments from this address; try later.");
	return 1;
}

/* Copies the validated fields into s->v; replies 400 and returns -1 on
 * the first bad one. */
static int enroll_fields(struct http_request *rq, json_t *body, struct enroll_state *s,
			 const char **pw, size_t *pwlen)
{
	const char *v;
	size_t len;
	int rc;

	if (http_field_string(rq, body, "name", 1, &v, &len) != 0)
		return -1;
	/* The NFC form is what is sealed and later printed in codes. */
	if (policy_name_normalise(s->v.name, sizeof s->v.name, v, len, NULL) != 0) {
		http_error(rq, 400, "bad_field", POLICY_NAME_MESSAGE);
		return -1;
	}

	if (http_field_string(rq, body, "id_number", 1, &v, &len) != 0)
		return -1;
	if (idcard_normalise(s->v.id_number, v, len, idcard_today()) != 0) {
		http_error(rq, 400, "bad_id_number",
			   "Field 'id_number' is not a valid GB 11643 ID-card number.");
		return -1;
	}

	rc = http_field_string(rq, body, "phone", 0, &v, &len);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (!policy_phone_valid(v, len)) {
			http_error(rq, 400, "bad_field",
				   "Field 'phone' must be 6 to 20 digits, with an optional "
				   "leading '+'.");
			return -1;
		}
		memcpy(s->v.phone, v, len);
		s->v.phone[len] = '\0';
	}

	if (http_field_string(rq, body, "passphrase", 1, pw, pwlen) != 0)
		return -1;
	if (!policy_passphrase_valid(*pw, *pwlen)) {
		http_error(rq, 400, "bad_field",
			   "Field 'passphrase' must be 8 to 256 bytes of UTF-8.");
		return -1;
	}
	return 0;
}

int h_enroll(struct http_request *rq)
{
	static const char *const allowed[] = {"name", "id_number", "phone", "passphrase", NULL};
	struct enroll_state *s;
	json_t *body;
	const char *pw = NULL;
	size_t pwlen = 0;
	uint64_t now = util_now();
	int officer, rc;

	if (enroll_allowed(rq) != 0)
		return 0;
	officer = !rq->who.anonymous && rq->who.role == ROLE_OFFICER;
	if (!officer && rate_limited(rq, now))
		return 0;
	if ((body = http_json_body(rq, allowed)) == NULL)
		return 0;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		resident_json_wipe(body);
		json_decref(body);
		return AK_ENOMEM;
	}
	rq->state = s;
	rq->state_free = enroll_free;
	if (enroll_fields(rq, body, s, &pw, &pwlen) != 0) {
		resident_json_wipe(body);
		json_decref(body);
		return 0;
	}
	if (!officer)
		ratelimit_hit(rq->srv->rl, RL_ENROLL_ADDRESS, rq->client, strlen(rq->client), now);
	rc = passphrase_hash(s->passhash, pw, pwlen);
	resident_json_wipe(body);
	json_decref(body);
	if (rc != 0)
		return rc;

	s->srv = rq->srv;
	s->now = now;
	s->leaf.action = ACT_ENROLL;
	http_leaf_actor(rq, &s->leaf);
	if (rq->who.anonymous) {
		/* Open enrolment: the person enrols themself. */
		s->leaf.role = ROLE_RESIDENT;
		s->leaf.actor_id = LEAF_NO_ID;
	}
	s->leaf.result = RES_OK;
	s->leaf.detail = DET_GREEN; /* the status every resident starts with */
	return http_submit(rq, &s->leaf, 1, enroll_change, s, enroll_then);
}
