/*
 * filter: parsing the selection options and matching leaves (filter.h).
 */
#include "audit/filter.h"

#include <string.h>

#include "common/util.h"

void audit_filter_init(struct audit_filter *f)
{
	memset(f, 0, sizeof *f);
	f->action = -1;
	f->role = -1;
	f->any_id = 1;
	f->actor_id = LEAF_NO_ID;
}

int audit_filter_action(struct audit_filter *f, const char *arg)
{
	int a = leaf_action_parse(arg, strlen(arg));

	if (a < 0)
		return AK_EINVAL;
	f->action = a;
	return 0;
}

int audit_filter_actor(struct audit_filter *f, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t rlen = colon ? (size_t)(colon - arg) : strlen(arg);
	int role = leaf_role_parse(arg, rlen);
	uint64_t id;

	if (role < 0)
		return AK_EINVAL;
	if (colon == NULL) {
		f->any_id = 1;
		f->actor_id = LEAF_NO_ID;
	} else if (strcmp(colon + 1, "-") == 0) {
		f->any_id = 0;
		f->actor_id = LEAF_NO_ID;
	} else if (util_parse_u64(colon + 1, strlen(colon + 1), &id) == 0 && id != LEAF_NO_ID) {
		f->any_id = 0;
		f->actor_id = id;
	} else {
		return AK_EINVAL;
	}
	f->role = role;
	return 0;
}

int audit_filter_subject(struct audit_filter *f, const char *arg)
{
	if (util_hex_decode(f->subject, LEAF_ID_BYTES, arg, strlen(arg)) != 0)
		return AK_EINVAL;
	f->has_subject = 1;
	return 0;
}

int audit_filter_match(const struct audit_filter *f, const struct leaf *l)
{
	if (l->time_ms < f->since_ms || (f->until_ms != 0 && l->time_ms >= f->until_ms))
		return 0;
	if (f->action >= 0 && (int)l->action != f->action)
		return 0;
	if (f->role >= 0 && ((int)l->role != f->role || (!f->any_id && l->actor_id != f->actor_id)))
		return 0;
	if (f->has_subject &&
	    (!l->has_subject || memcmp(l->subject, f->subject, LEAF_ID_BYTES) != 0))
		return 0;
	return 1;
}
