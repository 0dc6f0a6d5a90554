/*
 * lists: the publisher of the signed trust and revocation lists (see
 * lists.h), and their endpoints GET /v1/trust and GET /v1/revocations.
 *
 * The trust note is the data folder's public/trust.note, read once at
 * open (it changes only through `ankangd keys rotate`, which cannot run
 * beside the service). The revocation note is built by this file's
 * thread: the revoked ctis still acceptable somewhere (exp >= now - skew)
 * read from the store on the thread's own read connection, formatted
 * (revoc_format), signed with the root key (note_sign), swapped in, and
 * written to public/revocations.note atomically for verifiers that copy
 * files.
 *
 * When the thread re-signs:
 *   - after lists_changed(), at most once per LISTS_RESIGN_MS: the first
 *     change after a quiet second is signed at once, later ones wait for
 *     the second to pass, so a burst of status changes costs one
 *     signature a second and no revocation waits more than a second;
 *   - every LISTS_REFRESH_S regardless, so `issued` stays fresh and
 *     expired entries fall off;
 *   - on lists_resign_now(), which waits for a re-sign that began after it
 *     was called;
 *   - once more at close, if a change is still pending.
 *
 * Readers never wait for a signature: each note is a reference-counted
 * buffer, and the mutex is held only to swap or take a reference. A
 * reader holding an old note keeps it valid until it releases it.
 *
 * Never: sign anything but revoc_format's text, or hold the mutex while
 * reading the store or signing.
 */
#include "service/lists.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "crypto/note.h"
#include "crypto/note_sign.h"
#include "crypto/revoc.h"
#include "service/routes.h"
#include "service/server.h"
#include "service/store_people.h"

/* A published note; pub is what readers see. */
struct note_buf {
	struct lists_note pub;
	atomic_uint refs;
	char text[];
};

struct lists {
	struct server *srv;
	store *db; /* the thread's own read connection */
	char revoc_path[PATH_MAX];

	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* wakes the thread; CLOCK_MONOTONIC */
	pthread_cond_t done_cv;
	struct note_buf *trust, *revoc; /* under mu */
	int stale, stop;
	uint64_t last_sign_ms; /* monotonic */
	uint64_t asked, done;  /* lists_resign_now generations */
	int last_rc;
};

static uint64_t mono_ms(void)
{
	return util_mono_ns() / 1000000u;
}

static struct note_buf *buf_new(const char *text, size_t len)
{
	struct note_buf *b = malloc(sizeof *b + len + 1);

	if (b == NULL)
		return NULL;
	memcpy(b->text, text, len);
	b->text[len] = '\0';
	b->pub.text = b->text;
	b->pub.len = len;
	atomic_init(&b->refs, 1);
	return b;
}

static void buf_unref(struct note_buf *b)
{
	if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

/* ------------------------------------------------------------- signing */

struct collect {
	uint8_t (*cti)[CRED_CTI_BYTES];
	size_t n, cap;
};

static int collect_cti(void *ctx, const uint8_t cti[CRED_CTI_BYTES])
{
	struct collect *c = ctx;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		void *grown;
		if (cap > REVOC_MAX_ENTRIES)
			return AK_ETOOBIG;
		if ((grown = realloc(c->cti, cap * sizeof *c->cti)) == NULL)
			return AK_ENOMEM;
		c->cti = grown;
		c->cap = cap;
	}
	memcpy(c->cti[c->n++], cti, CRED_CTI_BYTES);
	return 0;
}

/* Builds, signs, publishes and writes a fresh revocation note. */
static int resign(struct lists *l)
{
	struct server *srv = l->srv;
	const key_signer *root = srv->dd->root;
	struct revoc_list r;
	struct collect c = {NULL, 0, 0};
	struct note_buf *b, *old;
	char *text = NULL, *note = NULL;
	size_t tlen, nlen;
	uint64_t now = util_now();
	int rc;

	memset(&r, 0, sizeof r);
	rc = store_revocations(l->db, now > srv->cfg.skew ? now - srv->cfg.skew : 0, collect_cti,
			       &c);
	if (rc != 0)
		goto done;
	snprintf(r.origin, sizeof r.origin, "%s", srv->dd->origin);
	r.issued = now;
	r.cti = c.cti;
	r.n = c.n;
	c.cti = NULL;
	revoc_normalise(&r); /* the store's order already; cheap to be sure */
	if ((rc = revoc_format(&text, &tlen, &r)) != 0 ||
	    (rc = note_sign(&note, &nlen, text, tlen, &root, 1)) != 0)
		goto done;
	if ((b = buf_new(note, nlen)) == NULL) {
		rc = AK_ENOMEM;
		goto done;
	}
	pthread_mutex_lock(&l->mu);
	old = l->revoc;
	l->revoc = b;
	pthread_mutex_unlock(&l->mu);
	buf_unref(old);
	/* Served already; the file is for verifiers that copy the folder. */
	rc = util_write_file_atomic(l->revoc_path, note, nlen, 0644, 0);
done:
	free(c.cti);
	revoc_free(&r);
	free(text);
	free(note);
	return rc;
}

/* ------------------------------------------------------------- thread */

static void deadline(struct timespec *ts, uint64_t wake_ms)
{
	uint64_t now = mono_ms(), wait = wake_ms > now ? wake_ms - now : 0;

	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(wait / 1000);
	ts->tv_nsec += (long)(wait % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *publisher(void *arg)
{
	struct lists *l = arg;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		uint64_t now = mono_ms(), wake;
		int due = l->asked > l->done ||
			  (l->stale && now >= l->last_sign_ms + LISTS_RESIGN_MS) ||
			  now >= l->last_sign_ms + LISTS_REFRESH_S * 1000u || (l->stop && l->stale);

		if (due) {
			uint64_t gen = l->asked;
			int rc;
			l->stale = 0;
			pthread_mutex_unlock(&l->mu);
			rc = resign(l);
			if (rc != 0)
				fprintf(stderr, "ankangd: re-signing the revocation list: %s\n",
					ak_strerror(rc));
			pthread_mutex_lock(&l->mu);
			l->last_sign_ms = mono_ms();
			l->last_rc = rc;
			l->done = gen;
			pthread_cond_broadcast(&l->done_cv);
			continue;
		}
		if (l->stop)
			break;
		wake = l->stale ? l->last_sign_ms + LISTS_RESIGN_MS
				: l->last_sign_ms + LISTS_REFRESH_S * 1000u;
		struct timespec ts;
		deadline(&ts, wake);
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_cond_broadcast(&l->done_cv);
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* ----------------------------------------------------------------- API */

int lists_open(struct lists **out, struct server *srv)
{
	struct lists *l;
	pthread_condattr_t ca;
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (srv->dd == NULL || srv->dd->root == NULL)
		return AK_EINVAL;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return AK_ENOMEM;
	l->srv = srv;
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_cond_init(&l->done_cv, &ca);
	pthread_condattr_destroy(&ca);

	if ((rc = datadir_file(srv->dd, path, sizeof path, "public/trust.note")) != 0 ||
	    (rc = datadir_file(srv->dd, l->revoc_path, sizeof l->revoc_path,
			       "public/revocations.note")) != 0 ||
	    (rc = util_read_file(path, NOTE_MAX_BYTES, &text, &len)) != 0)
		goto fail;
	l->trust = buf_new(text, len);
	free(text);
	if (l->trust == NULL) {
		rc = AK_ENOMEM;
		goto fail;
	}
	if ((rc = store_open(&l->db, srv->db_path, STORE_READONLY)) != 0)
		goto fail;
	/* The first list is signed before the service answers anything. */
	if ((rc = resign(l)) != 0)
		goto fail;
	l->last_sign_ms = mono_ms();
	if (pthread_create(&l->thread, NULL, publisher, l) != 0) {
		rc = AK_ENOMEM;
		goto fail;
	}
	l->started = 1;
	*out = l;
	return 0;
fail:
	lists_close(l);
	return rc;
}

void lists_close(struct lists *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
	}
	store_close(l->db);
	buf_unref(l->trust);
	buf_unref(l->revoc);
	pthread_cond_destroy(&l->cv);
	pthread_cond_destroy(&l->done_cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void lists_changed(struct lists *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	if (!l->stale) {
		l->stale = 1;
		pthread_cond_signal(&l->cv);
	}
	pthread_mutex_unlock(&l->mu);
}

int lists_resign_now(struct lists *l)
{
	uint64_t gen;
	int rc;

	if (l == NULL)
		return AK_EINVAL;
	pthread_mutex_lock(&l->mu);
	if (l->stop) {
		pthread_mutex_unlock(&l->mu);
		return AK_EBUSY;
	}
	gen = ++l->asked;
	pthread_cond_signal(&l->cv);
	while (l->done < gen && !l->stop)
		pthread_cond_wait(&l->done_cv, &l->mu);
	rc = l->done >= gen ? l->last_rc : AK_EBUSY;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static const struct lists_note *take(struct lists *l, struct note_buf **slot)
{
	struct note_buf *b;

	pthread_mutex_lock(&l->mu);
	b = *slot;
	if (b != NULL)
		atomic_fetch_add(&b->refs, 1);
	pthread_mutex_unlock(&l->mu);
	return b ? &b->pub : NULL;
}

const struct lists_note *lists_trust(struct lists *l)
{
	return l ? take(l, &l->trust) : NULL;
}

const struct lists_note *lists_revocations(struct lists *l)
{
	return l ? take(l, &l->revoc) : NULL;
}

void lists_release(struct lists *l, const struct lists_note *n)
{
	(void)l;
	if (n != NULL)
		buf_unref((struct note_buf *)((char *)n - offsetof(struct note_buf, pub)));
}

/* ------------------------------------------------------------ handlers */

static int serve_note(struct http_request *rq, const struct lists_note *n)
{
	int rc;

	if (n == NULL)
		return http_error(rq, 503, "unavailable", "The list is not available yet.");
	rc = http_reply(rq, 200, "text/plain; charset=utf-8", n->text, n->len);
	lists_release(rq->srv->lists, n);
	return rc;
}

int h_trust(struct http_request *rq)
{
	return serve_note(rq, lists_trust(rq->srv->lists));
}

int h_revocations(struct http_request *rq)
{
	return serve_note(rq, lists_revocations(rq->srv->lists));
}
