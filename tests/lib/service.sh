# service.sh: helpers for the integration tests of `ankangd serve` (source
# it after tap.sh). It starts and stops one server per test on 127.0.0.1:0,
# makes HTTP requests with curl, and computes made-up GB 11643 numbers.
#
#   svc_init DIR [ORIGIN]     ankangd init (origin ankang.test by default)
#   svc_store_new             sets SVC_INIT_ARGS, what `ankangd init` needs
#                             besides --data and --origin for a store of
#                             its own: none on SQLite; with
#                             ANKANG_TEST_STORE=pg a fresh database's
#                             --store and --store-owner (for tests that
#                             run init themselves)
#   svc_copy DIR NEW          cp -a DIR NEW (the server stopped); with
#                             ANKANG_TEST_STORE=pg NEW's ankang.conf then
#                             names a copy of DIR's database of its own
#                             (CREATE DATABASE ... TEMPLATE), so NEW is a
#                             copy of the deployment as on SQLite
#   svc_account DIR ROLE NAME prints a new account's token
#   svc_start DIR [OPTS...]   serve on 127.0.0.1:0; sets URL and SERVER_PID;
#                             the server's stderr goes to $T/serve.log
#   svc_stop                  SIGTERM, bounded wait; SERVER_STATUS = exit
#   api METHOD PATH TOKEN [BODY [CURL-ARGS...]]
#                             one request; ST = status, body in $T/r.body,
#                             headers in $T/r.hdr. TOKEN "" sends none.
#                             Every answer with status >= 400 is appended
#                             to $T/errors.all (for the privacy checks).
#                             API_EXTRA=(...) adds curl arguments to every
#                             request while it is set.
#   svc_enrol NAME ID PASS [PHONE]
#                             a resident enrols through $URL (POST
#                             /v1/enroll, no token): ST, the body
#   svc_login ID PASS         and logs in (POST /v1/login): ST, the body
#                             (jbody .token)
#   jbody FILTER              jq -r FILTER on the last body
#   all_entries TOKEN FILE N  every audit entry (N pages at most), as JSON
#                             lines in FILE
#   row_id DB HANDLE          the residents row id of an API handle (res_...)
#   svc_sql DB SQL            reads the store beside the API: sqlite3 on DB
#                             (DIR/ankang.db), or with ANKANG_TEST_STORE=pg
#                             psql on DIR's store as the cluster's
#                             superuser, after the spellings that differ
#                             (a leaf's text, hex(...), instr, randomblob,
#                             a GLOB of literal characters and *) are
#                             rewritten; rows as
#                             sqlite3 prints them
#   svc_db DIR                the store of DIR as store_open takes it (for
#                             ankang-audit verify --db): the URL with
#                             ANKANG_TEST_STORE=pg, else DIR/ankang.db
#   svc_pg_files STRING...    with ANKANG_TEST_STORE=pg, how many files of
#                             the cluster's data folder (tables, WAL) hold
#                             any of the STRINGs: the twin of a search of
#                             ankang.db and its WAL for what must not be
#                             stored in the clear
#   gb_id DIGITS17            a valid ID number (check character computed)
#   gb_bad DIGITS17           the same with a wrong check character
#
# Never prints a token, a body or personal data: tests compare, and say
# only what differed in words.
#
# ANKANG_TEST_STORE=pg runs the same test on PostgreSQL (make check-pg):
# a cluster of the test's own (tests/lib/pg.sh; the test is skipped
# without PostgreSQL), and each svc_init a fresh database on it, made by
# `init --store` (the node's URL) and `--store-owner` (the owner's, which
# runs the migrations). SVC_STORE then names the last one's URL.

SERVER_PID=
SERVER_STATUS=
API_EXTRA=()
: >"$T/errors.all"

SVC_STORE=
SVC_DBS=0
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	. tests/lib/pg.sh
	pg_test_start || bail_out "the PostgreSQL cluster did not start"
fi

# _svc_newdb [TEMPLATE]: the next database akN, empty or a copy of
# TEMPLATE, owned by the owner and open to the service's roles alone.
_svc_newdb() {
	SVC_DBS=$((SVC_DBS + 1))
	pg_psql "$ANKANG_PG_SUPER_URL" \
		"CREATE DATABASE ak$SVC_DBS ${1:+TEMPLATE $1 }OWNER ankang_owner" &&
		pg_psql "$ANKANG_PG_SUPER_URL" \
			"REVOKE ALL ON DATABASE ak$SVC_DBS FROM PUBLIC;
			 GRANT CONNECT ON DATABASE ak$SVC_DBS TO ankang_owner, ankang_service"
}

svc_store_new() {
	SVC_INIT_ARGS=()
	[ "${ANKANG_TEST_STORE:-}" = pg ] || return 0
	_svc_newdb || return 1
	SVC_STORE=$(pg_url "$PG_SOCK" "ak$SVC_DBS" ankang_node)
	SVC_INIT_ARGS=(--store "$SVC_STORE" --store-owner "$(pg_url "$PG_SOCK" "ak$SVC_DBS" ankang_owner)")
}

svc_init() {
	svc_store_new || return 1
	"$ANKANG_BIN/ankangd" init --data "$1" --origin "${2:-ankang.test}" "${SVC_INIT_ARGS[@]}" >/dev/null
}

svc_copy() {
	local from url
	cp -a "$1" "$2" || return 1
	[ "${ANKANG_TEST_STORE:-}" = pg ] || return 0
	from=$(sed -n 's|^store = postgresql:///\([A-Za-z0-9_]*\)?.*|\1|p' "$1/ankang.conf")
	[ -n "$from" ] && _svc_newdb "$from" || return 1
	url=$(pg_url "$PG_SOCK" "ak$SVC_DBS" ankang_node)
	sed -i "s|^store = .*|store = ${url//&/\\&}|" "$2/ankang.conf"
}

svc_account() {
	"$ANKANG_BIN/ankangd" account add --data "$1" --role "$2" --name "$3" 2>/dev/null
}

svc_start() {
	local data=$1 i
	shift
	rm -f "$T/port"
	"$ANKANG_BIN/ankangd" serve --data "$data" --listen 127.0.0.1:0 \
		--port-file "$T/port" "$@" 2>>"$T/serve.log" &
	SERVER_PID=$!
	# Bounded: 20 s covers a sanitizer build on a busy machine.
	for i in $(seq 1 "$(patience 400)"); do
		[ -s "$T/port" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$T/port" ]; then
		echo "Bail out! ankangd serve did not start"
		exit 1
	fi
	URL=http://127.0.0.1:$(cat "$T/port")
}

svc_stop() {
	local i
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	for i in $(seq 1 "$(patience 400)"); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID"
	SERVER_STATUS=$?
	SERVER_PID=
}

# api METHOD PATH TOKEN [BODY [CURL-ARGS...]]: a BODY (even empty) is sent
# as application/json unless CURL-ARGS set another Content-Type.
api() {
	local method=$1 path=$2 token=$3
	local args=(-s -o "$T/r.body" -D "$T/r.hdr" -w '%{http_code}' --path-as-is
		--max-time "$(patience 30)" -X "$method")
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	if [ $# -ge 4 ]; then
		printf '%s' "$4" >"$T/r.req"
		args+=(-H 'Content-Type: application/json' --data-binary "@$T/r.req")
		shift 4
	else
		shift 3
	fi
	ST=$(curl "${args[@]}" "${API_EXTRA[@]}" "$@" "$URL$path")
	[ -n "$ST" ] || ST=000
	if [ "$ST" -ge 400 ] 2>/dev/null; then
		cat "$T/r.body" >>"$T/errors.all"
		echo >>"$T/errors.all"
	fi
}

jbody() { jq -r "$1" "$T/r.body" 2>/dev/null; }

svc_enrol() {
	api POST /v1/enroll "" "$(jq -cn --arg n "$1" --arg i "$2" --arg w "$3" --arg p "${4-}" \
		'{name: $n, id_number: $i, passphrase: $w} + if $p == "" then {} else {phone: $p} end')"
}

svc_login() {
	api POST /v1/login "" "$(jq -cn --arg i "$1" --arg w "$2" '{id_number: $i, passphrase: $w}')"
}

# all_entries TOKEN FILE PAGES: every audit entry, through the auditors'
# endpoint a thousand at a time (at most PAGES pages), one JSON object per
# line into FILE.
all_entries() {
	local start=0 n _
	: >"$2"
	for _ in $(seq 1 "$3"); do
		api GET "/v1/audit/entries?start=$start&end=$((start + 1000))" "$1"
		[ "$ST" = 200 ] || break
		jq -c '.entries[]' "$T/r.body" >>"$2"
		n=$(jbody '.entries | length')
		[ "$n" -lt 1000 ] && break
		start=$((start + n))
	done
}

# row_id DB HANDLE: the row behind a handle, for checks on the database.
svc_sql() {
	local db=$1 sql=$2 url
	if [ "${ANKANG_TEST_STORE:-}" != pg ]; then
		sqlite3 "$db" "$sql"
		return
	fi
	url=$(sed -n 's/^store = //p' "$(dirname "$db")/ankang.conf")
	sql=$(printf '%s' "$sql" | sed -e "s/rtrim(leaf, char(10))/rtrim(convert_from(leaf, 'UTF8'), chr(10))/g" \
		-e "s/lower(hex(\([a-z_.]*\)))/encode(\1, 'hex')/g" \
		-e "s/\bhex(\([a-z_.]*\))/upper(encode(\1, 'hex'))/g" \
		-e "s/cast(leaf as text)/convert_from(leaf, 'UTF8')/g" -e "s/char(10)/chr(10)/g" \
		-e "s/\binstr(/strpos(/g" -e "s/randomblob(16)/decode(md5(random()::text), 'hex')/g" |
		perl -pe 's{glob \x27([^\x27]*)\x27}{my $p = $1; $p =~ s/([_%\\])/\\$1/g; $p =~ s/\*/%/g; "like \x27$p\x27"}ge')
	pg_psql "${url%user=*}user=ankang_super" "$sql"
}

svc_db() {
	if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
		sed -n 's/^store = //p' "$1/ankang.conf"
	else
		echo "$1/ankang.db"
	fi
}

svc_pg_files() {
	local args=() x
	for x in "$@"; do args+=(-e "$x"); done
	grep -rlaF "${args[@]}" "$PG_DIR/data" | wc -l
}

row_id() { svc_sql "$1" "select id from residents where lower(hex(handle)) = '${2#res_}'"; }

# hdr NAME: the value of a header of the last answer (no CR).
hdr() { grep -i "^$1:" "$T/r.hdr" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

# is_error_body: the last body is exactly {"error": word, "message": text}.
is_error_body() {
	jq -e 'type == "object" and (keys == ["error", "message"])
		and (.error | type == "string" and test("^[a-z_]+$"))
		and (.message | type == "string" and length > 0)' "$T/r.body" >/dev/null 2>&1
}

_gb_w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2)
_gb_c=10X98765432
_gb_sum() {
	local d=$1 s=0 i
	for i in {0..16}; do s=$((s + ${d:i:1} * ${_gb_w[i]})); done
	echo $((s % 11))
}
gb_id() { printf '%s%s\n' "$1" "${_gb_c:$(_gb_sum "$1"):1}"; }
gb_bad() { printf '%s%s\n' "$1" "${_gb_c:$((($(_gb_sum "$1") + 1) % 11)):1}"; }

# b64_leaf_hash B64: base64 of RFC 6962's leaf hash SHA-256(0x00 || leaf).
b64_leaf_hash() {
	{
		printf '\0'
		printf '%s' "$1" | base64 -d
	} | sha256sum | cut -c1-64 | xxd -r -p | base64 -w0
}

# same A B DESC: passes when A = B; on failure says so without showing
# either (they may be personal data).
same() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "the two values differ (not shown: they may hold personal data)"
	fi
}

