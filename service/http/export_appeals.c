/*
 * export_appeals: the export's appeals section (export.h): every appeal
 * of mine, newest first, with its text (unsealed for me) and its answer,
 * in GET /v1/me/appeals's shape. h_appeals.c builds that list; this is
 * only where the export asks for it.
 */
#include "service/http/appeals.h"
#include "service/http/export.h"

int export_appeals(struct export_ctx *x, json_t **out)
{
	/* appeals_mine_json reads the session's resident, who is the
	 * export's: the texts open under the export's own leaf. */
	return appeals_mine_json(x->rq, out);
}
