/*
 * test_store_url: the store URL's rules (log/store.h, store_url_check),
 * by parsing alone: a URL with a password, one naming a pg_service.conf
 * service, and one that reaches a host not on this machine without
 * sslmode=verify-full are refused, and store_open refuses them before
 * it connects: every refused URL here names a host that does not
 * resolve (.invalid, RFC 2606) or an address nothing listens on, and
 * store_open must come back with AK_EINVAL, never AK_EDB (which a
 * connection attempt would be). The environment libpq would read
 * (PGHOST, PGHOSTADDR, PGSSLMODE, PGSERVICE) counts as libpq counts it.
 * Nothing here sends a packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "log/store.h"
#include "tests/lib/tap.h"

struct row {
	const char *url;
	int ok; /* 1: accepted */
	const char *why;
};

static const struct row rows[] = {
    /* On this machine: anything goes, as before. */
    {"postgresql:///ankang?host=/run/postgresql&user=ankang_node1", 1, NULL},
    {"postgresql:///ankang", 1, NULL},
    {"postgres://localhost/ankang", 1, NULL},
    {"postgresql://LocalHost:5433/ankang?sslmode=disable", 1, NULL},
    {"postgresql://127.0.0.1/ankang", 1, NULL},
    {"postgresql://127.9.8.7/ankang", 1, NULL},
    {"postgresql://[::1]:5432/ankang", 1, NULL},
    {"postgresql:///ankang?host=@abstract", 1, NULL},
    {"postgresql:///ankang?hostaddr=127.0.0.1", 1, NULL},
    {"postgresql://localhost,/tmp,127.0.0.2/ankang", 1, NULL},
    /* Elsewhere, with verify-full: accepted. */
    {"postgresql://db.invalid/ankang?sslmode=verify-full&sslrootcert=/etc/ankang/ca.crt", 1, NULL},
    {"postgresql://db.invalid,db2.invalid/ankang?sslmode=verify-full", 1, NULL},
    {"postgresql://localhost/ankang?hostaddr=192.0.2.1&sslmode=verify-full", 1, NULL},
    /* Elsewhere without it: refused. */
    {"postgresql://db.invalid/ankang", 0, "db.invalid"},
    {"postgresql://db.invalid/ankang?sslmode=require", 0, "sslmode=verify-full"},
    {"postgresql://db.invalid/ankang?sslmode=verify-ca&sslrootcert=/x", 0, "verify-full"},
    {"postgresql://db.invalid/ankang?sslmode=prefer", 0, "verify-full"},
    {"postgresql://db.invalid/ankang?sslmode=disable", 0, "verify-full"},
    {"postgresql://db.invalid/ankang?sslmode=VERIFY-FULL", 0, "verify-full"},
    {"postgresql://192.0.2.1/ankang", 0, "192.0.2.1"},
    {"postgresql://128.0.0.1/ankang", 0, "128.0.0.1"},
    {"postgresql://127.1/ankang", 0, "127.1"},
    {"postgresql://[2001:db8::1]/ankang", 0, "2001:db8::1"},
    {"postgresql://[::ffff:127.0.0.1]/ankang", 0, "::ffff:127.0.0.1"},
    {"postgresql://localhost.invalid/ankang", 0, "localhost.invalid"},
    /* One far host in a list is enough. */
    {"postgresql://localhost,db.invalid/ankang", 0, "db.invalid"},
    {"postgresql:///ankang?host=/tmp,db.invalid", 0, "db.invalid"},
    /* hostaddr is where libpq connects, whatever host says. */
    {"postgresql://localhost/ankang?hostaddr=192.0.2.1", 0, "192.0.2.1"},
    {"postgresql:///ankang?host=/tmp&hostaddr=192.0.2.1", 0, "192.0.2.1"},
    {"postgresql://localhost,localhost/ankang?hostaddr=127.0.0.1,192.0.2.7", 0, "192.0.2.7"},
    /* A password, a service file, a URL that does not parse. */
    {"postgresql://node:secret@/ankang?host=/tmp", 0, "password"},
    {"postgresql:///ankang?host=/tmp&password=secret", 0, "password"},
    {"postgresql:///ankang?service=ankang", 0, "service"},
    {"postgresql:///ankang?nosuchoption=1", 0, "does not parse"},
    {"postgresql://[::1/ankang", 0, "does not parse"},
    {"/var/lib/ankang/ankang.db", 0, "does not parse"},
};

int main(void)
{
	char why[300];
	store *s = NULL;

	/* What the test's environment may hold must not decide the rows. */
	unsetenv("PGHOST");
	unsetenv("PGHOSTADDR");
	unsetenv("PGSSLMODE");
	unsetenv("PGSERVICE");

	for (size_t i = 0; i < AK_ARRAY_LEN(rows); i++) {
		const struct row *r = &rows[i];
		int rc = store_url_check(r->url, why, sizeof why);
		if (r->ok) {
			ok(rc == 0 && why[0] == '\0', "accepted: %s", r->url);
			continue;
		}
		ok(rc == AK_EINVAL && strstr(why, r->why) != NULL && strchr(why, '\n') == NULL,
		   "refused: %s (%s)", r->url, why);
		ok(strstr(why, "secret") == NULL && strstr(why, "sslrootcert=/x") == NULL,
		   "the reason quotes no other part of the URL");
		if (store_is_url(r->url)) {
			s = NULL;
			ok(store_open(&s, r->url, 0) == AK_EINVAL && s == NULL &&
			       strcmp(store_open_why(), why) == 0,
			   "store_open refuses it before connecting, for the same reason");
		}
	}
	ok(store_url_check("postgresql://db.invalid/ankang", NULL, 0) == AK_EINVAL,
	   "why may be NULL");

	/* The environment: libpq takes PGHOST / PGHOSTADDR for what the
	 * URL leaves out, so they count; PGSSLMODE does not stand in for the
	 * URL's sslmode; PGSERVICE is refused outright. */
	setenv("PGHOST", "db.invalid", 1);
	ok(store_url_check("postgresql:///ankang", why, sizeof why) == AK_EINVAL &&
	       strstr(why, "db.invalid") != NULL,
	   "PGHOST elsewhere, URL without a host: refused");
	ok(store_url_check("postgresql:///ankang?host=/tmp", why, sizeof why) == 0,
	   "PGHOST elsewhere, the URL's own socket: accepted (the URL wins)");
	ok(store_url_check("postgresql:///ankang?sslmode=verify-full", why, sizeof why) == 0,
	   "PGHOST elsewhere with sslmode=verify-full in the URL: accepted");
	setenv("PGSSLMODE", "verify-full", 1);
	ok(store_url_check("postgresql:///ankang", why, sizeof why) == AK_EINVAL,
	   "PGSSLMODE=verify-full does not stand in for the URL's sslmode");
	s = NULL;
	ok(store_open(&s, "postgresql:///ankang", 0) == AK_EINVAL && s == NULL,
	   "store_open refuses it too, before connecting");
	unsetenv("PGHOST");
	unsetenv("PGSSLMODE");
	setenv("PGHOSTADDR", "192.0.2.1", 1);
	ok(store_url_check("postgresql://localhost/ankang", why, sizeof why) == AK_EINVAL &&
	       strstr(why, "192.0.2.1") != NULL,
	   "PGHOSTADDR elsewhere under a local host name: refused");
	ok(store_url_check("postgresql://localhost/ankang?hostaddr=127.0.0.1", why, sizeof why) ==
	       0,
	   "the URL's hostaddr wins over PGHOSTADDR");
	unsetenv("PGHOSTADDR");
	setenv("PGSERVICE", "ankang", 1);
	ok(store_url_check("postgresql:///ankang?host=/tmp", why, sizeof why) == AK_EINVAL &&
	       strstr(why, "PGSERVICE") != NULL,
	   "PGSERVICE set: refused");
	unsetenv("PGSERVICE");
	ok(store_url_check("postgresql:///ankang?host=/tmp", why, sizeof why) == 0,
	   "and accepted once it is gone");
	return tap_done();
}
