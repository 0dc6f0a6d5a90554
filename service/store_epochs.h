/*
 * store_epochs: the statements over the epoch tables of a PostgreSQL
 * store (schema/pg/006_epochs.sql), for service/epochshare.c. They hold
 * metadata, one-time public keys, MACs and sealed boxes: never an epoch
 * key in a form any key that lives on opens. PostgreSQL only: on SQLite
 * they fail with AK_EDB (there are no such tables; one node needs none).
 */
#ifndef ANKANG_STORE_EPOCHS_H
#define ANKANG_STORE_EPOCHS_H

#include <stddef.h>
#include <stdint.h>

#include "log/store.h"

#define STORE_EPOCH_CHECK_BYTES  32
#define STORE_EPOCH_REQ_BYTES    64  /* public key || MAC */
#define STORE_EPOCH_ANSWER_BYTES 128 /* sealed box || MAC */
#define STORE_EPOCH_NODE_MAX     80

/* One row of epochs: a live epoch at or above the floor. */
struct store_epoch {
	uint64_t number, created;
	uint8_t check[STORE_EPOCH_CHECK_BYTES];
	int held; /* every node seen lately holds it ('held'), else 'made' */
};

/* The floor and whether a rotation was asked for. */
int store_epochs_state(store *s, uint64_t *floor, int *rotate_asked);
/* The epochs, oldest first, into out[0..*n) (at most cap). */
int store_epochs_list(store *s, struct store_epoch *out, size_t cap, size_t *n);
/* Adds e if the newest listed epoch is `after` (0: none listed), else
 * AK_ECONFLICT: another leader added one. */
int store_epochs_add(store *s, const struct store_epoch *e, uint64_t after);
/* 'made' to 'held'. AK_ENOENT when it is not (any longer) 'made'. */
int store_epochs_set_held(store *s, uint64_t number);
/* Removes a 'made' epoch no node says it holds (its maker died before it
 * kept it). AK_ENOENT when it is held by a node, or gone. */
int store_epochs_drop_orphan(store *s, uint64_t number);
/* Moves the floor up to `floor` and removes the epochs below it: in the
 * writer's transaction that finds no key left under them. */
int store_epochs_floor(store *s, uint64_t floor);
/* Sets or clears the operator's request for a rotation. */
int store_epochs_ask(store *s, int asked);

/* Records that node holds epochs up to newest, seen at now_ms. */
int store_epochs_node_seen(store *s, const char *node, uint64_t newest, uint64_t now_ms);
/* Removes node's row (it stopped cleanly). */
int store_epochs_node_leave(store *s, const char *node);
/* Removes the rows of the nodes last seen before before_ms (gone for
 * good); *removed (may be NULL) receives how many. */
int store_epochs_nodes_purge(store *s, uint64_t before_ms, uint64_t *removed);
/* How many nodes seen at or after since_ms hold no epoch as new as
 * number (*lagging), and how many were last seen before since_ms
 * (*stale). */
int store_epochs_nodes(store *s, uint64_t number, uint64_t since_ms, uint64_t *lagging,
		       uint64_t *stale);

/* Posts a request; *id gets its row's id. */
int store_epochs_request_add(store *s, const char *node, uint64_t number, uint64_t made,
			     const uint8_t req[STORE_EPOCH_REQ_BYTES], uint64_t *id);
/* The answer to request id: 0 with *answered set (out filled when 1),
 * AK_ENOENT when the row is gone. */
int store_epochs_request_answer(store *s, uint64_t id, int *answered,
				uint8_t out[STORE_EPOCH_ANSWER_BYTES]);
int store_epochs_request_delete(store *s, uint64_t id);
/* The unanswered requests, oldest first, at most limit. */
struct store_epoch_request {
	uint64_t id, number, made;
	char node[STORE_EPOCH_NODE_MAX + 1];
	uint8_t req[STORE_EPOCH_REQ_BYTES];
};
int store_epochs_requests_open(store *s, struct store_epoch_request *out, size_t cap, size_t *n);
/* Writes the answer to request id, if it has none yet. */
int store_epochs_request_put(store *s, uint64_t id, const uint8_t answer[STORE_EPOCH_ANSWER_BYTES]);
/* Removes requests made before before_ms (unix seconds * 1000). */
int store_epochs_requests_purge(store *s, uint64_t before_ms);

/* Whether this connection holds, or now takes, the advisory lock (k1,
 * k2) (two positive 31-bit numbers); asked again, it does not stack. */
int store_epochs_lock_try(store *s, uint32_t k1, uint32_t k2, int *held);

#endif
