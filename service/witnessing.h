/*
 * witnessing: the log's side of witness cosigning (C2SP tlog-witness and
 * tlog-cosignature): the audit log's newest checkpoint is sent to every
 * configured witness, and the newest checkpoint that at least a quorum of
 * them cosigned is what the service publishes (GET /log/checkpoint, GET
 * /v1/audit/checkpoint).
 *
 * Threads, none of them in the writer's commit path: a watcher reads the
 * newest stored checkpoint on its own read connection every
 * WITNESSING_POLL_MS, and one worker per witness (its own read connection
 * for consistency proofs, its own HTTP handle with bounded timeouts) sends
 * it `add-checkpoint` with `old` = the size that witness last cosigned and
 * the proof from there. A witness that hangs delays only its own worker.
 *
 * Answers: 200 is kept once its cosignature line verifies with the
 * witness's key (cosig_open); 409 (the witness holds another size) is
 * retried once at once from the witness's size when that is not larger
 * than the checkpoint's, and is a rollback when it is larger (this log is
 * behind what the witness cosigned: never a quorum for it); anything else
 * (unreachable, 4xx, 5xx, 422: a proof the witness refused, a fork) is
 * counted and retried after a backoff that doubles up to
 * WITNESSING_BACKOFF_MAX_MS. The operator's log (oplog.h) says which
 * witness and why, once each time a witness's state changes.
 *
 * Durable state under the data folder's witness/ directory, each file
 * written atomically and read back (and verified) at start:
 *   witness/<hex8 key id>   the checkpoint note that witness last cosigned,
 *                           with its cosignature line: its size is `old`
 *                           for the next request;
 *   witness/cosigned        the newest checkpoint a quorum cosigned, as
 *                           served.
 * A file that does not verify is set aside (start from old 0; the
 * witness's 409 says where it stands), never trusted.
 *
 * At start (witnessing_start) every witness is asked once, in parallel and
 * for at most WITNESSING_START_MS, with the newest stored checkpoint; a
 * witness that has cosigned a larger size (the data folder was rolled
 * back) or that refuses the proof (422: this history is not the one it
 * cosigned) makes the start fail. An unreachable witness is a warning.
 *
 * Never: serve a checkpoint fewer than the quorum cosigned, keep a
 * cosignature that does not verify, or print what a witness answered
 * beyond its status and a size (its body is not trusted).
 */
#ifndef ANKANG_WITNESSING_H
#define ANKANG_WITNESSING_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/cosig.h"
#include "crypto/key.h"

/* A witness's URL prefix at most (add-checkpoint is appended). */
#define WITNESSING_URL_MAX 512
/* How often the watcher looks for a newer stored checkpoint. */
#define WITNESSING_POLL_MS 200
/* One add-checkpoint request at most (connect included). */
#define WITNESSING_TIMEOUT_S 8L
/* The first retry after a failure, doubling up to the second. */
#define WITNESSING_BACKOFF_MS     1000
#define WITNESSING_BACKOFF_MAX_MS 60000
/* How long start-up waits for every witness's first answer. */
#define WITNESSING_START_MS 12000
/* A witness's answer at most: a few signature lines, or a size. */
#define WITNESSING_ANSWER_MAX 16384

struct witnessing_peer {
	struct key_verifier key; /* the cosigner key (cosig.h), id its key id */
	char vkey[KEY_VKEY_MAX + 1];
	char url[WITNESSING_URL_MAX]; /* http(s) prefix, no trailing '/' */
};

struct witnessing_config {
	struct witnessing_peer peers[COSIG_MAX_KEYS];
	size_t n;        /* 0: no witnesses, nothing changes */
	unsigned quorum; /* 1..n; 0 means all of them */
};

/*
 * Parses VKEY@URL (ankangd serve --witness) into p: split at the first
 * '@' (base64 has none); VKEY is a cosigner vkey text or the path of a
 * file holding one (a trailing newline allowed); URL an http:// or
 * https:// prefix without query, fragment, or spaces. Returns 0, or a
 * message for the operator naming what is wrong (never arg itself).
 */
const char *witnessing_peer_parse(struct witnessing_peer *p, const char *arg);

/* The quorum c asks for: c->quorum, or all of them when it is 0. */
unsigned witnessing_quorum(const struct witnessing_config *c);

/*
 * Writes path (the data folder's public/witnesses; FORMATS.md, "The
 * witnesses") atomically: the quorum and every witness's vkey, in order;
 * or removes it when c has none. 0 or an AK_E* code.
 */
int witnessing_publish(const struct witnessing_config *c, const char *path);

/*
 * From a witness's 200 answer ans[0..n) (untrusted: any bytes) on the
 * checkpoint note[0..len) (its text and signature lines, ending in "\n"),
 * the first line that is key's cosignature and verifies, with its "\n"
 * and a NUL, into line. Lines from other keys, and lines that are not
 * signature lines, are ignored; a line from key that does not verify
 * fails the answer. Returns 0, AK_ENOENT (no line from key), AK_ECRYPTO,
 * AK_ENOMEM. Pure.
 */
int witnessing_answer_cosignature(const char *note, size_t len, const struct key_verifier *key,
				  const char *ans, size_t n, char line[COSIG_LINE_MAX]);

typedef struct witnessing witnessing;

struct witnessing_setup {
	const struct witnessing_config *cfg; /* n >= 1; copied */
	const char *db_path;                 /* the audit log's database */
	const char *state_dir;               /* created if missing (0700) */
	const struct key_verifier *log_key;  /* checks every stored note */
};

/*
 * Reads the durable state, starts the threads, asks every witness once
 * (see above) and returns. On failure writes one line into why (cap
 * bytes) naming the witness and the sizes, and returns AK_ECONFLICT (a
 * witness cosigned a larger size, or refused this history), AK_EIO (the
 * state directory), AK_EDB, AK_ENOMEM, AK_EINVAL (a URL httpc refuses).
 */
int witnessing_start(witnessing **out, const struct witnessing_setup *s, char *why, size_t cap);

/* Stops the threads (each within one request's timeout) and frees. NULL
 * is a no-op. */
void witnessing_stop(witnessing *w);

/*
 * The newest checkpoint a quorum cosigned: the log's note as stored, then
 * the cosignature lines, into *note (malloc'd, NUL-terminated; *len
 * without it). 0, AK_ENOENT (none yet), AK_ENOMEM.
 */
int witnessing_served(witnessing *w, char **note, size_t *len);

/* What /metrics shows of one witness. */
struct witnessing_peer_stats {
	const char *name;       /* the witness key's name (the config's) */
	uint64_t cosigned_size; /* of its newest cosignature kept; 0 with none */
	uint64_t failures;      /* attempts that got no cosignature */
	uint64_t conflicts;     /* 409 answers */
	int up;                 /* its last attempt got a cosignature */
};

struct witnessing_stats {
	uint64_t served_size; /* the quorum-cosigned checkpoint served; 0 none */
	int served;           /* one is served */
	uint64_t newest_size; /* the newest stored checkpoint the watcher saw */
	unsigned quorum;
	size_t n;
	struct witnessing_peer_stats peers[COSIG_MAX_KEYS];
};
void witnessing_stats(witnessing *w, struct witnessing_stats *out);

#endif
