/*
 * logcrash: a test helper for tests/sh/auditlog_crash.sh, which kills it
 * with SIGKILL at random moments.
 *
 *   logcrash run DIR THREADS      append from THREADS threads until killed
 *   logcrash verify DIR FILE...   check what `run` said was durable
 *
 * `run` opens the data folder's audit log (its store: DIR/ankang.db, or
 * the PostgreSQL URL its ankang.conf names; with its log key) and has
 * each thread submit operations of one or two leaves (verifier actor ids
 * that say which thread and which operation), printing
 * "INDEX ACTOR\n" to standard output for every leaf only after
 * auditlog_submit has returned 0, that is once it is durable; each line is
 * one write(2). It stops by itself after 60 seconds, in case nobody kills
 * it.
 *
 * `verify` runs the log's self-check with the trust list's log key, then
 * reads every complete line of the FILEs (a run killed mid-line leaves an
 * incomplete last line, which is not a promise and is skipped) and demands
 * that leaf INDEX exists, parses and has that actor. Exit 0 when all hold,
 * 1 when not (naming the first miss), 2 on usage or setup errors.
 *
 * Test use only. Leaves carry random pseudonyms: no personal data.
 */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "log/auditlog.h"
#include "log/logcheck.h"
#include "service/datadir.h"
#include "log/store.h"

#define MAX_THREADS 64
#define RUN_LIMIT_S 60

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

struct worker {
	auditlog *log;
	uint64_t id;
	int rc;
};

static void say(uint64_t idx, uint64_t actor)
{
	char line[64];
	int n = snprintf(line, sizeof line, "%" PRIu64 " %" PRIu64 "\n", idx, actor);

	pthread_mutex_lock(&out_mu);
	if (write(1, line, (size_t)n) != n)
		_exit(3);
	pthread_mutex_unlock(&out_mu);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct leaf l[2];
	uint64_t first;

	for (uint64_t seq = 0;; seq++) {
		size_t n = seq % 5 == 4 ? 2 : 1;
		for (size_t i = 0; i < n; i++) {
			memset(&l[i], 0, sizeof l[i]);
			l[i].role = ROLE_VERIFIER;
			l[i].actor_id = w->id * 100000000u + seq * 2 + i;
			l[i].action = ACT_VERIFY;
			l[i].has_subject = 1;
			randombytes_buf(l[i].subject, LEAF_ID_BYTES);
			l[i].result = RES_VALID;
			l[i].detail = DET_GREEN;
		}
		if ((w->rc = auditlog_submit(w->log, l, n, NULL, NULL, &first)) != 0)
			return NULL;
		for (size_t i = 0; i < n; i++)
			say(first + i, l[i].actor_id);
	}
	return NULL;
}

static int open_dir(struct datadir **d, const char *dir, unsigned keys, char *db, size_t cap)
{
	char why[512];
	int rc;

	if (datadir_open(d, dir, keys, NULL, why, sizeof why) != 0) {
		fprintf(stderr, "logcrash: %s: %s\n", dir, why);
		return -1;
	}
	if ((rc = datadir_db(*d, db, cap)) != 0) {
		fprintf(stderr, "logcrash: %s: %s\n", dir, ak_strerror(rc));
		return -1;
	}
	return 0;
}

static int run(const char *dir, unsigned nthreads)
{
	struct datadir *d = NULL;
	char db[PATH_MAX];
	auditlog *log = NULL;
	const char *why = NULL;
	struct auditlog_config cfg;
	static struct worker w[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	int rc;

	if (nthreads == 0 || nthreads > MAX_THREADS)
		return 2;
	if (open_dir(&d, dir, DATADIR_LOG, db, sizeof db) != 0)
		return 2;
	auditlog_config_default(&cfg);
	cfg.checkpoint_ms = 50; /* many checkpoints, so kills land near them too */
	if ((rc = auditlog_open(&log, db, d->log, &cfg, &why)) != 0) {
		fprintf(stderr, "logcrash: open: %s: %s\n", ak_strerror(rc), why ? why : "");
		datadir_close(d);
		return 1;
	}
	alarm(RUN_LIMIT_S);
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].log = log;
		w[i].id = i + 1;
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	/* Only reached when every submit failed. */
	auditlog_close(log);
	datadir_close(d);
	fprintf(stderr, "logcrash: submit failed: %s\n", ak_strerror(w[0].rc));
	return 1;
}

static int verify(const char *dir, int nfiles, char **files)
{
	struct datadir *d = NULL;
	char db[PATH_MAX], line[128];
	store *st = NULL;
	const char *why = NULL;
	uint64_t checked = 0;
	int rc, status = 1;

	if (open_dir(&d, dir, 0, db, sizeof db) != 0)
		return 2;
	if ((rc = store_open(&st, db, 0)) != 0) {
		fprintf(stderr, "logcrash: %s: %s\n", db, ak_strerror(rc));
		datadir_close(d);
		return 2;
	}
	if ((rc = logcheck_self(st, &d->trust.log_key, &why, NULL)) != 0) {
		fprintf(stderr, "logcrash: self-check: %s: %s\n", ak_strerror(rc), why ? why : "");
		goto done;
	}
	for (int f = 0; f < nfiles; f++) {
		FILE *in = fopen(files[f], "r");
		if (in == NULL) {
			fprintf(stderr, "logcrash: %s: cannot open\n", files[f]);
			goto done;
		}
		while (fgets(line, sizeof line, in) != NULL) {
			uint64_t idx, actor;
			char *leaf = NULL, *sp;
			size_t len = strlen(line);
			struct leaf l;

			if (len == 0 || line[len - 1] != '\n')
				break; /* the line being written when the kill came */
			if ((sp = strchr(line, ' ')) == NULL ||
			    util_parse_u64(line, (size_t)(sp - line), &idx) != 0 ||
			    util_parse_u64(sp + 1, strlen(sp + 1) - 1, &actor) != 0) {
				fprintf(stderr, "logcrash: %s: malformed line\n", files[f]);
				fclose(in);
				goto done;
			}
			rc = store_log_get_leaf(st, idx, &leaf, &len);
			if (rc != 0 || leaf_parse(&l, leaf, len) != 0 || l.actor_id != actor) {
				fprintf(stderr,
					"logcrash: leaf %" PRIu64
					" was reported durable but is %s\n",
					idx, rc != 0 ? "missing" : "not the one written");
				free(leaf);
				fclose(in);
				goto done;
			}
			free(leaf);
			checked++;
		}
		fclose(in);
	}
	printf("%" PRIu64 "\n", checked);
	status = 0;
done:
	store_close(st);
	datadir_close(d);
	return status;
}

int main(int argc, char **argv)
{
	uint64_t n;

	if (sodium_init() < 0)
		return 2;
	if (argc == 4 && strcmp(argv[1], "run") == 0 &&
	    util_parse_u64(argv[3], strlen(argv[3]), &n) == 0 && n <= MAX_THREADS)
		return run(argv[2], (unsigned)n);
	if (argc >= 4 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: logcrash run DIR THREADS | logcrash verify DIR FILE...\n");
	return 2;
}
