#!/usr/bin/env bash
# pg_split_brain: two `ankangd serve` front-ends on one PostgreSQL store,
# and a leader that is paused while the server ends its session
# (docs/MULTINODE.md, "One checkpoint signer per log"; issue 14).
#
# Part 1, as deployed. Two front-ends (two data folders with the same
# keys, each node logging in as a role of its own) take verifies; one
# holds the leader lock and signs. It is stopped with SIGSTOP, and its
# leader session ended with pg_terminate_backend as the cluster's
# superuser, as a network that dropped a stalled machine would. The other
# takes the lead and signs the leaves it takes meanwhile. The first is
# resumed, still believing it leads: it steps down at its next round, and
# stores no checkpoint from then on.
#
# Part 2, the lock taken away. Both front-ends run with a test-only shim
# (tests/shim/pgnolock.c, LD_PRELOAD) that makes each believe it always
# holds the leader lock, and both take verifies at once: both sign and
# store checkpoints, and the compare-and-swap on log_signer alone keeps
# them from storing two of one size or one that disagrees with the log.
#
# After each part: no two stored checkpoints of one size (the table's key
# says so; counted anyway); every stored checkpoint signs the root of the
# log's own leaves at its size (a scrubber's whole pass, which holds each
# checkpoint against the root it recomputes from the leaves); and
# `ankang-audit verify` against the state it saved before the pause
# passes. Skips without PostgreSQL (tests/lib/pg.sh). Bounded polling
# throughout, no timed assertion. The leaves are made up verifies of
# "not a code"; no personal data.
. tests/lib/tap.sh
. tests/lib/pg.sh

for c in curl jq; do
	command -v $c >/dev/null 2>&1 || skip_all "$c not installed"
done
SHIM=${ANKANG_HELPERS:-build/tests/helpers}/pgnolock.so
[ -f "$SHIM" ] || skip_all "$SHIM is not built (make tests)"
SHIM=$(cd "$(dirname "$SHIM")" && pwd)/pgnolock.so
# Under ASan, libasan must be the first object loaded.
ASAN=$(ldd "$ANKANG_BIN/ankangd" 2>/dev/null | awk '/libasan/ {print $3; exit}')
[ -n "$ASAN" ] && SHIM="$ASAN $SHIM"
if ! pg_test_start; then
	ok 1 "the cluster starts"
	done_testing
fi
AUDIT=$ANKANG_BIN/ankang-audit
# The second node's own login, in the service's group.
pg_psql "$ANKANG_PG_SUPER_URL" "CREATE ROLE ankang_node2 LOGIN IN ROLE ankang_service" ||
	bail_out "the second node's role could not be made"

# ------------------------------------------------------------ helpers

# deploy DB DIR1 DIR2: a fresh database, the first node's folder made by
# init, the second's a copy of it (the keys the operator copies) whose
# store URL names its own role.
deploy() {
	local db=$1 d1=$2 d2=$3 owner
	pg_psql "$ANKANG_PG_SUPER_URL" "CREATE DATABASE $db OWNER ankang_owner" &&
		pg_psql "$ANKANG_PG_SUPER_URL" "REVOKE ALL ON DATABASE $db FROM PUBLIC;
			GRANT CONNECT ON DATABASE $db TO ankang_owner, ankang_service" || return 1
	owner=$(pg_url "$PG_SOCK" "$db" ankang_owner)
	STORE=$(pg_url "$PG_SOCK" "$db" ankang_node)
	SUPER=$(pg_url "$PG_SOCK" "$db" ankang_super)
	"$ANKANG_BIN/ankangd" init --data "$d1" --origin ankang.test --store "$STORE" \
		--store-owner "$owner" >/dev/null || return 1
	cp -a "$d1" "$d2" &&
		sed -i 's/user=ankang_node$/user=ankang_node2/' "$d2/ankang.conf" &&
		grep -q 'user=ankang_node2$' "$d2/ankang.conf"
}

# fe_start N DIR [ENV...]: front-end N on 127.0.0.1:0, scrubbing fast,
# with the serve options in FE_ARGS too; sets URL_N and PID_N.
fe_start() {
	local n=$1 d=$2 i
	shift 2
	rm -f "$T/port$n"
	env "$@" "$ANKANG_BIN/ankangd" serve --data "$d" --listen 127.0.0.1:0 --quiet \
		--scrub-rate 200000 --port-file "$T/port$n" ${FE_ARGS:-} 2>>"$T/serve$n.log" &
	eval "PID_$n=$!"
	for i in $(seq 1 "$(patience 400)"); do
		[ -s "$T/port$n" ] && break
		sleep 0.05
	done
	[ -s "$T/port$n" ] || bail_out "front-end $n did not start"
	eval "URL_$n=http://127.0.0.1:$(cat "$T/port$n")"
}

fe_stop() {
	local pid i
	for pid in "$@"; do
		kill -CONT "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		for i in $(seq 1 "$(patience 400)"); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}
cleanup_fe() { fe_stop ${PID_1:-} ${PID_2:-}; }
at_exit cleanup_fe

# verifies N COUNT: COUNT verifies of a made-up code through front-end
# N; prints how many were answered 200.
verifies() {
	local url k good=0
	url=$(eval echo "\$URL_$1")
	for k in $(seq 1 "$2"); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
			-H "Authorization: Bearer $VER" -H 'Content-Type: application/json' \
			--data-binary '{"credential":"not a code"}' "$url/v1/verify")" = 200 ] &&
			good=$((good + 1))
	done
	echo "$good"
}

# metric N NAME: NAME's value in front-end N's /metrics, or "none".
metric() {
	local url v
	url=$(eval echo "\$URL_$1")
	v=$(curl -s --max-time 10 -H "Authorization: Bearer $ADM" "$url/metrics" |
		sed -n "s/^$2 //p")
	echo "${v:-none}"
}

acct() { "$ANKANG_BIN/ankangd" account add --data "$1" --role "$2" --name "$3" 2>/dev/null; }
sq() { pg_psql "$SUPER" "$1"; }
leaves() { sq "SELECT count(*) FROM log_leaves"; }
signed() { sq "SELECT size FROM log_signer"; }

# signed_all: waits until the stored checkpoints cover every leaf.
signed_all() {
	local i
	for i in $(seq 1 "$(patience 300)"); do
		[ "$(signed)" = "$(leaves)" ] && return 0
		sleep 0.1
	done
	return 1
}

# scrubbed N: front-end N's scrubber completes a whole pass begun after
# this call (every stored checkpoint held against the leaves' root) and
# finds nothing.
scrubbed() {
	local p0 i p
	p0=$(metric "$1" ankang_log_scrub_passes_total)
	for i in $(seq 1 "$(patience 300)"); do
		p=$(metric "$1" ankang_log_scrub_passes_total)
		[ "$p" != none ] && [ "$p" -ge $((p0 + 2)) ] && break
		sleep 0.1
	done
	[ "$p" != none ] && [ "$p" -ge $((p0 + 2)) ] &&
		[ "$(metric "$1" ankang_log_scrub_mismatch)" = 0 ]
}

# one_root: no size has two stored checkpoints.
one_root() {
	[ "$(sq "SELECT count(*) - count(DISTINCT size) FROM log_checkpoints")" = 0 ]
}

audit_verify() {
	"$AUDIT" verify --db "$STORE" --log-key "$1/public/log.vkey" --state "$2" \
		>"$T/audit.out" 2>&1
}

# ------------------------------------------------ part 1: as deployed

D1=$T/n1
D2=$T/n2
deploy ak_sb1 "$D1" "$D2" || bail_out "the deployment could not be made"
VER=$(acct "$D1" verifier checkpoint-1)
ADM=$(acct "$D1" admin operator-1)
[ -n "$VER" ] && [ -n "$ADM" ] || bail_out "the accounts could not be made"

fe_start 1 "$D1"
fe_start 2 "$D2"
is "$(verifies 1 20)/$(verifies 2 20)" 20/20 "two front-ends on one store answer 20 verifies each"
# One of them leads: the first to ask; the other asks each second.
for i in $(seq 1 "$(patience 100)"); do
	l1=$(metric 1 ankang_log_leader)
	l2=$(metric 2 ankang_log_leader)
	[ "$l1$l2" = 10 ] || [ "$l1$l2" = 01 ] && break
	sleep 0.1
done
like "$l1$l2" '^(10|01)$' "exactly one front-end leads"
if [ "$l1" = 1 ]; then L=1 F=2 LROLE=ankang_node; else L=2 F=1 LROLE=ankang_node2; fi
is "$(sq "SELECT r.rolname FROM pg_locks k JOIN pg_stat_activity a USING (pid)
	JOIN pg_roles r ON r.oid = a.usesysid
	WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 1")" "$LROLE" \
	"the server shows the leader lock held by that node's own role"
ok "$(signed_all && echo 0 || echo 1)" "the leader signs both front-ends' leaves"
is "$(metric "$F" ankang_audit_checkpoints_total)" 0 "the other signs nothing"
audit_verify "$D1" "$T/state1"
ok $? "ankang-audit verify saves its state before the pause"

LPID=$(eval echo "\$PID_$L")
kill -STOP "$LPID"
is "$(sq "SELECT count(pg_terminate_backend(pid)) FROM pg_locks
	WHERE locktype = 'advisory' AND granted AND objsubid = 1")" 1 \
	"the paused leader's session is ended by the server"
is "$(verifies "$F" 20)" 20 "the other front-end answers 20 more verifies meanwhile"
for i in $(seq 1 "$(patience 100)"); do
	[ "$(metric "$F" ankang_log_leader)" = 1 ] && break
	sleep 0.1
done
is "$(metric "$F" ankang_log_leader)" 1 "the other front-end takes the lead"
ok "$(signed_all && echo 0 || echo 1)" "and signs every leaf, its new ones too"
sq "SELECT size, md5(note) FROM log_checkpoints ORDER BY size" >"$T/cps.before"
F_BEFORE=$(metric "$F" ankang_audit_checkpoints_total)

# The first resumes believing it leads. Its writer finds its connection
# gone at its next round (or its next batch) and steps down.
kill -CONT "$LPID"
# What it had stored when it was stopped: a stopped process stores
# nothing, and its session was gone before it could run again.
L_CP0=$(metric "$L" ankang_audit_checkpoints_total)
verifies "$L" 5 >/dev/null
for i in $(seq 1 "$(patience 100)"); do
	[ "$(metric "$L" ankang_log_leader)" = 0 ] && break
	sleep 0.1
done
is "$(metric "$L" ankang_log_leader)" 0 "the resumed front-end steps down"
is "$(metric "$F" ankang_log_leader)" 1 "the other still leads"
verifies "$F" 5 >/dev/null
ok "$(signed_all && echo 0 || echo 1)" "the leader signs what came after"
is "$(metric "$L" ankang_audit_checkpoints_total)" "$L_CP0" \
	"the resumed front-end stores no checkpoint after it lost the lock"
ok "$(one_root && echo 0 || echo 1)" "no size has two stored checkpoints"
ok "$(comm -23 "$T/cps.before" <(sq "SELECT size, md5(note) FROM log_checkpoints ORDER BY size") |
	wc -l | grep -qx 0 && echo 0 || echo 1)" "every checkpoint stored before is stored unchanged"
ok "$(scrubbed "$F" && echo 0 || echo 1)" \
	"a whole scrub pass holds every stored checkpoint against the leaves' root"
audit_verify "$D1" "$T/state1"
ok $? "ankang-audit verify passes against the state saved before the pause"
[ -s "$T/audit.out" ] && grep -v '^ok\|^verified' "$T/audit.out" | head -3 | sed 's/^/# /' >&2
fe_stop "$PID_1" "$PID_2"
PID_1= PID_2=

# ------------------------------------------- part 2: the lock taken away

D3=$T/n3
D4=$T/n4
deploy ak_sb2 "$D3" "$D4" || bail_out "the second deployment could not be made"
VER=$(acct "$D3" verifier checkpoint-1)
ADM=$(acct "$D3" admin operator-1)
BASE=$(sq "SELECT count(*) FROM log_checkpoints") # init's and the accounts'
# Checkpoint intervals of their own, so that neither keeps signing just
# before the other wakes and finds nothing left to sign (a CI run saw one
# front-end store none in 40 rounds with both at the default second).
FE_ARGS="--checkpoint-interval 300" fe_start 1 "$D3" LD_PRELOAD="$SHIM"
FE_ARGS="--checkpoint-interval 370" fe_start 2 "$D4" LD_PRELOAD="$SHIM"
audit_verify "$D3" "$T/state2"
ok $? "ankang-audit verify saves its state"
# Both take verifies at once, round after round, until both have stored
# checkpoints (each signs once an interval at most).
for r in $(seq 1 "$(patience 40)"); do
	verifies 1 10 >/dev/null &
	verifies 2 10 >/dev/null
	wait $!
	[ "$(metric 1 ankang_audit_checkpoints_total)" -gt 1 ] 2>/dev/null &&
		[ "$(metric 2 ankang_audit_checkpoints_total)" -gt 1 ] 2>/dev/null && [ "$r" -ge 5 ] &&
		break
done
is "$(metric 1 ankang_log_leader)$(metric 2 ankang_log_leader)" 11 \
	"with the shim, both front-ends believe they lead"
c1=$(metric 1 ankang_audit_checkpoints_total)
c2=$(metric 2 ankang_audit_checkpoints_total)
ok "$([ "$c1" -ge 1 ] && [ "$c2" -ge 1 ] && echo 0 || echo 1)" \
	"both sign and store checkpoints ($c1 and $c2)"
ok "$(signed_all && echo 0 || echo 1)" "together they sign every leaf"
ok "$(one_root && echo 0 || echo 1)" "no size has two stored checkpoints"
c1=$(metric 1 ankang_audit_checkpoints_total)
c2=$(metric 2 ankang_audit_checkpoints_total)
is "$(sq "SELECT count(*) FROM log_checkpoints")" "$((BASE + c1 + c2))" \
	"the table holds exactly the checkpoints each says it stored"
ok "$(scrubbed 1 && echo 0 || echo 1)" \
	"a whole scrub pass holds every stored checkpoint against the leaves' root"
audit_verify "$D3" "$T/state2"
ok $? "ankang-audit verify passes against the state saved before"
fe_stop "$PID_1" "$PID_2"
PID_1= PID_2=
done_testing
