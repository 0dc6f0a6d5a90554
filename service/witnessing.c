/*
 * witnessing: asking witnesses to cosign the log's checkpoints, and
 * keeping the newest checkpoint a quorum cosigned (see witnessing.h).
 *
 * One mutex (mu) guards everything the threads share: the target (the
 * newest stored checkpoint, with a generation number the watcher bumps),
 * each peer's last cosignature and counters, and the served note. No
 * thread holds it across a request, a proof or a file write. A worker
 * copies the target and its `old` under the mutex, works unlocked, and
 * records the outcome under it again; the served note is written to its
 * file by whichever worker made it, in order (file_mu and a sequence
 * number, so a slow writer never puts back an older note).
 *
 * All witnesses are sent the same target, so that they cosign the same
 * checkpoint and a quorum forms at once; a witness that was slow (or
 * down) is sent the newest target when it is next tried.
 */
#include "service/witnessing.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/httpc.h"
#include "common/util.h"
#include "crypto/checkpoint.h"
#include "log/proof.h"
#include "log/store.h"
#include "service/oplog.h"

#define SERVED_FILE "cosigned"
/* A state file holds a checkpoint note and signature lines: small. */
#define STATE_FILE_MAX 16384
/* A vkey file (--witness FILE@URL): one line. */
#define VKEY_FILE_MAX 1024
/* C2SP tlog-witness: "The client MUST NOT send more than 63 consistency
 * proof lines." */
#define PROOF_LINES_MAX 63

/* What a witness's last attempt came to; the operator's log says each
 * change once. */
enum peer_state {
	PEER_NONE = 0,    /* not tried yet */
	PEER_UP,          /* it cosigned */
	PEER_UNREACHABLE, /* no answer */
	PEER_REFUSED,     /* an HTTP status other than 200, 409, 422 */
	PEER_CONFLICT,    /* 409 twice, the witness's size moving */
	PEER_FORK,        /* it refused our history from its size */
	PEER_ROLLBACK,    /* it cosigned a larger size than ours */
	PEER_BAD_COSIG,   /* 200 without a cosignature that verifies */
	PEER_LOCAL,       /* our own failure: the proof, memory */
};

struct peer {
	witnessing *w;
	const struct witnessing_peer *cfg;
	pthread_t thread;
	int started;
	httpc *http;
	store *rd; /* for consistency proofs: this worker's own */

	/* Under w->mu. */
	char *note;                /* the checkpoint it last cosigned, as stored */
	char line[COSIG_LINE_MAX]; /* its cosignature line on note */
	uint64_t size;             /* note's tree size */
	uint64_t known;            /* the size to send as old */
	uint64_t done_gen;         /* the target generation it cosigned */
	uint64_t next_try_ns;      /* monotonic; 0: now */
	unsigned backoff_ms;
	uint64_t failures, conflicts;
	enum peer_state state;
	enum peer_state first; /* the outcome of the start-up request */
	uint64_t first_their;  /* with the sizes it named */
	uint64_t first_ours;
};

struct witnessing {
	struct witnessing_config cfg;
	unsigned quorum;
	struct key_verifier log_key;
	char dir[PATH_MAX];
	char db_path[PATH_MAX];

	pthread_mutex_t mu;
	pthread_cond_t cv; /* a new target, a first answer, stop */
	int stop;
	char *target; /* the newest stored checkpoint */
	size_t target_len;
	uint64_t target_size, gen;
	char *served; /* the newest quorum-cosigned note, with the lines */
	size_t served_len;
	uint64_t served_size, served_seq;
	unsigned served_count;
	size_t n_first; /* workers done with their first request */
	int short_said; /* "no quorum" said, and no quorum since */

	pthread_mutex_t file_mu;
	uint64_t written_seq;

	store *watch_rd;
	pthread_t watcher;
	int watcher_started;
	struct peer peers[COSIG_MAX_KEYS];
};

/* --------------------------------------------------------- configuration */

static int url_ok(const char *u, size_t len)
{
	if (len >= WITNESSING_URL_MAX)
		return 0;
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '?' || u[i] == '#')
			return 0;
	return 1;
}

const char *witnessing_peer_parse(struct witnessing_peer *p, const char *arg)
{
	const char *at = strchr(arg, '@');
	char path[PATH_MAX];
	char *text = NULL;
	size_t vlen, ulen, len = 0;
	int rc;

	memset(p, 0, sizeof *p);
	if (at == NULL || at == arg || at[1] == '\0')
		return "--witness must be VKEY@URL (a witness's key, or a file holding it, "
		       "then its URL prefix)";
	vlen = (size_t)(at - arg);
	if (cosig_verifier_parse(&p->key, arg, vlen) != 0) {
		if (vlen >= sizeof path)
			return "--witness: the key is neither a witness vkey nor a file";
		memcpy(path, arg, vlen);
		path[vlen] = '\0';
		rc = util_read_file(path, VKEY_FILE_MAX, &text, &len);
		if (rc != 0)
			return "--witness: the key is neither a witness vkey (name+hex8+base64) "
			       "nor a readable file holding one";
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			len--;
		rc = cosig_verifier_parse(&p->key, text, len);
		free(text);
		if (rc != 0)
			return "--witness: the key file does not hold a witness vkey "
			       "(name+hex8+base64 of 0x04 and the key)";
	}
	if (cosig_verifier_format(p->vkey, sizeof p->vkey, &p->key) < 0)
		return "--witness: the key is too long";
	ulen = strlen(at + 1);
	while (ulen > 0 && at[1 + ulen - 1] == '/')
		ulen--;
	if (!url_ok(at + 1, ulen))
		return "--witness: the URL must be an http:// or https:// prefix without "
		       "spaces, query or fragment";
	memcpy(p->url, at + 1, ulen);
	p->url[ulen] = '\0';
	return NULL;
}

unsigned witnessing_quorum(const struct witnessing_config *c)
{
	return c->quorum != 0 ? c->quorum : (unsigned)c->n;
}

int witnessing_publish(const struct witnessing_config *c, const char *path)
{
	char *text;
	size_t cap = 64 + c->n * (sizeof c->peers[0].vkey + 16), len;
	int rc;

	if (c->n == 0)
		return unlink(path) == 0 || errno == ENOENT ? 0 : AK_EIO;
	if ((text = malloc(cap)) == NULL)
		return AK_ENOMEM;
	len = (size_t)snprintf(text, cap, "ankang/witnesses/v1\nquorum %u\n", witnessing_quorum(c));
	for (size_t i = 0; i < c->n; i++)
		len += (size_t)snprintf(text + len, cap - len, "witness %s\n", c->peers[i].vkey);
	rc = util_write_file_atomic(path, text, len, 0644, 0);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ the state */

static void state_path(const witnessing *w, const struct witnessing_peer *p, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%08x", w->dir, (unsigned)p->key.id);
}

/*
 * A peer's state file: the checkpoint note it cosigned, then its line.
 * Verified with the log key and the witness's key; kept only if both
 * hold. 0, or an AK_E* code (AK_ENOENT: no file yet).
 */
static int load_peer(witnessing *w, struct peer *p)
{
	char path[PATH_MAX + 16];
	struct checkpoint c;
	char *text = NULL;
	size_t len, cut;
	int rc;

	state_path(w, p->cfg, path, sizeof path);
	if ((rc = util_read_file(path, STATE_FILE_MAX, &text, &len)) != 0)
		return rc;
	/* The last line is the witness's; the rest is the note as stored. */
	rc = AK_EINVAL;
	if (len < 2 || text[len - 1] != '\n')
		goto done;
	for (cut = len - 1; cut > 0 && text[cut - 1] != '\n'; cut--)
		;
	if (cut == 0 || len - cut >= sizeof p->line)
		goto done;
	/* The last line itself must be the witness's cosignature on the
	 * rest, not merely some line of the file. */
	if ((rc = witnessing_answer_cosignature(text, cut, &p->cfg->key, text + cut, len - cut,
						p->line)) != 0)
		goto done;
	text[cut] = '\0';
	if ((rc = checkpoint_open(&c, text, cut, &w->log_key)) != 0)
		goto done;
	p->note = text;
	text = NULL;
	p->size = p->known = c.size;
	rc = 0;
done:
	free(text);
	return rc;
}

/* The newest note a quorum cosigned, as served before the restart. */
static int load_served(witnessing *w)
{
	struct key_verifier ws[COSIG_MAX_KEYS];
	char path[PATH_MAX + 16];
	struct checkpoint c;
	char *text = NULL;
	size_t len;
	uint32_t by = 0;
	int rc;

	snprintf(path, sizeof path, "%s/" SERVED_FILE, w->dir);
	if ((rc = util_read_file(path, STATE_FILE_MAX, &text, &len)) != 0)
		return rc;
	for (size_t i = 0; i < w->cfg.n; i++)
		ws[i] = w->cfg.peers[i].key;
	if ((rc = checkpoint_open(&c, text, len, &w->log_key)) != 0 ||
	    (rc = cosig_open(text, len, ws, w->cfg.n, &by, NULL)) != 0) {
		free(text);
		return rc;
	}
	if ((unsigned)__builtin_popcount(by) < w->quorum) {
		free(text);
		return AK_ENOENT; /* the witnesses or the quorum changed */
	}
	w->served = text;
	w->served_len = len;
	w->served_size = c.size;
	w->served_count = (unsigned)__builtin_popcount(by);
	return 0;
}

/* Writes the newest served note to its file, unless a newer one was
 * written already. */
static void write_served(witnessing *w)
{
	char path[PATH_MAX + 16];
	char *copy = NULL;
	size_t len = 0;
	uint64_t seq;
	int rc;

	pthread_mutex_lock(&w->file_mu);
	pthread_mutex_lock(&w->mu);
	seq = w->served_seq;
	if (seq > w->written_seq && (copy = malloc(w->served_len)) != NULL) {
		memcpy(copy, w->served, w->served_len);
		len = w->served_len;
	}
	pthread_mutex_unlock(&w->mu);
	if (copy != NULL) {
		snprintf(path, sizeof path, "%s/" SERVED_FILE, w->dir);
		if ((rc = util_write_file_atomic(path, copy, len, 0644, 0)) != 0)
			oplog_fault(NULL, NULL, "witnessing: keeping the cosigned checkpoint", rc,
				    NULL);
		else
			w->written_seq = seq;
		free(copy);
	}
	pthread_mutex_unlock(&w->file_mu);
}

/* ------------------------------------------------------------ a request */

/* One add-checkpoint and its outcome, worked on without the mutex. */
struct attempt {
	const char *note; /* the target, copied */
	size_t len;
	uint64_t size, gen;
	uint64_t old; /* the size sent as old */

	enum peer_state state;
	long status;
	uint64_t their; /* the witness's size (409), or old (422) */
	unsigned conflicts;
	char line[COSIG_LINE_MAX];
	char what[256]; /* for the operator's log: no witness's words */
	int rc;
};

int witnessing_answer_cosignature(const char *note, size_t len, const struct key_verifier *key,
				  const char *ans, size_t n, char line[COSIG_LINE_MAX])
{
	char *buf;
	size_t start = 0;
	int rc = AK_ENOENT;

	if ((buf = malloc(len + COSIG_LINE_MAX)) == NULL)
		return AK_ENOMEM;
	memcpy(buf, note, len);
	while (start < n && rc == AK_ENOENT) {
		const char *nl = memchr(ans + start, '\n', n - start);
		size_t ll = nl != NULL ? (size_t)(nl - (ans + start)) + 1 : n - start;
		uint32_t by = 0;
		int r;

		/* Each line alone after the note: a line from another key is
		 * ignored (C2SP: the client MUST ignore cosignatures from
		 * unknown keys), and so is one that makes no note. */
		if (nl != NULL && ll < COSIG_LINE_MAX) {
			memcpy(buf + len, ans + start, ll);
			r = cosig_open(buf, len + ll, key, 1, &by, NULL);
			if (r == AK_ECRYPTO)
				rc = AK_ECRYPTO;
			else if (r == 0 && (by & 1)) {
				memcpy(line, ans + start, ll);
				line[ll] = '\0';
				rc = 0;
			}
		}
		start += ll;
	}
	free(buf);
	return rc;
}

/* The 409 answer: the witness's size, decimal and a newline. */
static int parse_size(const char *ans, size_t n, uint64_t *out)
{
	if (n > 0 && ans[n - 1] == '\n')
		n--;
	return util_parse_u64(ans, n, out);
}

/* One POST of add-checkpoint from old; the answer in *ans. */
static int post(struct peer *p, const struct attempt *at, uint64_t old, char **ans, size_t *n)
{
	merkle_hash proof[MERKLE_MAX_PROOF];
	char b64[MERKLE_HASH_BYTES * 2];
	size_t np = 0, cap, len;
	char *body;
	int rc;

	*ans = NULL;
	if (old > 0 && old < at->size &&
	    (rc = proof_consistency(p->rd, old, at->size, proof, &np)) != 0)
		return rc;
	if (np > PROOF_LINES_MAX)
		return AK_ETOOBIG;
	cap = 32 + np * (sizeof b64 + 1) + at->len;
	if ((body = malloc(cap)) == NULL)
		return AK_ENOMEM;
	len = (size_t)snprintf(body, cap, "old %llu\n", (unsigned long long)old);
	for (size_t i = 0; i < np; i++) {
		util_b64_encode(b64, proof[i], MERKLE_HASH_BYTES);
		len += (size_t)snprintf(body + len, cap - len, "%s\n", b64);
	}
	body[len++] = '\n';
	memcpy(body + len, at->note, at->len);
	len += at->len;
	rc = httpc_post_text(p->http, "/add-checkpoint", body, len, WITNESSING_ANSWER_MAX, ans, n);
	free(body);
	return rc;
}

/*
 * Asks the witness to cosign at's note from at->old, following one 409 to
 * the size the witness names. Fills in the outcome.
 */
static void attempt(struct peer *p, struct attempt *at)
{
	uint64_t old = at->old;
	char *ans = NULL;
	size_t n = 0;

	/* A size beyond ours cannot be proved from: old 0 asks the witness
	 * where it stands (its 409 says). */
	if (old > at->size)
		old = 0;
	for (int tries = 0; tries < 2; tries++) {
		int rc;

		free(ans);
		ans = NULL;
		at->old = old;
		rc = post(p, at, old, &ans, &n);
		at->status = httpc_status(p->http);
		if (rc == AK_EIO || rc == AK_ETOOBIG) {
			at->state = PEER_UNREACHABLE;
			snprintf(at->what, sizeof at->what, "%s", httpc_what(p->http));
			break;
		}
		if (rc != 0) {
			at->state = PEER_LOCAL;
			at->rc = rc;
			break;
		}
		if (at->status == 200) {
			rc = witnessing_answer_cosignature(at->note, at->len, &p->cfg->key, ans, n,
							   at->line);
			at->state = rc == 0           ? PEER_UP
				    : rc == AK_ENOMEM ? PEER_LOCAL
						      : PEER_BAD_COSIG;
			at->rc = rc;
			break;
		}
		if (at->status == 422) {
			at->state = PEER_FORK;
			at->their = old;
			break;
		}
		if (at->status != 409) {
			at->state = PEER_REFUSED;
			break;
		}
		at->conflicts++;
		if (parse_size(ans, n, &at->their) != 0) {
			at->state = PEER_REFUSED;
			break;
		}
		if (at->their > at->size) {
			at->state = PEER_ROLLBACK;
			break;
		}
		if (tries == 1) {
			/* Sent from its own size and still a conflict: the same
			 * size with another root (a fork), or it moved. */
			at->state = at->their == old ? PEER_FORK : PEER_CONFLICT;
			break;
		}
		old = at->their;
	}
	free(ans);
}

/* The operator's log line for a peer whose state changed. */
static void say(const struct peer *p, const struct attempt *at)
{
	const char *name = p->cfg->key.name;
	unsigned long long size = at->size, their = at->their;

	switch (at->state) {
	case PEER_UP:
		oplog_note("witness %s cosigned checkpoint %llu", name, size);
		break;
	case PEER_UNREACHABLE:
		oplog_note("witness %s unreachable (%s); retrying with backoff", name, at->what);
		break;
	case PEER_REFUSED:
		oplog_note("witness %s answered HTTP %ld to checkpoint %llu; retrying with "
			   "backoff",
			   name, at->status, size);
		break;
	case PEER_CONFLICT:
		oplog_note("witness %s keeps naming another size (409, now %llu); retrying with "
			   "backoff",
			   name, their);
		break;
	case PEER_FORK:
		oplog_note("witness %s refuses checkpoint %llu as inconsistent with the "
			   "checkpoint of size %llu it cosigned (HTTP %ld): this log's history "
			   "is not the one it saw (a fork?)",
			   name, size, their, at->status);
		break;
	case PEER_ROLLBACK:
		oplog_note("witness %s has cosigned size %llu, larger than this log's newest "
			   "checkpoint %llu: the log was rolled back; no quorum for it",
			   name, their, size);
		break;
	case PEER_BAD_COSIG:
		oplog_note("witness %s answered 200 without a cosignature that verifies with its "
			   "key",
			   name);
		break;
	case PEER_LOCAL:
		oplog_note("witness %s: cannot make the request from size %llu: %s", name,
			   (unsigned long long)at->old, ak_strerror(at->rc));
		break;
	case PEER_NONE:
		break;
	}
}

/* ---------------------------------------------------------- the quorum */

/*
 * Under mu, after peer p cosigned p->note: if a quorum now holds a
 * cosignature on that note and it is newer than the one served (or the
 * same with more cosignatures), it becomes the one served. 1 when it did
 * (the caller writes its file), else 0.
 */
static int update_served(witnessing *w, const struct peer *p)
{
	size_t nlen = strlen(p->note), len = nlen, count = 0;
	char *s;

	for (size_t j = 0; j < w->cfg.n; j++) {
		const struct peer *q = &w->peers[j];
		if (q->note != NULL && strcmp(q->note, p->note) == 0) {
			count++;
			len += strlen(q->line);
		}
	}
	if (count < w->quorum)
		return 0;
	if (w->served != NULL &&
	    !(p->size > w->served_size ||
	      (p->size == w->served_size && count > w->served_count && w->served_len >= nlen &&
	       memcmp(w->served, p->note, nlen) == 0)))
		return 0;
	if ((s = malloc(len + 1)) == NULL)
		return 0; /* the next cosignature tries again */
	memcpy(s, p->note, nlen);
	len = nlen;
	for (size_t j = 0; j < w->cfg.n; j++) {
		const struct peer *q = &w->peers[j];
		if (q->note != NULL && strcmp(q->note, p->note) == 0) {
			size_t ll = strlen(q->line);
			memcpy(s + len, q->line, ll);
			len += ll;
		}
	}
	s[len] = '\0';
	free(w->served);
	w->served = s;
	w->served_len = len;
	w->served_size = p->size;
	w->served_count = (unsigned)count;
	w->served_seq++;
	return 1;
}

/* Writes the peer's state file: the note it cosigned and its line. */
static void keep_peer(witnessing *w, const struct peer *p, const struct attempt *at)
{
	char path[PATH_MAX + 16];
	size_t ll = strlen(at->line);
	char *text;
	int rc;

	if ((text = malloc(at->len + ll)) == NULL)
		return; /* old is then stale after a restart: its 409 corrects it */
	memcpy(text, at->note, at->len);
	memcpy(text + at->len, at->line, ll);
	state_path(w, p->cfg, path, sizeof path);
	if ((rc = util_write_file_atomic(path, text, at->len + ll, 0600, 0)) != 0)
		oplog_fault(NULL, NULL, "witnessing: keeping a witness's state", rc, NULL);
	free(text);
}

/*
 * Under mu, after a witness failed: when fewer witnesses than the quorum
 * are cosigning now, says so once (until a quorum cosigns again), so that
 * the operator sees why the served checkpoint stopped moving.
 */
static void short_of_quorum(witnessing *w)
{
	size_t able = 0;

	for (size_t j = 0; j < w->cfg.n; j++)
		if (w->peers[j].state == PEER_UP || w->peers[j].state == PEER_NONE)
			able++;
	if (able >= w->quorum || w->short_said)
		return;
	w->short_said = 1;
	if (w->served != NULL)
		oplog_note("witnessing: no quorum: %zu of the %zu witnesses cosign, %u needed; "
			   "checkpoints newer than %llu wait (see the witnesses' lines)",
			   able, w->cfg.n, w->quorum, (unsigned long long)w->served_size);
	else
		oplog_note("witnessing: no quorum: %zu of the %zu witnesses cosign, %u needed; "
			   "no checkpoint is served until one has it (see the witnesses' lines)",
			   able, w->cfg.n, w->quorum);
}

/*
 * Under mu: takes the outcome of at (whose note, malloc'd, it keeps or
 * frees). 1 when the served note changed.
 */
static int record(struct peer *p, struct attempt *at, char *note)
{
	witnessing *w = p->w;

	p->conflicts += at->conflicts;
	if (at->state != p->state)
		say(p, at);
	if (p->first == PEER_NONE) {
		p->first = at->state;
		p->first_their = at->their;
		p->first_ours = at->size;
		w->n_first++;
		pthread_cond_broadcast(&w->cv);
	}
	p->state = at->state;
	if (at->state == PEER_UP) {
		free(p->note);
		p->note = note;
		memcpy(p->line, at->line, sizeof p->line);
		p->size = p->known = at->size;
		p->done_gen = at->gen;
		p->backoff_ms = 0;
		p->next_try_ns = 0;
		if (!update_served(w, p))
			return 0;
		if (w->short_said) {
			oplog_note(
			    "witnessing: a quorum cosigned checkpoint %llu again; serving it",
			    (unsigned long long)w->served_size);
			w->short_said = 0;
		}
		return 1;
	}
	free(note);
	short_of_quorum(w);
	p->failures++;
	if (at->conflicts > 0)
		p->known = at->their;
	p->backoff_ms = p->backoff_ms == 0                               ? WITNESSING_BACKOFF_MS
			: p->backoff_ms >= WITNESSING_BACKOFF_MAX_MS / 2 ? WITNESSING_BACKOFF_MAX_MS
									 : p->backoff_ms * 2;
	p->next_try_ns = util_mono_ns() + (uint64_t)p->backoff_ms * 1000000u;
	return 0;
}

/* ------------------------------------------------------------ threads */

/* An absolute CLOCK_MONOTONIC time ns from now (the condition variable's
 * clock). */
static void deadline(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *worker(void *arg)
{
	struct peer *p = arg;
	witnessing *w = p->w;
	struct timespec ts;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		uint64_t now = util_mono_ns();
		struct attempt at;
		char *note;

		if (w->target == NULL || p->done_gen == w->gen) {
			deadline(&ts, 1000000000u);
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			continue;
		}
		if (now < p->next_try_ns) {
			deadline(&ts, p->next_try_ns - now);
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			continue;
		}
		if ((note = malloc(w->target_len + 1)) == NULL) {
			deadline(&ts, 1000000000u);
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			continue;
		}
		memcpy(note, w->target, w->target_len + 1);
		memset(&at, 0, sizeof at);
		at.note = note;
		at.len = w->target_len;
		at.size = w->target_size;
		at.gen = w->gen;
		at.old = p->known;
		pthread_mutex_unlock(&w->mu);

		attempt(p, &at);
		if (at.state == PEER_UP)
			keep_peer(w, p, &at);

		pthread_mutex_lock(&w->mu);
		if (record(p, &at, note)) {
			pthread_mutex_unlock(&w->mu);
			write_served(w);
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The newest stored checkpoint becomes the target when it is newer. */
static void watch_once(witnessing *w)
{
	uint64_t size;
	char *note = NULL;
	size_t len;

	if (store_log_last_checkpoint(w->watch_rd, &size, &note, &len) != 0)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->target == NULL || size > w->target_size) {
		free(w->target);
		w->target = note;
		w->target_len = len;
		w->target_size = size;
		w->gen++;
		note = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	free(note);
}

static void *watcher(void *arg)
{
	witnessing *w = arg;
	struct timespec ts;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		pthread_mutex_unlock(&w->mu);
		watch_once(w);
		pthread_mutex_lock(&w->mu);
		if (w->stop)
			break;
		deadline(&ts, (uint64_t)WITNESSING_POLL_MS * 1000000u);
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* ------------------------------------------------------------ the handle */

/* Opens a peer's connection and HTTP handle, and reads its state. */
static int open_peer(witnessing *w, size_t i, char *why, size_t cap)
{
	struct peer *p = &w->peers[i];
	struct httpc_options ho = {0};
	int rc;

	p->w = w;
	p->cfg = &w->cfg.peers[i];
	ho.url = p->cfg->url;
	ho.timeout_s = WITNESSING_TIMEOUT_S;
	ho.user_agent = "ankangd/1";
	if ((rc = httpc_open(&p->http, &ho)) != 0)
		return util_why(why, cap, rc, "witness %s: its URL: %s", p->cfg->key.name,
				ak_strerror(rc));
	if ((rc = store_log_open(&p->rd, w->db_path, STORE_READONLY)) != 0)
		return util_why(why, cap, rc, "witnessing: opening the log: %s", ak_strerror(rc));
	rc = load_peer(w, p);
	if (rc != 0 && rc != AK_ENOENT)
		oplog_note("witness %s: its state file does not verify (%s); asking it where it "
			   "stands",
			   p->cfg->key.name, ak_strerror(rc));
	return 0;
}

void witnessing_stop(witnessing *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->watcher_started)
		pthread_join(w->watcher, NULL);
	for (size_t i = 0; i < w->cfg.n; i++) {
		struct peer *p = &w->peers[i];
		if (p->started)
			pthread_join(p->thread, NULL);
		httpc_close(p->http);
		store_close(p->rd);
		free(p->note);
	}
	store_close(w->watch_rd);
	free(w->target);
	free(w->served);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->file_mu);
	free(w);
}

/*
 * Waits (bounded) for every witness's answer to the start-up request and
 * says whether one of them contradicts this log: a larger size cosigned,
 * or a refused history. 0, or AK_ECONFLICT with why.
 */
static int first_answers(witnessing *w, char *why, size_t cap)
{
	struct timespec ts;

	deadline(&ts, (uint64_t)WITNESSING_START_MS * 1000000u);
	pthread_mutex_lock(&w->mu);
	while (w->n_first < w->cfg.n)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
			break;
	for (size_t i = 0; i < w->cfg.n; i++) {
		const struct peer *p = &w->peers[i];
		unsigned long long their = p->first_their, ours = p->first_ours;
		if (p->first == PEER_ROLLBACK) {
			util_why(why, cap, 0,
				 "witness %s has cosigned the log at size %llu, but the newest "
				 "checkpoint here is %llu: this data folder was rolled back "
				 "(restore the newer one)",
				 p->cfg->key.name, their, ours);
			pthread_mutex_unlock(&w->mu);
			return AK_ECONFLICT;
		}
		if (p->first == PEER_FORK) {
			util_why(
			    why, cap, 0,
			    "witness %s refuses this log's checkpoint %llu as inconsistent "
			    "with the one of size %llu it cosigned: this data folder's history "
			    "is not the one the witness saw",
			    p->cfg->key.name, ours, their);
			pthread_mutex_unlock(&w->mu);
			return AK_ECONFLICT;
		}
		if (p->first == PEER_NONE)
			oplog_note(
			    "witness %s did not answer within %d s at start; serving without "
			    "its word for now",
			    p->cfg->key.name, WITNESSING_START_MS / 1000);
	}
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int witnessing_start(witnessing **out, const struct witnessing_setup *s, char *why, size_t cap)
{
	pthread_condattr_t ca;
	witnessing *w;
	int rc;

	*out = NULL;
	why[0] = '\0';
	if ((w = calloc(1, sizeof *w)) == NULL)
		return util_why(why, cap, AK_ENOMEM, "out of memory");
	w->cfg = *s->cfg;
	w->quorum = witnessing_quorum(&w->cfg);
	w->log_key = *s->log_key;
	snprintf(w->dir, sizeof w->dir, "%s", s->state_dir);
	snprintf(w->db_path, sizeof w->db_path, "%s", s->db_path);
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->file_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);

	if ((rc = util_mkdir_p(w->dir, 0700)) != 0) {
		util_why(why, cap, rc, "%s: %s", w->dir, ak_strerror(rc));
		goto fail;
	}
	if ((rc = store_log_open(&w->watch_rd, w->db_path, STORE_READONLY)) != 0) {
		util_why(why, cap, rc, "witnessing: opening the log: %s", ak_strerror(rc));
		goto fail;
	}
	rc = load_served(w);
	if (rc != 0 && rc != AK_ENOENT)
		oplog_note("witnessing: the cosigned checkpoint kept does not verify (%s); "
			   "serving none until a quorum cosigns again",
			   ak_strerror(rc));
	for (size_t i = 0; i < w->cfg.n; i++)
		if ((rc = open_peer(w, i, why, cap)) != 0)
			goto fail;
	watch_once(w);
	if (w->served != NULL && w->served_size > w->target_size) {
		/* Kept from a newer log than this one: the start-up request
		 * finds out which witness says so. */
		free(w->served);
		w->served = NULL;
		w->served_size = 0;
	}
	if ((rc = pthread_create(&w->watcher, NULL, watcher, w)) != 0) {
		rc = util_why(why, cap, AK_ENOMEM, "witnessing: cannot start a thread");
		goto fail;
	}
	w->watcher_started = 1;
	for (size_t i = 0; i < w->cfg.n; i++) {
		if (pthread_create(&w->peers[i].thread, NULL, worker, &w->peers[i]) != 0) {
			rc = util_why(why, cap, AK_ENOMEM, "witnessing: cannot start a thread");
			goto fail;
		}
		w->peers[i].started = 1;
	}
	if ((rc = first_answers(w, why, cap)) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	witnessing_stop(w);
	return rc;
}

int witnessing_served(witnessing *w, char **note, size_t *len)
{
	int rc = AK_ENOENT;

	*note = NULL;
	*len = 0;
	pthread_mutex_lock(&w->mu);
	if (w->served != NULL) {
		rc = AK_ENOMEM;
		if ((*note = malloc(w->served_len + 1)) != NULL) {
			memcpy(*note, w->served, w->served_len);
			(*note)[w->served_len] = '\0';
			*len = w->served_len;
			rc = 0;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void witnessing_stats(witnessing *w, struct witnessing_stats *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&w->mu);
	out->served = w->served != NULL;
	out->served_size = w->served_size;
	out->newest_size = w->target_size;
	out->n = w->cfg.n;
	out->quorum = w->quorum;
	for (size_t i = 0; i < w->cfg.n; i++) {
		const struct peer *p = &w->peers[i];
		out->peers[i].name = w->cfg.peers[i].key.name;
		out->peers[i].cosigned_size = p->note != NULL ? p->size : 0;
		out->peers[i].failures = p->failures;
		out->peers[i].conflicts = p->conflicts;
		out->peers[i].up = p->state == PEER_UP;
	}
	pthread_mutex_unlock(&w->mu);
}
