/*
 * audit_append: a test helper that appends leaves to a data folder's
 * audit log through the real writer (log/auditlog.h), as the service
 * would, so tests can plant patterns (an officer with many status
 * changes, look-ups without a purpose, denied bursts, night scans).
 *
 *   audit_append --data DIR      one leaf line per line of standard input
 *
 * Each line is a whole leaf without its "\n" ("ankang/v1 <time_ms> ...");
 * it must parse (leaf_parse), so nothing but well-formed leaves can be
 * planted. Lines go in batches of up to BATCH leaves per operation. Prints
 * the number appended. Test data only: no personal data exists in leaves.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/leaf.h"
#include "log/auditlog.h"
#include "service/datadir.h"

#define BATCH 256

int main(int argc, char **argv)
{
	static struct leaf batch[BATCH];
	char line[LEAF_MAX + 2], db[4096];
	struct datadir *d = NULL;
	auditlog *a = NULL;
	const char *why = NULL;
	char what[512];
	size_t n = 0;
	unsigned long long total = 0, lineno = 0;
	int rc;

	if (argc != 3 || strcmp(argv[1], "--data") != 0) {
		fprintf(stderr, "usage: audit_append --data DIR < leaves\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	if ((rc = datadir_open(&d, argv[2], DATADIR_LOG, NULL, what, sizeof what)) != 0) {
		fprintf(stderr, "audit_append: %s: %s\n", argv[2], what);
		return 2;
	}
	if ((rc = datadir_db(d, db, sizeof db)) != 0 ||
	    (rc = auditlog_open(&a, db, d->log, NULL, &why)) != 0) {
		fprintf(stderr, "audit_append: log: %s %s\n", ak_strerror(rc), why ? why : "");
		datadir_close(d);
		return 2;
	}
	while (fgets(line, sizeof line, stdin) != NULL) {
		size_t len = strlen(line);
		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			fprintf(stderr, "audit_append: line %llu too long\n", lineno);
			rc = AK_EINVAL;
			break;
		}
		if (len == 1)
			continue;
		if (leaf_parse(&batch[n], line, len) != 0) {
			fprintf(stderr, "audit_append: line %llu is not a leaf\n", lineno);
			rc = AK_EINVAL;
			break;
		}
		if (++n == BATCH) {
			if ((rc = auditlog_submit(a, batch, n, NULL, NULL, NULL)) != 0)
				break;
			total += n;
			n = 0;
		}
	}
	if (rc == 0 && n > 0 && (rc = auditlog_submit(a, batch, n, NULL, NULL, NULL)) == 0)
		total += n;
	auditlog_close(a);
	datadir_close(d);
	if (rc != 0) {
		fprintf(stderr, "audit_append: %s\n", ak_strerror(rc));
		return 1;
	}
	printf("%llu\n", total);
	return 0;
}
