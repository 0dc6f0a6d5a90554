/*
 * datadir: the service's data folder, its layout and its keys.
 *
 *   DIR/                      0700
 *     ankang.conf             origin and issuer id (key = value lines)
 *     ankang.db               the SQLite store (residents, accounts, log)
 *     ankang.db-index         the log's indexes, derived (store.h)
 *     serve.lock              flock'd by the running service (datadir_lock)
 *     keys/                   0700, every file 0600, C2SP key text
 *       root.key              signs trust and revocation lists
 *       log.key               signs audit checkpoints (name = log origin)
 *       issuer-<kid>.key      signs credentials; one per rotation
 *       kek.key               key-encryption key for personal data
 *       epochs.key            the KEK's epoch keys, wrapped by the KEK
 *                             (crypto/epoch.h): never beside a copy of
 *                             ankang.db, which they would open
 *     public/                 0755, what verifiers and auditors may copy
 *       root.vkey log.vkey    verifier keys
 *       trust.note            the signed trust list (source of truth for
 *                             which issuer keys exist and their windows)
 *       revocations.note      the signed revocation list
 *
 * The trust list is the one record of issuer keys: rotating a key adds a
 * line to it and re-signs it, so there is no second list to disagree with.
 */
#ifndef ANKANG_DATADIR_H
#define ANKANG_DATADIR_H

#include <limits.h>
#include <stdint.h>

#include "crypto/cred.h"
#include "crypto/key_secret.h"
#include "crypto/trust.h"

#define DATADIR_CONF "ankang.conf"
#define DATADIR_DB   "ankang.db"
#define DATADIR_LOCK "serve.lock"
/* Beside the KEK's default place, even when the KEK is kept elsewhere:
 * wrapped by the KEK, it is useless without it. */
#define DATADIR_EPOCHS "keys/epochs.key"
/* How long a new issuer key's window runs before it must be rotated. */
#define DATADIR_ISSUER_LIFETIME (5u * 365u * 86400u)

struct datadir {
	char path[PATH_MAX];
	char origin[TRUST_ORIGIN_MAX + 1]; /* deployment origin, "ankang.example" */
	char log_origin[KEY_NAME_MAX + 1]; /* "<origin>/audit": checkpoints, log key */
	char issuer_id[CRED_ISS_MAX + 1];  /* iss claim */
	char kek_path[PATH_MAX];           /* keys/kek.key unless overridden */
	char store[PATH_MAX];              /* ankang.conf's store URL, "" for ankang.db */
	char epochs_path[PATH_MAX];        /* keys/epochs.key */
	key_signer *root;                  /* loaded on request (DATADIR_ROOT) */
	key_signer *log;                   /* DATADIR_LOG */
	key_signer *issuer;                /* the active issuer key, DATADIR_ISSUER */
	struct trust_list trust;           /* parsed public/trust.note, always */
};

/* Which secret keys datadir_open loads (least privilege: only what's used). */
enum {
	DATADIR_ROOT = 1,
	DATADIR_LOG = 2,
	DATADIR_ISSUER = 4
};

/* The issuer id used when `init` is given none: the origin if it fits the
 * iss rule, else "ankang". */
void datadir_default_issuer(char out[CRED_ISS_MAX + 1], const char *origin);

/*
 * Creates a new data folder at path: directories, root/log/issuer keys,
 * the KEK (kek_path, or keys/kek.key when NULL) and the epochs file with
 * the first epoch (keys/epochs.key), public keys, a signed
 * trust list, and ankang.db with its schema and the audit log's first
 * signed checkpoint (size 0). Refuses (AK_EEXIST) if path exists and is
 * not an empty directory. On failure it leaves nothing half-made that a
 * later init would trip on: it removes what it created.
 */
int datadir_create(const char *path, const char *origin, const char *issuer_id,
		   const char *kek_path);
/*
 * The same with the store on PostgreSQL (docs/MULTINODE.md, "The store
 * seam"): store_url, the URL the service's nodes connect with, is
 * written to ankang.conf as `store = URL` instead of making ankang.db;
 * owner_url (NULL: store_url itself) is the database owner's, which
 * runs the migrations once and is not recorded. A URL with a password
 * is refused (store_open_why says so): libpq's password file holds it.
 * A database that already holds a deployment (its KEK check) is refused.
 */
int datadir_create_store(const char *path, const char *origin, const char *issuer_id,
			 const char *kek_path, const char *store_url, const char *owner_url);

/*
 * Opens an existing data folder: checks that the folder is not writable
 * by group or others, that keys/ is a real folder open to the owner
 * alone, and that the database and its companion files are plain files
 * open to the owner alone (AK_EPERM, with a sentence saying what is wrong
 * and how to fix it); reads ankang.conf, verifies public/trust.note
 * against public/root.vkey, and loads the secret keys named in `keys`.
 * kek_path overrides keys/kek.key when not NULL. Returns 0 or an AK_E*
 * code, and then in why (if not NULL) the message for the operator: that
 * sentence, or the file at fault and the error.
 */
int datadir_open(struct datadir **out, const char *path, unsigned keys, const char *kek_path,
		 char *why, size_t cap);

/* Wipes and frees the keys; NULL is a no-op. */
void datadir_close(struct datadir *d);

/* Joins the folder and a relative name into out. AK_ETOOBIG if it won't fit. */
int datadir_file(const struct datadir *d, char *out, size_t cap, const char *rel);
/* Where the store is, for store_open: ankang.conf's store URL, else
 * DIR/ankang.db. AK_ETOOBIG if it won't fit. */
int datadir_db(const struct datadir *d, char *out, size_t cap);
/* 1 when the folder at path holds a finished init's database: the file
 * DIR/ankang.db exists (as anything: opening it is serve's check), or
 * ankang.conf names a PostgreSQL store, which init writes only once that
 * store is made. 0 otherwise. */
int datadir_made(const char *path);

/*
 * Signs and atomically replaces public/trust.note with d->trust (issued
 * set to now). Needs the root key.
 */
int datadir_write_trust(struct datadir *d, uint64_t now);

/*
 * Rotates the issuer key: a new key valid from now, the current one's
 * window closed at now (its codes stay verifiable: verifiers check iat
 * against the window), keys whose window closed more than
 * CRED_MAX_VALIDITY ago dropped from the list. Needs root and issuer.
 */
int datadir_rotate_issuer(struct datadir *d, uint64_t now, uint8_t new_kid[CRED_KID_BYTES]);
/*
 * The same after a compromise (`keys rotate --compromised`; SECURITY.md,
 * "A compromised front-end"): every key the trust list holds is
 * withdrawn from it altogether (the current one, and the older ones too:
 * a folder stolen before an earlier rotation held one of them), so every
 * code signed with them fails, whatever iat it claims: a window closed
 * at now would still take a code backdated into it, for up to
 * CRED_MAX_VALIDITY. *withdrawn (if not NULL) is how many went.
 */
int datadir_withdraw_issuer(struct datadir *d, uint64_t now, uint8_t new_kid[CRED_KID_BYTES],
			    size_t *withdrawn);

/*
 * The service's hold on the folder: an exclusive flock(2) on
 * DIR/serve.lock (created 0600 if missing), taken without waiting. The
 * running service holds it for its lifetime; commands that must not run
 * beside it (keys rotate) take it too. The kernel drops it when the
 * process ends, so a crash leaves no stale lock. Returns 0 with *fd set,
 * AK_EBUSY when another process holds it, AK_EIO.
 */
int datadir_lock(struct datadir *d, int *fd);
/* Releases the lock (closes fd); a negative fd is a no-op. The file stays:
 * removing it would let two processes lock two different files. */
void datadir_unlock(int fd);

#endif
