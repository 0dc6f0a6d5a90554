# cluster_load: the set-up, the mixed load and the check of log_leaves
# that tests/sh/cluster_failover.sh and cluster_pg_restart.sh make on two
# front-ends of one PostgreSQL database (scripts/cluster). The sourcing
# script sources tests/lib/tap.sh, tests/lib/pg.sh, tests/lib/service.sh
# (gb_id, svc_account) and tests/lib/answers.sh first, then calls
# cluster_test_start, which sets what the rest needs.
# Answers seen 2xx go to $T/answers as tests/lib/answers.sh reads them,
# every request's node and status to $T/requests, the bodies of 503s to
# $T/wW.503.

# cluster_test_start: skips the test without curl, jq or PostgreSQL;
# starts the database and two front-ends (scripts/cluster, with
# SERVE_OPTS) in a folder C of their own, stopped and removed at exit,
# the end of each front-end's log shown when a test failed; one test,
# that it started. Sets C, SU (the superuser's URL), D (node1's folder),
# AUDIT (ankang-audit), SERVE_OPTS, the tokens of load_accounts
# (tests/lib/answers.sh) and ADM, an admin's.
cluster_test_start() {
	need_cmds curl jq
	pg_find_bin || skip_all "PostgreSQL's initdb and pg_ctl not found (PG_BIN, pg_config)"
	AUDIT=$ANKANG_BIN/ankang-audit
	SERVE_OPTS=(--quiet --officer-reads 100000)
	# Not under $T: the database's user must own its folder (tests/lib/pg.sh).
	C=$(mktemp -d "${TMPDIR:-/tmp}/ankang-cluster.XXXXXX") || exit 1
	at_exit cluster_down
	ANKANG_BIN=$ANKANG_BIN scripts/cluster start "$C" --front-ends 2 -- "${SERVE_OPTS[@]}" \
		>"$T/start.out" 2>&1
	ok $? "scripts/cluster starts the database and two front-ends"
	SU=$(pg_url "$C" ankang ankang_super)
	D=$C/node1
	load_accounts "$D"
	ADM=$(svc_account "$D" admin operator-1)
}
cluster_down() {
	local k
	scripts/cluster stop "$C" >/dev/null 2>&1
	if [ "$_tap_failed" != 0 ]; then
		for k in 1 2; do
			diag "node$k's log, the end:"
			tail -n 5 "$C/node$k.log" 2>/dev/null | sed 's/^/#   /' >&2
		done
	fi
	rm -rf "$C"
}
url_of() { echo "http://127.0.0.1:$(cat "$C/node$1.port")"; }
pid_of() { cat "$C/node$1.pid"; }
newest_checkpoint() { pg_psql "$SU" "SELECT coalesce(max(size), 0) FROM log_checkpoints"; }
head_size() { pg_psql "$SU" "SELECT size FROM log_head"; }

# req W METHOD PATH TOKEN [BODY]: one request of worker W, to the two
# front-ends in turn (U1, U2), leaving out the one that stopped
# answering (DOWN). ST and the body in $T/w$W.body. Returns 1 when the
# front-end gave no HTTP answer (the outcome is unknown), 2 when neither
# answers.
req() {
	local w=$1 method=$2 path=$3 token=$4 node url
	local args=(-s -o "$T/w$w.body" -w '%{http_code}' --max-time 10 -X "$method")
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ $# -ge 5 ] && args+=(-H 'Content-Type: application/json' --data-binary "$5")
	REQS=$((REQS + 1))
	node=$(((REQS + w) % 2 + 1))
	[ "$node" = "$DOWN" ] && node=$((3 - node))
	url=$U1
	[ "$node" = 2 ] && url=$U2
	ST=$(curl "${args[@]}" "$url$path") || ST=000
	echo "$node $ST" >>"$T/requests" # counted
	BODY=$(cat "$T/w$w.body" 2>/dev/null)
	[ "$ST" = 503 ] && echo "$BODY" >>"$T/w$w.503"
	[ "$ST" != 000 ] && return 0
	[ -n "$DOWN" ] && [ "$DOWN" != "$node" ] && return 2
	DOWN=$node
	return 1
}
field() {
	if [[ $BODY =~ \"$1\":\ ?\"?([^\",}]*) ]]; then
		echo "${BASH_REMATCH[1]}"
	fi
}
rec() { echo "$1 $2 $3" >>"$T/answers"; }

# load W ROUND: residents W.ROUND.1, W.ROUND.2, ... until $T/stop exists
# (or 100 of them). ID numbers: 1950+ROUND-0W-DD-NNN, never reused.
load() {
	local w=$1 r=$2 off n id pass res tok cred code rid rc
	REQS=0
	DOWN=
	off=$OFF1
	[ "$w" = 2 ] && off=$OFF2
	for n in $(seq 1 100); do
		[ -e "$T/stop" ] && return 0
		rid=$w.$r.$n
		id=$(gb_id "110105$((1950 + r))0${w}$(printf '%02d%03d' $((n % 28 + 1)) $((n / 28)))")
		pass="made up passphrase $rid"
		req "$w" POST /v1/enroll "$off" "{\"name\":\"Test Resident\",\"id_number\":\"$id\",\"passphrase\":\"$pass\"}"
		rc=$?
		[ $rc = 2 ] && return 0
		[ $rc = 0 ] && [ "$ST" = 201 ] || continue
		res=$(field resident)
		rec enroll "$(field log_index)" "$rid"
		req "$w" POST /v1/login "" "{\"id_number\":\"$id\",\"passphrase\":\"$pass\"}" || continue
		[ "$ST" = 200 ] || continue
		tok=$(field token)
		rec login - "$rid"
		req "$w" GET /v1/me/code "$tok" || continue
		[ "$ST" = 200 ] || continue
		cred=$(field credential)
		code=$(field log_index)
		rec issue "$code" "$rid"
		req "$w" POST /v1/verify "$VER" "{\"credential\":\"$cred\"}" || continue
		[ "$ST" = 200 ] && rec verify "$code" "$rid"
		req "$w" PUT "/v1/residents/$res/status" "$off" '{"status":"yellow","reason":"close_contact"}' || continue
		[ "$ST" = 200 ] && rec status_set "$(field log_index)" "$rid"
		req "$w" POST /v1/lookup "$off" "{\"id_number\":\"$id\",\"purpose\":\"appeal_review\"}" || continue
		[ "$ST" = 200 ] && rec lookup "$(field log_index)" "$rid"
		req "$w" GET /v1/me/history "$tok" || continue
		[ "$ST" = 200 ] && rec history_read "$(field log_index)" "$rid"
		req "$w" POST /v1/scans "$VER" "{\"scans\":[{\"id\":\"$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')\",\"time\":$(date +%s),\"result\":\"malformed\"}]}" || continue
		[ "$ST" = 200 ] && rec verify_offline "$(field accepted)" -
		if [ $((n % 2)) = 0 ]; then
			req "$w" DELETE /v1/me "$tok" || continue
			[ "$ST" = 200 ] && rec erase "$(field log_index)" "$rid"
		fi
	done
}

load_start() {
	rm -f "$T/stop"
	U1=$(url_of 1)
	U2=$(url_of 2)
	load 1 "$1" &
	L1=$!
	load 2 "$1" &
	L2=$!
}
load_stop() {
	touch "$T/stop"
	wait "$L1" "$L2"
}

# load_first WHAT: the load on both front-ends for half a second, into
# fresh $T/answers and $T/requests; then ankang-audit verify, which saves
# its state in $T/audit.state0 for audit_verify. Two tests, the second
# named "before WHAT". Sets before, the count of answers so far.
load_first() {
	: >"$T/answers"
	: >"$T/requests"
	load_start 0
	nap 500
	load_stop
	ok "$([ -s "$T/answers" ]; echo $?)" "both front-ends take the load"
	"$AUDIT" verify --server "$(url_of 1)" --token "$AUD" --log-key "$D/public/log.vkey" \
		--state "$T/audit.state0" >"$T/audit.out" 2>&1
	ok $? "before $1: ankang-audit verify passes and saves its state"
	before=$(lines "$T/answers")
}
# audit_verify K: ankang-audit verify through front-end K against the
# state load_first saved (a fresh copy each time).
audit_verify() {
	cp "$T/audit.state0" "$T/audit.state"
	"$AUDIT" verify --server "$(url_of "$1")" --token "$AUD" --log-key "$D/public/log.vkey" \
		--state "$T/audit.state" >"$T/audit.out" 2>&1
}

# leaves_whole: log_leaves holds 0..size-1, each once, and log_head says
# size. Prints "count distinct min max head" when not.
leaves_whole() {
	local got
	got=$(pg_psql "$SU" "SELECT count(*) || ' ' || count(DISTINCT idx) || ' '
		|| coalesce(min(idx), 0) || ' ' || coalesce(max(idx), -1) || ' '
		|| (SELECT size FROM log_head) FROM log_leaves")
	set -- $got
	[ $# = 5 ] && [ "$1" = "$2" ] && [ "$3" = 0 ] && [ "$4" = $(($1 - 1)) ] && [ "$5" = "$1" ] ||
		{
			echo "$got"
			return 1
		}
}
