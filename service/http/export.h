/*
 * export: the sections of a resident's data export (GET /v1/me/export,
 * h_export.c), one function each, so that every kind of data the service
 * holds about a person has its one place in the document:
 *
 *   resident        handle, name, ID number, phone, status, created
 *   status_history  every status change with its reason      (h_export.c)
 *   sessions        live sessions                             (h_export.c)
 *   accesses        every leaf about me, with its log index   (h_export.c)
 *   appeals         my appeals and their answers     (export_appeals.c)
 *   household       my members and my guardians    (export_household.c)
 *
 * A new table that holds something about a resident adds a section here
 * and a row in h_export.c's table: the export is complete only if it
 * does.
 *
 * Each section reads through the request's read connection, for the
 * resident the session names and no other (x->resident_id), and returns
 * a new JSON value in *out: 0, or an AK_E* code. What it holds is
 * personal data in the clear (jansson's memory is wiped on free:
 * reply.c); a section never logs or prints it.
 */
#ifndef ANKANG_EXPORT_H
#define ANKANG_EXPORT_H

#include <stdint.h>

#include <jansson.h>

#include "service/http/account_names.h"
#include "service/http/request.h"

struct export_ctx {
	struct request *rq;
	uint64_t resident_id;
	struct account_names names; /* account labels, looked up once */
};

typedef int (*export_section_fn)(struct export_ctx *x, json_t **out);

/* {"appeals": [...]}'s list, newest first (docs/API.md, "My data"). */
int export_appeals(struct export_ctx *x, json_t **out);
/* {"members": [...], "guardians": [...]} (docs/API.md, "My data"). */
int export_household(struct export_ctx *x, json_t **out);

#endif
