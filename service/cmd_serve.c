/*
 * ankangd serve: runs the service: the core (app.h), then HTTP on top of
 * it (http.h), until SIGTERM or SIGINT; then HTTP stops (requests waiting
 * on the audit writer finish and are answered) and the core closes (the
 * log signs its final checkpoint).
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by
 * sigwait in the main thread, so no handler runs inside library code.
 * SIGPIPE is ignored: a client that hangs up is not a reason to die.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/util.h"
#include "service/app.h"
#include "service/commands.h"
#include "service/http/http.h"
#include "service/oplog.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

static const char serve_usage[] =
    "usage: ankangd serve --data DIR [--listen ADDR:PORT] [--threads N]\n"
    "                     [--code-ttl SECONDS] [--enroll open|officer]\n"
    "                     [--tls-cert FILE --tls-key FILE] [--kek-file FILE]\n"
    "                     [--max-body BYTES] [--max-connections N] [--per-address N]\n"
    "                     [--head-timeout SECONDS] [--request-timeout SECONDS]\n"
    "                     [--idle-timeout SECONDS]\n"
    "                     [--officer-reads N] [--scrub-rate LEAVES_PER_SECOND]\n"
    "                     [--epoch-seconds SECONDS]\n"
    "                     [--port-file FILE] [--quiet]\n"
    "\n"
    "Runs the HTTP service until SIGTERM or SIGINT.\n"
    "  --listen ADDR:PORT      numeric IPv4 address and port (default 127.0.0.1:8080;\n"
    "                          port 0 picks a free one, written to --port-file)\n"
    "  --port-file FILE        write the port listened on to FILE once listening\n"
    "  --threads N             server threads (default 2 per CPU, at least 4)\n"
    "  --code-ttl SECONDS      how long a resident's code lives (default 300)\n"
    "  --enroll officer        only officers may enrol residents (default: open)\n"
    "  --tls-cert/--tls-key    serve HTTPS (the key file must be 0600)\n"
    "  --kek-file FILE         the key-encryption key, if not where init put it\n"
    "  --max-body BYTES        cap on request bodies (default 16384)\n"
    "  --max-connections N     open connections at most (default 4096)\n"
    "  --per-address N         open connections per client address (default 64)\n"
    "  --head-timeout S        a request's head must arrive within S seconds of its\n"
    "                          first byte (default 10)\n"
    "  --request-timeout S     and its head and body within S seconds (default 30)\n"
    "  --idle-timeout S        close a keep-alive connection idle S seconds (default 30)\n"
    "  --officer-reads N       look-ups and paper codes an officer may make in ten\n"
    "                          minutes (default 60)\n"
    "  --scrub-rate N          audit log leaves rehashed a second in the background\n"
    "                          (default " STR(
	AUDITLOG_SCRUB_LEAVES_PER_S) "; 0: off)\n"
				     "  --epoch-seconds S       rotate the KEK epoch every S "
				     "seconds (default\n"
				     "                          86400; 0: only by `ankangd keys "
				     "rotate-epoch`);\n"
				     "                          a backup opens no one once the "
				     "next rotation ends\n"
				     "  --quiet                 no per-request log lines\n";

struct serve_args {
	struct app_config app;
	struct http_settings http;
	const char *port_file;
};

static int parse_listen(struct http_settings *s, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	uint64_t port;
	size_t hlen;

	if (colon == NULL || (hlen = (size_t)(colon - arg)) == 0 || hlen >= sizeof s->listen_host)
		return -1;
	if (util_parse_u64(colon + 1, strlen(colon + 1), &port) != 0 || port > 65535)
		return -1;
	memcpy(s->listen_host, arg, hlen);
	s->listen_host[hlen] = '\0';
	s->listen_port = (unsigned)port;
	return 0;
}

/* A number in [lo, hi] into *out; else the message. */
static const char *number(const char *arg, uint64_t lo, uint64_t hi, unsigned *out, const char *msg)
{
	uint64_t v;

	if (util_parse_u64(arg, strlen(arg), &v) != 0 || v < lo || v > hi)
		return msg;
	*out = (unsigned)v;
	return NULL;
}

static int parse_args(struct serve_args *a, int argc, char **argv)
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
	    {"max-connections", required_argument, NULL, 'm'},
	    {"per-address", required_argument, NULL, 'a'},
	    {"head-timeout", required_argument, NULL, 'H'},
	    {"request-timeout", required_argument, NULL, 'r'},
	    {"idle-timeout", required_argument, NULL, 'i'},
	    {"scrub-rate", required_argument, NULL, 'S'},
	    {"epoch-seconds", required_argument, NULL, 'E'},
	    {"officer-reads", required_argument, NULL, 'o'},
	    {"port-file", required_argument, NULL, 'p'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct app_config *c = &a->app;
	struct http_settings *s = &a->http;
	unsigned v = 0;
	int ch, status = CLI_OK;

	app_config_default(c);
	http_settings_default(s);
	optind = 1;
	while ((ch = cli_getopt(argc, argv, opts, 'h', serve_usage, &status)) > 0) {
		const char *bad = NULL;
		switch (ch) {
		case 'd':
			if (strlen(optarg) >= sizeof c->data_dir)
				bad = "--data: path too long";
			else
				snprintf(c->data_dir, sizeof c->data_dir, "%s", optarg);
			break;
		case 'l':
			if (parse_listen(s, optarg) != 0)
				bad = "--listen must be ADDR:PORT, e.g. 127.0.0.1:8080";
			break;
		case 't':
			bad = number(optarg, 1, 256, &s->threads, "--threads must be 1 to 256");
			break;
		case 'c':
			bad = number(optarg, 30, 86400, &c->code_ttl,
				     "--code-ttl must be 30 to 86400 seconds");
			break;
		case 'e':
			if (strcmp(optarg, "officer") == 0)
				c->authz.enroll_officer_only = 1;
			else if (strcmp(optarg, "open") != 0)
				bad = "--enroll must be open or officer";
			break;
		case 'C':
			s->tls_cert = optarg;
			break;
		case 'K':
			s->tls_key = optarg;
			break;
		case 'k':
			c->kek_file = optarg;
			break;
		case 'b':
			if ((bad = number(optarg, 1024, 1u << 20, &v,
					  "--max-body must be 1024 to 1048576 bytes")) == NULL)
				s->max_body = v;
			break;
		case 'm':
			bad = number(optarg, 16, 1u << 20, &s->connections,
				     "--max-connections must be 16 to 1048576");
			break;
		case 'a':
			bad = number(optarg, 1, 1u << 20, &s->per_address,
				     "--per-address must be 1 to 1048576");
			break;
		case 'H':
			bad = number(optarg, 1, 3600, &s->head_s,
				     "--head-timeout must be 1 to 3600 seconds");
			break;
		case 'r':
			bad = number(optarg, 1, 3600, &s->request_s,
				     "--request-timeout must be 1 to 3600 seconds");
			break;
		case 'i':
			bad = number(optarg, 1, 86400, &s->idle_s,
				     "--idle-timeout must be 1 to 86400 seconds");
			break;
		case 'o':
			bad = number(optarg, 1, 100000, &c->limits.officer_reads,
				     "--officer-reads must be 1 to 100000");
			break;
		case 'S':
			bad = number(optarg, 0, 10000000, &c->log.scrub_leaves_per_s,
				     "--scrub-rate must be 0 to 10000000 leaves a second");
			break;
		case 'E':
			if ((bad = number(optarg, 0, 366u * 86400u, &v,
					  "--epoch-seconds must be 0 to 31622400")) == NULL)
				c->epoch_every = v;
			break;
		case 'p':
			a->port_file = optarg;
			break;
		case 'q':
			s->quiet = 1;
			break;
		}
		if (bad != NULL) {
			cli_error("serve: %s", bad);
			return CLI_USAGE;
		}
	}
	if (ch < 0)
		return status == CLI_OK ? 1 : status;
	if (cli_no_operands(argc, argv, "serve") != CLI_OK)
		return CLI_USAGE;
	if (c->data_dir[0] == '\0') {
		cli_error("serve: --data is required (try --help)");
		return CLI_USAGE;
	}
	if ((s->tls_cert == NULL) != (s->tls_key == NULL)) {
		cli_error("serve: --tls-cert and --tls-key go together");
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int write_port_file(const char *path, unsigned port)
{
	char text[16];
	int n = snprintf(text, sizeof text, "%u\n", port);
	return util_write_file_atomic(path, text, (size_t)n, 0644, 0);
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a;
	char why[512];
	app *core = NULL;
	http_server *h = NULL;
	sigset_t sigs;
	unsigned port = 0;
	int rc, sig = 0;

	memset(&a, 0, sizeof a);
	if ((rc = parse_args(&a, argc, argv)) != CLI_OK)
		return rc > 0 && rc != CLI_USAGE ? CLI_OK : rc;

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = app_open(&core, &a.app, why, sizeof why)) != 0) {
		cli_error("serve: %s", why);
		return CLI_USAGE;
	}
	if ((rc = http_start(&h, core, &a.http, &port)) != 0) {
		cli_error("serve: cannot listen on %s:%u: %s", a.http.listen_host,
			  a.http.listen_port,
			  rc == AK_EEXIST    ? "the address is in use (another ankangd serve, or "
					       "another program, listens there)"
			  : rc == AK_EDENIED ? "not allowed to bind it (a port below 1024?)"
					     : ak_strerror(rc));
		app_close(core);
		return CLI_USAGE;
	}
	if (a.port_file != NULL && (rc = write_port_file(a.port_file, port)) != 0) {
		cli_error("serve: --port-file %s: %s", a.port_file, ak_strerror(rc));
		http_stop(h);
		app_close(core);
		return CLI_USAGE;
	}
	oplog_note("listening on %s://%s:%u/ (%u threads)", a.http.tls_cert ? "https" : "http",
		   a.http.listen_host, port, a.http.threads);

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	oplog_note("stopping (signal %d): draining requests", sig);
	http_stop(h);
	app_close(core);
	oplog_note("stopped; final checkpoint signed");
	return CLI_OK;
}
