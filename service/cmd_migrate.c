/*
 * ankangd migrate: moves a SQLite deployment to PostgreSQL
 * (docs/MULTINODE.md, "Moving a SQLite deployment").
 *
 * The order is what makes it safe to interrupt at any point:
 *
 *   1. the data folder's serve.lock is taken, and held to the end: a
 *      running service refuses the move, and no service starts during it;
 *   2. the target is opened as its owner (the migrations run), the nodes'
 *      URL is tried, and every table is copied in one transaction on the
 *      target (log/store_copy.h): the SQLite log checked whole first,
 *      every row read back byte for byte, the log checked on the target;
 *      a failure, or the process killed, leaves the target empty;
 *   3. only after COMMIT, `store = URL` is added to ankang.conf, by an
 *      atomic rename: until then the folder is the SQLite deployment it
 *      was, and running the command again starts over. Killed between
 *      the two, the target is full and the folder names no store: run
 *      again, migrate finds that the target holds exactly this folder's
 *      log (the same size and root on both sides, each log checking,
 *      and the same KEK check value) and only writes ankang.conf.
 *
 * The old ankang.db stays where it was: a backup, and one that holds the
 * residents' sealed personal data (the output says so, and SECURITY.md
 * what to do with it). Messages are one line each, on stderr while it
 * runs and on stdout for the result; they name tables, counts and the
 * root, never a row. Exit 0 when moved; 1 when refused (a running
 * service, sessions on the target, a target that is not empty, a log
 * that does not check) or failed; 2 for bad input (options, a URL that is
 * not one or carries a password, a folder that does not open, a target
 * that cannot be reached).
 */
#include <getopt.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "log/logcheck.h"
#include "log/store.h"
#include "log/store_copy.h"
#include "service/commands.h"
#include "service/datadir.h"
#include "service/store_people.h"

static const char migrate_usage[] =
    "usage: ankangd migrate --from DIR --to URL [--to-owner URL]\n"
    "\n"
    "Moves the SQLite deployment in DIR to the PostgreSQL database URL names:\n"
    "every leaf with its stored hashes, every signed checkpoint, the residents'\n"
    "sealed rows, accounts, sessions, codes, appeals and household links, byte\n"
    "for byte, in one transaction; then records the URL in DIR/ankang.conf, so\n"
    "that the service started on DIR uses PostgreSQL. The keys stay in DIR.\n"
    "\n"
    "Refuses while a service runs on DIR (serve.lock), while any session of\n"
    "ankangd is connected to the database, and when the database is not empty.\n"
    "Checks the SQLite log in full first (as `ankangd check --full`), and the\n"
    "copied log on PostgreSQL before it commits. Interrupted or failed, it leaves\n"
    "the database empty and ankang.conf unchanged: run it again. Ended after its\n"
    "COMMIT but before ankang.conf was written, run it again: it finds the folder's\n"
    "log (size, root, KEK check) in the database and writes ankang.conf only.\n"
    "DIR/ankang.db is kept: a backup holding personal data (SECURITY.md).\n"
    "\n"
    "  --to URL        the URL the service's nodes connect with (recorded), never\n"
    "                  with a password (libpq's ~/.pgpass or PGPASSFILE holds it)\n"
    "  --to-owner URL  the database owner's URL, which runs the migrations and\n"
    "                  the copy (default: --to's); not recorded\n";

/* Progress, one line a step, on stderr. */
static void progress(void *ctx, enum store_copy_event ev, const char *table, uint64_t n)
{
	(void)ctx;
	switch (ev) {
	case STORE_COPY_CHECKED:
		fprintf(stderr,
			"migrate: the SQLite log checks whole: %" PRIu64 " leaves rehashed\n", n);
		break;
	case STORE_COPY_TABLE:
		fprintf(stderr, "migrate: copying %s\n", table);
		break;
	case STORE_COPY_TABLE_DONE:
		fprintf(stderr, "migrate: copied %s: %" PRIu64 " rows, read back byte for byte\n",
			table, n);
		break;
	case STORE_COPY_LOG_CHECKED:
		fprintf(stderr,
			"migrate: the log on PostgreSQL checks against its newest signed"
			" checkpoint: %" PRIu64 " leaves\n",
			n);
		break;
	case STORE_COPY_NONE:
		break;
	}
}

/*
 * ankang.conf with `store = url` added: the operator's lines and
 * comments kept as they are, the new ones after them, the file replaced
 * by an atomic rename (readers see the old one or the new one).
 */
static int conf_add_store(const struct datadir *d, const char *url)
{
	char path[PATH_MAX], *text = NULL, *out = NULL;
	size_t len, cap;
	struct stat st;
	int n, rc;

	if ((rc = datadir_file(d, path, sizeof path, DATADIR_CONF)) != 0 ||
	    (rc = util_read_file(path, 4096, &text, &len)) != 0)
		return rc;
	cap = len + strlen(url) + 256;
	rc = AK_ENOMEM;
	if ((out = malloc(cap)) == NULL)
		goto done;
	n = snprintf(out, cap,
		     "%s%s# store: the PostgreSQL database, as libpq's URL (its password,\n"
		     "# if any, is in libpq's password file, never here); written by\n"
		     "# `ankangd migrate`, which left the SQLite store in ankang.db.\n"
		     "store = %s\n",
		     text, len > 0 && text[len - 1] != '\n' ? "\n" : "", url);
	rc = AK_ETOOBIG;
	if (n < 0 || (size_t)n >= cap)
		goto done;
	rc = util_write_file_atomic(path, out, (size_t)n,
				    stat(path, &st) == 0 ? st.st_mode & 0777 : 0644, 0);
done:
	free(text);
	free(out);
	return rc;
}

/* The size and root of st's log, once its self-check passes. */
static int log_state(store *st, const struct key_verifier *log_key, uint64_t *size,
		     merkle_hash root)
{
	struct logcheck_head head = {0, 0, 0};
	const char *why = NULL;
	int rc;

	if ((rc = logcheck_self(st, log_key, &why, &head)) != 0)
		return rc;
	*size = head.size;
	return merkle_root(root, head.size, store_log_get_node, st);
}

/*
 * Whether dst, which store_copy found not empty, already holds src's
 * whole deployment: a move whose process ended between the target's
 * COMMIT and the rename of ankang.conf. 1 when both logs check and have
 * the same size and root, and both hold the same KEK check value (the
 * same deployment's people: the check is a MAC under the KEK); 0
 * otherwise, or on any error (the caller then refuses as before).
 */
static int already_moved(store *src, store *dst, const struct key_verifier *log_key, uint64_t *size,
			 merkle_hash root)
{
	uint8_t kc_src[32], kc_dst[32];
	merkle_hash root_dst;
	uint64_t size_dst = 0;

	if (log_state(src, log_key, size, root) != 0 ||
	    log_state(dst, log_key, &size_dst, root_dst) != 0 || *size != size_dst ||
	    sodium_memcmp(root, root_dst, sizeof root_dst) != 0)
		return 0;
	if (store_kek_check_get(src, kc_src) != 0 || store_kek_check_get(dst, kc_dst) != 0)
		return 0;
	return sodium_memcmp(kc_src, kc_dst, sizeof kc_src) == 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"to-owner", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *to = NULL, *owner = NULL, *why = NULL;
	char why_url[240];
	struct datadir *d = NULL;
	char db[PATH_MAX], b64[45];
	store *src = NULL, *dst = NULL;
	struct store_copy_result res;
	struct timespec t0;
	int c, rc, lock = -1, status;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts, 'h', migrate_usage, &status)) > 0) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'O':
			owner = optarg;
			break;
		}
	}
	if (c < 0)
		return status;
	if (cli_no_operands(argc, argv, "migrate") != CLI_OK)
		return CLI_USAGE;
	if (from == NULL || to == NULL) {
		cli_error("migrate: --from and --to are required (try --help)");
		return CLI_USAGE;
	}
	if (!store_is_url(to) || (owner != NULL && !store_is_url(owner)) ||
	    strlen(to) >= sizeof d->store) {
		cli_error("migrate: --to and --to-owner take a postgresql:// URL");
		return CLI_USAGE;
	}
	/* The URLs' rules (a password, TLS to a host elsewhere) by parsing
	 * alone: --to is recorded for every node, and checked before anything
	 * connects. */
	if (store_url_check(to, why_url, sizeof why_url) != 0 ||
	    (owner != NULL && store_url_check(owner, why_url, sizeof why_url) != 0)) {
		cli_error("migrate: %s: %s",
			  store_url_check(to, NULL, 0) != 0 ? "--to" : "--to-owner", why_url);
		return CLI_USAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = cmd_open_datadir(&d, "migrate", from, 0, NULL, db)) != CLI_OK)
		return rc;
	status = CLI_FAILED;
	if (d->store[0] != '\0') {
		cli_error("migrate: %s: its store is PostgreSQL already (ankang.conf names one)",
			  from);
		goto done;
	}
	if ((rc = datadir_lock(d, &lock)) != 0) {
		if (rc == AK_EBUSY)
			cli_error("migrate: %s: a service is running on it (serve.lock is held);"
				  " stop it first",
				  from);
		else
			cli_error("migrate: %s: serve.lock: %s", from, ak_strerror(rc));
		goto done;
	}
	/* The owner's session runs the migrations, then the copy. */
	if ((rc = store_open(&dst, owner != NULL ? owner : to, STORE_CREATE)) != 0) {
		cli_error("migrate: the target: %s", store_open_err(rc));
		status = CLI_USAGE;
		goto done;
	}
	if ((rc = store_open(&src, db, 0)) != 0) {
		cli_error("migrate: %s: %s", db, store_open_err(rc));
		status = CLI_USAGE;
		goto done;
	}
	fprintf(stderr, "migrate: %s to PostgreSQL: checking the SQLite log in full\n", from);
	rc = store_copy(src, dst, to, &d->trust.log_key, progress, NULL, &res, &why);
	if (rc == AK_EEXIST && already_moved(src, dst, &d->trust.log_key, &res.leaves, res.root)) {
		if ((rc = conf_add_store(d, to)) != 0) {
			cli_error("migrate: %s/%s could not be written (%s): add the line `store ="
				  " <the --to URL>` to it by hand",
				  from, DATADIR_CONF,
				  rc == AK_EIO ? strerror(errno) : ak_strerror(rc));
			goto done;
		}
		util_b64_encode(b64, res.root, sizeof res.root);
		printf("migrated %s to PostgreSQL: the target already held this folder's whole log"
		       " (%" PRIu64 " leaves, the same root) and KEK check, copied by a move that"
		       " ended before it wrote %s; only %s was written now\n",
		       from, res.leaves, DATADIR_CONF, DATADIR_CONF);
		printf("size %" PRIu64 "\nroot %s\n", res.leaves, b64);
		printf("%s/%s now names the store; %s is kept as it was, and is a backup holding"
		       " residents' sealed personal data until the next `ankangd keys"
		       " rotate-epoch` (SECURITY.md)\n",
		       from, DATADIR_CONF, db);
		status = CLI_OK;
		goto done;
	}
	if (rc != 0) {
		cli_error("migrate: %s%s%s; the target is left as it was", ak_strerror(rc),
			  why != NULL ? ": " : "", why != NULL ? why : "");
		/* The nodes' URL not reaching a database is bad input, as the
		 * owner's is. */
		if (why != NULL && strncmp(why, "the nodes' URL", 14) == 0 && rc != AK_EDENIED)
			status = CLI_USAGE;
		goto done;
	}
	if ((rc = conf_add_store(d, to)) != 0) {
		cli_error("migrate: the copy is committed, but %s/%s could not be written (%s):"
			  " add the line `store = <the --to URL>` to it by hand",
			  from, DATADIR_CONF, rc == AK_EIO ? strerror(errno) : ak_strerror(rc));
		goto done;
	}
	util_b64_encode(b64, res.root, sizeof res.root);
	printf("migrated %s to PostgreSQL in %.1f s: %" PRIu64 " leaves, %" PRIu64
	       " signed checkpoints (the newest at size %" PRIu64 "), %" PRIu64
	       " rows of the service's tables\n",
	       from, seconds_since(&t0), res.leaves, res.checkpoints, res.checkpoint_size,
	       res.rows);
	printf("size %" PRIu64 "\nroot %s\n", res.leaves, b64);
	printf("%s/%s now names the store; start the service on %s as before (its first start"
	       " rehashes every leaf)\n",
	       from, DATADIR_CONF, from);
	printf("%s is kept as it was, and is now a backup: it holds residents' personal data"
	       " sealed under the current KEK epoch (readable with keys/ until the next `ankangd"
	       " keys rotate-epoch`); keep it as the keys are kept, or delete it (SECURITY.md)\n",
	       db);
	status = CLI_OK;
done:
	store_close(src);
	store_close(dst);
	datadir_unlock(lock);
	datadir_close(d);
	return status;
}
