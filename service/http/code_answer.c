/*
 * code_answer: a signed code and its answer (see code_answer.h).
 */
#include "service/http/code_answer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "service/http/jsonw.h"
#include "service/paper.h"
#include "service/qr.h"
#include "service/record.h"

enum api_error code_answer_with(struct request *rq, struct code_answer *c)
{
	const char *with = request_query(rq, "with");

	if (with == NULL)
		return API_OK;
	if (strcmp(with, "svg") != 0)
		return API_BAD_WITH;
	c->with_svg = 1;
	return API_OK;
}

enum api_error code_answer_make(struct request *rq, struct code_answer *c, uint64_t resident_id,
				const struct store_resident *row)
{
	const struct app_config *cfg = app_config(rq->app);
	struct record_view v;
	int rc;

	if (row != NULL && row->id == resident_id)
		rc = record_open_name_row(app_record_keys(rq->app), rq->db, row, &rq->leaf, &v);
	else
		rc = record_open_name(app_record_keys(rq->app), rq->db, resident_id, &rq->leaf, &v);
	if (rc == AK_ENOENT)
		return API_NO_RESIDENT;
	if (rc != 0)
		return request_fault(rq, API_INTERNAL, "opening a record", rc);
	rc = record_issue(app_record_issuer(rq->app), &v, rq->now, cfg->code_ttl, 0, c->text,
			  &c->code);
	if (rc >= 0)
		memcpy(c->name, v.name, sizeof c->name);
	record_wipe(&v);
	if (rc < 0)
		return request_fault(rq, API_INTERNAL, "signing a code", rc);
	if ((rc = code_answer_draw(c)) != 0)
		return request_fault(rq, API_INTERNAL, "drawing a code", rc);
	rq->leaf.has_object = 1;
	memcpy(rq->leaf.object, c->code.cti, sizeof rq->leaf.object);
	rq->leaf.result = RES_OK;
	rq->leaf.detail = leaf_detail_of_status(c->code.status);
	return API_OK;
}

int code_answer_draw(struct code_answer *c)
{
	qr *q = NULL;
	char *svg = NULL;
	int rc;

	if (c->format == CODE_JSON && !c->with_svg)
		return 0;
	if (c->format == CODE_PDF) {
		struct paper_card card = {c->text, strlen(c->text), c->code.status, c->name,
					  c->code.exp};
		return paper_card_pdf(&card, &c->image, &c->image_len);
	}
	if ((rc = qr_encode(&q, c->text, strlen(c->text), QR_ECC_DEFAULT)) != 0)
		return rc;
	if (c->format == CODE_PNG) {
		rc = qr_render_png(q, c->code.status, QR_SCALE_DEFAULT, &c->image, &c->image_len);
	} else {
		rc = qr_render_svg(q, c->code.status, &svg, &c->image_len);
		c->image = (uint8_t *)svg;
	}
	qr_free(q);
	return rc;
}

/* The JSON answer without the SVG: {"credential", "name", "status", "iat",
 * "exp", "log_index"}, written straight into a buffer (jsonw.h). */
static enum api_error reply_plain_json(struct request *rq, const struct code_answer *c,
				       uint64_t index)
{
	/* The credential, the name escaped (at most 6 bytes a byte), and
	 * the rest with room to spare. */
	char buf[CRED_TEXT_MAX + 6 * CRED_NAME_MAX + 256];
	struct jsonw w;
	enum api_error e;
	long n;

	jsonw_begin(&w, buf, sizeof buf);
	jsonw_str(&w, "credential", c->text);
	jsonw_str(&w, "name", c->name);
	jsonw_str(&w, "status", cred_status_word((enum cred_status)c->code.status));
	jsonw_u64(&w, "iat", c->code.iat);
	jsonw_u64(&w, "exp", c->code.exp);
	jsonw_u64(&w, "log_index", index);
	if ((n = jsonw_end(&w)) < 0)
		return API_INTERNAL;
	e = reply_bytes(rq, 200, "application/json", buf, (size_t)n);
	sodium_memzero(buf, sizeof buf); /* the name */
	return e;
}

enum api_error code_answer_reply(struct request *rq, const struct code_answer *c, uint64_t index)
{
	char idx[24];
	json_t *j;

	if (c->format == CODE_JSON && !c->with_svg)
		return reply_plain_json(rq, c, index);
	if (c->format == CODE_JSON) {
		j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "credential", c->text, "name",
			      c->name, "status", cred_status_word((enum cred_status)c->code.status),
			      "iat", (json_int_t)c->code.iat, "exp", (json_int_t)c->code.exp,
			      "log_index", (json_int_t)index);
		if (j != NULL &&
		    json_object_set_new(j, "svg",
					json_stringn((const char *)c->image, c->image_len)) != 0) {
			json_decref(j);
			j = NULL;
		}
		return reply_json(rq, 200, j);
	}
	snprintf(idx, sizeof idx, "%" PRIu64, index);
	reply_header(rq, "X-Ankang-Log-Index", idx);
	if (c->format == CODE_PDF) {
		/* A file to print, not a page: browsers offer to save it under a
		 * name that says what it is, never whose. */
		reply_header(rq, "Content-Disposition",
			     "attachment; filename=\"ankang-paper-code.pdf\"");
		return reply_bytes(rq, 200, "application/pdf", c->image, c->image_len);
	}
	return reply_bytes(rq, 200, c->format == CODE_PNG ? "image/png" : "image/svg+xml", c->image,
			   c->image_len);
}

void code_answer_wipe(struct code_answer *c)
{
	if (c->image != NULL) {
		sodium_memzero(c->image, c->image_len);
		free(c->image);
	}
	sodium_memzero(c, sizeof *c);
}
