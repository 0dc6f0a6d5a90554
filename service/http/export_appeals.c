/*
 * export_appeals: the export's appeals section (export.h): every appeal
 * of mine, newest first, with its text (unsealed for me) and its answer,
 * in GET /v1/me/appeals's shape.
 *
 * This build keeps no appeals, so the list is empty. The appeals table
 * (schema/004_appeals.sql) fills it in here when it comes.
 */
#include "service/http/export.h"

#include "common/util.h"

int export_appeals(struct export_ctx *x, json_t **out)
{
	(void)x;
	*out = json_array();
	return *out ? 0 : AK_ENOMEM;
}
