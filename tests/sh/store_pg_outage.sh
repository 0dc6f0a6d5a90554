#!/usr/bin/env bash
# store_pg_outage: a front-end on PostgreSQL rides out the database going
# away, and pushes back once no one signs (docs/MULTINODE.md, "Back-pressure
# and a lost database"; issue 14). Skips without
# PostgreSQL.
#
#   The database stopped (pg_ctl stop -m immediate): a code, a verify, a
#   resident's accesses list are each answered 503 with a JSON error at
#   once, never 500, never a hang; /healthz and /metrics still answer.
#   Started again: the same requests are answered 200 without a restart
#   of ankangd.
#
#   The database restarted under a load of audited requests (pg_ctl
#   restart -m immediate), then every session of the front-end ended
#   three times under load (pg_terminate_backend): some requests are
#   answered 503 meanwhile (after the restart; a session ended between
#   transactions is made again at the next BEGIN, with no 503 at all),
#   every request is answered (no 000), the
#   front-end recovers by itself, every answer 200 has its leaf (an issue
#   leaf at the index it gave), no index is given twice, the log has no
#   gap or duplicate, and ankang-audit verify passes against the state it
#   saved before the outages. /metrics counts the reconnections.
#
#   --max-unsigned with no leader able to sign (a psql session holds the
#   log's advisory leader lock): requests are answered until that many
#   leaves are unsigned, then 503 overloaded with Retry-After: 1, writing
#   nothing; once the lock is let go, the front-end becomes the leader,
#   signs, and takes requests again.
#
# Made-up residents; output never shows a name, number or token.
. tests/lib/tap.sh
export ANKANG_TEST_STORE=pg
. tests/lib/service.sh

for c in curl jq python3; do
	command -v $c >/dev/null 2>&1 || skip_all "$c not installed"
done
at_exit svc_stop
bail() { echo "Bail out! $*"; exit 1; }
AUDIT=$ANKANG_BIN/ankang-audit
D=$T/d
svc_init "$D" || bail "ankangd init failed"
DB=ak$SVC_DBS
SUPER=$(pg_url "$PG_SOCK" "$DB" ankang_super)
OFF=$(svc_account "$D" officer officer-1)
VER=$(svc_account "$D" verifier checkpoint-1)
AUD=$(svc_account "$D" auditor inspector-1)
ADM=$(svc_account "$D" admin admin-1)
SERVE_OPTS=(--quiet --checkpoint-interval 200)

# resident N: enrols made-up resident N and logs in; RES and TOK.
resident() {
	local id pass
	id=$(gb_id "11010519800101$(printf '%03d' "$1")")
	pass="made up passphrase $1"
	api POST /v1/enroll "$OFF" "{\"name\":\"Test Resident\",\"id_number\":\"$id\",\"passphrase\":\"$pass\"}"
	[ "$ST" = 201 ] || return 1
	RES=$(jbody .resident)
	api POST /v1/login "" "{\"id_number\":\"$id\",\"passphrase\":\"$pass\"}"
	[ "$ST" = 200 ] || return 1
	TOK=$(jbody .token)
}

metric() { api GET /metrics "$ADM" && sed -n "s/^$1 //p" "$T/r.body"; }

# ------------------------------------------------------------ the load
# A burst: 40 GET /v1/me/code at 8 at a time in one curl (one line per
# answer: status, ra=Retry-After, the body's file), into $T/load.out.
mkdir -p "$T/b"
burst() {
	local n=$1
	curl -s --parallel --parallel-max 8 --max-time 10 -H "Authorization: Bearer $2" \
		-o "$T/b/$n.#1" -w '%{http_code} ra=%header{retry-after} %{filename_effective}\n' \
		"$URL/v1/me/code?n=[1-40]" >>"$T/load.out" 2>/dev/null
}
# load TAG: bursts from two residents until $T/stop exists (200 at most),
# their bodies named by TAG.
load() {
	local i
	for i in $(seq 1 200); do
		[ -e "$T/stop" ] && return 0
		burst "$1a$i" "$TOK1" &
		burst "$1b$i" "$TOK2"
		wait
		nap 50 # a 503 is quick: the load stays a load, not a flood
	done
}
load_start() { rm -f "$T/stop"; load "$1" & LOAD_PID=$!; }
load_stop() { touch "$T/stop"; wait "$LOAD_PID"; }

# ok_after [PATH]: polls (bounded) until PATH (a code) is answered 200
# again. Each server thread's connection comes back at its own next try
# (a back-off of up to 2 s), so one answer 200 does not mean all.
ok_after() {
	local i
	for i in $(seq 1 "$(patience 150)"); do
		api GET "${1:-/v1/me/code}" "$TOK1"
		[ "$ST" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}
# answers_since LINE: the load's answers from line LINE on, by status.
count_since() { tail -n +"$1" "$T/load.out" | awk -v s="$2" '$1 == s' | wc -l | tr -d ' '; }

pg_ctl_as() { _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 "$@" >/dev/null 2>&1; }

svc_start "$D" "${SERVE_OPTS[@]}"
resident 1 || bail "resident 1"
TOK1=$TOK
resident 2 || bail "resident 2"
TOK2=$TOK
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state0" >"$T/audit.out" 2>&1
ok $? "before the outages: ankang-audit verify passes and saves its state"
: >"$T/load.out"

# ------------------------------------------------------ the database down
pg_ctl_as stop -m immediate
ok $? "the database is stopped (immediate)"
down_ok=1
api GET /v1/me/code "$TOK1"
{ [ "$ST" = 503 ] && is_error_body; } || down_ok=0
api GET /v1/me/accesses "$TOK1"
{ [ "$ST" = 503 ] && is_error_body; } || down_ok=0
api POST /v1/verify "$VER" '{"credential":"HC1:made-up"}'
{ [ "$ST" = 503 ] && is_error_body; } || down_ok=0
ok "$((!down_ok))" "meanwhile a code, the accesses list and a verify are answered 503 (JSON), not 500, not hung"
api GET /healthz ""
st_h=$ST
api GET /log/tile/0/000 ""
st_t=$ST
ok "$([ "$st_h" != 000 ] && [ "$st_t" != 000 ] && [ "$st_t" != 500 ]; echo $?)" \
	"/healthz and a tile are answered too ($st_h, $st_t)"
kill -0 "$SERVER_PID" 2>/dev/null
ok $? "ankangd is still running"
pg_ctl_as start
ok $? "the database is started again"
ok_after
ok $? "a code is answered 200 again, without restarting ankangd"
ok_after /v1/me/accesses
ok $? "and the accesses list"

# --------------------------------------------- restarted under load
line=$(($(lines "$T/load.out") + 1))
load_start r
nap 800
pg_ctl_as restart -m immediate
ok $? "pg_ctl restart -m immediate under load"
ok_after
ok $? "the front-end recovers by itself"
nap 500
load_stop
ok "$([ "$(count_since "$line" 503)" -gt 0 ]; echo $?)" \
	"some requests were answered 503 meanwhile ($(count_since "$line" 503) of $(($(lines "$T/load.out") - line + 1)))"
ok "$([ "$(count_since "$line" 200)" -gt 0 ]; echo $?)" "and others 200 ($(count_since "$line" 200))"

# ------------------------------------- its sessions ended under load
line=$(($(lines "$T/load.out") + 1))
load_start t
ended=0
for k in 1 2 3; do
	nap 400
	n=$(pg_psql "$SUPER" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = '$DB' AND application_name = 'ankangd'")
	ended=$((ended + ${n:-0}))
done
ok_after
ok $? "after pg_terminate_backend of its sessions three times ($ended ended), the front-end recovers by itself"
nap 300
load_stop
# A session ended between transactions costs nothing: the next BEGIN
# connects again at once. Only one ended inside a transaction is a 503.
diag "answered 503 meanwhile: $(count_since "$line" 503) of $(($(lines "$T/load.out") - line + 1))"

# ------------------------------------------------------ what was answered
bad=$(awk '$1 != 200 && $1 != 503' "$T/load.out" | wc -l | tr -d ' ')
is "$bad" 0 "every request of the load was answered, 200 or 503 ($(lines "$T/load.out") requests)"
awk '$1 == 200 { print $3 }' "$T/load.out" | xargs -r jq -r .log_index >"$T/answers"
awk '$1 == 503 { print $3 }' "$T/load.out" | xargs -r jq -r .error 2>&1 | sort | uniq -c >"$T/errors"
is "$(awk '$2 != "unavailable"' "$T/errors")" "" "every 503 carries a JSON error, unavailable"
is "$(sort "$T/answers" | uniq -d | wc -l | tr -d ' ')" 0 "no index was given to two answers"
all_entries "$AUD" "$T/entries.jsonl" 200
is "$(jq -s '[.[].index] == [range(0; length)]' "$T/entries.jsonl")" true \
	"the auditor reads every entry, numbered without gaps"
jq -r 'select(.action == "issue") | .index' "$T/entries.jsonl" | sort >"$T/issued"
is "$(sort "$T/answers" | comm -23 - "$T/issued" | wc -l | tr -d ' ')" 0 \
	"each of the $(lines "$T/answers") answers 200 has its issue leaf at the index it gave"
is "$(pg_psql "$SUPER" "SELECT count(*) = count(DISTINCT idx) AND count(*) = coalesce(max(idx) + 1, 0)
	AND count(*) = (SELECT size FROM log_head) FROM log_leaves")" t \
	"log_leaves: no gap, no duplicate, and the head agrees"
cp "$T/audit.state0" "$T/audit.state"
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify passes against the state saved before the outages"
# Waited for, bounded: a connection whose session was ended is made anew
# at its next use, which may come after the load stopped (and /metrics,
# whose token is read from the database, answers 503 until then).
reconnected() {
	r=$(metric ankang_log_reconnects_total)
	[ "${r:-0}" -ge 1 ] && [ "$(metric ankang_log_db_lost)" = 0 ]
}
wait_until "/metrics to count a reconnection and say the connection is up" reconnected
r=$(metric ankang_log_reconnects_total)
ok "$([ "${r:-0}" -ge 1 ]; echo $?)" "/metrics counts the writer's reconnections ($r)"
is "$(metric ankang_log_db_lost)" 0 "and says its connection is up"
svc_stop
is "$SERVER_STATUS" 0 "the front-end stops cleanly"

# --------------------------------------------------- --max-unsigned
D2=$T/d2
svc_init "$D2" || bail "ankangd init failed"
DB2=ak$SVC_DBS
SUPER2=$(pg_url "$PG_SOCK" "$DB2" ankang_super)
OFF=$(svc_account "$D2" officer officer-1)
ADM=$(svc_account "$D2" admin admin-1)
svc_start "$D2" "${SERVE_OPTS[@]}"
resident 3 || bail "resident 3"
svc_stop # signs the final checkpoint: nothing unsigned
is "$(pg_psql "$SUPER2" "SELECT h.size - g.size FROM log_head h, log_signer g")" 0 \
	"a second deployment, every leaf signed"

# The leader lock's key (log/store_pg_log.c): BLAKE2b-128 of the log's
# origin keyed with "ankang-leader-v1", its first 8 bytes, shifted right.
ORIGIN=$(cut -d+ -f1 "$D2/public/log.vkey")
KEY=$(python3 -c 'import hashlib, sys
h = hashlib.blake2b(sys.argv[1].encode(), digest_size=16, key=b"ankang-leader-v1").digest()
print(int.from_bytes(h[:8], "big") >> 1)' "$ORIGIN")
# The holder: a session that takes it and sleeps, ended below by
# pg_terminate_backend (bounded: it would let go after 600 s anyway).
PGAPPNAME=ankang-test-lock "$PG_BIN/psql" -X -q "$SUPER2" \
	-c "SELECT pg_advisory_lock($KEY)" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
LOCK_PID=$!
held=0
for i in $(seq 1 "$(patience 100)"); do
	held=$(pg_psql "$SUPER2" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND granted AND objsubid = 1 AND classid = ($KEY >> 32)::oid
		AND objid = ($KEY & 4294967295)::oid AND pid <> pg_backend_pid()")
	[ "$held" = 1 ] && break
	sleep 0.1
done
is "$held" 1 "a psql session holds the log's leader lock"

MAXU=12
svc_start "$D2" "${SERVE_OPTS[@]}" --max-unsigned $MAXU
# TOK: resident 3's session, from before the restart.
accepted=0
refused=
for i in $(seq 1 $((MAXU + 5))); do
	api GET /v1/me/code "$TOK"
	if [ "$ST" = 200 ]; then
		accepted=$((accepted + 1))
	else
		refused=$ST
		break
	fi
done
is "$refused" 503 "with no leader, a request is refused once leaves go unsigned ($accepted answered before)"
is "$(jbody .error)" overloaded "as overloaded"
is "$(hdr Retry-After)" 1 "with Retry-After: 1"
unsigned=$(pg_psql "$SUPER2" "SELECT h.size - g.size FROM log_head h, log_signer g")
ok "$([ "$unsigned" -le $MAXU ] && [ "$accepted" -le $MAXU ] && [ "$unsigned" -ge "$accepted" ]; echo $?)" \
	"no more than --max-unsigned $MAXU leaves are left unsigned ($unsigned)"
size0=$(pg_psql "$SUPER2" "SELECT size FROM log_head")
api GET /v1/me/code "$TOK"
is "$ST" 503 "a second request is refused too"
is "$(pg_psql "$SUPER2" "SELECT size FROM log_head")" "$size0" "and the refusals wrote nothing"
m=$(metric 'ankang_log_overloaded_total{bound="unsigned"}')
ok "$([ "${m:-0}" -ge 2 ]; echo $?)" "/metrics counts them ($m)"
pg_psql "$SUPER2" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE application_name = 'ankang-test-lock'" >/dev/null
wait "$LOCK_PID"
ok_after_tok() {
	local i
	for i in $(seq 1 "$(patience 150)"); do
		api GET /v1/me/code "$TOK"
		[ "$ST" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}
ok_after_tok
ok $? "once the lock is let go, the front-end signs and takes requests again"
is "$(pg_psql "$SUPER2" "SELECT count(*) > 0 FROM log_checkpoints WHERE size >= $size0")" t \
	"having signed the leaves that were waiting"
svc_stop
done_testing
