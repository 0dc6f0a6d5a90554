/*
 * code_answer: a freshly signed code kept in a request's state until its
 * leaf is durable, and the answer made of it: JSON, or its QR image (GET
 * /v1/me/code and .png/.svg, POST /v1/residents/{handle}/paper-code,
 * which may also be a PDF card). The
 * image is drawn before the operation is submitted, so that the writer's
 * wait is not spent drawing. The JSON answer may carry the SVG drawing
 * too (GET /v1/me/code?with=svg), so that the web page shows the same
 * image and the QR code is drawn in one place.
 *
 * Holds personal data (the name, and the code, which carries it): the
 * state's state_free calls code_answer_wipe.
 */
#ifndef ANKANG_CODE_ANSWER_H
#define ANKANG_CODE_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "service/http/request.h"
#include "service/store_people.h"

enum code_format {
	CODE_JSON = 1,
	CODE_PNG,
	CODE_SVG,
	CODE_PDF /* a paper code's card (service/paper.h) */
};

struct code_answer {
	enum code_format format;
	int with_svg;                 /* CODE_JSON: the SVG drawing in the answer too */
	struct store_code code;       /* what the writer stores */
	char text[CRED_TEXT_MAX + 1]; /* the credential */
	/* The name the answer shows: as the caller chose it for JSON (a
	 * paper code's is masked), in full on a PDF card (the holder's own). */
	char name[CRED_NAME_MAX + 1];
	uint8_t *image; /* PNG, SVG or PDF, malloc'd by code_answer_draw */
	size_t image_len;
};

/*
 * A fresh code for resident resident_id into c (c->format set): opens the
 * name (record_open_name, with rq->leaf: its subject becomes the
 * resident's pseudonym), signs it for the configured lifetime, draws the
 * image, and fills in the leaf's object (the cti), result and detail (the
 * status). API_OK, API_NO_RESIDENT, or the fault to answer. The caller
 * stores c->code in its change (store_code_add). row, when not NULL, is
 * the resident's row as read already (with the caller's session:
 * authz_ahead), opened without reading it again (record_open_name_row).
 */
enum api_error code_answer_make(struct request *rq, struct code_answer *c, uint64_t resident_id,
				const struct store_resident *row);

/* The JSON answer's query: ?with=svg sets c->with_svg (the resident page
 * shows the server's drawing rather than its own); anything else in
 * `with` is API_BAD_WITH. */
enum api_error code_answer_with(struct request *rq, struct code_answer *c);

/* Draws c->text as the image c->format asks for (nothing for JSON without
 * with_svg). 0 or an AK_E* code. */
int code_answer_draw(struct code_answer *c);

/*
 * Answers 200 with the code once its leaf is durable: JSON {"credential",
 * "name", "status", "iat", "exp", "log_index"} (and "svg" with with_svg),
 * or the image with its log index in X-Ankang-Log-Index.
 */
enum api_error code_answer_reply(struct request *rq, const struct code_answer *c, uint64_t index);

/* Wipes and frees the image, then wipes c. */
void code_answer_wipe(struct code_answer *c);

#endif
