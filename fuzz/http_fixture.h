/*
 * http_fixture: what fuzz_http and fuzz_http_wire share: a real service
 * core (app.h) on a fresh data folder, with one account of each role and
 * an enrolled, logged-in resident, so fuzzed requests reach every
 * handler past authorisation; the request text they fuzz, with
 * placeholders for the fixture's live tokens and values; and the checks
 * every answer must pass.
 *
 * Request text: an HTTP/1.1 head and body, as a client sends it. Before
 * use, these two-character placeholders are replaced wherever they occur:
 *
 *   $R $V $O $A $D   the resident's, a verifier's, an officer's, an
 *                    auditor's and an admin's token
 *   $H               the resident's handle (res_...)
 *   $I $P            the resident's ID number and passphrase
 *   $C               a code of the resident's, fresh (GET /v1/me/code)
 *
 * The data folder lives in /dev/shm when there is one (the audit writer's
 * fsyncs cost nothing there) and is removed at exit. The resident may be
 * logged out, erased or locked out by an input; fx_settle brings one back
 * (a new enrolment if need be) before the next input.
 *
 * Test code only: included by the two targets, which are built with
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (passphrase.h: cheap Argon2id).
 */
#ifndef ANKANG_FUZZ_HTTP_FIXTURE_H
#define ANKANG_FUZZ_HTTP_FIXTURE_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/util.h"
#include "service/api_error.h"
#include "service/app.h"
#include "service/authz.h"
#include "service/commands.h"
#include "service/http/forwarded.h"
#include "service/http/http_int.h"
#include "service/http/metrics.h"
#include "service/http/request.h"
#include "service/token.h"

/* The fixture resident's made-up particulars (no real person's). */
#define FX_NAME       "Fuzz Resident"
#define FX_PASSPHRASE "fuzzing passphrase one"
#define FX_EXPANDED   (64 * 1024) /* a request after its placeholders */

enum fx_who {
	FX_RESIDENT,
	FX_VERIFIER,
	FX_OFFICER,
	FX_AUDITOR,
	FX_ADMIN,
	FX_ROLES
};

struct fixture {
	char dir[PATH_MAX];
	app *app;
	char token[FX_ROLES][TOKEN_TEXT_LEN + 1];
	char handle[REQUEST_HANDLE_TEXT];
	char id_number[19];
	char code[2048];
	uint64_t code_at;
	unsigned enrolments;
};

static struct fixture fx;

/* ------------------------------------------------------------- set-up */

static void fx_die(const char *what)
{
	fprintf(stderr, "http_fixture: %s\n", what);
	abort();
}

/* A valid GB 11643 ID number: a Beijing district, born 1990-01-01, the
 * sequence n, and its check character. */
static void fx_id_number(char out[19], unsigned n)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	int s = 0;

	snprintf(out, 19, "11010519900101%03u", n % 1000);
	for (int i = 0; i < 17; i++)
		s += (out[i] - '0') * w[i];
	out[17] = "10X98765432"[s % 11];
	out[18] = '\0';
}

/* Runs an ankangd subcommand in this process with its stdout in out (cap
 * bytes, NUL-terminated, trailing newline dropped). */
static int fx_command(int (*cmd)(int, char **), char **argv, char *out, size_t cap)
{
	char path[PATH_MAX + 16];
	int fd, saved, saved_err, null, argc = 0, status;
	ssize_t n;

	while (argv[argc] != NULL)
		argc++;
	snprintf(path, sizeof path, "%s/.stdout", fx.dir);
	fflush(stdout);
	fflush(stderr);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0 || (saved = dup(1)) < 0 ||
	    (saved_err = dup(2)) < 0 || (null = open("/dev/null", O_WRONLY)) < 0)
		fx_die("redirecting stdout");
	/* Its notes on stderr are not the run's (they would clutter TAP). */
	dup2(fd, 1);
	dup2(null, 2);
	status = cmd(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(saved_err, 2);
	close(saved);
	close(saved_err);
	close(null);
	n = pread(fd, out, cap - 1, 0);
	close(fd);
	unlink(path);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return status;
}

static int fx_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void fx_cleanup(void)
{
	app_close(fx.app);
	fx.app = NULL;
	if (fx.dir[0] != '\0')
		nftw(fx.dir, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ requests */

/* A request's head split into its parts (pointers into the text). */
#define FX_HEADERS 32
struct fx_req {
	const char *method, *path, *query; /* query: NULL without a '?' */
	const char *name[FX_HEADERS], *value[FX_HEADERS];
	size_t nh;
	const char *body;
	size_t body_len;
	char decoded[FX_EXPANDED]; /* query values handed out, NUL-separated */
	size_t decoded_used;
};

/* The first header of that name (any case), as libmicrohttpd looks up. */
static const char *fx_header(void *conn, const char *name)
{
	const struct fx_req *r = conn;

	for (size_t i = 0; i < r->nh; i++)
		if (strcasecmp(r->name[i], name) == 0)
			return r->value[i];
	return NULL;
}

static int fx_hex(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* A query argument as libmicrohttpd gives it: the first key=value pair of
 * that key, "%XX" decoded, a key without '=' an empty value. */
static const char *fx_query(void *conn, const char *key)
{
	struct fx_req *r = conn;
	const char *p = r->query;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, "&"), k = strcspn(p, "=&");
		const char *v = p + k + (p[k] == '=');
		size_t vn = p[k] == '=' ? n - k - 1 : 0;
		if (k == strlen(key) && strncmp(p, key, k) == 0) {
			char *out = r->decoded + r->decoded_used;
			size_t o = 0;
			if (r->decoded_used + vn + 1 > sizeof r->decoded)
				return NULL;
			for (size_t i = 0; i < vn; i++) {
				int hi, lo;
				if (v[i] == '%' && i + 2 < vn + 1 && (hi = fx_hex(v[i + 1])) >= 0 &&
				    (lo = fx_hex(v[i + 2])) >= 0) {
					out[o++] = (char)(hi << 4 | lo);
					i += 2;
				} else {
					out[o++] = v[i];
				}
			}
			out[o] = '\0';
			r->decoded_used += o + 1;
			return out;
		}
		p += n + (p[n] == '&');
	}
	return NULL;
}

/*
 * Replaces the placeholders of in[0..len) into out (cap bytes); returns
 * the new length, NUL-terminated.
 */
static size_t fx_expand(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		const char *sub = NULL;
		if (in[i] == '$' && i + 1 < len) {
			switch (in[i + 1]) {
			case 'R':
				sub = fx.token[FX_RESIDENT];
				break;
			case 'V':
				sub = fx.token[FX_VERIFIER];
				break;
			case 'O':
				sub = fx.token[FX_OFFICER];
				break;
			case 'A':
				sub = fx.token[FX_AUDITOR];
				break;
			case 'D':
				sub = fx.token[FX_ADMIN];
				break;
			case 'H':
				sub = fx.handle;
				break;
			case 'I':
				sub = fx.id_number;
				break;
			case 'P':
				sub = FX_PASSPHRASE;
				break;
			case 'C':
				sub = fx.code;
				break;
			}
		}
		if (sub != NULL) {
			size_t n = strlen(sub);
			if (o + n + 1 > cap)
				break;
			memcpy(out + o, sub, n);
			o += n;
			i++;
			continue;
		}
		out[o++] = (char)in[i];
	}
	out[o] = '\0';
	return o;
}

/*
 * Splits text (NUL-terminated, modified) as an HTTP/1.1 request: the
 * request line "METHOD TARGET[ VERSION]", header lines "Name: value"
 * (CRLF or LF), an empty line, the body. 0, or -1 when there is no
 * request line.
 */
static int fx_parse(struct fx_req *r, char *text, size_t len)
{
	char *line = text, *end = text + len, *nl, *sp;

	memset(r, 0, offsetof(struct fx_req, decoded));
	r->decoded_used = 0;
	nl = memchr(line, '\n', (size_t)(end - line));
	if (nl == NULL)
		nl = end;
	*nl = '\0';
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	if ((sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp = '\0';
	r->method = line;
	r->path = sp + 1;
	if ((sp = strchr(sp + 1, ' ')) != NULL)
		*sp = '\0'; /* the version, ignored */
	if ((sp = strchr(r->path, '?')) != NULL) {
		*sp = '\0';
		r->query = sp + 1;
	}
	line = nl < end ? nl + 1 : end;
	while (line < end) {
		char *colon;
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*line == '\0') {
			line = nl < end ? nl + 1 : end;
			break;
		}
		if ((colon = strchr(line, ':')) != NULL && r->nh < FX_HEADERS) {
			*colon = '\0';
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			r->name[r->nh] = line;
			r->value[r->nh++] = colon;
		}
		line = nl < end ? nl + 1 : end;
	}
	r->body = line;
	r->body_len = (size_t)(end - line);
	return 0;
}

/* What an answer was: its status and body (copied, NUL-terminated). */
struct fx_answer {
	unsigned status;
	char content_type[64];
	char *body;
	size_t len;
};

static void fx_answer_free(struct fx_answer *a)
{
	free(a->body);
	a->body = NULL;
}

struct fx_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, rc;
	uint64_t index;
};

static void fx_durable(void *arg, int rc, uint64_t index)
{
	struct fx_wait *w = arg;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->index = index;
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/*
 * One request through the dispatcher, as http.c drives it for a request
 * libmicrohttpd has read (its head, then its body), minus the socket:
 * dispatch_begin at the head, the body against the route's cap,
 * dispatch_run, the audit writer (waited for), dispatch_resumed. The
 * client address is 127.0.0.1, a trusted proxy, so X-Forwarded-For
 * counts, joined over its header lines as http.c joins them.
 */
static void fx_dispatch(struct fx_req *r, struct metrics *m, struct fx_answer *out)
{
	static const struct forwarded_net *trusted;
	static struct forwarded_net loopback;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	struct request rq;
	struct http_internal in;
	char xff[1024];
	size_t xn = 0;
	int overflow = 0;

	if (trusted == NULL) {
		forwarded_net_parse("127.0.0.0/8", &loopback);
		trusted = &loopback;
	}
	memset(&rq, 0, sizeof rq);
	memset(&in, 0, sizeof in);
	rq.app = fx.app;
	rq.in = &in;
	in.conn = r;
	in.method = r->method;
	in.path = r->path;
	in.header = fx_header;
	in.query = fx_query;
	in.metrics = m;
	in.route_index = n_routes;
	in.t0 = util_mono_ns();
	for (size_t i = 0; i < r->nh; i++) {
		size_t n = strlen(r->value[i]);
		if (strcasecmp(r->name[i], "X-Forwarded-For") != 0)
			continue;
		if (xn + (xn > 0) + n + 1 > sizeof xff) {
			overflow = 1;
			break;
		}
		if (xn > 0)
			xff[xn++] = ',';
		memcpy(xff + xn, r->value[i], n);
		xn += n;
		xff[xn] = '\0';
	}
	forwarded_client((const struct sockaddr *)&peer, xn > 0 && !overflow ? xff : NULL,
			 overflow ? NULL : trusted, overflow ? 0 : 1, rq.client, sizeof rq.client);

	dispatch_begin(&rq, 16 * 1024);
	if (in.reply.status == 0) {
		if (r->body_len > in.body_cap) {
			in.too_big = 1;
		} else if (r->body_len > 0) {
			if ((in.body = malloc(r->body_len + 1)) == NULL)
				fx_die("out of memory");
			memcpy(in.body, r->body, r->body_len);
			in.body[r->body_len] = '\0';
			in.body_len = r->body_len;
			in.body_room = r->body_len + 1;
		}
		if (dispatch_run(&rq) == DISPATCH_SUBMIT) {
			struct fx_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
					    0, 0};
			int rc = dispatch_submit(&rq, fx_durable, &w);
			if (rc != 0)
				fx_durable(&w, rc, 0);
			pthread_mutex_lock(&w.mu);
			while (!w.done)
				pthread_cond_wait(&w.cv, &w.mu);
			pthread_mutex_unlock(&w.mu);
			dispatch_resumed(&rq, w.rc, w.index);
		}
	}
	out->status = in.reply.status;
	snprintf(out->content_type, sizeof out->content_type, "%s",
		 in.reply.content_type ? in.reply.content_type : "");
	out->len = in.reply.len;
	if ((out->body = malloc(in.reply.len + 1)) == NULL)
		fx_die("out of memory");
	if (in.reply.len > 0)
		memcpy(out->body, in.reply.body, in.reply.len);
	out->body[in.reply.len] = '\0';
	dispatch_free(&rq);
	free(in.body);
}

/* A request from text with placeholders (a C string), answered. */
static void fx_request(const char *text, struct metrics *m, struct fx_answer *out)
{
	static char buf[FX_EXPANDED];
	static struct fx_req r;
	size_t n = fx_expand((const uint8_t *)text, strlen(text), buf, sizeof buf);

	if (fx_parse(&r, buf, n) != 0)
		fx_die("a fixture request does not parse");
	fx_dispatch(&r, m, out);
}

/* A string field of a JSON answer into out, or "" */
static void fx_field(const struct fx_answer *a, const char *key, char *out, size_t cap)
{
	json_t *j = json_loadb(a->body, a->len, 0, NULL);
	const char *s = json_string_value(json_object_get(j, key));

	snprintf(out, cap, "%s", s ? s : "");
	json_decref(j);
}

/* ---------------------------------------------------------- the checks */

static int fx_is_success(unsigned status)
{
	return status == 200 || status == 201;
}

/*
 * Every answer: a status the API documents (200, 201, or an error's row
 * in api_error.h); an error is a JSON object whose "error" is that row's
 * code and whose "message" is a string; none of the fixture resident's
 * particulars in an error. Returns the error, API_OK for a success; any
 * other answer aborts.
 */
static enum api_error fx_check(const struct fx_answer *a)
{
	json_t *j = NULL;
	const char *code;
	enum api_error e = API_ERROR_COUNT;

	if (strncmp(a->content_type, "application/json", 16) == 0 &&
	    (j = json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		fx_die("a JSON answer that is not JSON");
	json_decref(j);
	if (fx_is_success(a->status))
		return API_OK;
	if (a->status < 400 || a->status > 599)
		fx_die("an answer with a status the API does not have");
	if (strcmp(a->content_type, "application/json") != 0)
		fx_die("an error that is not JSON");
	if ((j = json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(j) || !json_is_string(json_object_get(j, "message")) ||
	    (code = json_string_value(json_object_get(j, "error"))) == NULL)
		fx_die("an error that is not {\"error\", \"message\"}");
	for (int i = 1; i < API_ERROR_COUNT; i++)
		if (strcmp(api_error_info((enum api_error)i)->code, code) == 0 &&
		    api_error_info((enum api_error)i)->status == a->status)
			e = (enum api_error)i;
	json_decref(j);
	if (e == API_ERROR_COUNT)
		fx_die("an error code or status not in the table");
	if (memmem(a->body, a->len, FX_NAME, strlen(FX_NAME)) != NULL ||
	    memmem(a->body, a->len, fx.id_number, strlen(fx.id_number)) != NULL ||
	    memmem(a->body, a->len, FX_PASSPHRASE, strlen(FX_PASSPHRASE)) != NULL)
		fx_die("an error that shows the resident's particulars");
	return e;
}

/* -------------------------------------------------- the resident, live */

static int fx_token_works(enum fx_who who)
{
	char auth[TOKEN_TEXT_LEN + 16];
	struct caller c;
	store *db = app_reader(fx.app);

	snprintf(auth, sizeof auth, "Bearer %s", fx.token[who]);
	return db != NULL && authz_identify(db, auth, util_now(), &c) == API_OK;
}

/* Logs the resident in; 0 or -1. */
static int fx_login(struct metrics *m)
{
	struct fx_answer a;
	int ok;

	fx_request("POST /v1/login\nContent-Type: application/json\n\n"
		   "{\"id_number\":\"$I\",\"passphrase\":\"$P\"}",
		   m, &a);
	ok = a.status == 200;
	if (ok)
		fx_field(&a, "token", fx.token[FX_RESIDENT], sizeof fx.token[0]);
	fx_answer_free(&a);
	return ok ? 0 : -1;
}

/* Enrols a new resident (the next ID number) and logs in. */
static void fx_enrol(struct metrics *m)
{
	struct fx_answer a;

	fx_id_number(fx.id_number, fx.enrolments++);
	fx_request("POST /v1/enroll\nAuthorization: Bearer $O\nContent-Type: application/json\n\n"
		   "{\"name\":\"" FX_NAME "\",\"id_number\":\"$I\",\"passphrase\":\"$P\"}",
		   m, &a);
	if (a.status != 201)
		fx_die("the fixture cannot enrol its resident");
	fx_field(&a, "resident", fx.handle, sizeof fx.handle);
	fx_answer_free(&a);
	if (fx_login(m) != 0)
		fx_die("the fixture's resident cannot log in");
	fx.code_at = 0;
}

/*
 * Before each input: the staff tokens are never revoked by a request (no
 * route disables an account), but the resident may have been logged out,
 * erased, locked out or turned red: a live session again, and a fresh
 * code at most a minute old.
 */
static void fx_settle(struct metrics *m)
{
	struct fx_answer a;

	if (!fx_token_works(FX_RESIDENT) && fx_login(m) != 0)
		fx_enrol(m);
	if (fx.code_at + 60 > util_now() && fx.code[0] != '\0')
		return;
	fx_request("GET /v1/me/code\nAuthorization: Bearer $R\n\n", m, &a);
	if (a.status == 200) {
		fx_field(&a, "credential", fx.code, sizeof fx.code);
		fx.code_at = util_now();
	}
	fx_answer_free(&a);
}

/*
 * The fixture: ankangd init, an account of each staff role, the core
 * opened with limits no input reaches in a run (a 429 would hide the
 * handler behind it), and the resident.
 */
static void fx_open(struct metrics *m)
{
	static const char *const roles[] = {NULL, "verifier", "officer", "auditor", "admin"};
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	struct app_config cfg;
	char why[512], out[256];

	snprintf(fx.dir, sizeof fx.dir, "%s/ankang-fuzz-XXXXXX", base);
	if (mkdtemp(fx.dir) == NULL)
		fx_die("mkdtemp");
	atexit(fx_cleanup);
	{
		char data[sizeof cfg.data_dir];
		if ((size_t)snprintf(data, sizeof data, "%.200s/data", fx.dir) >= sizeof data)
			fx_die("the data folder's path is too long");
		char *argv[] = {"init", "--data", data, "--origin", "ankang.test", NULL};
		if (fx_command(cmd_init, argv, out, sizeof out) != 0)
			fx_die("ankangd init failed");
		for (int i = FX_VERIFIER; i < FX_ROLES; i++) {
			char *add[] = {"account",        "add",    "--data",         data, "--role",
				       (char *)roles[i], "--name", (char *)roles[i], NULL};
			if (fx_command(cmd_account, add, fx.token[i], sizeof fx.token[i]) != 0 ||
			    strlen(fx.token[i]) != TOKEN_TEXT_LEN)
				fx_die("ankangd account add failed");
		}
		app_config_default(&cfg);
		memcpy(cfg.data_dir, data, sizeof data);
	}
	cfg.limits.enrol_per_hour = 1000000;
	cfg.limits.login_tries = 1000;
	cfg.limits.login_per_address = 1000000;
	cfg.limits.officer_reads = 100000;
	cfg.log.scrub_leaves_per_s = 0;
	reply_install_allocator();
	if (app_open(&fx.app, &cfg, why, sizeof why) != 0) {
		fprintf(stderr, "http_fixture: %s\n", why);
		fx_die("app_open failed");
	}
	fx_enrol(m);
	fx_settle(m);
}

#endif
