/*
 * epoch: the epoch keys and their file (format and contract in epoch.h).
 *
 * Invariants: the set holds 1 to EPOCH_MAX epochs, numbers strictly
 * ascending, the last the current one; every key the set holds is one
 * the file on disk holds too (changes go to the file first); the keys
 * live in the set's sodium_malloc'd block and leave it only as a copy
 * into a caller's seal_epochkey, which the caller wipes.
 */
#include "crypto/epoch.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"

#define MAGIC_LEN (sizeof EPOCH_MAGIC - 1)

_Static_assert(EPOCH_B64_LEN == 4 * ((SEAL_WRAPPED_BYTES + 2) / 3), "base64 of a wrapped key");

struct epoch_set {
	pthread_mutex_t mu;
	const seal_kek *kek;
	char path[PATH_MAX];
	size_t n;
	uint64_t limit; /* epoch_set_limit: the newest epoch current may be, 0 none */
	struct epoch_line line[EPOCH_MAX];
	seal_epochkey key[EPOCH_MAX];
};

/* ---------------------------------------------------------------- text */

/* A number as the format writes it: canonical decimal, at most INT64_MAX
 * (the database stores epoch numbers as SQLite integers). */
static int parse_number(const char *s, size_t len, uint64_t *out)
{
	return util_parse_u64(s, len, out) == 0 && *out <= (uint64_t)INT64_MAX ? 0 : AK_EINVAL;
}

/* One line without its "\n": "<number> <created> <wrapped>". */
static int parse_line(const char *s, size_t len, struct epoch_line *l)
{
	const char *sp1 = memchr(s, ' ', len), *sp2;
	size_t got = 0;

	if (sp1 == NULL || (sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - s))) == NULL)
		return AK_EINVAL;
	if (parse_number(s, (size_t)(sp1 - s), &l->number) != 0 || l->number == 0 ||
	    parse_number(sp1 + 1, (size_t)(sp2 - sp1 - 1), &l->created) != 0)
		return AK_EINVAL;
	if (len - (size_t)(sp2 + 1 - s) != EPOCH_B64_LEN ||
	    util_b64_decode(l->wrapped, sizeof l->wrapped, &got, sp2 + 1, EPOCH_B64_LEN) != 0 ||
	    got != sizeof l->wrapped)
		return AK_EINVAL;
	return 0;
}

int epoch_parse(const char *text, size_t len, struct epoch_line *lines, size_t *n)
{
	size_t off, k = 0;

	*n = 0;
	if (len > EPOCH_FILE_MAX || len < MAGIC_LEN + 1 ||
	    memcmp(text, EPOCH_MAGIC "\n", MAGIC_LEN + 1) != 0)
		return AK_EINVAL;
	for (off = MAGIC_LEN + 1; off < len; k++) {
		const char *nl = memchr(text + off, '\n', len - off);
		if (nl == NULL || k == EPOCH_MAX ||
		    parse_line(text + off, (size_t)(nl - text - off), &lines[k]) != 0 ||
		    (k > 0 && lines[k].number <= lines[k - 1].number))
			return AK_EINVAL;
		off = (size_t)(nl - text) + 1;
	}
	if (k == 0)
		return AK_EINVAL;
	*n = k;
	return 0;
}

int epoch_format(char *out, size_t cap, const struct epoch_line *lines, size_t n)
{
	char b64[EPOCH_B64_LEN + 1];
	size_t used;
	int w;

	if (n == 0 || n > EPOCH_MAX)
		return AK_EINVAL;
	w = snprintf(out, cap, "%s\n", EPOCH_MAGIC);
	if (w < 0 || (size_t)w >= cap)
		return AK_ETOOBIG;
	used = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		if (lines[i].number == 0 || lines[i].number > (uint64_t)INT64_MAX ||
		    lines[i].created > (uint64_t)INT64_MAX ||
		    (i > 0 && lines[i].number <= lines[i - 1].number))
			return AK_EINVAL;
		util_b64_encode(b64, lines[i].wrapped, sizeof lines[i].wrapped);
		w = snprintf(out + used, cap - used, "%llu %llu %s\n",
			     (unsigned long long)lines[i].number,
			     (unsigned long long)lines[i].created, b64);
		if (w < 0 || (size_t)w >= cap - used)
			return AK_ETOOBIG;
		used += (size_t)w;
	}
	return (int)used;
}

/* Writes lines[0..n) to path, atomically, 0600. */
static int write_lines(const char *path, const struct epoch_line *lines, size_t n, int excl)
{
	char text[EPOCH_FILE_MAX + 1];
	int len = epoch_format(text, sizeof text, lines, n);

	if (len < 0)
		return len;
	return util_write_file_atomic(path, text, (size_t)len, 0600, excl);
}

int epoch_file_create(const char *path, const seal_kek *k, uint64_t now)
{
	struct epoch_line l;
	seal_epochkey ek;
	int rc;

	seal_epochkey_new(1, &ek);
	l.number = 1;
	l.created = now;
	seal_epochkey_wrap(k, &ek, now, l.wrapped);
	seal_epochkey_wipe(&ek);
	rc = write_lines(path, &l, 1, 1);
	sodium_memzero(&l, sizeof l);
	return rc;
}

/* ----------------------------------------------------------------- set */

int epoch_open(epoch_set **out, const char *path, const seal_kek *k)
{
	char *text = NULL;
	size_t len = 0, n = 0;
	epoch_set *s = NULL;
	int rc;

	*out = NULL;
	if (strlen(path) >= sizeof s->path)
		return AK_ETOOBIG;
	if ((rc = util_read_secret_file(path, EPOCH_FILE_MAX, &text, &len)) != 0)
		return rc == AK_ETOOBIG ? AK_EINVAL : rc;
	rc = AK_ENOMEM;
	if ((s = sodium_malloc(sizeof *s)) == NULL)
		goto fail;
	memset(s, 0, sizeof *s);
	if ((rc = epoch_parse(text, len, s->line, &n)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = seal_epochkey_unwrap(k, s->line[i].number, s->line[i].created,
					       s->line[i].wrapped, &s->key[i])) != 0)
			goto fail;
	s->n = n;
	s->kek = k;
	snprintf(s->path, sizeof s->path, "%s", path);
	pthread_mutex_init(&s->mu, NULL);
	*out = s;
	s = NULL;
	rc = 0;
fail:
	sodium_free(text);
	sodium_free(s); /* wipes */
	return rc;
}

void epoch_close(epoch_set *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	sodium_free(s); /* wipes */
}

/* The current epoch's place: the newest at or below the limit, else the
 * oldest held. Under the lock. */
static size_t current_at(const epoch_set *s)
{
	size_t i = s->n - 1;

	assert(s->n >= 1 && s->n <= EPOCH_MAX);
	while (s->limit != 0 && i > 0 && s->line[i].number > s->limit)
		i--;
	return i;
}

void epoch_current(epoch_set *s, seal_epochkey *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->key[current_at(s)];
	pthread_mutex_unlock(&s->mu);
}

uint64_t epoch_current_number(epoch_set *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->line[current_at(s)].number;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void epoch_set_limit(epoch_set *s, uint64_t number)
{
	pthread_mutex_lock(&s->mu);
	s->limit = number;
	pthread_mutex_unlock(&s->mu);
}

int epoch_key(epoch_set *s, uint64_t number, seal_epochkey *out)
{
	int rc = AK_ENOENT;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++)
		if (s->line[i].number == number) {
			if (out != NULL)
				*out = s->key[i];
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

size_t epoch_list(epoch_set *s, struct epoch_info *out, size_t cap)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->n;
	for (size_t i = 0; i < n && i < cap; i++) {
		out[i].number = s->line[i].number;
		out[i].created = s->line[i].created;
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

int epoch_add(epoch_set *s, uint64_t now, uint64_t *number)
{
	struct epoch_line lines[EPOCH_MAX];
	seal_epochkey ek;
	uint64_t next;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = AK_ETOOBIG;
	if (s->n == EPOCH_MAX)
		goto done;
	rc = AK_EINVAL;
	next = s->line[s->n - 1].number + 1;
	if (next > (uint64_t)INT64_MAX || now > (uint64_t)INT64_MAX)
		goto done;
	memcpy(lines, s->line, s->n * sizeof lines[0]);
	seal_epochkey_new(next, &ek);
	lines[s->n].number = next;
	lines[s->n].created = now;
	seal_epochkey_wrap(s->kek, &ek, now, lines[s->n].wrapped);
	/* Durable before anything is wrapped under it. */
	if ((rc = write_lines(s->path, lines, s->n + 1, 0)) != 0)
		goto done;
	s->line[s->n] = lines[s->n];
	s->key[s->n] = ek;
	s->n++;
	if (number != NULL)
		*number = next;
done:
	seal_epochkey_wipe(&ek);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int epoch_insert(epoch_set *s, const seal_epochkey *ek, uint64_t created)
{
	struct epoch_line lines[EPOCH_MAX];
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = AK_ETOOBIG;
	if (s->n == EPOCH_MAX)
		goto done;
	rc = AK_EINVAL;
	if (ek->number <= s->line[s->n - 1].number || ek->number > (uint64_t)INT64_MAX ||
	    created > (uint64_t)INT64_MAX)
		goto done;
	memcpy(lines, s->line, s->n * sizeof lines[0]);
	lines[s->n].number = ek->number;
	lines[s->n].created = created;
	seal_epochkey_wrap(s->kek, ek, created, lines[s->n].wrapped);
	if ((rc = write_lines(s->path, lines, s->n + 1, 0)) != 0)
		goto done;
	s->line[s->n] = lines[s->n];
	s->key[s->n] = *ek;
	s->n++;
done:
	sodium_memzero(lines, sizeof lines);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int epoch_forget(epoch_set *s, uint64_t number)
{
	struct epoch_line lines[EPOCH_MAX];
	size_t k = 0, m = 0;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = AK_ENOENT;
	while (k < s->n && s->line[k].number != number)
		k++;
	if (k == s->n)
		goto done;
	rc = AK_EINVAL;
	if (s->n == 1)
		goto done; /* never the last epoch */
	for (size_t i = 0; i < s->n; i++)
		if (i != k)
			lines[m++] = s->line[i];
	if ((rc = write_lines(s->path, lines, m, 0)) != 0)
		goto done;
	memmove(s->line + k, s->line + k + 1, (s->n - k - 1) * sizeof s->line[0]);
	memmove(s->key + k, s->key + k + 1, (s->n - k - 1) * sizeof s->key[0]);
	sodium_memzero(s->line + s->n - 1, sizeof s->line[0]);
	sodium_memzero(s->key + s->n - 1, sizeof s->key[0]);
	s->n--;
done:
	sodium_memzero(lines, sizeof lines);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int epoch_drop_below(epoch_set *s, uint64_t number, size_t *dropped)
{
	size_t k = 0;
	int rc = AK_ENOENT;

	if (dropped != NULL)
		*dropped = 0;
	pthread_mutex_lock(&s->mu);
	while (k < s->n && s->line[k].number < number)
		k++;
	if (k == s->n || s->line[k].number != number)
		goto done;
	rc = 0;
	if (k == 0)
		goto done;
	/* Gone from the file first: a crash after this keeps no old key. */
	if ((rc = write_lines(s->path, s->line + k, s->n - k, 0)) != 0)
		goto done;
	memmove(s->line, s->line + k, (s->n - k) * sizeof s->line[0]);
	memmove(s->key, s->key + k, (s->n - k) * sizeof s->key[0]);
	sodium_memzero(s->line + (s->n - k), k * sizeof s->line[0]);
	sodium_memzero(s->key + (s->n - k), k * sizeof s->key[0]);
	s->n -= k;
	if (dropped != NULL)
		*dropped = k;
done:
	pthread_mutex_unlock(&s->mu);
	return rc;
}
