/*
 * epochshare: the KEK's epochs on several front-ends that share one
 * PostgreSQL database (docs/MULTINODE.md, "Epoch keys on several nodes";
 * SECURITY.md). On SQLite nothing here runs: one node, one epochs file,
 * service/rewrap.h's thread rotates it.
 *
 * Every node keeps its epochs in its own keys/epochs.key (crypto/epoch.h,
 * wrapped by the KEK), never in the database. The database holds the
 * epochs' metadata only (schema/pg/006_epochs.sql): number, creation
 * time, a check value, and a state: made (the leader holds it), held
 * (every node seen lately holds it); the floor, below which every epoch
 * is destroyed; each node's newest epoch and when it last looked.
 *
 * An epoch passes from the leader to a node through the database, sealed
 * each time to a one-time key:
 *
 *   request  the node makes an X25519 key pair in memory
 *            (crypto_box_keypair) and posts its public key, its name, the
 *            epoch's number and the time, with a MAC under the KEK's
 *            epoch-sharing subkey (seal_share_mac): the database's owner
 *            cannot ask for an epoch.
 *   answer   the leader checks the MAC and seals number, creation time and
 *            key to that public key (crypto_box_seal), with a MAC binding
 *            them and the request's public key: the database's owner
 *            cannot plant an epoch key it knows.
 *   keep     the node opens it, checks the MAC, the number, the time and
 *            the check value, adds the epoch to its file (fsync'd), wipes
 *            the one-time secret key and deletes the request.
 *
 * The order of a rotation, which keeps every row readable on every node:
 *
 *   1. the leader (the node whose own connection holds the advisory lock
 *      "ankang-epochs-v1" of the log's origin) makes epoch n+1, records
 *      it as made (a compare-and-swap on the newest number), and only
 *      then adds it to its file;
 *   2. every node fetches it and says so (epoch_nodes.newest);
 *   3. once every node seen within stale_ms holds it, the leader marks it
 *      held; each node, seeing that, wraps new keys under it
 *      (epoch_set_limit: until then under n);
 *   4. the leader's rewrap (service/rewrap.h) moves every live key to
 *      n+1; in the writer's transaction that finds none left,
 *      epochshare_destroy_ok checks again that every node seen lately
 *      holds n+1 and moves the floor to n+1, and the leader destroys the
 *      older epochs; every other node destroys them when it sees the
 *      floor. A key wrapped under an epoch below the floor is refused by
 *      the database (a trigger), so a node that sealed under n in memory
 *      and commits after the floor moved fails that request (503), and no
 *      committed row is ever under a destroyed epoch.
 *
 * A node unseen for longer than stale_ms does not hold a rotation back;
 * the leader names it in the operator's log, and removes its row once it
 * is unseen for EPOCHSHARE_GONE_MS. When it comes back it lacks
 * the newest epoch, or holds only destroyed ones: it fetches before it
 * serves (epochshare_join at start; a running node stops wrapping under
 * an epoch below the floor at once, and fetches within a second).
 */
#ifndef ANKANG_EPOCHSHARE_H
#define ANKANG_EPOCHSHARE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/epoch.h"
#include "crypto/seal.h"
#include "log/auditlog.h"
#include "log/store.h"
#include "service/record.h"

#define EPOCHSHARE_NODE_MAX 80
/* How often each node looks at the metadata. */
#define EPOCHSHARE_POLL_MS 1000u
/* A node unseen for longer does not hold a rotation back (at most). */
#define EPOCHSHARE_STALE_MS 300000u
/* A node unseen for longer (a machine that crashed and was never brought
 * back) has its row removed by the leader, so that it no longer counts as
 * stale; if it does come back, its next round writes the row again. A
 * day: far above any stale window, so a node merely down for the night
 * is still counted and named. */
#define EPOCHSHARE_GONE_MS 86400000u

struct epochshare_config {
	const char *url;    /* the store (a postgresql:// URL) */
	const char *origin; /* the deployment's origin: names the leader lock */
	const char *node;   /* this node's name (epochshare_node_name) */
	const seal_kek *kek;
	epoch_set *epochs;
	const struct record_keys *keys; /* kek and epochs, for the rotation's steps */
	auditlog *log;                  /* the rotation's steps are its operations */
	uint64_t every_s;  /* rotate when the newest epoch is this old; 0: only when asked */
	uint64_t stale_ms; /* 0: epochshare_stale_ms(every_s) */
};

/* The stale window for a rotation period: a quarter of it, within 5 s
 * and EPOCHSHARE_STALE_MS. */
uint64_t epochshare_stale_ms(uint64_t every_s);

/* This node's name: host name and a hash of the data folder's path, so
 * that two folders on one machine are two nodes. 0 or AK_EINVAL. */
int epochshare_node_name(char out[EPOCHSHARE_NODE_MAX + 1], const char *data_dir);

/*
 * Before a node serves: fetches every epoch the metadata lists that its
 * file lacks, from the leader, and destroys those below the floor, in
 * the file at epochs_path (opened with the KEK at kek_path; c's kek,
 * epochs, keys and log are not used). Waits at most wait_s for answers.
 * 0; or an AK_E* code with a sentence in why (no key, no personal data).
 */
int epochshare_join(const struct epochshare_config *c, const char *kek_path,
		    const char *epochs_path, unsigned wait_s, char *why, size_t cap);

typedef struct epochshare epochshare;

/*
 * Starts the node's thread (one round at once, before returning, so the
 * epochs' limit is set before the node serves). c and what it points to
 * must outlive it. 0, AK_ENOMEM, or the first round's error.
 */
int epochshare_start(epochshare **out, const struct epochshare_config *c);
/* Stops the thread, forgets any one-time key, and removes this node's
 * row (a node stopped cleanly holds no rotation back). NULL: no-op. */
void epochshare_stop(epochshare *w);

/* service/rewrap.h's destroy_ok, ctx an epochshare: AK_EBUSY unless this
 * node leads and every node seen lately holds `current`; then moves the
 * floor on w, in the writer's transaction. */
int epochshare_destroy_ok(void *ctx, store *w, uint64_t current);

/* Runs the next round at once rather than at its time: a request found a
 * key under an epoch this node lacks (record.h's `lacking`). Never
 * blocks. NULL: no-op. */
void epochshare_wake(epochshare *w);

/* Whether this node leads the rotations (for tests and /metrics). */
int epochshare_leading(epochshare *w);

/* What GET /metrics shows, as of the last round. */
struct epochshare_stats {
	int leading;          /* this node leads the rotations */
	int behind;           /* a listed epoch at or above the floor is not held here yet */
	uint64_t current;     /* the epoch new keys are wrapped under here */
	uint64_t floor;       /* the database's floor */
	uint64_t stale_nodes; /* nodes unseen for longer than the stale window */
	uint64_t rounds_failed;
};
void epochshare_stats(epochshare *w, struct epochshare_stats *out);

/*
 * `ankangd keys rotate-epoch` on PostgreSQL. With nodes running (one seen
 * within EPOCHSHARE_STALE_MS), a rotation is theirs: it is asked for
 * (*asked = 1) and the leader runs it at its next round. With none, the
 * command rotates its own folder's file as on SQLite, with
 * epochshare_offline_destroy (ctx: the command's record_keys) as the
 * rewrap's destroy_ok, which moves the floor and lists the new epoch; the
 * other nodes fetch it from this folder's node when they start.
 */
int epochshare_ask_rotation(const char *url, int *asked);
int epochshare_offline_destroy(void *ctx, store *w, uint64_t current);

#endif
