/*
 * app: the service's core, opened and closed as a pair (see app.h).
 *
 * Read connections: each server thread opens its own on first use and
 * keeps it for its life (SQLite connections are cheap to keep and costly
 * to open: schema parse, statement preparation). All are recorded so that
 * app_close can close them once the HTTP threads are gone.
 *
 * Never: hand out the data folder's secret keys themselves (only the
 * narrow views record.c and the lists need), or close the log while a
 * thread that submits to it still runs.
 */
#include "service/app.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/datadir.h"
#include "service/epochshare.h"
#include "service/lists.h"
#include "service/policy.h"
#include "service/rewrap.h"
#include "service/upkeep.h"

struct app {
	struct app_config cfg;
	struct datadir *dd; /* root, log and active issuer keys loaded */
	int lock_fd;
	char db_path[PATH_MAX];
	auditlog *log;
	struct lists *lists;
	struct limits *limits;
	struct upkeep *upkeep;
	struct rewrap_config rewrap_cfg;
	struct rewrap *rewrap;
	/* On PostgreSQL, instead of rewrap's thread: the epochs shared
	 * between nodes (service/epochshare.h). */
	struct epochshare_config share_cfg;
	char node[EPOCHSHARE_NODE_MAX + 1];
	epochshare *share;
	/* Held while a request wakes share (keys.lacking) and while
	 * app_close takes it away, so that no wake-up reaches it freed. */
	pthread_mutex_t share_mu;
	witnessing *witnessing; /* NULL without witnesses */
	struct record_keys keys;
	struct record_issuer issuer;
	struct app_public_keys public_keys;
	atomic_int stopping;

	/* Read connections, one per server thread, opened on first use. */
	pthread_mutex_t readers_mu;
	store **readers;
	size_t n_readers, cap_readers;
};

void app_config_default(struct app_config *c)
{
	memset(c, 0, sizeof *c);
	c->code_ttl = APP_DEFAULT_CODE_TTL;
	c->skew = CRED_DEFAULT_SKEW;
	c->session_ttl = POLICY_SESSION_TTL;
	c->scan_window = APP_DEFAULT_SCAN_WINDOW;
	c->epoch_every = REWRAP_EVERY_S;
	c->appeal_deadline = POLICY_APPEAL_DEADLINE_DEFAULT;
	limits_config_default(&c->limits);
	auditlog_config_default(&c->log);
}

static int public_keys(struct app_public_keys *k, const struct datadir *dd)
{
	int rc;

	snprintf(k->origin, sizeof k->origin, "%s", dd->origin);
	if ((rc = key_verifier_format(k->root, sizeof k->root, key_signer_verifier(dd->root))) <
		0 ||
	    (rc = key_verifier_format(k->log, sizeof k->log, key_signer_verifier(dd->log))) < 0)
		return rc;
	return 0;
}

/*
 * Publishes the witnesses' keys and quorum (public/witnesses, removed when
 * there are none) and, with witnesses, starts asking them to cosign.
 */
static int start_witnessing(app *a, char *why, size_t cap)
{
	struct witnessing_setup ws;
	char pub[PATH_MAX], dir[PATH_MAX];
	int rc;

	if ((rc = datadir_file(a->dd, pub, sizeof pub, "public/witnesses")) != 0 ||
	    (rc = datadir_file(a->dd, dir, sizeof dir, "witness")) != 0)
		return util_why(why, cap, rc, "%s: path too long", a->cfg.data_dir);
	if ((rc = witnessing_publish(&a->cfg.witnesses, pub)) != 0)
		return util_why(why, cap, rc, "%s: %s", pub, ak_strerror(rc));
	if (a->cfg.witnesses.n == 0)
		return 0;
	ws = (struct witnessing_setup){&a->cfg.witnesses, a->db_path, dir,
				       key_signer_verifier(a->dd->log)};
	return witnessing_start(&a->witnessing, &ws, why, cap);
}

/*
 * Several nodes on one PostgreSQL database: before the keys are opened
 * and checked, this node fetches the epochs it lacks from the leader and
 * destroys those below the floor (service/epochshare.h), so a node that
 * starts with a stale epochs file catches up before it serves.
 */
static int join_epochs(app *a, char *why, size_t cap)
{
	uint64_t stale_s = a->cfg.epoch_stale != 0
			       ? a->cfg.epoch_stale
			       : epochshare_stale_ms(a->cfg.epoch_every) / 1000u;
	unsigned wait_s = (unsigned)(2 * stale_s < 10 ? 10 : 2 * stale_s > 120 ? 120 : 2 * stale_s);
	int rc;

	/* Another deployment's KEK is said to be that, before the epochs
	 * file it cannot open is. */
	if ((rc = record_kek_matches(a->db_path, a->dd->kek_path, why, cap)) != 0)
		return rc;
	if ((rc = epochshare_node_name(a->node, a->cfg.data_dir)) != 0)
		return util_why(why, cap, rc, "%s: naming this node", a->cfg.data_dir);
	a->share_cfg = (struct epochshare_config){
	    a->db_path, a->dd->origin,      a->node,        NULL, NULL, NULL,
	    NULL,       a->cfg.epoch_every, stale_s * 1000u};
	return epochshare_join(&a->share_cfg, a->dd->kek_path, a->dd->epochs_path, wait_s, why,
			       cap);
}

/* record_keys' lacking: a request met a key under an epoch this node has
 * not fetched yet; the round that fetches it runs now. */
static void wake_share(void *ctx)
{
	app *a = ctx;

	pthread_mutex_lock(&a->share_mu);
	epochshare_wake(a->share);
	pthread_mutex_unlock(&a->share_mu);
}

int app_open(app **out, const struct app_config *cfg, char *why, size_t cap)
{
	struct lists_config lc;
	struct upkeep_config uc;
	const char *log_why = NULL;
	char keys_why[PATH_MAX + 160];
	app *a;
	int rc;

	*out = NULL;
	why[0] = '\0';
	if ((a = calloc(1, sizeof *a)) == NULL)
		return util_why(why, cap, AK_ENOMEM, "out of memory");
	a->cfg = *cfg;
	a->lock_fd = -1;
	pthread_mutex_init(&a->readers_mu, NULL);
	pthread_mutex_init(&a->share_mu, NULL);

	rc = datadir_open(&a->dd, cfg->data_dir, DATADIR_ROOT | DATADIR_LOG | DATADIR_ISSUER,
			  cfg->kek_file, keys_why, sizeof keys_why);
	if (rc != 0) {
		util_why(why, cap, rc, "%s: %s", cfg->data_dir, keys_why);
		goto fail;
	}
	/* One service per data folder: two would each think they own the
	 * revocation list, and `keys rotate` must know none is running. */
	if ((rc = datadir_lock(a->dd, &a->lock_fd)) != 0) {
		util_why(why, cap, rc, "%s: %s", cfg->data_dir,
			 rc == AK_EBUSY ? "another ankangd serve is running on this data folder"
					: ak_strerror(rc));
		goto fail;
	}
	if ((rc = datadir_db(a->dd, a->db_path, sizeof a->db_path)) != 0) {
		util_why(why, cap, rc, "%s: path too long", cfg->data_dir);
		goto fail;
	}
	if (store_is_url(a->db_path) && (rc = join_epochs(a, why, cap)) != 0)
		goto fail;
	if ((rc = record_keys_open(&a->keys, a->db_path, a->dd->kek_path, a->dd->epochs_path,
				   keys_why, sizeof keys_why)) != 0) {
		util_why(why, cap, rc, "%s", keys_why);
		goto fail;
	}
	if ((rc = public_keys(&a->public_keys, a->dd)) != 0) {
		util_why(why, cap, rc, "%s: formatting the public keys: %s", cfg->data_dir,
			 ak_strerror(rc));
		goto fail;
	}
	a->issuer.key = a->dd->issuer;
	a->issuer.iss = a->dd->issuer_id;
	a->issuer.kek = a->keys.kek;
	if ((rc = auditlog_open(&a->log, a->db_path, a->dd->log, &cfg->log, &log_why)) != 0) {
		util_why(why, cap, rc, "audit log: %s: %s", ak_strerror(rc),
			 log_why ? log_why : "");
		goto fail;
	}
	if ((a->limits = limits_new(&cfg->limits)) == NULL) {
		rc = util_why(why, cap, AK_ENOMEM, "out of memory");
		goto fail;
	}
	lc = (struct lists_config){a->db_path, a->dd, cfg->skew};
	if ((rc = lists_open(&a->lists, &lc)) != 0) {
		util_why(why, cap, rc, "signing the revocation list: %s", ak_strerror(rc));
		goto fail;
	}
	uc = (struct upkeep_config){a->log, a->limits, cfg->skew, cfg->scan_window};
	if ((rc = upkeep_start(&a->upkeep, &uc)) != 0) {
		util_why(why, cap, rc, "starting the housekeeping thread: %s", ak_strerror(rc));
		goto fail;
	}
	a->rewrap_cfg = (struct rewrap_config){a->log, &a->keys, ROLE_SYSTEM, 0, NULL, NULL};
	if (store_is_url(a->db_path)) {
		a->share_cfg.kek = a->keys.kek;
		a->share_cfg.epochs = a->keys.epochs;
		a->share_cfg.keys = &a->keys;
		a->share_cfg.log = a->log;
		if ((rc = epochshare_start(&a->share, &a->share_cfg)) != 0) {
			util_why(why, cap, rc, "starting the KEK epochs' sharing: %s",
				 ak_strerror(rc));
			goto fail;
		}
		a->keys.lacking = wake_share;
		a->keys.lacking_ctx = a;
	} else if ((rc = rewrap_start(&a->rewrap, &a->rewrap_cfg, cfg->epoch_every)) != 0) {
		util_why(why, cap, rc, "starting the KEK epoch thread: %s", ak_strerror(rc));
		goto fail;
	}
	if ((rc = start_witnessing(a, why, cap)) != 0)
		goto fail;
	*out = a;
	return 0;
fail:
	app_close(a);
	return rc;
}

static void close_readers(app *a)
{
	pthread_mutex_lock(&a->readers_mu);
	for (size_t i = 0; i < a->n_readers; i++)
		store_close(a->readers[i]);
	free(a->readers);
	a->readers = NULL;
	a->n_readers = a->cap_readers = 0;
	pthread_mutex_unlock(&a->readers_mu);
}

void app_close(app *a)
{
	epochshare *share;

	if (a == NULL)
		return;
	atomic_store(&a->stopping, 1);
	witnessing_stop(a->witnessing);
	/* The threads that submit go before the log they submit to. */
	upkeep_stop(a->upkeep);
	rewrap_stop(a->rewrap);
	pthread_mutex_lock(&a->share_mu);
	share = a->share;
	a->share = NULL;
	pthread_mutex_unlock(&a->share_mu);
	epochshare_stop(share);
	lists_close(a->lists);
	auditlog_close(a->log);
	close_readers(a);
	limits_free(a->limits);
	record_keys_close(&a->keys);
	datadir_unlock(a->lock_fd);
	datadir_close(a->dd);
	pthread_mutex_destroy(&a->readers_mu);
	pthread_mutex_destroy(&a->share_mu);
	free(a);
}

/* ------------------------------------------------------------ accessors */

const struct app_config *app_config(const app *a)
{
	return &a->cfg;
}

static __thread store *thread_reader;
static __thread const app *thread_reader_owner;

store *app_reader(app *a)
{
	store *st = NULL;

	if (thread_reader != NULL && thread_reader_owner == a)
		return thread_reader;
	if (store_log_open(&st, a->db_path, STORE_READONLY) != 0)
		return NULL;
	pthread_mutex_lock(&a->readers_mu);
	if (a->n_readers == a->cap_readers) {
		size_t cap = a->cap_readers ? 2 * a->cap_readers : 16;
		/* An array of pointers. */
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		store **grown = realloc(a->readers, cap * sizeof *grown);
		if (grown == NULL) {
			pthread_mutex_unlock(&a->readers_mu);
			store_close(st);
			return NULL;
		}
		a->readers = grown;
		a->cap_readers = cap;
	}
	a->readers[a->n_readers++] = st;
	pthread_mutex_unlock(&a->readers_mu);
	thread_reader = st;
	thread_reader_owner = a;
	return st;
}

auditlog *app_log(app *a)
{
	return a->log;
}

const struct record_keys *app_record_keys(const app *a)
{
	return &a->keys;
}

const struct record_issuer *app_record_issuer(const app *a)
{
	return &a->issuer;
}

const seal_kek *app_kek(const app *a)
{
	return a->keys.kek;
}

const struct trust_list *app_trust(const app *a)
{
	return &a->dd->trust;
}

const struct app_public_keys *app_public_keys(const app *a)
{
	return &a->public_keys;
}

witnessing *app_witnessing(app *a)
{
	return a->witnessing;
}

struct epochshare *app_epochshare(app *a)
{
	return a->share;
}

struct lists *app_lists(app *a)
{
	return a->lists;
}

struct limits *app_limits(app *a)
{
	return a->limits;
}

void app_stop_accepting(app *a)
{
	atomic_store(&a->stopping, 1);
}

int app_stopping(const app *a)
{
	return atomic_load(&a->stopping);
}
