/*
 * schema: the SQLite migrations of schema/NNN_*.sql, compiled in by
 * scripts/embed. schema_migrations[i] brings a database from
 * user_version i to i + 1; the list ends with NULL.
 */
#ifndef ANKANG_SCHEMA_H
#define ANKANG_SCHEMA_H

extern const char *const schema_migrations[];
extern const int schema_version;

#endif
