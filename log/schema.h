/*
 * schema: the SQLite migrations of schema/NNN_*.sql, compiled in by
 * scripts/embed. schema_migrations[i] brings a database from
 * user_version i to i + 1; the list ends with NULL. The PostgreSQL
 * migrations of schema/pg/NNN_*.sql likewise, numbered on their own
 * (the version is the row of ankang_schema: log/store_pg.c).
 */
#ifndef ANKANG_SCHEMA_H
#define ANKANG_SCHEMA_H

extern const char *const schema_migrations[];
extern const int schema_version;
extern const char *const schema_pg_migrations[];
extern const int schema_pg_version;

#endif
