/*
 * account_names: account names for listings of the log (see
 * account_names.h).
 */
#include "service/http/account_names.h"

#include <string.h>

#include "service/store_people.h"

void account_names_init(struct account_names *n, store *db)
{
	memset(n, 0, sizeof *n);
	n->db = db;
}

static int is_account(int role, uint64_t id)
{
	return (role == ROLE_VERIFIER || role == ROLE_OFFICER || role == ROLE_AUDITOR ||
		role == ROLE_ADMIN) &&
	       id != LEAF_NO_ID;
}

json_t *account_names_get(struct account_names *n, int role, uint64_t id)
{
	struct store_account a;
	json_t *name;

	if (!is_account(role, id))
		return json_null();
	for (size_t i = 0; i < n->cached; i++)
		if (n->cache[i].id == id)
			return json_incref(n->cache[i].name);
	name = store_account_by_id(n->db, id, &a) == 0 ? json_string(a.name) : json_null();
	if (name != NULL && n->cached < ACCOUNT_NAMES_CACHE) {
		n->cache[n->cached].id = id;
		n->cache[n->cached].name = json_incref(name);
		n->cached++;
	}
	return name;
}

void account_names_clear(struct account_names *n)
{
	for (size_t i = 0; i < n->cached; i++)
		json_decref(n->cache[i].name);
	n->cached = 0;
}
