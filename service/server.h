/*
 * server: the running service's shared state, what every handler may
 * reach through rq->srv. Created by `ankangd serve` (cmd_serve.c), which
 * owns its lifetime: open the data folder and KEK, open the audit log,
 * publish the lists, start HTTP; on SIGTERM/SIGINT stop HTTP (draining
 * requests that wait on the writer), then close the log, which signs the
 * final checkpoint.
 *
 * Everything here is read-only after start-up except through the
 * functions below, which are thread-safe.
 */
#ifndef ANKANG_SERVER_H
#define ANKANG_SERVER_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/seal.h"
#include "log/auditlog.h"
#include "service/datadir.h"
#include "service/http.h"
#include "log/store.h"

#define SERVER_DEFAULT_CODE_TTL 300
#define SERVER_DEFAULT_MAX_BODY 16384
#define SERVER_MAX_CONNECTIONS  4096

struct server_config {
	char data_dir[PATH_MAX];
	const char *kek_file;    /* NULL: from ankang.conf or DIR/keys/kek.key */
	char listen_host[64];    /* numeric address to bind, "127.0.0.1" */
	unsigned listen_port;    /* 0: any free port (see port_file) */
	const char *port_file;   /* written with the bound port, for tests */
	unsigned threads;        /* server threads (default: 2 per core, >= 4) */
	unsigned code_ttl;       /* seconds a resident's code lives */
	int enroll_officer_only; /* --enroll officer */
	const char *tls_cert, *tls_key;
	size_t max_body;      /* cap on any request body */
	unsigned skew;        /* clock skew for verification */
	unsigned session_ttl; /* seconds a resident's login lasts */
	int quiet;            /* no per-request log lines */
	struct auditlog_config log;
};

struct metrics;
struct lists;
struct ratelimit;

struct server {
	struct server_config cfg;
	struct datadir *dd; /* root, log and active issuer keys loaded */
	seal_kek *kek;
	auditlog *log;
	char db_path[PATH_MAX];
	struct lists *lists;  /* the signed trust and revocation notes */
	struct ratelimit *rl; /* failed logins, enrolments */
	struct metrics *metrics;
	const struct http_route *routes;
	size_t n_routes;
	void *mhd; /* struct MHD_Daemon */
	unsigned port;
	atomic_int stopping;

	/* Read connections, one per server thread, opened on first use. */
	pthread_mutex_t readers_mu;
	store **readers;
	size_t n_readers, cap_readers;
};

/* This thread's read connection to the database (opened on first use);
 * NULL if it cannot be opened. Closed by server_close_readers. */
store *server_reader(struct server *s);
void server_close_readers(struct server *s);

/* The resident's audit pseudonym (the subject of their leaves). */
void server_pseudonym(const struct server *s, uint64_t resident_id,
		      uint8_t out[SEAL_PSEUDONYM_BYTES]);

#endif
