/*
 * filter: the selection the entries and report commands share, applied
 * to parsed leaves (never to a source's own columns: see source_db.c).
 *
 *   --since TIME --until TIME   leaf time in [since, until)
 *   --action A                  one action word
 *   --actor ROLE[:ID]           a role, and optionally one account id or "-"
 *   --subject HEX               one resident pseudonym (32 hex digits)
 *
 * Pure: parsing and matching only.
 */
#ifndef ANKANG_AUDIT_FILTER_H
#define ANKANG_AUDIT_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/leaf.h"

struct audit_filter {
	uint64_t since_ms, until_ms; /* until 0: no bound */
	int action;                  /* enum leaf_action, or -1 */
	int role;                    /* enum leaf_role, or -1 */
	int any_id;                  /* with role: any account of it */
	uint64_t actor_id;           /* else this one (LEAF_NO_ID for "-") */
	int has_subject;
	uint8_t subject[LEAF_ID_BYTES];
};

void audit_filter_init(struct audit_filter *f);

/* Each parses one option's argument into f. 0 or AK_EINVAL. */
int audit_filter_action(struct audit_filter *f, const char *arg);
int audit_filter_actor(struct audit_filter *f, const char *arg);
int audit_filter_subject(struct audit_filter *f, const char *arg);

/* 1 when l is selected. */
int audit_filter_match(const struct audit_filter *f, const struct leaf *l);

#endif
