/*
 * export_household: the export's household section (export.h): the
 * members I added ({member, name, relation, state, status}) and the
 * guardians who added me ({link, name, relation, state}), in GET
 * /v1/me/household's and GET /v1/me/guardians's shapes.
 *
 * This build keeps no household links, so both lists are empty. The
 * household table (schema/005_household.sql) fills them in here when it
 * comes.
 */
#include "service/http/export.h"

#include "common/util.h"

int export_household(struct export_ctx *x, json_t **out)
{
	(void)x;
	*out = json_pack("{s:[], s:[]}", "members", "guardians");
	return *out ? 0 : AK_ENOMEM;
}
