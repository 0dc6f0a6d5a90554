/*
 * ankangd serve: runs the issuer service (see server.h for the order of
 * start-up and shutdown).
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by
 * sigwait in the main thread, so no handler runs inside library code;
 * the main thread then stops HTTP (in-flight operations finish and are
 * answered), stops the list publisher and closes the log, which signs the
 * final checkpoint. SIGPIPE is ignored: a client that hangs up is not a
 * reason to die.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/util.h"
#include "service/commands.h"
#include "service/lists.h"
#include "service/metrics.h"
#include "service/policy.h"
#include "service/ratelimit.h"
#include "service/routes.h"
#include "service/server.h"
#include "service/upkeep.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

static const char serve_usage[] =
    "usage: ankangd serve --data DIR [--listen ADDR:PORT] [--threads N]\n"
    "                     [--code-ttl SECONDS] [--enroll open|officer]\n"
    "                     [--tls-cert FILE --tls-key FILE] [--kek-file FILE]\n"
    "                     [--max-body BYTES] [--port-file FILE] [--quiet]\n"
    "                     [--scrub-rate LEAVES_PER_SECOND]\n"
    "\n"
    "Runs the HTTP service until SIGTERM or SIGINT.\n"
    "  --listen ADDR:PORT  numeric IPv4 address and port (default 127.0.0.1:8080;\n"
    "                      port 0 picks a free one, written to --port-file)\n"
    "  --threads N         server threads (default 2 per CPU, at least 4)\n"
    "  --code-ttl SECONDS  how long a resident's code lives (default 300)\n"
    "  --enroll officer    only officers may enrol residents (default: open)\n"
    "  --tls-cert/--tls-key  serve HTTPS (the key file must be 0600)\n"
    "  --kek-file FILE     the key-encryption key, if not where init put it\n"
    "  --max-body BYTES    cap on request bodies (default 16384)\n"
    "  --scrub-rate N      audit log leaves rehashed a second in the background\n"
    "                      (default " STR(
	AUDITLOG_SCRUB_LEAVES_PER_S) "; 0: off)\n"
				     "  --quiet             no per-request log lines\n";

static int parse_listen(struct server_config *c, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	uint64_t port;
	size_t hlen;

	if (colon == NULL || (hlen = (size_t)(colon - arg)) == 0 || hlen >= sizeof c->listen_host)
		return -1;
	if (util_parse_u64(colon + 1, strlen(colon + 1), &port) != 0 || port > 65535)
		return -1;
	memcpy(c->listen_host, arg, hlen);
	c->listen_host[hlen] = '\0';
	c->listen_port = (unsigned)port;
	return 0;
}

static int parse_args(struct server_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"threads", required_argument, NULL, 't'},
	    {"code-ttl", required_argument, NULL, 'c'},
	    {"enroll", required_argument, NULL, 'e'},
	    {"tls-cert", required_argument, NULL, 'C'},
	    {"tls-key", required_argument, NULL, 'K'},
	    {"kek-file", required_argument, NULL, 'k'},
	    {"max-body", required_argument, NULL, 'b'},
	    {"port-file", required_argument, NULL, 'p'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"scrub-rate", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t v;
	int ch;

	snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
	c->listen_port = 8080;
	c->threads = ncpu > 2 ? (unsigned)(2 * ncpu) : 4;
	c->code_ttl = SERVER_DEFAULT_CODE_TTL;
	c->max_body = SERVER_DEFAULT_MAX_BODY;
	c->skew = CRED_DEFAULT_SKEW;
	c->session_ttl = POLICY_SESSION_TTL;
	auditlog_config_default(&c->log);

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *bad = NULL;
		switch (ch) {
		case 'd':
			if (strlen(optarg) >= sizeof c->data_dir)
				bad = "--data: path too long";
			else
				snprintf(c->data_dir, sizeof c->data_dir, "%s", optarg);
			break;
		case 'l':
			if (parse_listen(c, optarg) != 0)
				bad = "--listen must be ADDR:PORT, e.g. 127.0.0.1:8080";
			break;
		case 't':
			if (util_parse_u64(optarg, strlen(optarg), &v) != 0 || v < 1 || v > 256)
				bad = "--threads must be 1 to 256";
			else
				c->threads = (unsigned)v;
			break;
		case 'c':
			if (util_parse_u64(optarg, strlen(optarg), &v) != 0 || v < 30 || v > 86400)
				bad = "--code-ttl must be 30 to 86400 seconds";
			else
				c->code_ttl = (unsigned)v;
			break;
		case 'e':
			if (strcmp(optarg, "officer") == 0)
				c->enroll_officer_only = 1;
			else if (strcmp(optarg, "open") != 0)
				bad = "--enroll must be open or officer";
			break;
		case 'C':
			c->tls_cert = optarg;
			break;
		case 'K':
			c->tls_key = optarg;
			break;
		case 'k':
			c->kek_file = optarg;
			break;
		case 'b':
			if (util_parse_u64(optarg, strlen(optarg), &v) != 0 || v < 1024 ||
			    v > (1u << 20))
				bad = "--max-body must be 1024 to 1048576 bytes";
			else
				c->max_body = (size_t)v;
			break;
		case 'p':
			c->port_file = optarg;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'S':
			if (util_parse_u64(optarg, strlen(optarg), &v) != 0 || v > 10000000)
				bad = "--scrub-rate must be 0 to 10000000 leaves a second";
			else
				c->log.scrub_leaves_per_s = (unsigned)v;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return 1;
		default:
			fputs(serve_usage, stderr);
			return -1;
		}
		if (bad != NULL) {
			cli_error("serve: %s", bad);
			return -1;
		}
	}
	if (optind != argc || c->data_dir[0] == '\0') {
		cli_error("serve: --data is required (try --help)");
		return -1;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		cli_error("serve: --tls-cert and --tls-key go together");
		return -1;
	}
	return 0;
}

static int write_port_file(const char *path, unsigned port)
{
	char text[16];
	int n = snprintf(text, sizeof text, "%u\n", port);
	return util_write_file_atomic(path, text, (size_t)n, 0644, 0);
}

/* The housekeeping thread (upkeep.h); it submits to the log, so it stops
 * after HTTP and before the log closes. */
static struct upkeep *upkeep;

static void teardown(struct server *srv, int lock_fd)
{
	http_stop(srv);
	upkeep_stop(upkeep);
	upkeep = NULL;
	lists_close(srv->lists);
	auditlog_close(srv->log);
	server_close_readers(srv);
	ratelimit_free(srv->rl);
	metrics_free(srv->metrics);
	seal_kek_free(srv->kek);
	datadir_close(srv->dd);
	pthread_mutex_destroy(&srv->readers_mu);
	datadir_unlock(lock_fd);
}

int cmd_serve(int argc, char **argv)
{
	struct server srv;
	sigset_t sigs;
	const char *why = NULL;
	int rc, sig, lock_fd = -1;
	unsigned port = 0;

	memset(&srv, 0, sizeof srv);
	if ((rc = parse_args(&srv.cfg, argc, argv)) != 0)
		return rc > 0 ? CLI_OK : CLI_USAGE;

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&srv.readers_mu, NULL);
	srv.routes = server_routes;
	srv.n_routes = server_n_routes;

	if (cmd_open_datadir(&srv.dd, "serve", srv.cfg.data_dir,
			     DATADIR_ROOT | DATADIR_LOG | DATADIR_ISSUER, srv.cfg.kek_file,
			     NULL) != CLI_OK)
		goto fail;
	/* One service per data folder: two would each think they own the
	 * revocation list, and `keys rotate` must know none is running. */
	if ((rc = datadir_lock(srv.dd, &lock_fd)) != 0) {
		cli_error("serve: %s: %s", srv.cfg.data_dir,
			  rc == AK_EBUSY ? "another ankangd serve is running on this data folder"
					 : ak_strerror(rc));
		goto fail;
	}
	if ((rc = seal_kek_load(&srv.kek, srv.dd->kek_path)) != 0) {
		cli_error("serve: key-encryption key %s: %s", srv.dd->kek_path, ak_strerror(rc));
		goto fail;
	}
	if ((rc = datadir_file(srv.dd, srv.db_path, sizeof srv.db_path, DATADIR_DB)) != 0)
		goto fail;
	if ((rc = auditlog_open(&srv.log, srv.db_path, srv.dd->log, &srv.cfg.log, &why)) != 0) {
		cli_error("serve: audit log: %s: %s", ak_strerror(rc), why ? why : "");
		goto fail;
	}
	rc = AK_ENOMEM;
	if ((srv.rl = ratelimit_new()) == NULL || (srv.metrics = metrics_new(srv.n_routes)) == NULL)
		goto fail;
	if ((rc = lists_open(&srv.lists, &srv)) != 0) {
		cli_error("serve: signing the revocation list: %s", ak_strerror(rc));
		goto fail;
	}
	if ((rc = upkeep_start(&upkeep, &srv)) != 0)
		goto fail;
	if ((rc = http_start(&srv, &port)) != 0) {
		cli_error("serve: cannot listen on %s:%u: %s", srv.cfg.listen_host,
			  srv.cfg.listen_port, ak_strerror(rc));
		goto fail;
	}
	if (srv.cfg.port_file != NULL && (rc = write_port_file(srv.cfg.port_file, port)) != 0) {
		cli_error("serve: --port-file %s: %s", srv.cfg.port_file, ak_strerror(rc));
		goto fail;
	}
	fprintf(stderr, "ankangd: listening on %s://%s:%u/ (origin %s, %u threads)\n",
		srv.cfg.tls_cert ? "https" : "http", srv.cfg.listen_host, port, srv.dd->origin,
		srv.cfg.threads);

	for (;;) {
		if (sigwait(&sigs, &sig) == 0 && (sig == SIGTERM || sig == SIGINT))
			break;
	}
	fprintf(stderr, "ankangd: stopping (signal %d): draining requests\n", sig);
	teardown(&srv, lock_fd);
	fprintf(stderr, "ankangd: stopped; final checkpoint signed\n");
	return CLI_OK;
fail:
	teardown(&srv, lock_fd);
	return CLI_USAGE;
}
