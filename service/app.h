/*
 * app: the running service's core, everything `ankangd serve` holds that
 * is not HTTP: the data folder and its keys, the KEK, the audit log, the
 * published lists, the rate limits, the housekeeping thread and the
 * per-thread read connections. An opaque handle, opened and closed as a
 * pair; what a request may use of it is reached through the narrow
 * accessors below, each named for what it gives.
 *
 * Order of opening: the data folder (root, log and issuer keys), its lock
 * (one service per folder), the KEK and its epoch keys, checked against
 * the database's check value and the epochs its keys are under, the audit
 * log (its self-check), the lists, the limits, the housekeeping, the
 * KEK epoch rotations (service/rewrap.h), the witnesses' cosigning
 * (service/witnessing.h: its start-up check that no witness has seen a
 * newer log than this one can refuse the start). Closing goes the other way; the log signs its
 * final checkpoint. The HTTP layer (service/http/) runs on top of an open app and must be stopped
 * before it is closed.
 */
#ifndef ANKANG_APP_H
#define ANKANG_APP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "crypto/trust.h"
#include "log/auditlog.h"
#include "log/store.h"
#include "service/authz.h"
#include "service/limits.h"
#include "service/record.h"
#include "service/witnessing.h"

#define APP_DEFAULT_CODE_TTL    300
#define APP_DEFAULT_SCAN_WINDOW (7u * 86400u)

typedef struct app app;

struct app_config {
	char data_dir[PATH_MAX];
	const char *kek_file;     /* NULL: from ankang.conf or DIR/keys/kek.key */
	unsigned code_ttl;        /* seconds a resident's code lives */
	unsigned skew;            /* clock skew allowed in verification */
	unsigned session_ttl;     /* seconds a resident's log-in lasts */
	unsigned scan_window;     /* seconds after a code expires that scans of it are accepted */
	uint64_t epoch_every;     /* seconds between KEK epoch rotations (0: none on a schedule) */
	unsigned epoch_stale;     /* PostgreSQL: seconds after which an unseen node does not hold a
				     rotation back (0: epochshare_stale_ms of epoch_every) */
	unsigned appeal_deadline; /* seconds within which an appeal is owed an answer */
	struct authz_config authz;
	struct limits_config limits;
	struct auditlog_config log;
	/* The witnesses that cosign the log's checkpoints (none: the newest
	 * signed checkpoint is served, as without witnessing). */
	struct witnessing_config witnesses;
};

/* Fills in the defaults (data_dir empty). */
void app_config_default(struct app_config *c);

/*
 * Opens the service's core for cfg (copied). On failure returns an AK_E*
 * code and writes one line into why (cap bytes) naming what failed, for
 * the operator: a file, a check, never personal data. AK_EBUSY: another
 * service holds the data folder.
 */
int app_open(app **out, const struct app_config *cfg, char *why, size_t cap);

/* Stops the threads, closes the log (final checkpoint) and wipes the
 * keys. NULL is a no-op. */
void app_close(app *a);

const struct app_config *app_config(const app *a);

/* This thread's read connection (opened on first use, with the log's
 * index file); NULL if it cannot be opened. */
store *app_reader(app *a);

/* The audit log, for submitting operations and reading its head. */
auditlog *app_log(app *a);

/* What record.c needs to open and seal records, and to sign codes. */
const struct record_keys *app_record_keys(const app *a);
const struct record_issuer *app_record_issuer(const app *a);

/* The KEK, for blind indexes and pseudonyms (seal.h). */
const seal_kek *app_kek(const app *a);

/* The trust list the service signs under: its issuer keys verify codes. */
const struct trust_list *app_trust(const app *a);

/*
 * What a browser pins on first use (GET /v1/keys): the deployment's
 * origin and the verifier key texts (FORMAT.md 2) of the root key, which
 * signs the trust and revocation lists, and of the log key, which signs
 * checkpoints. Formatted once at open: public, nothing secret.
 */
struct app_public_keys {
	char origin[TRUST_ORIGIN_MAX + 1];
	char root[KEY_VKEY_MAX + 1];
	char log[KEY_VKEY_MAX + 1];
};
const struct app_public_keys *app_public_keys(const app *a);

/* The witnesses' cosigning (witnessing.h), or NULL when none are
 * configured. */
witnessing *app_witnessing(app *a);

struct lists *app_lists(app *a);
/* The epochs shared between nodes (service/epochshare.h), or NULL on
 * SQLite. */
struct epochshare *app_epochshare(app *a);
struct limits *app_limits(app *a);

/* The service is shutting down: new audited requests are refused. */
void app_stop_accepting(app *a);
int app_stopping(const app *a);

#endif
