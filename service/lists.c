/*
 * lists: the publisher of the signed trust and revocation lists (see
 * lists.h); GET /v1/trust and GET /v1/revocations serve what it holds.
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

#include "common/bg.h"
#include "common/util.h"
#include "crypto/note.h"
#include "crypto/note_sign.h"
#include "crypto/revoc.h"
#include "service/oplog.h"
#include "service/store_people.h"

/* A published note; pub is what readers see. */
struct note_buf {
	struct lists_note pub;
	atomic_uint refs;
	char text[];
};

struct lists {
	struct lists_config cfg;
	store *db; /* the thread's own read connection */
	char revoc_path[PATH_MAX];

	bg *thread;
	pthread_mutex_t mu;
	struct note_buf *trust, *revoc; /* under mu */
	int stale, stop;
	uint64_t last_sign_ms; /* monotonic */
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
	const key_signer *root = l->cfg.dd->root;
	struct revoc_list r;
	struct collect c = {NULL, 0, 0};
	struct note_buf *b, *old;
	char *text = NULL, *note = NULL;
	size_t tlen, nlen;
	uint64_t now = util_now();
	int rc;

	memset(&r, 0, sizeof r);
	rc = store_revocations(l->db, now > l->cfg.skew ? now - l->cfg.skew : 0, collect_cti, &c);
	/* On PostgreSQL another front-end's batch may have committed a
	 * revocation read here and not flushed it yet: nothing read is
	 * signed before it is durable (store_durable). */
	if (rc != 0 || (rc = store_durable(l->db)) != 0)
		goto done;
	snprintf(r.origin, sizeof r.origin, "%s", l->cfg.dd->origin);
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

/*
 * The publisher's step (common/bg.h): re-signs when a change waited out
 * LISTS_RESIGN_MS, or when LISTS_REFRESH_S passed; then sleeps until the
 * next of those is due.
 */
static uint64_t publisher_step(void *arg)
{
	struct lists *l = arg;
	uint64_t now, wake;
	int due, rc;

	pthread_mutex_lock(&l->mu);
	now = mono_ms();
	due = (l->stale && now >= l->last_sign_ms + LISTS_RESIGN_MS) ||
	      now >= l->last_sign_ms + LISTS_REFRESH_S * 1000u;
	if (due) {
		l->stale = 0;
		pthread_mutex_unlock(&l->mu);
		rc = resign(l);
		if (rc != 0)
			oplog_fault(NULL, NULL, "re-signing the revocation list", rc, NULL);
		pthread_mutex_lock(&l->mu);
		l->last_sign_ms = mono_ms();
	}
	now = mono_ms();
	wake = l->stale ? l->last_sign_ms + LISTS_RESIGN_MS
			: l->last_sign_ms + LISTS_REFRESH_S * 1000u;
	pthread_mutex_unlock(&l->mu);
	return wake > now ? (wake - now) * 1000000u : 0;
}

/* ----------------------------------------------------------------- API */

int lists_open(struct lists **out, const struct lists_config *cfg)
{
	struct lists *l;
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (cfg->dd == NULL || cfg->dd->root == NULL)
		return AK_EINVAL;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return AK_ENOMEM;
	l->cfg = *cfg;
	pthread_mutex_init(&l->mu, NULL);

	if ((rc = datadir_file(cfg->dd, path, sizeof path, "public/trust.note")) != 0 ||
	    (rc = datadir_file(cfg->dd, l->revoc_path, sizeof l->revoc_path,
			       "public/revocations.note")) != 0 ||
	    (rc = util_read_file(path, NOTE_MAX_BYTES, &text, &len)) != 0)
		goto fail;
	l->trust = buf_new(text, len);
	free(text);
	if (l->trust == NULL) {
		rc = AK_ENOMEM;
		goto fail;
	}
	if ((rc = store_open(&l->db, cfg->db_path, STORE_READONLY)) != 0)
		goto fail;
	/* The first list is signed before the service answers anything. */
	if ((rc = resign(l)) != 0)
		goto fail;
	l->last_sign_ms = mono_ms();
	if ((rc = bg_start(&l->thread, "lists", publisher_step, l,
			   (uint64_t)LISTS_REFRESH_S * 1000000000u)) != 0)
		goto fail;
	*out = l;
	return 0;
fail:
	lists_close(l);
	return rc;
}

void lists_close(struct lists *l)
{
	int stale;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	pthread_mutex_unlock(&l->mu);
	bg_stop(l->thread);
	/* A change still waiting for its re-sign is published now. */
	pthread_mutex_lock(&l->mu);
	stale = l->stale;
	pthread_mutex_unlock(&l->mu);
	if (stale && l->db != NULL && resign(l) != 0)
		oplog_note("the last revocation list could not be signed at shutdown");
	store_close(l->db);
	buf_unref(l->trust);
	buf_unref(l->revoc);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void lists_changed(struct lists *l)
{
	int wake;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	wake = !l->stale;
	l->stale = 1;
	pthread_mutex_unlock(&l->mu);
	if (wake)
		bg_wake(l->thread);
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
