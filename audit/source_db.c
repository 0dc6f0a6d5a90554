/*
 * source_db: the log read from an auditor's copy of the service's
 * database, through the store's read-only connection (log/store.h)
 * and the log's proof functions (log/auditlog.h).
 *
 * Only the log's leaf bytes, its stored Merkle hashes and its signed
 * checkpoints are read. The columns the writer copies out of each leaf
 * (time, actor, ...) are never used: an attacker with the file could
 * change them independently of the bytes, so every command re-derives
 * them by parsing the bytes.
 *
 * The report's appeals section is the one thing read that is not the
 * log (log/report_appeals.h): open appeals from the appeals table, read
 * through the same connection by the store's own statement
 * (log/store_report.c), on SQLite or PostgreSQL; the table holds nothing
 * the section shows but handles, times, account labels and teams.
 *
 * Never: open the copy writable, or write to it in any way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/source_int.h"
#include "common/util.h"
#include "log/auditlog.h"
#include "log/proof.h"
#include "log/report_appeals.h"
#include "log/store.h"

struct db_source {
	struct audit_source base; /* first: the handle is cast back and forth */
	store *st;
};

static struct db_source *db(audit_source *s)
{
	return (struct db_source *)s;
}

/* A store error, with SQLite's own words for the operator. */
static int db_fail(audit_source *s, int rc, const char *doing)
{
	if (rc == AK_EDB)
		return source_fail(s, rc, "%s: %s", doing, store_errmsg(db(s)->st));
	return source_fail(s, rc, "%s: %s", doing, ak_strerror(rc));
}

static int db_checkpoint(audit_source *s, char **note, size_t *len)
{
	uint64_t size;
	int rc = store_log_last_checkpoint(db(s)->st, &size, note, len);

	if (rc == AK_ENOENT)
		return source_fail(s, rc, "the database holds no signed checkpoint");
	return rc == 0 ? 0 : db_fail(s, rc, "reading the newest checkpoint");
}

static int db_checkpoint_at(audit_source *s, uint64_t size, char **note, size_t *len)
{
	int rc = store_log_checkpoint_at(db(s)->st, size, note, len);

	if (rc == AK_ENOENT)
		return source_fail(s, rc, "the database holds no checkpoint of size %llu",
				   (unsigned long long)size);
	return rc == 0 ? 0 : db_fail(s, rc, "reading a checkpoint");
}

static int db_entries(audit_source *s, uint64_t start, uint64_t end, source_leaf_fn fn, void *ctx)
{
	struct store_log_filter f;
	int rc;

	store_log_filter_init(&f);
	f.start = start;
	/* The filter's end 0 means "to the end"; so does ours at UINT64_MAX. */
	f.end = end == UINT64_MAX ? 0 : end;
	rc = store_log_query(db(s)->st, &f, fn, ctx);
	if (rc == AK_EDB || rc == AK_ECORRUPT)
		return db_fail(s, rc, "reading leaves");
	return rc;
}

static int proof_fail(audit_source *s, int rc, const char *kind, uint64_t a, uint64_t b)
{
	if (rc == AK_EINVAL)
		return source_fail(s, rc,
				   "the database cannot give a %s proof for %llu, %llu: "
				   "it has fewer leaves",
				   kind, (unsigned long long)a, (unsigned long long)b);
	if (rc == AK_ENOENT)
		return source_fail(s, rc,
				   "the database cannot give a %s proof for %llu, %llu: "
				   "stored hashes are missing",
				   kind, (unsigned long long)a, (unsigned long long)b);
	return db_fail(s, rc, "computing a proof");
}

static int db_prove_inclusion(audit_source *s, uint64_t index, uint64_t size, merkle_hash *proof,
			      size_t *n)
{
	int rc = proof_inclusion(db(s)->st, index, size, proof, n);
	return rc == 0 ? 0 : proof_fail(s, rc, "inclusion", index, size);
}

static int db_prove_consistency(audit_source *s, uint64_t size1, uint64_t size2, merkle_hash *proof,
				size_t *n)
{
	int rc = proof_consistency(db(s)->st, size1, size2, proof, n);
	return rc == 0 ? 0 : proof_fail(s, rc, "consistency", size1, size2);
}

static int db_stored_leaf_hash(audit_source *s, uint64_t index, merkle_hash out)
{
	int rc = store_log_get_node(db(s)->st, 0, index, out);

	if (rc == AK_ENOENT)
		return source_fail(s, rc, "no stored hash for leaf %llu",
				   (unsigned long long)index);
	return rc == 0 ? 0 : db_fail(s, rc, "reading a stored hash");
}

static int db_size(audit_source *s, uint64_t *n)
{
	int rc = store_log_size(db(s)->st, n);
	return rc == 0 ? 0 : db_fail(s, rc, "counting leaves");
}

static int db_appeals(audit_source *s, uint64_t as_of, uint64_t deadline, size_t max_list,
		      json_t **out)
{
	report_appeals *r = NULL;
	int rc;

	if ((rc = report_appeals_new(&r, as_of, deadline, max_list)) != 0)
		return rc;
	rc = store_report_appeals(db(s)->st, r);
	if (rc == AK_ENOENT)
		/* A database from before appeals has no such table. */
		rc = source_fail(s, rc, "the database holds no appeals");
	else if (rc == AK_ECORRUPT)
		rc = source_fail(s, rc, "an appeal row breaks the schema");
	else if (rc != 0)
		rc = db_fail(s, rc, "reading appeals");
	else if ((*out = report_appeals_json(r, deadline)) == NULL)
		rc = AK_ENOMEM;
	report_appeals_free(r);
	return rc;
}

static void db_close(audit_source *s)
{
	store_close(db(s)->st);
	free(s);
}

static const struct source_ops db_ops = {
    .checkpoint = db_checkpoint,
    .checkpoint_at = db_checkpoint_at,
    .entries = db_entries,
    .prove_inclusion = db_prove_inclusion,
    .prove_consistency = db_prove_consistency,
    .stored_leaf_hash = db_stored_leaf_hash,
    .size = db_size,
    .appeals = db_appeals,
    .close = db_close,
};

int source_open_db(audit_source **out, const char *path)
{
	struct db_source *d;
	int rc;

	*out = NULL;
	if ((d = calloc(1, sizeof *d)) == NULL)
		return AK_ENOMEM;
	d->base.ops = &db_ops;
	snprintf(d->base.name, sizeof d->base.name, "database %.120s", path);
	if ((rc = store_open(&d->st, path, STORE_READONLY)) != 0) {
		free(d);
		return rc;
	}
	*out = &d->base;
	return 0;
}
