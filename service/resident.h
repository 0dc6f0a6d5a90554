/*
 * resident: what the service does with one resident's sealed record:
 * open it (unwrap the data key with the KEK, unseal the fields), sign a
 * code for it and answer with that code (JSON or a QR image). Handlers
 * call these; nothing else unseals.
 *
 * A resident_view holds personal data in the clear: keep it on the stack
 * or in a request's state, and resident_wipe it before it goes away.
 */
#ifndef ANKANG_RESIDENT_H
#define ANKANG_RESIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "crypto/seal.h"
#include "service/idcard.h"
#include "service/policy.h"
#include "service/server.h"
#include "service/store_people.h"

struct resident_view {
	uint64_t id;
	int status; /* enum cred_status */
	uint64_t status_changed;
	uint8_t pseudonym[SEAL_PSEUDONYM_BYTES];
	char name[CRED_NAME_MAX + 1];
	char id_number[IDCARD_LEN + 1];
	char phone[POLICY_PHONE_MAX + 1]; /* "" when none */
};

/*
 * Reads resident id through db and unseals its fields into out. Returns
 * 0, AK_ENOENT (no such resident, or erased), AK_ECRYPTO (a sealed field
 * does not open: the KEK is wrong or the row was tampered with), AK_EDB.
 */
int resident_open(struct server *srv, store *db, uint64_t id, struct resident_view *out);

/* Wipes a view (sodium_memzero). */
void resident_wipe(struct resident_view *v);

/*
 * Enrols the view's person (name, id_number, phone; id and status are
 * ignored) on the writer's connection w, inside an audit operation: a
 * row for the ID number's blind index, then a fresh data key wrapped by
 * the KEK, the fields sealed under it with the new id as associated data,
 * and passhash (passphrase_hash's string). *id receives the new
 * resident's id. Returns 0, AK_ECONFLICT (the ID number is enrolled),
 * AK_EINVAL (a field too long to seal), AK_ENOMEM, AK_EDB. Added with the
 * resident endpoints: the one place that seals, beside the one that opens.
 */
int resident_create(struct server *srv, store *w, const struct resident_view *v,
		    const char *passhash, uint64_t now, uint64_t *id);

/*
 * Signs a fresh code for the resident: iss from the data folder, iat now,
 * exp now + ttl, a new random cti, the view's name and status. Writes the
 * credential text into text and the row to store (store_code_add, inside
 * the operation that also writes the `issue` or `print_code` leaf) into
 * code. Returns the text's length or an AK_E* code.
 */
int resident_issue(struct server *srv, const struct resident_view *v, uint64_t ttl, int paper,
		   char text[CRED_TEXT_MAX + 1], struct store_code *code);

/* How a freshly signed code is answered: as JSON, or as its QR image. */
enum resident_code_format {
	RESIDENT_CODE_JSON,
	RESIDENT_CODE_PNG,
	RESIDENT_CODE_SVG
};

/*
 * A signed code kept in a request's state until its leaf is durable (GET
 * /v1/me/code, POST /v1/residents/{id}/paper-code). The name is personal
 * data: resident_code_wipe it when the state goes.
 */
struct resident_code {
	enum resident_code_format format;
	struct store_code code;
	char text[CRED_TEXT_MAX + 1]; /* what resident_issue wrote */
	char name[CRED_NAME_MAX + 1];
	uint8_t *image; /* PNG or SVG, malloc'd by resident_code_draw */
	size_t image_len;
};

/* Draws c->text as the image c->format asks for (nothing for JSON), before
 * the code is submitted. 0 or an AK_E* code. */
int resident_code_draw(struct resident_code *c);

/*
 * Answers 200 with the code once its leaf is durable: JSON {"credential",
 * "name", "status", "iat", "exp", "log_index"} (wiped after it is sent),
 * or the image with its log index in X-Ankang-Log-Index. Returns what
 * http_json or http_reply returns.
 */
int resident_code_reply(struct http_request *rq, const struct resident_code *c, uint64_t index);

/* Wipes and frees the image, then wipes c. */
void resident_code_wipe(struct resident_code *c);

/*
 * JSON that carries personal data. jansson frees strings without wiping
 * them, so these wipe every string (keys excepted) in a value, nested
 * ones included, before it is released:
 *   resident_json_wipe   for a parsed request body, just before
 *                        json_decref (the caller still owns it);
 *   resident_reply_json  http_json (which wipes its own text), then the
 *                        strings of body; takes ownership of body like
 *                        http_json. Returns what http_json returns.
 */
void resident_json_wipe(json_t *v);
int resident_reply_json(struct http_request *rq, unsigned status, json_t *body);

#endif
