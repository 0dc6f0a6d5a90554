/*
 * test_keyfile: signer and verifier key files (crypto/key_secret, key).
 *
 * Keys are saved with mode 0600 and never over an existing file; a signer
 * key file that group or others could read is refused, as is a symlink
 * planted where a key should be. util_read_file, which reads them, reads
 * a file longer than fstat said to its end, never past its bound. Works
 * in a fresh directory under $TMPDIR (or /tmp) and removes it
 * afterwards. No key is ever printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/key.h"
#include "crypto/key_secret.h"
#include "tests/lib/tap.h"

static char dir[256];

static char *paths[64];
static size_t n_paths;

/* dir/name, valid until free_paths(). */
static const char *path_in(const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p;
	if (n_paths == AK_ARRAY_LEN(paths) || (p = malloc(n)) == NULL)
		bail_out("out of memory");
	snprintf(p, n, "%s/%s", dir, name);
	paths[n_paths++] = p;
	return p;
}

static void free_paths(void)
{
	while (n_paths > 0)
		free(paths[--n_paths]);
}

static int write_plain(const char *path, const char *s, mode_t mode)
{
	FILE *f;
	unlink(path);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(s, f);
	fclose(f);
	return chmod(path, mode);
}

static int same_key(const key_signer *a, const key_signer *b)
{
	char ta[KEY_SKEY_MAX + 1], tb[KEY_SKEY_MAX + 1];
	int same = key_signer_format(a, ta, sizeof ta) > 0 &&
		   key_signer_format(b, tb, sizeof tb) > 0 && strcmp(ta, tb) == 0;
	sodium_memzero(ta, sizeof ta);
	sodium_memzero(tb, sizeof tb);
	return same;
}

static void test_signer_files(void)
{
	const char *key = path_in("root.skey");
	key_signer *k = NULL, *k2 = NULL;
	struct stat st;

	is_int(key_signer_generate(&k, "ankang.test/root"), 0, "generate a signer key");
	is_int(key_signer_save(k, key), 0, "save it");
	ok(stat(key, &st) == 0 && (st.st_mode & 07777) == 0600, "the file has mode 0600");
	ok(st.st_size > 0 && (size_t)st.st_size <= KEY_SKEY_MAX + 1, "the file is one key line");
	is_int(key_signer_load(&k2, key), 0, "load it back");
	ok(k2 != NULL && same_key(k, k2), "the loaded key is the saved key");
	ok(k2 != NULL && strcmp(key_signer_verifier(k2)->name, "ankang.test/root") == 0,
	   "  with its name");
	key_signer_free(k2);
	k2 = NULL;

	is_int(key_signer_save(k, key), AK_EEXIST, "save refuses to overwrite");
	is_int(key_signer_load(&k2, key), 0, "  and the file is untouched");
	ok(k2 != NULL && same_key(k, k2), "  still the same key");
	key_signer_free(k2);
	k2 = NULL;

	static const mode_t loose[] = {0640, 0644, 0604, 0660, 0602, 0620};
	for (size_t i = 0; i < AK_ARRAY_LEN(loose); i++) {
		chmod(key, loose[i]);
		k2 = (key_signer *)1;
		is_int(key_signer_load(&k2, key), AK_EPERM, "load refuses mode 0%o", loose[i]);
		ok(k2 == NULL, "  and *out is NULL");
	}
	chmod(key, 0400);
	is_int(key_signer_load(&k2, key), 0, "load accepts mode 0400");
	key_signer_free(k2);
	k2 = NULL;
	chmod(key, 0600);

	ok(symlink("root.skey", path_in("link.skey")) == 0, "make a symlink to the key");
	is_int(key_signer_load(&k2, path_in("link.skey")) != 0, 1, "load refuses a symlink");
	ok(k2 == NULL, "  and *out is NULL");
	is_int(key_signer_save(k, path_in("link.skey")), AK_EEXIST,
	       "save refuses to write through a symlink");

	is_int(key_signer_load(&k2, path_in("missing.skey")), AK_ENOENT, "missing file: AK_ENOENT");
	is_int(key_signer_save(k, path_in("no/such/dir.skey")), AK_EIO,
	       "save into a missing directory: AK_EIO");

	/* Exactly one optional newline after the key text. */
	{
		char text[KEY_SKEY_MAX + 3];
		int n = key_signer_format(k, text, sizeof text);
		const char *p = path_in("nonl.skey");

		unlink(p);
		ok(util_write_file_atomic(p, text, (size_t)n, 0600, 1) == 0, "key without newline");
		is_int(key_signer_load(&k2, p), 0, "  loads");
		key_signer_free(k2);
		k2 = NULL;
		unlink(p);
		text[n] = '\n';
		text[n + 1] = '\n';
		ok(util_write_file_atomic(p, text, (size_t)n + 2, 0600, 1) == 0, "two newlines");
		is_int(key_signer_load(&k2, p), AK_EINVAL, "  refused");
		unlink(p);
		text[n] = '\r';
		text[n + 1] = '\n';
		ok(util_write_file_atomic(p, text, (size_t)n + 2, 0600, 1) == 0, "CRLF");
		is_int(key_signer_load(&k2, p), AK_EINVAL, "  refused");
		unlink(p);
		sodium_memzero(text, sizeof text);
	}
	{
		const char *p = path_in("big.skey");
		char big[4096];
		memset(big, 'A', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		write_plain(p, big, 0600);
		is_int(key_signer_load(&k2, p), AK_EINVAL, "an oversized key file: AK_EINVAL");
		unlink(p);
	}

	/* Signing with a loaded key verifies under its public half. */
	{
		uint8_t sig[KEY_SIG_BYTES];
		const uint8_t msg[] = "checkpoint\n";
		if (key_signer_load(&k2, key) != 0)
			bail_out("cannot reload the saved key");
		key_signer_sign(k2, sig, msg, sizeof msg - 1);
		ok(crypto_sign_verify_detached(sig, msg, sizeof msg - 1,
					       key_signer_verifier(k)->pk) == 0,
		   "a loaded key signs for the saved key's public key");
	}
	key_signer_free(k2);

	/* Two generated keys differ. */
	is_int(key_signer_generate(&k2, "ankang.test/root"), 0, "generate another");
	ok(memcmp(key_signer_verifier(k)->pk, key_signer_verifier(k2)->pk, KEY_PK_BYTES) != 0,
	   "  a different key");
	key_signer_free(k2);

	unlink(path_in("link.skey"));
	unlink(key);
	key_signer_free(k);
}

static void test_verifier_files(void)
{
	const char *vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	const char *p = path_in("peter.vkey");
	struct key_verifier v;
	char line[256];

	write_plain(p, vkey, 0644);
	is_int(key_verifier_load(&v, p), 0, "a .vkey file without newline loads");
	is_str(v.name, "PeterNeumann", "  its name");
	snprintf(line, sizeof line, "%s\n", vkey);
	write_plain(p, line, 0644);
	is_int(key_verifier_load(&v, p), 0, "  with one newline loads");
	snprintf(line, sizeof line, "%s\n\n", vkey);
	write_plain(p, line, 0644);
	is_int(key_verifier_load(&v, p), AK_EINVAL, "  with two newlines: AK_EINVAL");
	snprintf(line, sizeof line, " %s\n", vkey);
	write_plain(p, line, 0644);
	is_int(key_verifier_load(&v, p), AK_EINVAL, "  with a leading space: AK_EINVAL");
	write_plain(p, "", 0644);
	is_int(key_verifier_load(&v, p), AK_EINVAL, "  empty: AK_EINVAL");
	{
		char big[1024];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		write_plain(p, big, 0644);
		is_int(key_verifier_load(&v, p), AK_EINVAL, "  oversized: AK_EINVAL");
	}
	is_int(key_verifier_load(&v, path_in("missing.vkey")), AK_ENOENT, "missing: AK_ENOENT");
	write_plain(p, vkey, 0644);
	ok(symlink("peter.vkey", path_in("link.vkey")) == 0, "make a symlink to a .vkey");
	ok(key_verifier_load(&v, path_in("link.vkey")) != 0, "  load refuses it");
	unlink(path_in("link.vkey"));
	unlink(p);
}

/* util_read_file, which reads verifier keys and lists: to the end of a
 * file longer than fstat said when it was opened (a file that grew while
 * it was read; /proc's files say 0 and hold more), never past max. */
static void test_read_file(void)
{
	char *buf = NULL, small[101];
	size_t len = 0;

	is_int(util_read_file("/proc/self/status", 1 << 20, &buf, &len), 0,
	       "util_read_file reads a file longer than fstat said (/proc/self/status: 0)");
	ok(buf != NULL && len > 64 && strlen(buf) == len && strncmp(buf, "Name:", 5) == 0,
	   "  to its end, NUL-terminated (%zu bytes)", len);
	free(buf);
	buf = NULL;
	is_int(util_read_file("/proc/self/status", 16, &buf, &len), AK_ETOOBIG,
	       "  and refuses it past max, however long fstat said it was");
	memset(small, 'k', sizeof small - 1);
	small[sizeof small - 1] = '\0';
	if (write_plain(path_in("small.txt"), small, 0644) != 0)
		bail_out("writing small.txt");
	is_int(util_read_file(path_in("small.txt"), 100, &buf, &len), 0,
	       "a file of exactly max bytes is read");
	ok(len == 100 && buf[len] == '\0', "  whole (%zu bytes)", len);
	free(buf);
	buf = NULL;
	is_int(util_read_file(path_in("small.txt"), 99, &buf, &len), AK_ETOOBIG,
	       "  one byte over max: AK_ETOOBIG");
	unlink(path_in("small.txt"));
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	if (sodium_init() < 0)
		bail_out("sodium_init");
	snprintf(dir, sizeof dir, "%s/ankang-keyfile-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		bail_out("mkdtemp");
	/* The mode of saved keys must not depend on the caller's umask. */
	umask(0);
	test_signer_files();
	test_verifier_files();
	test_read_file();
	free_paths();
	if (rmdir(dir) != 0)
		diag("could not remove the test directory: %s", strerror(errno));
	return tap_done();
}
