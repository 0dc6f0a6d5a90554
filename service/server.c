/*
 * server: the shared state's helpers (see server.h).
 *
 * Read connections: each server thread opens its own on first use and
 * keeps it for its life (SQLite connections are cheap to keep and costly
 * to open: schema parse, statement preparation). All are recorded so that
 * shutdown can close them after the threads are gone.
 */
#include "service/server.h"

#include <stdlib.h>

#include "common/util.h"

static __thread store *thread_reader;
static __thread const struct server *thread_reader_owner;

store *server_reader(struct server *s)
{
	store *st = NULL;

	if (thread_reader != NULL && thread_reader_owner == s)
		return thread_reader;
	if (store_log_open(&st, s->db_path, STORE_READONLY) != 0)
		return NULL;
	pthread_mutex_lock(&s->readers_mu);
	if (s->n_readers == s->cap_readers) {
		size_t cap = s->cap_readers ? 2 * s->cap_readers : 16;
		store **grown = realloc(s->readers, cap * sizeof *grown);
		if (grown == NULL) {
			pthread_mutex_unlock(&s->readers_mu);
			store_close(st);
			return NULL;
		}
		s->readers = grown;
		s->cap_readers = cap;
	}
	s->readers[s->n_readers++] = st;
	pthread_mutex_unlock(&s->readers_mu);
	thread_reader = st;
	thread_reader_owner = s;
	return st;
}

void server_close_readers(struct server *s)
{
	pthread_mutex_lock(&s->readers_mu);
	for (size_t i = 0; i < s->n_readers; i++)
		store_close(s->readers[i]);
	free(s->readers);
	s->readers = NULL;
	s->n_readers = s->cap_readers = 0;
	pthread_mutex_unlock(&s->readers_mu);
}

void server_pseudonym(const struct server *s, uint64_t resident_id,
		      uint8_t out[SEAL_PSEUDONYM_BYTES])
{
	seal_pseudonym(s->kek, out, resident_id);
}
