/*
 * test_epoch: crypto/epoch.c, the KEK's epoch keys and their file.
 *
 * The parser is strict: a well-formed file parses and formats back to
 * the same bytes, and each way of breaking it (the magic, a number, the
 * order, the base64, a space, a newline, a line too many) is refused.
 * The file is created 0600 and never overwritten by init; it is refused
 * when others may read it, through a symlink, under another KEK, or with
 * a line whose number, time or key was changed. Adding and destroying
 * epochs rewrite it atomically (a new file renamed over the old, 0600,
 * nothing left beside it); a write that fails changes nothing in memory;
 * a destroyed epoch's key is gone from memory and from the file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "crypto/epoch.h"
#include "crypto/seal.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/ankang-test-epoch.XXXXXX";
static seal_kek *kek, *other;

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text)
{
	unlink(path);
	if (util_write_file_atomic(path, text, strlen(text), 0600, 0) != 0)
		bail_out("write an epochs file");
}

/* A valid line's base64: 72 bytes of 0x41. */
#define B64                                                                                        \
	"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB" \
	"QUFBQUFB"

static void test_parse(void)
{
	static const char good[] = EPOCH_MAGIC "\n1 1750000000 " B64 "\n2 1750086400 " B64 "\n";
	static const char *const bad[] = {
	    "",
	    EPOCH_MAGIC "\n", /* no epoch */
	    "ankang-epochs-v2\n1 1750000000 " B64 "\n",
	    EPOCH_MAGIC "\r\n1 1750000000 " B64 "\n",
	    EPOCH_MAGIC "\n1 1750000000 " B64,               /* no final newline */
	    EPOCH_MAGIC "\n1 1750000000 " B64 "\n\n",        /* an empty line */
	    EPOCH_MAGIC "\n0 1750000000 " B64 "\n",          /* epoch 0 */
	    EPOCH_MAGIC "\n01 1750000000 " B64 "\n",         /* not canonical */
	    EPOCH_MAGIC "\n+1 1750000000 " B64 "\n",         /* a sign */
	    EPOCH_MAGIC "\n1  1750000000 " B64 "\n",         /* two spaces */
	    EPOCH_MAGIC "\n1 1750000000 " B64 " \n",         /* a trailing space */
	    EPOCH_MAGIC "\n1 1750000000 " B64 "\r\n",        /* CRLF */
	    EPOCH_MAGIC "\n9223372036854775808 1 " B64 "\n", /* over INT64_MAX */
	    EPOCH_MAGIC "\n2 1 " B64 "\n1 1 " B64 "\n",      /* descending */
	    EPOCH_MAGIC "\n1 1 " B64 "\n1 1 " B64 "\n",      /* repeated */
	    EPOCH_MAGIC "\n1 1 QUFB\n",                      /* a short key */
	    EPOCH_MAGIC "\n1 1 " B64 "QUFB\n",               /* a long one */
	    EPOCH_MAGIC "\n1 1 " B64 "\n2 2 " B64 "\n3 3 " B64 "\n4 4 " B64 "\n5 5 " B64 "\n",
	    EPOCH_MAGIC "\n1 1 QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
			"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUF*\n", /* not base64 */
	};
	struct epoch_line lines[EPOCH_MAX];
	char out[EPOCH_FILE_MAX + 1];
	size_t n = 0;
	int len, refused = 0;

	is_int(epoch_parse(good, strlen(good), lines, &n), 0, "a well-formed file parses");
	ok(n == 2 && lines[0].number == 1 && lines[1].number == 2 &&
	       lines[1].created == 1750086400u && lines[0].wrapped[0] == 'A',
	   "two epochs, their numbers, times and wrapped keys");
	len = epoch_format(out, sizeof out, lines, n);
	ok(len == (int)strlen(good) && memcmp(out, good, strlen(good)) == 0,
	   "and formats back to the same bytes");
	for (size_t i = 0; i < AK_ARRAY_LEN(bad); i++) {
		int rc = epoch_parse(bad[i], strlen(bad[i]), lines, &n);
		if (rc != AK_EINVAL)
			diag("bad file %zu: %d", i, rc);
		refused += rc == AK_EINVAL && n == 0;
	}
	is_int(refused, (int)AK_ARRAY_LEN(bad), "every malformed file is refused (%zu kinds)",
	       AK_ARRAY_LEN(bad));
	lines[1].number = 1;
	is_int(epoch_format(out, sizeof out, lines, 2), AK_EINVAL,
	       "formatting numbers out of order is refused");
	is_int(epoch_format(out, sizeof out, lines, 0), AK_EINVAL, "and formatting none");
	lines[1].number = 2;
	is_int(epoch_format(out, 40, lines, 2), AK_ETOOBIG, "a buffer too small: AK_ETOOBIG");
}

/* How many entries the test's directory holds (leftover temp files). */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_file(void)
{
	char p[256], *text = NULL;
	struct stat st, st2;
	epoch_set *s = NULL;
	struct epoch_info info[EPOCH_MAX];
	struct epoch_line lines[EPOCH_MAX];
	seal_epochkey k1, k2, k;
	uint64_t num = 0;
	size_t len = 0, n = 0;
	int before;

	path_of(p, sizeof p, "epochs.key");
	is_int(epoch_file_create(p, kek, 1750000000u), 0, "an epochs file is created");
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "0600");
	is_int(epoch_file_create(p, kek, 1750000000u), AK_EEXIST, "and never overwritten");
	is_int(epoch_open(&s, p, kek), 0, "it opens under its KEK");
	is_int(epoch_list(s, info, EPOCH_MAX), 1, "one epoch");
	ok(info[0].number == 1 && info[0].created == 1750000000u, "number 1, made when asked");
	epoch_current(s, &k1);
	is_int(k1.number, 1, "the current epoch is 1");
	is_int(epoch_key(s, 2, &k), AK_ENOENT, "epoch 2 is not held");

	/* Add: a new file renamed over the old. */
	before = entries();
	is_int(epoch_add(s, 1750086400u, &num), 0, "an epoch is added");
	is_int(num, 2, "numbered 2");
	ok(stat(p, &st2) == 0 && st2.st_ino != st.st_ino, "the file was replaced, not edited");
	ok((st2.st_mode & 0777) == 0600, "and is 0600");
	is_int(entries(), before, "with nothing left beside it");
	epoch_current(s, &k2);
	ok(k2.number == 2 && memcmp(k1.key, k2.key, sizeof k1.key) != 0,
	   "epoch 2 is current, with a key of its own");
	is_int(epoch_key(s, 1, &k), 0, "epoch 1 is still held");
	ok(memcmp(k.key, k1.key, sizeof k.key) == 0, "with its key");
	{
		epoch_set *again = NULL;
		is_int(epoch_open(&again, p, kek), 0, "the file opens again");
		is_int(epoch_list(again, info, EPOCH_MAX), 2, "with both epochs");
		is_int(epoch_key(again, 2, &k), 0, "epoch 2's key");
		ok(memcmp(k.key, k2.key, sizeof k.key) == 0, "is the one in memory");
		epoch_close(again);
	}

	/* A write that fails changes nothing. */
	{
		/* Move the directory away under the set: the rewrite fails. */
		char moved[300];
		snprintf(moved, sizeof moved, "%s.moved", dir);
		if (rename(dir, moved) != 0)
			bail_out("move the directory");
		is_int(epoch_add(s, 1750172800u, &num), AK_EIO,
		       "a rewrite that cannot be written:");
		is_int(epoch_list(s, info, EPOCH_MAX), 2, "leaves the set as it was");
		is_int(epoch_drop_below(s, 2, &n), AK_EIO, "so does a destruction");
		is_int(epoch_key(s, 1, &k), 0, "which keeps epoch 1");
		if (rename(moved, dir) != 0)
			bail_out("move the directory back");
	}

	/* Fill it: EPOCH_MAX at most. */
	is_int(epoch_add(s, 1750172800u, &num), 0, "epoch 3");
	is_int(epoch_add(s, 1750259200u, &num), 0, "epoch 4");
	is_int(epoch_add(s, 1750345600u, &num), AK_ETOOBIG, "a fifth: AK_ETOOBIG");

	/* Destroy: gone from the file, then from memory. */
	if (util_read_file(p, EPOCH_FILE_MAX, &text, &len) != 0 ||
	    epoch_parse(text, len, lines, &n) != 0)
		bail_out("read the file");
	free(text);
	is_int(epoch_drop_below(s, 5, &n), AK_ENOENT,
	       "destroying below an epoch not held: refused");
	is_int(epoch_drop_below(s, 3, &n), 0, "epochs 1 and 2 destroyed");
	is_int(n, 2, "two went");
	is_int(epoch_key(s, 1, &k), AK_ENOENT, "epoch 1's key is gone from memory");
	is_int(epoch_key(s, 2, &k), AK_ENOENT, "and epoch 2's");
	if (util_read_file(p, EPOCH_FILE_MAX, &text, &len) != 0)
		bail_out("read the file");
	ok(memmem(text, len, "\n1 ", 3) == NULL && memmem(text, len, "\n2 ", 3) == NULL,
	   "and from the file");
	{
		char b64[EPOCH_B64_LEN + 1];
		util_b64_encode(b64, lines[0].wrapped, sizeof lines[0].wrapped);
		ok(memmem(text, len, b64, EPOCH_B64_LEN) == NULL,
		   "whose bytes hold no trace of epoch 1's wrapped key");
	}
	free(text);
	is_int(epoch_drop_below(s, 3, &n), 0, "destroying below the oldest: nothing to do");
	is_int(n, 0, "nothing went");
	is_int(epoch_list(s, info, EPOCH_MAX), 2, "epochs 3 and 4 remain");
	epoch_close(s);
	epoch_close(NULL);
	seal_epochkey_wipe(&k);
	seal_epochkey_wipe(&k1);
	seal_epochkey_wipe(&k2);
}

static void test_refused(void)
{
	char p[256], q[256], *text = NULL;
	epoch_set *s = NULL;
	size_t len = 0;

	path_of(p, sizeof p, "epochs.key");
	chmod(p, 0640);
	is_int(epoch_open(&s, p, kek), AK_EPERM, "a file the group may read is refused");
	chmod(p, 0604);
	is_int(epoch_open(&s, p, kek), AK_EPERM, "so is one others may read");
	chmod(p, 0600);
	path_of(q, sizeof q, "epochs.link");
	if (symlink(p, q) == 0)
		ok(epoch_open(&s, q, kek) != 0, "and one reached through a symlink");
	is_int(epoch_open(&s, p, other), AK_ECRYPTO, "under another KEK: AK_ECRYPTO");
	path_of(q, sizeof q, "missing");
	is_int(epoch_open(&s, q, kek), AK_ENOENT, "no file: AK_ENOENT");

	/* A line changed: the number, the time, a byte of the key. */
	if (util_read_file(p, EPOCH_FILE_MAX, &text, &len) != 0)
		bail_out("read");
	{
		struct epoch_line lines[EPOCH_MAX];
		char out[EPOCH_FILE_MAX + 1];
		size_t n = 0;
		int changed = 0;

		if (epoch_parse(text, len, lines, &n) != 0 || n < 2)
			bail_out("parse");
		path_of(q, sizeof q, "changed.key");
		for (int what = 0; what < 3; what++) {
			struct epoch_line c[EPOCH_MAX];
			memcpy(c, lines, sizeof c);
			if (what == 0)
				c[n - 1].number++;
			else if (what == 1)
				c[0].created++;
			else
				c[0].wrapped[30] ^= 1;
			if (epoch_format(out, sizeof out, c, n) < 0)
				bail_out("format");
			write_text(q, out);
			changed += epoch_open(&s, q, kek) == AK_ECRYPTO;
		}
		is_int(changed, 3, "a renumbered, redated or altered epoch: AK_ECRYPTO");
		write_text(q, "not an epochs file\n");
		is_int(epoch_open(&s, q, kek), AK_EINVAL, "a malformed file: AK_EINVAL");
	}
	free(text);
	ok(s == NULL, "and no set is handed out");
}

int main(void)
{
	char p[256], cmd[300];

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		bail_out("setup");
	path_of(p, sizeof p, "kek");
	if (seal_kek_create(p) != 0 || seal_kek_load(&kek, p) != 0)
		bail_out("kek");
	path_of(p, sizeof p, "kek2");
	if (seal_kek_create(p) != 0 || seal_kek_load(&other, p) != 0)
		bail_out("kek2");
	test_parse();
	test_file();
	test_refused();
	seal_kek_free(kek);
	seal_kek_free(other);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
