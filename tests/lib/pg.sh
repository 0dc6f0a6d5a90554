# pg.sh: a private PostgreSQL cluster for a test or a demonstration
# (docs/MULTINODE.md, "The test cluster"). Source it after tap.sh in a
# shell test:
#
#   pg_test_start        skips the whole test (TAP skip_all) when
#                        PostgreSQL's binaries are not found; otherwise
#                        starts a cluster in a folder of its own, stopped
#                        and removed when the test ends (failures too), and
#                        exports ANKANG_PG_URL (the owner's),
#                        ANKANG_PG_SERVICE_URL (a node's, in the group role
#                        ankang_service), ANKANG_PG_SUPER_URL (the
#                        cluster's superuser: for the test's own probes),
#                        PG_DIR and PG_SOCK (the socket's folder)
#   pg_psql URL SQL      runs SQL with psql, unaligned, tuples only
#   pg_unit PROG [DB...] runs the unit test PROG (built beside
#                        ANKANG_HELPERS) against a cluster of its own, with
#                        the databases DB made (owned by ankang_owner, open
#                        to ankang_service) and ANKANG_PG_SOCK set; skips
#                        when PROG is not built. Its output is PROG's TAP,
#                        its status PROG's
#
# The parts below are plain sh, for scripts/cluster as well:
#
#   pg_find_bin          sets PG_BIN to the folder of initdb, pg_ctl and
#                        psql, or returns 1: $PG_BIN if set (only there),
#                        else initdb's folder on PATH, else the --bindir of
#                        pg_config on PATH
#   pg_cluster_start DIR makes (if new) and starts a cluster in DIR/data,
#                        its socket in DIR (which its user must be able to
#                        reach); one already running is left as it is;
#                        prints nothing
#   pg_cluster_stop DIR  stops it (fast shutdown), bounded wait
#   pg_url DIR DB USER   prints the libpq URL for USER on DB over the socket
#
# The cluster listens on a Unix socket in DIR only (listen_addresses is
# empty: no TCP port at all; PG_TLS_DIR, below, adds TLS on loopback), with fsync on, as the tests must see what a
# real commit costs and promises, and a small shared_buffers, as the
# machine is shared. PostgreSQL refuses to run as root: under root the
# cluster runs as the system user ankang-pg-test (made once with useradd,
# no home, no shell), otherwise as the current user; DIR is theirs. Local
# connections are trusted: only the socket exists, in a folder that
# user alone may enter (root's tests enter it as root).
#
# Roles, made at the first start: ankang_super (the cluster's superuser),
# ankang_owner (owns the database "ankang" and runs the migrations),
# ankang_service (NOLOGIN: what the migrations grant to) and ankang_node
# (a front-end's login, a member of ankang_service).

PG_USER=ankang-pg-test

pg_find_bin() {
	# PG_BIN, when set, is the only place looked at: PG_BIN=/nonexistent
	# runs the suite as on a machine without PostgreSQL.
	if [ -n "${PG_BIN:-}" ]; then
		[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/psql" ]
		return
	fi
	# Debian keeps initdb off PATH; pg_config (libpq-dev) names its folder.
	_b=$(command -v initdb 2>/dev/null || true)
	if [ -n "$_b" ]; then
		# A link to it (/usr/local/bin/initdb) stands for its own folder.
		_b=$(dirname "$(readlink -f "$_b")")
	else
		_b=$(pg_config --bindir 2>/dev/null || true)
	fi
	[ -n "$_b" ] && [ -x "$_b/initdb" ] && [ -x "$_b/pg_ctl" ] && [ -x "$_b/psql" ] || return 1
	PG_BIN=$_b
}

# Runs a command as the cluster's user.
_pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

# Under root, the unprivileged user the cluster runs as. Two tests may
# race to make it: whichever loses finds it made.
_pg_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	getent passwd "$PG_USER" >/dev/null 2>&1 && return 0
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$PG_USER" >/dev/null 2>&1
	getent passwd "$PG_USER" >/dev/null 2>&1
}

pg_url() {
	echo "postgresql:///$2?host=$1&user=$3${PG_PORT:+&port=$PG_PORT}"
}

pg_cluster_start() {
	_d=$1
	pg_find_bin || return 1
	_pg_user || return 1
	mkdir -p "$_d" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_USER" "$_d" || return 1
	fi
	chmod 0700 "$_d" || return 1
	# Its user must reach DIR through the folders above it.
	_pg_as test -w "$_d" 2>/dev/null || return 1
	if [ -f "$_d/data/PG_VERSION" ] &&
		_pg_as "$PG_BIN/pg_ctl" -D "$_d/data" status >/dev/null 2>&1; then
		return 0
	fi
	if [ ! -f "$_d/data/PG_VERSION" ]; then
		_pg_as "$PG_BIN/initdb" -D "$_d/data" -U ankang_super -E UTF8 --locale=C \
			--auth-local=trust --auth-host=reject >"$_d/initdb.log" 2>&1 || return 1
		cat >>"$_d/data/postgresql.conf" <<EOF
# ankang's test cluster (tests/lib/pg.sh)
listen_addresses = ''
unix_socket_directories = '$_d'
unix_socket_permissions = 0700
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 16MB
max_connections = 40
max_wal_size = 256MB
logging_collector = off
EOF
		if [ -n "${PG_TLS_DIR:-}" ]; then
			_pg_tls_conf "$_d" || return 1
		fi
		_fresh=1
	else
		_fresh=0
	fi
	_pg_as "$PG_BIN/pg_ctl" -D "$_d/data" -l "$_d/server.log" -w -t 60 start \
		>/dev/null 2>&1 || return 1
	[ "$_fresh" -eq 1 ] || return 0
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$(pg_url "$_d" postgres ankang_super)" \
		>/dev/null 2>&1 <<'EOF' || return 1
CREATE ROLE ankang_owner LOGIN;
CREATE ROLE ankang_service NOLOGIN;
CREATE ROLE ankang_node LOGIN IN ROLE ankang_service;
CREATE DATABASE ankang OWNER ankang_owner;
REVOKE ALL ON DATABASE ankang FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ankang TO ankang_owner, ankang_service;
EOF
}

# ---------------------------------------------------------------- TLS
#
# PG_TLS_DIR (a folder pg_tls_certs filled) and PG_PORT (a free TCP port),
# set before the cluster's first start, make it listen on 127.0.0.1:PG_PORT
# as well as on its socket (the socket's name then carries PG_PORT, which
# pg_url adds to every URL), with ssl = on, the server certificate and key
# of PG_TLS_DIR, and its CA for client certificates. TCP is for TLS with a
# client certificate only (pg_hba: hostssl ... cert, the role's name as
# the certificate's CN); every other TCP connection is rejected. Nothing
# listens beyond loopback.
#
#   pg_tls_ca DIR NAME          a throwaway CA: DIR/NAME.crt and .key
#   pg_tls_cert DIR CA NAME CN [SAN]
#                               DIR/NAME.crt signed by DIR/CA, key
#                               DIR/NAME.key (0600), subject CN, and the
#                               subjectAltName SAN if given
#   pg_tls_certs DIR ROLE...    the CA "ca", the server's certificate
#                               "server" (localhost, 127.0.0.1) and one
#                               client certificate for each ROLE (CN=ROLE)

pg_tls_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
		-keyout "$1/$2.key" -out "$1/$2.crt" >/dev/null 2>&1 &&
		chmod 0600 "$1/$2.key"
}

pg_tls_cert() {
	_ext=$1/$3.ext
	: >"$_ext"
	[ -z "${5:-}" ] || echo "subjectAltName = $5" >"$_ext"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$4" -keyout "$1/$3.key" \
		-out "$1/$3.csr" >/dev/null 2>&1 &&
		openssl x509 -req -in "$1/$3.csr" -CA "$1/$2.crt" -CAkey "$1/$2.key" \
			-CAcreateserial -days 2 -extfile "$_ext" -out "$1/$3.crt" >/dev/null 2>&1 &&
		chmod 0600 "$1/$3.key" && rm -f "$1/$3.csr" "$_ext"
}

pg_tls_certs() {
	_t=$1
	shift
	mkdir -p "$_t" && chmod 0700 "$_t" || return 1
	pg_tls_ca "$_t" ca || return 1
	pg_tls_cert "$_t" ca server localhost "DNS:localhost,IP:127.0.0.1" || return 1
	for _r in "$@"; do
		pg_tls_cert "$_t" ca "$_r" "$_r" || return 1
	done
}

# The cluster's TLS settings, at its first start (pg_cluster_start).
_pg_tls_conf() {
	[ -n "${PG_PORT:-}" ] || return 1
	mkdir -p "$1/tls" &&
		cp "$PG_TLS_DIR/server.crt" "$PG_TLS_DIR/server.key" "$PG_TLS_DIR/ca.crt" "$1/tls/" &&
		chmod 0600 "$1/tls/server.key" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$PG_USER" "$1/tls" || return 1
	fi
	cat >>"$1/data/postgresql.conf" <<EOF
# TLS on loopback (tests/lib/pg.sh, PG_TLS_DIR)
listen_addresses = '127.0.0.1'
port = $PG_PORT
ssl = on
ssl_cert_file = '$1/tls/server.crt'
ssl_key_file = '$1/tls/server.key'
ssl_ca_file = '$1/tls/ca.crt'
ssl_min_protocol_version = 'TLSv1.2'
EOF
	# First match wins: TLS with a client certificate, before initdb's
	# lines (which reject TCP).
	{ echo "hostssl all all 127.0.0.1/32 cert"; cat "$1/data/pg_hba.conf"; } >"$1/data/pg_hba.new" &&
		mv "$1/data/pg_hba.new" "$1/data/pg_hba.conf" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_USER" "$1/data/pg_hba.conf" || return 1
	fi
	chmod 0600 "$1/data/pg_hba.conf"
}

pg_cluster_stop() {
	[ -f "$1/data/postmaster.pid" ] || return 0
	pg_find_bin || return 1
	_pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null 2>&1
}

pg_psql() {
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$1" -c "$2"
}

# ---------------------------------------------------------------- tests

_pg_test_stop() {
	pg_cluster_stop "$PG_DIR"
	rm -rf "$PG_DIR"
}

pg_test_start() {
	pg_find_bin || skip_all "PostgreSQL's initdb and pg_ctl not found (PG_BIN, pg_config)"
	# Not under $T: the cluster's user must own its folder, and may not
	# enter the test's own.
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ankang-pg.XXXXXX") || return 1
	at_exit _pg_test_stop
	if ! pg_cluster_start "$PG_DIR"; then
		echo "# the cluster did not start:" >&2
		tail -n 20 "$PG_DIR/initdb.log" "$PG_DIR/server.log" 2>/dev/null | sed 's/^/#   /' >&2
		return 1
	fi
	PG_SOCK=$PG_DIR
	ANKANG_PG_URL=$(pg_url "$PG_DIR" ankang ankang_owner)
	ANKANG_PG_SERVICE_URL=$(pg_url "$PG_DIR" ankang ankang_node)
	ANKANG_PG_SUPER_URL=$(pg_url "$PG_DIR" ankang ankang_super)
	export PG_DIR PG_SOCK PG_BIN ANKANG_PG_URL ANKANG_PG_SERVICE_URL ANKANG_PG_SUPER_URL
	[ -z "${PG_PORT:-}" ] || export PG_PORT
}

pg_unit() {
	_prog=${ANKANG_HELPERS:-build/tests/helpers}/../$1
	shift
	case $_prog in /*) ;; *) _prog=$TOP/$_prog ;; esac
	[ -x "$_prog" ] || skip_all "$_prog is not built (make tests)"
	if ! pg_test_start; then
		ok 1 "the cluster starts"
		done_testing
	fi
	for _db in "$@"; do
		pg_psql "$ANKANG_PG_SUPER_URL" "CREATE DATABASE $_db OWNER ankang_owner" &&
			pg_psql "$ANKANG_PG_SUPER_URL" "GRANT CONNECT ON DATABASE $_db TO ankang_service" ||
			diag "the database $_db could not be made"
	done
	export ANKANG_PG_SOCK=$PG_SOCK
	"$_prog"
}
