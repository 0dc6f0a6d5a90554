/*
 * walkeeper: the audit log's database kept in shape off the writer's
 * path, on a thread and a connection of its own: the WAL copied back into
 * the database file in steps, and the log's index file (store.h,
 * store_log_index) brought up to date in steps. Neither is on the path of
 * a request: the writer's COMMIT syncs the WAL before it returns whether
 * or not this thread ever runs.
 */
#ifndef ANKANG_WALKEEPER_H
#define ANKANG_WALKEEPER_H

#include <stdint.h>

typedef struct walkeeper walkeeper;

/*
 * Opens its own connection on db_path, with the index file attached when
 * it can be (else without: queries then scan), checks the index belongs
 * to this log (store_log_index_check), and starts the thread, which
 * catches the index up at once. AK_EDB when no connection opens, or
 * AK_ENOMEM: then there is no keeper, and the writer's connection should
 * keep SQLite's own WAL checkpoints.
 */
int walkeeper_start(walkeeper **out, const char *db_path, uint64_t log_size);

/* After each of the writer's commits, from its thread: the WAL's length
 * in frames and the log's size. Cheap; wakes the thread only when a step
 * is due. */
void walkeeper_report(walkeeper *w, int wal_frames, uint64_t log_size);

/* PostgreSQL: whether the writer now holds the log's leader lock; only
 * the leader's keeper fills in the indexes. No-op on SQLite (one node)
 * and for NULL. Any thread. */
void walkeeper_lead(walkeeper *w, int leader);

/* Stops the thread (after the step in progress) and closes its
 * connection. Call after the writer has stopped reporting. NULL is a
 * no-op. */
void walkeeper_stop(walkeeper *w);

#endif
