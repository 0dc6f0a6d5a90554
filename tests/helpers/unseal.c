/*
 * unseal: a test helper playing whoever holds a copy of the database and
 * the live folder's keys (the KEK and the epochs file) and tries to read
 * residents from it, through record_open, as the service would.
 *
 *   unseal KEK EPOCHS DB [NAME]
 *
 * Prints "opened N of M": how many residents of DB with a wrapped key
 * open in full (key and every field) under those keys, out of how many
 * have one; with NAME, also "NAME found" or "NAME not found" (the words
 * themselves, not the name): whether one of them opens to that name.
 * Never prints a field. Exit status 0, or 2 when the keys or DB cannot be
 * loaded. DB is opened read-only (a copy with its -wal beside it works:
 * the directory must be writable, for SQLite's -shm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "common/util.h"
#include "crypto/epoch.h"
#include "crypto/seal.h"
#include "log/store_int.h"
#include "service/record.h"

int main(int argc, char **argv)
{
	struct record_keys keys = {NULL, NULL};
	seal_kek *kek = NULL;
	store *st = NULL;
	sqlite3_stmt *q = NULL;
	struct leaf audit;
	unsigned long long opened = 0, keyed = 0;
	int found = 0, rc = AK_EINVAL;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: unseal KEK EPOCHS DB [NAME]\n");
		return 2;
	}
	if (sodium_init() < 0 || (rc = seal_kek_load(&kek, argv[1])) != 0 ||
	    (rc = epoch_open(&keys.epochs, argv[2], kek)) != 0 ||
	    (rc = store_open(&st, argv[3], STORE_READONLY)) != 0) {
		fprintf(stderr, "unseal: the keys or the database: %s\n", ak_strerror(rc));
		return 2;
	}
	keys.kek = kek;
	/* A leaf stands for the audit entry the service would write. */
	leaf_init(&audit, ROLE_OFFICER, 1, ACT_LOOKUP);
	if (sqlite3_prepare_v2(store_sqlite(st),
			       "SELECT id FROM residents WHERE wrapped_key IS NOT NULL ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "unseal: %s\n", store_errmsg(st));
		return 2;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct record_view v;
		keyed++;
		if (record_open(&keys, st, (uint64_t)sqlite3_column_int64(q, 0), &audit, &v) == 0) {
			opened++;
			found |= argc == 5 && strcmp(v.name, argv[4]) == 0;
		}
		record_wipe(&v);
	}
	sqlite3_finalize(q);
	printf("opened %llu of %llu\n", opened, keyed);
	if (argc == 5)
		printf("NAME %s\n", found ? "found" : "not found");
	store_close(st);
	epoch_close(keys.epochs);
	seal_kek_free(kek);
	return 0;
}
