/*
 * ankangd serve: runs the service: the core (app.h), then HTTP on top of
 * it (http.h), until SIGTERM or SIGINT; then HTTP stops (requests waiting
 * on the audit writer finish and are answered) and the core closes (the
 * log signs its final checkpoint).
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by
 * sigtimedwait in the main thread, so no handler runs inside library code.
 * SIGPIPE is ignored: a client that hangs up is not a reason to die.
 *
 * Under systemd (Type=notify, notify.h) the main thread says READY=1 once
 * every socket listens, STOPPING=1 when the stop begins, and, waking every
 * few seconds between signals, a STATUS= line when the audit log starts
 * refusing writes, so `systemctl status` shows it without a request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/conf.h"
#include "common/util.h"
#include "log/auditlog.h"
#include "service/app.h"
#include "service/commands.h"
#include "service/http/forwarded.h"
#include "service/http/http.h"
#include "service/notify.h"
#include "service/oplog.h"
#include "service/policy.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

/* How often the main thread looks, between signals, whether the audit log
 * has begun to refuse writes (for systemd's STATUS=). */
#define SERVE_WATCH_SECONDS 2

/* The configuration file read when --config does not name one, if it
 * exists (a build may place it elsewhere). The environment's
 * ANKANGD_CONFIG, when set, replaces it, and set empty means no file:
 * the tests and benchmarks set it so that a host's own settings never
 * reach the servers they start. */
#ifndef ANKANGD_CONFIG_FILE
#define ANKANGD_CONFIG_FILE "/etc/ankang/ankangd.conf"
#endif

static const char serve_usage[] =
    "usage: ankangd serve --data DIR [--listen HOST:PORT]... [--threads N]\n"
    "                     [--code-ttl SECONDS] [--enroll open|officer]\n"
    "                     [--tls-cert FILE --tls-key FILE] [--kek-file FILE]\n"
    "                     [--max-body BYTES] [--max-connections N] [--per-address N]\n"
    "                     [--head-timeout SECONDS] [--request-timeout SECONDS]\n"
    "                     [--idle-timeout SECONDS]\n"
    "                     [--officer-reads N] [--officer-window SECONDS]\n"
    "                     [--enroll-per-hour N] [--login-tries N] [--login-lock SECONDS]\n"
    "                     [--login-lock-max SECONDS] [--login-per-address N]\n"
    "                     [--trusted-proxy CIDR]... [--scrub-rate LEAVES_PER_SECOND]\n"
    "                     [--epoch-seconds SECONDS] [--epoch-stale SECONDS]\n"
    "                     [--appeal-deadline SECONDS]\n"
    "                     [--witness VKEY@URL]... [--witness-quorum N]\n"
    "                     [--checkpoint-interval MS] [--max-queue N] [--max-unsigned N]\n"
    "                     [--batch-gather USEC]\n"
    "                     [--port-file FILE] [--quiet] [--config FILE]\n"
    "\n"
    "Runs the HTTP service until SIGTERM or SIGINT.\n"
    "  --config FILE           settings as `key = value` lines, a key for each\n"
    "                          option (listen = 127.0.0.1:8080, quiet = yes);\n"
    "                          flags override it (default $ANKANGD_CONFIG if set,\n"
    "                          empty for none, else " ANKANGD_CONFIG_FILE ",\n"
    "                          if it exists)\n"
    "  --listen HOST:PORT      an address to listen on: IPv4, [IPv6] or a host name\n"
    "                          (every address it resolves to); repeatable (default\n"
    "                          127.0.0.1:8080; port 0 picks a free one)\n"
    "  --port-file FILE        once listening, write each socket's port to FILE, one\n"
    "                          line each, in the order of --listen\n"
    "  --threads N             server threads (default 2 per CPU, at least 4)\n"
    "  --code-ttl SECONDS      how long a resident's code lives (default 300)\n"
    "  --enroll officer        only officers may enrol residents (default: open)\n"
    "  --tls-cert/--tls-key    serve HTTPS (the key file must be 0600)\n"
    "  --kek-file FILE         the key-encryption key, if not where init put it\n"
    "  --max-body BYTES        cap on request bodies (default 16384)\n"
    "  --max-connections N     open connections at most (default 4096)\n"
    "  --per-address N         open connections per peer address (default 64; the\n"
    "                          TCP peer: a proxy's connections all count as its own)\n"
    "  --head-timeout S        a request's head must arrive within S seconds of its\n"
    "                          first byte (default 10)\n"
    "  --request-timeout S     and its head and body within S seconds (default 30)\n"
    "  --idle-timeout S        close a keep-alive connection idle S seconds (default 30)\n"
    "  --officer-reads N       look-ups and paper codes an officer may make in\n"
    "  --officer-window S      S seconds (defaults 60 in 600)\n"
    "  --enroll-per-hour N     open enrolments per client address an hour (default 10)\n"
    "  --login-tries N         failed log-ins on one account from one address before\n"
    "  --login-lock S          it is locked S seconds, doubling with each further\n"
    "  --login-lock-max S      failure up to S (defaults 5, 60, 3600)\n"
    "  --login-per-address N   failed log-ins per client address in 15 minutes, any\n"
    "                          account (default 20)\n"
    "  --trusted-proxy CIDR    a reverse proxy whose X-Forwarded-For names the client\n"
    "                          address the limits count (repeatable; IPv4 or IPv6)\n"
    "  --scrub-rate N          audit log leaves rehashed a second in the background\n"
    "                          (default " STR(
	AUDITLOG_SCRUB_LEAVES_PER_S) "; 0: off)\n"
				     "  --epoch-seconds S       rotate the KEK epoch every S "
				     "seconds (default\n"
				     "                          86400; 0: only by `ankangd keys "
				     "rotate-epoch`);\n"
				     "                          a backup opens no one once the "
				     "next rotation ends\n"
				     "  --epoch-stale S         on PostgreSQL, a node unseen for S "
				     "seconds does not\n"
				     "                          hold a rotation back (default: a "
				     "quarter of\n"
				     "                          --epoch-seconds, 5 to 300)\n"
				     "  --appeal-deadline S     an appeal is owed an answer within "
				     "S "
				     "seconds\n"
				     "                          (default 86400); later, it is "
				     "overdue\n"
				     "  --witness VKEY@URL      a witness that cosigns the log's "
				     "checkpoints (C2SP\n"
				     "                          tlog-witness): its cosigner vkey, "
				     "or a file holding\n"
				     "                          it, and its URL prefix; "
				     "repeatable. Then only a\n"
				     "                          checkpoint a quorum cosigned is "
				     "served\n"
				     "  --witness-quorum N      how many must cosign (default: all "
				     "of them)\n"
				     "  --checkpoint-interval MS  at most one new checkpoint per "
				     "MS "
				     "milliseconds\n"
				     "                          (default 1000)\n"
				     "  --max-queue N           requests waiting for the audit "
				     "writer at most; past\n"
				     "                          it 503 overloaded, Retry-After: 1 "
				     "(default 0: no bound)\n"
				     "  --max-unsigned N        PostgreSQL: leaves not yet under a "
				     "signed checkpoint\n"
				     "                          at most; past it 503 overloaded "
				     "(default 100000;\n"
				     "                          0: no bound)\n"
				     "  --batch-gather USEC     while busy, the audit writer waits "
				     "up to USEC\n"
				     "                          microseconds for more requests "
				     "before a batch\n"
				     "                          (default 4000 on PostgreSQL, 0 on "
				     "SQLite)\n"
				     "  --quiet                 no per-request log lines\n";
/* The usage's words, held to the constant. */
_Static_assert(AUDITLOG_MAX_UNSIGNED == 100000, "serve_usage names --max-unsigned's default");
_Static_assert(AUDITLOG_GATHER_PG_US == 4000, "serve_usage names --batch-gather's default");

struct serve_args {
	struct app_config app;
	struct http_settings http;
	const char *port_file;
	char *conf_text; /* the configuration file: its values point into it */
	/* Set once the file is read: the command line's first --trusted-proxy
	 * replaces the file's list rather than adding to it. */
	int replace_proxies;
	/* The same for --listen, whose first one also replaces the default. */
	int replace_listen;
	/* And for --witness. */
	int replace_witnesses;
};

/* The rate limits' options (limits.h), past any character. */
enum {
	OPT_OFFICER_WINDOW = 256,
	OPT_ENROLL_PER_HOUR,
	OPT_LOGIN_TRIES,
	OPT_LOGIN_LOCK,
	OPT_LOGIN_LOCK_MAX,
	OPT_LOGIN_PER_ADDRESS,
	OPT_APPEAL_DEADLINE,
	OPT_WITNESS,
	OPT_WITNESS_QUORUM,
	OPT_CHECKPOINT_INTERVAL,
	OPT_MAX_QUEUE,
	OPT_MAX_UNSIGNED,
	OPT_EPOCH_STALE,
	OPT_BATCH_GATHER,
};

/*
 * Every setting, once: getopt_long reads the command line from this table,
 * and the configuration file's keys are its names (all but config and
 * help). Both go through serve_set.
 */
static const struct option serve_opts[] = {
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
    {"epoch-stale", required_argument, NULL, OPT_EPOCH_STALE},
    {"officer-reads", required_argument, NULL, 'o'},
    {"officer-window", required_argument, NULL, OPT_OFFICER_WINDOW},
    {"enroll-per-hour", required_argument, NULL, OPT_ENROLL_PER_HOUR},
    {"login-tries", required_argument, NULL, OPT_LOGIN_TRIES},
    {"login-lock", required_argument, NULL, OPT_LOGIN_LOCK},
    {"login-lock-max", required_argument, NULL, OPT_LOGIN_LOCK_MAX},
    {"login-per-address", required_argument, NULL, OPT_LOGIN_PER_ADDRESS},
    {"appeal-deadline", required_argument, NULL, OPT_APPEAL_DEADLINE},
    {"trusted-proxy", required_argument, NULL, 'P'},
    {"witness", required_argument, NULL, OPT_WITNESS},
    {"witness-quorum", required_argument, NULL, OPT_WITNESS_QUORUM},
    {"checkpoint-interval", required_argument, NULL, OPT_CHECKPOINT_INTERVAL},
    {"max-queue", required_argument, NULL, OPT_MAX_QUEUE},
    {"max-unsigned", required_argument, NULL, OPT_MAX_UNSIGNED},
    {"batch-gather", required_argument, NULL, OPT_BATCH_GATHER},
    {"port-file", required_argument, NULL, 'p'},
    {"quiet", no_argument, NULL, 'q'},
    {"config", required_argument, NULL, 'F'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/*
 * ADDR:PORT into the next listen slot: ADDR a host name, an IPv4 address,
 * or an IPv6 address in brackets ([::1]:8080). Only the form is checked
 * here; whether a name resolves is seen when the service starts.
 */
static int parse_listen(struct http_settings *s, const char *arg)
{
	struct http_listen *l = &s->listen[s->n_listen];
	const char *host = arg, *colon;
	unsigned char v6[16];
	uint64_t port;
	size_t hlen;

	if (s->n_listen == HTTP_MAX_LISTEN)
		return -1;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		host = arg + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		if ((colon = strchr(arg, ':')) == NULL || strchr(colon + 1, ':') != NULL)
			return -1; /* an IPv6 address goes in brackets */
		hlen = (size_t)(colon - arg);
		if (strspn(arg,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    hlen)
			return -1;
	}
	if (hlen == 0 || hlen >= sizeof l->host)
		return -1;
	if (util_parse_u64(colon + 1, strlen(colon + 1), &port) != 0 || port > 65535)
		return -1;
	memcpy(l->host, host, hlen);
	l->host[hlen] = '\0';
	if (arg[0] == '[' && inet_pton(AF_INET6, l->host, v6) != 1)
		return -1;
	l->port = (unsigned)port;
	s->n_listen++;
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

/* One more --witness VKEY@URL (witnessing.h); NULL or what is wrong. */
static const char *add_witness(struct serve_args *a, const char *arg)
{
	struct witnessing_config *w = &a->app.witnesses;
	struct witnessing_peer p;
	const char *bad;

	if (a->replace_witnesses) {
		w->n = 0;
		a->replace_witnesses = 0;
	}
	if (w->n == COSIG_MAX_KEYS)
		return "--witness: at most " STR(COSIG_MAX_KEYS) " witnesses";
	if ((bad = witnessing_peer_parse(&p, arg)) != NULL)
		return bad;
	for (size_t i = 0; i < w->n; i++)
		if (w->peers[i].key.id == p.key.id && strcmp(w->peers[i].vkey, p.vkey) == 0)
			return "--witness: the same witness key twice";
	w->peers[w->n++] = p;
	return NULL;
}

/*
 * Setting ch (serve_opts) to arg, from the command line or the file; arg
 * must outlive the settings (argv, or conf_text). NULL, or what is wrong
 * (a message that names the setting as "--name" and never holds arg).
 */
static const char *serve_set(struct serve_args *a, int ch, const char *arg)
{
	struct app_config *c = &a->app;
	struct http_settings *s = &a->http;
	unsigned v = 0;
	const char *bad = NULL;

	switch (ch) {
	case 'd':
		if (strlen(arg) >= sizeof c->data_dir)
			bad = "--data: path too long";
		else
			snprintf(c->data_dir, sizeof c->data_dir, "%s", arg);
		break;
	case 'l':
		if (a->replace_listen) {
			s->n_listen = 0;
			a->replace_listen = 0;
		}
		if (s->n_listen == HTTP_MAX_LISTEN)
			bad = "--listen: at most " STR(HTTP_MAX_LISTEN) " addresses";
		else if (parse_listen(s, arg) != 0)
			bad = "--listen must be HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080, "
			      "localhost:8080";
		break;
	case 't':
		bad = number(arg, 1, 256, &s->threads, "--threads must be 1 to 256");
		break;
	case 'c':
		bad =
		    number(arg, 30, 86400, &c->code_ttl, "--code-ttl must be 30 to 86400 seconds");
		break;
	case 'e':
		if (strcmp(arg, "officer") == 0)
			c->authz.enroll_officer_only = 1;
		else if (strcmp(arg, "open") == 0)
			c->authz.enroll_officer_only = 0;
		else
			bad = "--enroll must be open or officer";
		break;
	case 'C':
		s->tls_cert = arg;
		break;
	case 'K':
		s->tls_key = arg;
		break;
	case 'k':
		c->kek_file = arg;
		break;
	case 'b':
		if ((bad = number(arg, 1024, 1u << 20, &v,
				  "--max-body must be 1024 to 1048576 bytes")) == NULL)
			s->max_body = v;
		break;
	case 'm':
		bad = number(arg, 16, 1u << 20, &s->connections,
			     "--max-connections must be 16 to 1048576");
		break;
	case 'a':
		bad =
		    number(arg, 1, 1u << 20, &s->per_address, "--per-address must be 1 to 1048576");
		break;
	case 'H':
		bad = number(arg, 1, 3600, &s->head_s, "--head-timeout must be 1 to 3600 seconds");
		break;
	case 'r':
		bad = number(arg, 1, 3600, &s->request_s,
			     "--request-timeout must be 1 to 3600 seconds");
		break;
	case 'i':
		bad =
		    number(arg, 1, 86400, &s->idle_s, "--idle-timeout must be 1 to 86400 seconds");
		break;
	case 'o':
		bad = number(arg, 1, 100000, &c->limits.officer_reads,
			     "--officer-reads must be 1 to 100000");
		break;
	case OPT_OFFICER_WINDOW:
		bad = number(arg, 1, 86400, &c->limits.officer_window_s,
			     "--officer-window must be 1 to 86400 seconds");
		break;
	case OPT_ENROLL_PER_HOUR:
		bad = number(arg, 1, 1000000, &c->limits.enrol_per_hour,
			     "--enroll-per-hour must be 1 to 1000000");
		break;
	case OPT_LOGIN_TRIES:
		bad =
		    number(arg, 1, 1000, &c->limits.login_tries, "--login-tries must be 1 to 1000");
		break;
	case OPT_LOGIN_LOCK:
		bad = number(arg, 1, 86400, &c->limits.login_lock_s,
			     "--login-lock must be 1 to 86400 seconds");
		break;
	case OPT_LOGIN_LOCK_MAX:
		bad = number(arg, 1, 7u * 86400u, &c->limits.login_lock_max_s,
			     "--login-lock-max must be 1 to 604800 seconds");
		break;
	case OPT_LOGIN_PER_ADDRESS:
		bad = number(arg, 1, 1000000, &c->limits.login_per_address,
			     "--login-per-address must be 1 to 1000000");
		break;
	case OPT_APPEAL_DEADLINE:
		bad = number(arg, 1, POLICY_APPEAL_DEADLINE_MAX, &c->appeal_deadline,
			     "--appeal-deadline must be 1 to 31622400 seconds");
		break;
	case OPT_EPOCH_STALE:
		bad = number(arg, 2, 3600, &c->epoch_stale,
			     "--epoch-stale must be 2 to 3600 seconds");
		break;
	case 'P':
		if (a->replace_proxies) {
			s->n_trusted = 0;
			a->replace_proxies = 0;
		}
		if (s->n_trusted == HTTP_MAX_TRUSTED)
			bad = "--trusted-proxy: at most " STR(HTTP_MAX_TRUSTED) " ranges";
		else if (forwarded_net_parse(arg, &s->trusted[s->n_trusted]) != 0)
			bad = "--trusted-proxy must be an address or ADDR/BITS, e.g. 10.0.0.0/8";
		else
			s->n_trusted++;
		break;
	case OPT_WITNESS:
		bad = add_witness(a, arg);
		break;
	case OPT_WITNESS_QUORUM:
		bad = number(arg, 1, COSIG_MAX_KEYS, &c->witnesses.quorum,
			     "--witness-quorum must be 1 to the number of witnesses");
		break;
	case OPT_CHECKPOINT_INTERVAL:
		bad = number(arg, 10, 3600000, &c->log.checkpoint_ms,
			     "--checkpoint-interval must be 10 to 3600000 milliseconds");
		break;
	case OPT_MAX_QUEUE:
		if ((bad = number(arg, 0, 1000000, &v, "--max-queue must be 0 to 1000000")) == NULL)
			c->log.max_queue = v;
		break;
	case OPT_MAX_UNSIGNED:
		if ((bad = number(arg, 0, 1000000000, &v,
				  "--max-unsigned must be 0 to 1000000000 leaves")) == NULL)
			c->log.max_unsigned = v;
		break;
	case OPT_BATCH_GATHER:
		bad = number(arg, 0, 100000, &c->log.gather_us,
			     "--batch-gather must be 0 to 100000 microseconds");
		break;
	case 'S':
		bad = number(arg, 0, 10000000, &c->log.scrub_leaves_per_s,
			     "--scrub-rate must be 0 to 10000000 leaves a second");
		break;
	case 'E':
		if ((bad = number(arg, 0, 366u * 86400u, &v,
				  "--epoch-seconds must be 0 to 31622400")) == NULL)
			c->epoch_every = v;
		break;
	case 'p':
		a->port_file = arg;
		break;
	case 'q':
		/* A switch on the command line; yes or no in the file. */
		if (strcmp(arg, "yes") == 0)
			s->quiet = 1;
		else if (strcmp(arg, "no") == 0)
			s->quiet = 0;
		else
			bad = "--quiet must be yes or no";
		break;
	}
	return bad;
}

/* ------------------------------------------------- the configuration file */

struct conf_ctx {
	struct serve_args *a;
	const char *path;
};

/* One `key = value` line of the file: a serve setting, by its long name. */
static int conf_setting(void *ctx, const char *key, const char *value, unsigned line)
{
	struct conf_ctx *cc = ctx;
	const struct option *o;
	const char *bad;

	for (o = serve_opts; o->name != NULL; o++)
		if (o->val != 'F' && o->val != 'h' && strcmp(o->name, key) == 0)
			break;
	if (o->name == NULL) {
		cli_error("serve: %s:%u: unknown key '%.40s'", cc->path, line, key);
		return CLI_USAGE;
	}
	if ((bad = serve_set(cc->a, o->val, value)) != NULL) {
		/* The key as the file spells it: the message without "--". */
		cli_error("serve: %s:%u: %s", cc->path, line, bad + 2);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/*
 * Reads the configuration file: path, or (path NULL) the default one when
 * it exists: $ANKANGD_CONFIG if set (empty: none), else
 * ANKANGD_CONFIG_FILE. CLI_OK, or CLI_USAGE after one line saying why.
 */
static int read_config(struct serve_args *a, const char *path)
{
	const char *env = getenv("ANKANGD_CONFIG");
	struct conf_ctx cc = {a, path};
	size_t len;
	unsigned line;
	int rc;

	if (cc.path == NULL)
		cc.path = env != NULL ? env : ANKANGD_CONFIG_FILE;
	if (cc.path[0] == '\0')
		return CLI_OK;
	rc = util_read_file(cc.path, CONF_MAX_BYTES, &a->conf_text, &len);
	if (rc == AK_ENOENT && path == NULL)
		return CLI_OK;
	if (rc != 0) {
		cli_error("serve: --config %s: %s", cc.path,
			  rc == AK_ETOOBIG ? "larger than 64 KiB" : ak_strerror(rc));
		return CLI_USAGE;
	}
	rc = conf_parse(a->conf_text, len, conf_setting, &cc, &line);
	if (rc < 0)
		cli_error("serve: %s:%u: not a `key = value` line", cc.path, line);
	return rc == 0 ? CLI_OK : CLI_USAGE;
}

/*
 * The command line's --config and --help, looked for before anything else
 * is read, so that the file is read first and every flag overrides it.
 * Quiet: the real pass reports bad options.
 */
static void find_config(int argc, char **argv, const char **path, int *help)
{
	int ch, saved = opterr;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", serve_opts, NULL)) != -1) {
		if (ch == 'F')
			*path = optarg;
		else if (ch == 'h')
			*help = 1;
	}
	opterr = saved;
}

static int parse_args(struct serve_args *a, int argc, char **argv)
{
	struct app_config *c = &a->app;
	struct http_settings *s = &a->http;
	const char *config = NULL;
	int ch, help = 0, status = CLI_OK;

	app_config_default(c);
	http_settings_default(s);
	find_config(argc, argv, &config, &help);
	a->replace_listen = 1;
	if (!help && (status = read_config(a, config)) != CLI_OK)
		return status;
	a->replace_proxies = 1;
	a->replace_listen = 1;
	a->replace_witnesses = 1;
	optind = 1;
	while ((ch = cli_getopt(argc, argv, serve_opts, 'h', serve_usage, &status)) > 0) {
		const char *bad;
		if (ch == 'F')
			continue;
		if ((bad = serve_set(a, ch, optarg != NULL ? optarg : "yes")) != NULL) {
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
	if (c->witnesses.quorum > c->witnesses.n) {
		cli_error("serve: --witness-quorum must be 1 to the number of witnesses (%zu)",
			  c->witnesses.n);
		return CLI_USAGE;
	}
	if (c->limits.login_lock_max_s < c->limits.login_lock_s) {
		cli_error("serve: --login-lock-max must be at least --login-lock");
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* One line per listening socket, its port, in the order of --listen. */
static int write_port_file(const char *path, const struct http_bound *b, size_t n)
{
	char text[HTTP_MAX_SOCKETS * 8];
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%u\n", b[i].port);
	return util_write_file_atomic(path, text, len, 0644, 0);
}

static const char *listen_error(int rc)
{
	switch (rc) {
	case AK_EEXIST:
		return "the address is in use (another ankangd serve, or another program, "
		       "listens there)";
	case AK_EDENIED:
		return "not allowed to bind it (a port below 1024?)";
	case AK_ENOENT:
		return "the name does not resolve";
	case AK_EINVAL:
		return "not an address of this machine";
	case AK_ETOOBIG:
		return "more than " STR(HTTP_MAX_SOCKETS) " listening sockets";
	default:
		return ak_strerror(rc);
	}
}

/* A listening socket as a URL: http://127.0.0.1:8080/, https://[::1]:443/. */
static void socket_url(const struct http_settings *s, const struct http_bound *b, char *out,
		       size_t cap)
{
	snprintf(out, cap, "%s://%s%.*s%s:%u/", s->tls_cert ? "https" : "http", b->v6 ? "[" : "",
		 FORWARDED_ADDR_MAX, b->addr, b->v6 ? "]" : "", b->port);
}

/*
 * Waits for SIGTERM or SIGINT and returns it. Every SERVE_WATCH_SECONDS
 * it looks at the audit log: the first time it refuses writes (a failed
 * write or fsync, a leaf that failed its rehash: auditlog.h), systemd's
 * status says so until the operator restarts the service; and each time
 * the writer's database connection is lost or made again (PostgreSQL),
 * the operator's log says so.
 */
static int wait_for_stop(const sigset_t *sigs, auditlog *log)
{
	const struct timespec every = {SERVE_WATCH_SECONDS, 0};
	struct auditlog_stats st;
	int sig, said = 0, lost = 0;

	for (;;) {
		sig = sigtimedwait(sigs, NULL, &every);
		if (sig == SIGTERM || sig == SIGINT)
			return sig;
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			return SIGTERM; /* cannot happen with a valid set; stop, do not spin */
		auditlog_stats(log, &st);
		if (st.db_lost != lost) {
			lost = st.db_lost;
			if (lost)
				oplog_note(
				    "the audit writer's database connection is lost: requests "
				    "that need it are answered 503 until it is made again");
			else
				oplog_note("the audit writer's database connection is made again "
					   "(%llu times so far)",
					   (unsigned long long)st.reconnects);
		}
		if (said || !st.writes_refused)
			continue;
		said = 1;
		/* fault is SQLite's words for the failed write, then the
		 * writer's own "; writes refused ...", said here already. No
		 * fault: the scrubber's mismatch, which the journal details. */
		if (st.fault[0] != '\0')
			notify_send("STATUS=refusing writes until a restart: the audit log's "
				    "storage failed (%.*s); check the disk",
				    (int)strcspn(st.fault, ";"), st.fault);
		else
			notify_send("STATUS=refusing writes until a restart: an audit log leaf "
				    "failed its rehash; see the journal");
	}
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a;
	struct http_bound bound[HTTP_MAX_SOCKETS];
	char why[512];
	char url[FORWARDED_ADDR_MAX + 32]; /* scheme, brackets, port */
	merkle_hash root;
	uint64_t log_size;
	app *core = NULL;
	http_server *h = NULL;
	sigset_t sigs;
	size_t n_bound = 0, failed = 0;
	int rc, sig = 0;

	memset(&a, 0, sizeof a);
	if ((rc = parse_args(&a, argc, argv)) != CLI_OK) {
		free(a.conf_text);
		return rc > 0 && rc != CLI_USAGE ? CLI_OK : rc;
	}

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = app_open(&core, &a.app, why, sizeof why)) != 0) {
		cli_error("serve: %s", why);
		free(a.conf_text);
		/* A witness contradicting this log is no usage mistake. */
		return rc == AK_ECONFLICT ? CLI_FAILED : CLI_USAGE;
	}
	if ((rc = http_start(&h, core, &a.http, bound, &n_bound, &failed)) != 0) {
		const struct http_listen *l = &a.http.listen[failed];
		int v6 = strchr(l->host, ':') != NULL;
		cli_error("serve: cannot listen on %s%s%s:%u: %s", v6 ? "[" : "", l->host,
			  v6 ? "]" : "", l->port, listen_error(rc));
		app_close(core);
		free(a.conf_text);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < n_bound; i++) {
		socket_url(&a.http, &bound[i], url, sizeof url);
		oplog_note("listening on %s (%u threads)", url,
			   (a.http.threads + (unsigned)n_bound - 1) / (unsigned)n_bound);
	}
	/* Then the port file: whoever waits for it finds the lines above. */
	if (a.port_file != NULL && (rc = write_port_file(a.port_file, bound, n_bound)) != 0) {
		cli_error("serve: --port-file %s: %s", a.port_file, ak_strerror(rc));
		http_stop(h);
		app_close(core);
		free(a.conf_text);
		return CLI_USAGE;
	}
	/* Last, systemd: ready once every socket listens and the port file
	 * says where. */
	auditlog_head(app_log(core), &log_size, root);
	socket_url(&a.http, &bound[0], url, sizeof url);
	if ((rc = notify_send("READY=1\nSTATUS=listening on %s%s, log size %llu", url,
			      n_bound > 1 ? " and more" : "", (unsigned long long)log_size)) != 0)
		oplog_note("NOTIFY_SOCKET: cannot tell systemd that serve is ready: %s",
			   ak_strerror(rc));

	sig = wait_for_stop(&sigs, app_log(core));
	oplog_note("stopping (signal %d): draining requests", sig);
	notify_send("STOPPING=1\nSTATUS=stopping: answering the requests in flight, then "
		    "signing the final checkpoint");
	http_stop(h);
	app_close(core);
	oplog_note("stopped; final checkpoint signed");
	free(a.conf_text);
	return CLI_OK;
}
