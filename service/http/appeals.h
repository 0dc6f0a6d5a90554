/*
 * appeals: what h_appeals.c shares with the other handlers: a resident's
 * own appeals as GET /v1/me/appeals answers them, for the endpoints that
 * show a resident everything held about them (GET /v1/me/export).
 */
#ifndef ANKANG_HTTP_APPEALS_H
#define ANKANG_HTTP_APPEALS_H

#include <jansson.h>

#include "service/http/request.h"

/*
 * The calling resident's appeals, newest first, each {appeal, state,
 * reason, appealed_status, text, opened, due, overdue, answered,
 * decision, answer_reason, officer}, into *out (a new array). The texts
 * are opened under rq->leaf (record_open_field), which must be the
 * request's audited leaf and whose subject becomes the resident's; its
 * result and detail stay the caller's to set. Reads through rq->db.
 * Returns 0, or AK_ENOMEM, AK_ECRYPTO, AK_ECORRUPT, AK_EDB (*out NULL).
 */
int appeals_mine_json(struct request *rq, json_t **out);

#endif
