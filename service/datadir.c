/*
 * datadir: creating and opening the service's data folder (layout in
 * datadir.h).
 *
 * Invariants: every secret file is written 0600 through an atomic rename
 * and refused on load when group or others may read it; the signed trust
 * list is checked against the root verifier key every time the folder is
 * opened, so a hand-edited list is noticed before anything is signed.
 */
#include "service/datadir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/epoch.h"
#include "crypto/note_sign.h"
#include "log/auditlog.h"
#include "crypto/revoc.h"
#include "crypto/seal.h"
#include "service/record.h"

#define CONF_MAX 4096

void datadir_default_issuer(char out[CRED_ISS_MAX + 1], const char *origin)
{
	size_t n = strlen(origin);
	int ok = n >= 1 && n <= CRED_ISS_MAX;

	for (size_t i = 0; ok && i < n; i++) {
		char c = origin[i];
		ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '-';
	}
	snprintf(out, CRED_ISS_MAX + 1, "%s", ok ? origin : "ankang");
}

int datadir_file(const struct datadir *d, char *out, size_t cap, const char *rel)
{
	int n = snprintf(out, cap, "%s/%s", d->path, rel);
	return n < 0 || (size_t)n >= cap ? AK_ETOOBIG : 0;
}

int datadir_db(const struct datadir *d, char *out, size_t cap)
{
	int n;

	if (d->store[0] == '\0')
		return datadir_file(d, out, cap, DATADIR_DB);
	n = snprintf(out, cap, "%s", d->store);
	return n < 0 || (size_t)n >= cap ? AK_ETOOBIG : 0;
}

static int issuer_key_file(const struct datadir *d, char *out, size_t cap,
			   const uint8_t kid[CRED_KID_BYTES])
{
	char hex[2 * CRED_KID_BYTES + 1], rel[64];
	util_hex_encode(hex, kid, CRED_KID_BYTES);
	snprintf(rel, sizeof rel, "keys/issuer-%s.key", hex);
	return datadir_file(d, out, cap, rel);
}

/* ------------------------------------------------------------ ankang.conf */

/*
 * ankang.conf: "key = value" lines, '#' comments. Keys: origin, issuer,
 * kek_file, store (a postgresql:// URL; without it the store is
 * ankang.db). Unknown keys are an error, so a typo is not silently
 * ignored.
 */
static int conf_read(struct datadir *d, const char *path)
{
	char *text = NULL, *line, *save = NULL;
	size_t len;
	int rc, have_origin = 0, have_issuer = 0;

	if ((rc = util_read_file(path, CONF_MAX, &text, &len)) != 0)
		return rc;
	rc = AK_EINVAL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *val, *end;
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if ((eq = strchr(line, '=')) == NULL)
			goto fail;
		*eq = '\0';
		key = line + strspn(line, " \t");
		for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		val = eq + 1 + strspn(eq + 1, " \t");
		for (end = val + strlen(val); end > val && (end[-1] == ' ' || end[-1] == '\t');
		     end--)
			;
		*end = '\0';
		if (strcmp(key, "origin") == 0) {
			if (!trust_origin_valid(val, strlen(val)))
				goto fail;
			snprintf(d->origin, sizeof d->origin, "%s", val);
			have_origin = 1;
		} else if (strcmp(key, "issuer") == 0) {
			if (strlen(val) == 0 || strlen(val) > CRED_ISS_MAX)
				goto fail;
			snprintf(d->issuer_id, sizeof d->issuer_id, "%s", val);
			have_issuer = 1;
		} else if (strcmp(key, "kek_file") == 0) {
			if (strlen(val) == 0 || strlen(val) >= sizeof d->kek_path)
				goto fail;
			snprintf(d->kek_path, sizeof d->kek_path, "%s", val);
		} else if (strcmp(key, "store") == 0) {
			if (!store_is_url(val) || strlen(val) >= sizeof d->store)
				goto fail;
			snprintf(d->store, sizeof d->store, "%s", val);
		} else {
			goto fail;
		}
	}
	if (have_origin && have_issuer)
		rc = 0;
fail:
	free(text);
	return rc;
}

int datadir_made(const char *path)
{
	struct datadir *d;
	char file[PATH_MAX];
	struct stat st;
	int made;

	if ((d = calloc(1, sizeof *d)) == NULL)
		return 0;
	snprintf(d->path, sizeof d->path, "%s", path);
	made = datadir_file(d, file, sizeof file, DATADIR_DB) == 0 && lstat(file, &st) == 0;
	if (!made && datadir_file(d, file, sizeof file, DATADIR_CONF) == 0 &&
	    conf_read(d, file) == 0)
		made = d->store[0] != '\0';
	free(d);
	return made;
}

static int conf_write(const struct datadir *d, const char *path, int kek_outside)
{
	char buf[CONF_MAX];
	int n = snprintf(buf, sizeof buf,
			 "# ankang data folder, written by `ankangd init`.\n"
			 "# origin: names the deployment, its keys and its audit log.\n"
			 "# issuer: the iss claim of every credential.\n"
			 "origin = %s\nissuer = %s\n",
			 d->origin, d->issuer_id);
	if (kek_outside && n > 0 && (size_t)n < sizeof buf)
		n += snprintf(buf + n, sizeof buf - (size_t)n,
			      "# kek_file: the key-encryption key, kept outside this folder.\n"
			      "kek_file = %s\n",
			      d->kek_path);
	if (d->store[0] != '\0' && n > 0 && (size_t)n < sizeof buf)
		n += snprintf(buf + n, sizeof buf - (size_t)n,
			      "# store: the PostgreSQL database, as libpq's URL (its password,\n"
			      "# if any, is in libpq's password file, never here).\n"
			      "store = %s\n",
			      d->store);
	if (n < 0 || (size_t)n >= sizeof buf)
		return AK_ETOOBIG;
	return util_write_file_atomic(path, buf, (size_t)n, 0644, 1);
}

/* -------------------------------------------------------------- writing */

static int write_vkey(const struct datadir *d, const char *rel, const key_signer *k)
{
	char path[PATH_MAX], text[KEY_VKEY_MAX + 2];
	int n, rc;

	if ((rc = datadir_file(d, path, sizeof path, rel)) != 0)
		return rc;
	if ((n = key_verifier_format(text, sizeof text - 1, key_signer_verifier(k))) < 0)
		return n;
	text[n++] = '\n';
	return util_write_file_atomic(path, text, (size_t)n, 0644, 0);
}

static int write_note(const struct datadir *d, const char *rel, const char *text, size_t len,
		      const key_signer *signer)
{
	char path[PATH_MAX], *note = NULL;
	size_t nlen;
	int rc;

	if ((rc = datadir_file(d, path, sizeof path, rel)) != 0)
		return rc;
	if ((rc = note_sign(&note, &nlen, text, len, &signer, 1)) != 0)
		return rc;
	rc = util_write_file_atomic(path, note, nlen, 0644, 0);
	free(note);
	return rc;
}

int datadir_write_trust(struct datadir *d, uint64_t now)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (d->root == NULL)
		return AK_EINVAL;
	d->trust.issued = now;
	if ((rc = trust_format(&text, &len, &d->trust)) != 0)
		return rc;
	rc = write_note(d, "public/trust.note", text, len, d->root);
	free(text);
	return rc;
}

/*
 * The store, with every migration applied, the KEK's check value (so that
 * no other KEK is ever taken for this one) and the audit log's first
 * checkpoint (the empty tree, signed by the log key): from then on a
 * missing or empty log is an error, never a fresh start.
 */
static int create_store(struct datadir *d, const char *owner_url)
{
	char path[PATH_MAX];
	store *s = NULL;
	auditlog *a = NULL;
	struct record_keys k = {NULL};
	seal_kek *kek = NULL;
	int rc;

	if ((rc = datadir_db(d, path, sizeof path)) != 0)
		return rc;
	if (d->store[0] == '\0' && access(path, F_OK) == 0)
		return AK_EEXIST;
	/* The owner's session runs the migrations and ends; the service's
	 * role then finds the schema made. */
	if (owner_url != NULL) {
		if ((rc = store_open(&s, owner_url, STORE_CREATE)) != 0)
			return rc;
		store_close(s);
		s = NULL;
	}
	if ((rc = seal_kek_load(&kek, d->kek_path)) != 0)
		return rc;
	k.kek = kek;
	if ((rc = store_open(&s, path, STORE_CREATE)) == 0)
		rc = record_kek_check_put(&k, s);
	store_close(s);
	seal_kek_free(kek);
	if (rc != 0)
		return rc;
	if ((rc = auditlog_open(&a, path, d->log, NULL, NULL)) != 0)
		return rc;
	auditlog_close(a);
	return 0;
}

/* The epochs file with its first epoch, wrapped by the folder's KEK. */
static int create_epochs(const struct datadir *d, uint64_t now)
{
	seal_kek *kek = NULL;
	int rc;

	if ((rc = seal_kek_load(&kek, d->kek_path)) != 0)
		return rc;
	rc = epoch_file_create(d->epochs_path, kek, now);
	seal_kek_free(kek);
	return rc;
}

/* An empty revocation list, so verifiers have one to fetch from day one. */
static int write_empty_revocations(struct datadir *d, uint64_t now)
{
	struct revoc_list r = {0};
	char *text = NULL;
	size_t len;
	int rc;

	snprintf(r.origin, sizeof r.origin, "%s", d->origin);
	r.issued = now;
	if ((rc = revoc_format(&text, &len, &r)) != 0)
		return rc;
	rc = write_note(d, "public/revocations.note", text, len, d->root);
	free(text);
	return rc;
}

static int new_signer(struct datadir *d, key_signer **k, const char *suffix, const char *rel)
{
	char name[KEY_NAME_MAX + 1], path[PATH_MAX];
	int rc;

	if (snprintf(name, sizeof name, "%s/%s", d->origin, suffix) >= (int)sizeof name)
		return AK_EINVAL;
	if ((rc = key_signer_generate(k, name)) != 0)
		return rc;
	if (rel == NULL)
		return 0;
	if ((rc = datadir_file(d, path, sizeof path, rel)) != 0)
		return rc;
	return key_signer_save(*k, path);
}

static int save_issuer(struct datadir *d, const key_signer *k, uint8_t kid[CRED_KID_BYTES])
{
	char path[PATH_MAX];
	int rc;

	cred_kid(kid, key_signer_verifier(k)->pk);
	if ((rc = issuer_key_file(d, path, sizeof path, kid)) != 0)
		return rc;
	return key_signer_save(k, path);
}

static int dir_is_empty(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(dir);
	return empty;
}

/* Removes what a failed init created: only the names init itself writes. */
static void undo_create(const struct datadir *d, int made_dir, int made_kek)
{
	/* DATADIR_DB "-wal": the database's name and a suffix, no comma missing. */
	/* NOLINTBEGIN(bugprone-suspicious-missing-comma) */
	static const char *const files[] = {
	    "public/trust.note", "public/revocations.note",
	    "public/root.vkey",  "public/log.vkey",
	    "keys/root.key",     "keys/log.key",
	    "keys/kek.key",      DATADIR_EPOCHS,
	    DATADIR_CONF,        DATADIR_DB,
	    DATADIR_DB "-wal",   DATADIR_DB "-shm",
	};
	/* NOLINTEND(bugprone-suspicious-missing-comma) */
	char path[PATH_MAX];
	DIR *dir;
	struct dirent *e;

	for (size_t i = 0; i < AK_ARRAY_LEN(files); i++)
		if (datadir_file(d, path, sizeof path, files[i]) == 0 &&
		    (strcmp(files[i], "keys/kek.key") != 0 || made_kek))
			unlink(path);
	if (made_kek && strncmp(d->kek_path, d->path, strlen(d->path)) != 0)
		unlink(d->kek_path);
	if (datadir_file(d, path, sizeof path, "keys") == 0 && (dir = opendir(path)) != NULL) {
		while ((e = readdir(dir)) != NULL) {
			char f[PATH_MAX + 300];
			if (strncmp(e->d_name, "issuer-", 7) != 0)
				continue;
			snprintf(f, sizeof f, "%s/%s", path, e->d_name);
			unlink(f);
		}
		closedir(dir);
		rmdir(path);
	}
	if (datadir_file(d, path, sizeof path, "public") == 0)
		rmdir(path);
	if (made_dir)
		rmdir(d->path);
}

int datadir_create(const char *path, const char *origin, const char *issuer_id,
		   const char *kek_path)
{
	return datadir_create_store(path, origin, issuer_id, kek_path, NULL, NULL);
}

int datadir_create_store(const char *path, const char *origin, const char *issuer_id,
			 const char *kek_path, const char *store_url, const char *owner_url)
{
	struct datadir *d = NULL;
	char file[PATH_MAX];
	struct stat st;
	uint64_t now = util_now();
	int rc, made_dir = 0, made_kek = 0, kek_outside = kek_path != NULL;
	struct cred_issuer *iss;

	if (!trust_origin_valid(origin, strlen(origin)) ||
	    strlen(origin) + sizeof "/issuer" > KEY_NAME_MAX + 1)
		return AK_EINVAL;
	if (strlen(path) + 64 >= PATH_MAX ||
	    (store_url != NULL && strlen(store_url) >= sizeof d->store))
		return AK_ETOOBIG;
	if (store_url != NULL && !store_is_url(store_url))
		return AK_EINVAL;
	/* Refused by parsing alone, before any key is made (cmd_init has
	 * said why already). */
	if ((store_url != NULL && store_url_check(store_url, NULL, 0) != 0) ||
	    (owner_url != NULL && store_url_check(owner_url, NULL, 0) != 0))
		return AK_EINVAL;
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !dir_is_empty(path))
			return AK_EEXIST;
	} else {
		if (util_mkdir_p(path, 0700) != 0)
			return AK_EIO;
		made_dir = 1;
	}
	if ((d = calloc(1, sizeof *d)) == NULL)
		return AK_ENOMEM;
	snprintf(d->path, sizeof d->path, "%s", path);
	if (store_url != NULL)
		snprintf(d->store, sizeof d->store, "%s", store_url);
	snprintf(d->origin, sizeof d->origin, "%s", origin);
	snprintf(d->log_origin, sizeof d->log_origin, "%s/audit", origin);
	if (issuer_id != NULL)
		snprintf(d->issuer_id, sizeof d->issuer_id, "%s", issuer_id);
	else
		datadir_default_issuer(d->issuer_id, origin);

	rc = AK_EIO;
	if (chmod(path, 0700) != 0)
		goto fail;
	if (datadir_file(d, file, sizeof file, "keys") != 0 || mkdir(file, 0700) != 0)
		goto fail;
	if (datadir_file(d, file, sizeof file, "public") != 0 || mkdir(file, 0755) != 0)
		goto fail;

	if ((rc = new_signer(d, &d->root, "root", "keys/root.key")) != 0 ||
	    (rc = new_signer(d, &d->log, "audit", "keys/log.key")) != 0 ||
	    (rc = new_signer(d, &d->issuer, "issuer", NULL)) != 0)
		goto fail;

	if (kek_path != NULL)
		snprintf(d->kek_path, sizeof d->kek_path, "%s", kek_path);
	else if ((rc = datadir_file(d, d->kek_path, sizeof d->kek_path, "keys/kek.key")) != 0)
		goto fail;
	if (access(d->kek_path, F_OK) == 0 && kek_outside) {
		/* A KEK provisioned from a secret store: check it, keep it. */
		seal_kek *k = NULL;
		if ((rc = seal_kek_load(&k, d->kek_path)) != 0)
			goto fail;
		seal_kek_free(k);
	} else {
		if ((rc = seal_kek_create(d->kek_path)) != 0)
			goto fail;
		made_kek = 1;
	}
	if ((rc = datadir_file(d, d->epochs_path, sizeof d->epochs_path, DATADIR_EPOCHS)) != 0 ||
	    (rc = create_epochs(d, now)) != 0)
		goto fail;

	iss = &d->trust.issuers[0];
	if ((rc = save_issuer(d, d->issuer, iss->kid)) != 0)
		goto fail;
	memcpy(iss->pk, key_signer_verifier(d->issuer)->pk, sizeof iss->pk);
	iss->not_before = now;
	iss->not_after = now + DATADIR_ISSUER_LIFETIME;
	d->trust.n_issuers = 1;
	snprintf(d->trust.origin, sizeof d->trust.origin, "%s", origin);
	d->trust.log_key = *key_signer_verifier(d->log);

	if ((rc = write_vkey(d, "public/root.vkey", d->root)) != 0 ||
	    (rc = write_vkey(d, "public/log.vkey", d->log)) != 0 ||
	    (rc = datadir_write_trust(d, now)) != 0 || (rc = write_empty_revocations(d, now)) != 0)
		goto fail;
	/* What is written last marks a finished init (datadir_made): the
	 * database file, or on PostgreSQL, whose database is elsewhere,
	 * ankang.conf naming it. */
	if (d->store[0] != '\0' && (rc = create_store(d, owner_url)) != 0)
		goto fail;
	if ((rc = datadir_file(d, file, sizeof file, DATADIR_CONF)) != 0 ||
	    (rc = conf_write(d, file, kek_outside)) != 0)
		goto fail;
	if (d->store[0] == '\0' && (rc = create_store(d, owner_url)) != 0)
		goto fail;
	datadir_close(d);
	return 0;
fail:
	undo_create(d, made_dir, made_kek);
	datadir_close(d);
	return rc;
}

/* -------------------------------------------------------------- opening */

static int load_named(struct datadir *d, key_signer **k, const char *rel, const char *want_name)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = datadir_file(d, path, sizeof path, rel)) != 0)
		return rc;
	if ((rc = key_signer_load(k, path)) != 0)
		return rc;
	if (want_name != NULL && strcmp(key_signer_verifier(*k)->name, want_name) != 0)
		return AK_EINVAL;
	return 0;
}

/* The active issuer: the trusted key with the latest window start that is
 * open now and whose secret file we hold. */
static int load_active_issuer(struct datadir *d, uint64_t now)
{
	const struct cred_issuer *best = NULL;
	char path[PATH_MAX];
	int rc;

	for (size_t i = 0; i < d->trust.n_issuers; i++) {
		const struct cred_issuer *c = &d->trust.issuers[i];
		if (c->not_before > now || c->not_after < now)
			continue;
		if (issuer_key_file(d, path, sizeof path, c->kid) != 0 || access(path, F_OK) != 0)
			continue;
		if (best == NULL || c->not_before >= best->not_before)
			best = c;
	}
	if (best == NULL)
		return AK_ENOENT;
	if ((rc = issuer_key_file(d, path, sizeof path, best->kid)) != 0 ||
	    (rc = key_signer_load(&d->issuer, path)) != 0)
		return rc;
	if (memcmp(key_signer_verifier(d->issuer)->pk, best->pk, sizeof best->pk) != 0)
		return AK_ECORRUPT;
	return 0;
}

/*
 * What the folder must be before anything in it is read (datadir.h): not
 * writable by group or others (else anyone could swap a key or the
 * database); keys/ a real folder, not a symbolic link (one could point the
 * service at keys it does not own), open to the owner alone; the database
 * and its companion files plain files open to the owner alone (they hold
 * sealed personal data and the log). 0, or AK_EPERM with *sentence naming
 * the file and the fix.
 */
static int folder_safe(const struct datadir *d, const char **sentence)
{
	static const char *const db_files[] = {
	    DATADIR_DB,          DATADIR_DB "-wal",       DATADIR_DB "-shm",
	    DATADIR_DB "-index", DATADIR_DB "-index-wal", DATADIR_DB "-index-shm"};
	static __thread char msg[160];
	char file[PATH_MAX];
	struct stat st;

	if (stat(d->path, &st) != 0 || !S_ISDIR(st.st_mode))
		return AK_ENOENT;
	if (st.st_mode & 022) {
		*sentence = "the folder is writable by group or others (chmod 700 it)";
		return AK_EPERM;
	}
	if (datadir_file(d, file, sizeof file, "keys") == 0 && lstat(file, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			*sentence = "keys/ is not a folder of its own (a symbolic link?); it must "
				    "be a real folder, mode 0700";
			return AK_EPERM;
		}
		if (st.st_mode & 077) {
			*sentence = "keys/ is open to group or others (chmod 700 it)";
			return AK_EPERM;
		}
	}
	for (size_t i = 0; i < AK_ARRAY_LEN(db_files); i++) {
		if (datadir_file(d, file, sizeof file, db_files[i]) != 0 || lstat(file, &st) != 0)
			continue;
		if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
			snprintf(msg, sizeof msg, "%s is %s (it must be a plain file, mode 0600)",
				 db_files[i],
				 S_ISREG(st.st_mode) ? "open to group or others"
						     : "not a plain file");
			*sentence = msg;
			return AK_EPERM;
		}
	}
	return 0;
}

/* What datadir_open failed on, for the operator: the sentence when there
 * is one, else the file at fault (if any) and the error. */
static int opened_not(int rc, const char *sentence, const char *what, char *why, size_t cap)
{
	if (why == NULL)
		return rc;
	if (sentence != NULL)
		snprintf(why, cap, "%s", sentence);
	else if (what != NULL)
		snprintf(why, cap, "%s: %s", what, ak_strerror(rc));
	else
		snprintf(why, cap, "%s", ak_strerror(rc));
	return rc;
}

int datadir_open(struct datadir **out, const char *path, unsigned keys, const char *kek_path,
		 char *why, size_t cap)
{
	struct datadir *d;
	struct key_verifier root;
	char file[PATH_MAX], name[KEY_NAME_MAX + 1], *note = NULL;
	char url_why[240], sentence_buf[sizeof url_why + 32];
	size_t len;
	int rc;
	const char *what = NULL, *sentence = NULL;

	if (why != NULL && cap > 0)
		why[0] = '\0';
	if (strlen(path) + 64 >= PATH_MAX)
		return opened_not(AK_ETOOBIG, NULL, NULL, why, cap);
	if ((d = calloc(1, sizeof *d)) == NULL)
		return opened_not(AK_ENOMEM, NULL, NULL, why, cap);
	snprintf(d->path, sizeof d->path, "%s", path);
	if ((rc = folder_safe(d, &sentence)) != 0)
		goto fail;

	what = DATADIR_CONF;
	if ((rc = datadir_file(d, file, sizeof file, DATADIR_CONF)) != 0 ||
	    (rc = conf_read(d, file)) != 0)
		goto fail;
	snprintf(d->log_origin, sizeof d->log_origin, "%s/audit", d->origin);
	if (kek_path != NULL)
		snprintf(d->kek_path, sizeof d->kek_path, "%s", kek_path);
	else if (d->kek_path[0] == '\0' &&
		 (rc = datadir_file(d, d->kek_path, sizeof d->kek_path, "keys/kek.key")) != 0)
		goto fail;
	if ((rc = datadir_file(d, d->epochs_path, sizeof d->epochs_path, DATADIR_EPOCHS)) != 0)
		goto fail;
	/* The store URL's rules (TLS to a database elsewhere), before any
	 * command connects with it. */
	if (d->store[0] != '\0' && (rc = store_url_check(d->store, url_why, sizeof url_why)) != 0) {
		snprintf(sentence_buf, sizeof sentence_buf, "%s: store: %s", DATADIR_CONF, url_why);
		sentence = sentence_buf;
		goto fail;
	}

	what = "public/root.vkey";
	if ((rc = datadir_file(d, file, sizeof file, what)) != 0 ||
	    (rc = key_verifier_load(&root, file)) != 0)
		goto fail;
	snprintf(name, sizeof name, "%s/root", d->origin);
	rc = AK_EINVAL;
	if (strcmp(root.name, name) != 0)
		goto fail;
	what = "public/trust.note";
	if ((rc = datadir_file(d, file, sizeof file, what)) != 0 ||
	    (rc = util_read_file(file, TRUST_TEXT_MAX, &note, &len)) != 0)
		goto fail;
	rc = trust_open(&d->trust, note, len, &root);
	free(note);
	if (rc != 0)
		goto fail;
	rc = AK_EINVAL;
	if (strcmp(d->trust.origin, d->origin) != 0)
		goto fail;

	if (keys & DATADIR_ROOT) {
		what = "keys/root.key";
		if ((rc = load_named(d, &d->root, what, name)) != 0)
			goto fail;
	}
	if (keys & DATADIR_LOG) {
		what = "keys/log.key";
		if ((rc = load_named(d, &d->log, what, d->log_origin)) != 0)
			goto fail;
		rc = AK_ECORRUPT;
		if (memcmp(key_signer_verifier(d->log)->pk, d->trust.log_key.pk, KEY_PK_BYTES) != 0)
			goto fail;
	}
	if (keys & DATADIR_ISSUER) {
		what = "keys/issuer-*.key";
		if ((rc = load_active_issuer(d, util_now())) != 0)
			goto fail;
	}
	*out = d;
	return 0;
fail:
	datadir_close(d);
	return opened_not(rc, sentence, what, why, cap);
}

void datadir_close(struct datadir *d)
{
	if (d == NULL)
		return;
	key_signer_free(d->root);
	key_signer_free(d->log);
	key_signer_free(d->issuer);
	free(d);
}

/* ------------------------------------------------------------- rotation */

static int rotate_issuer(struct datadir *d, uint64_t now, uint8_t new_kid[CRED_KID_BYTES],
			 int compromised, size_t *withdrawn)
{
	struct trust_list prev = d->trust, next = d->trust;
	key_signer *k = NULL;
	char old_file[PATH_MAX] = "";
	uint8_t old_kid[CRED_KID_BYTES];
	size_t n = 0, gone = 0;
	int rc;

	if (d->root == NULL || d->issuer == NULL)
		return AK_EINVAL;
	cred_kid(old_kid, key_signer_verifier(d->issuer)->pk);

	/* Keep every key whose codes may still be live; close the active one.
	 * After a compromise, keep none of them. */
	for (size_t i = 0; i < d->trust.n_issuers; i++) {
		struct cred_issuer c = d->trust.issuers[i];
		int active = memcmp(c.kid, old_kid, CRED_KID_BYTES) == 0;
		if (compromised) {
			gone++;
			continue;
		}
		if (active && c.not_after > now)
			c.not_after = now;
		if (c.not_after + CRED_MAX_VALIDITY < now)
			continue;
		next.issuers[n++] = c;
	}
	if (n >= TRUST_MAX_ISSUERS)
		return AK_ETOOBIG;
	if ((rc = new_signer(d, &k, "issuer", NULL)) != 0)
		return rc;
	if ((rc = save_issuer(d, k, new_kid)) != 0)
		goto fail;
	memcpy(next.issuers[n].kid, new_kid, CRED_KID_BYTES);
	memcpy(next.issuers[n].pk, key_signer_verifier(k)->pk, KEY_PK_BYTES);
	next.issuers[n].not_before = now;
	next.issuers[n].not_after = now + DATADIR_ISSUER_LIFETIME;
	next.n_issuers = n + 1;

	d->trust = next;
	if ((rc = datadir_write_trust(d, now)) != 0)
		goto fail;
	/* The old secret key never signs again: its public half in the trust
	 * list is all verifiers need, so the secret goes now (and after a
	 * compromise, any withdrawn key's left behind). */
	if (issuer_key_file(d, old_file, sizeof old_file, old_kid) == 0)
		unlink(old_file);
	for (size_t i = 0; compromised && i < prev.n_issuers; i++)
		if (memcmp(prev.issuers[i].kid, new_kid, CRED_KID_BYTES) != 0 &&
		    issuer_key_file(d, old_file, sizeof old_file, prev.issuers[i].kid) == 0)
			unlink(old_file);
	key_signer_free(d->issuer);
	d->issuer = k;
	if (withdrawn != NULL)
		*withdrawn = gone;
	return 0;
fail:
	d->trust = prev;
	key_signer_free(k);
	return rc;
}

int datadir_rotate_issuer(struct datadir *d, uint64_t now, uint8_t new_kid[CRED_KID_BYTES])
{
	return rotate_issuer(d, now, new_kid, 0, NULL);
}

int datadir_withdraw_issuer(struct datadir *d, uint64_t now, uint8_t new_kid[CRED_KID_BYTES],
			    size_t *withdrawn)
{
	return rotate_issuer(d, now, new_kid, 1, withdrawn);
}

/* ---------------------------------------------------------------- lock */

int datadir_lock(struct datadir *d, int *fd)
{
	char path[PATH_MAX];
	int f, rc;

	*fd = -1;
	if ((rc = datadir_file(d, path, sizeof path, DATADIR_LOCK)) != 0)
		return rc;
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return AK_EIO;
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? AK_EBUSY : AK_EIO;
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

void datadir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
