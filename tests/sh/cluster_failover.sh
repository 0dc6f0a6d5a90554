#!/usr/bin/env bash
# cluster_failover: two `ankangd serve` front-ends on one PostgreSQL
# database (scripts/cluster); the one that leads (holds the log's leader
# lock, and so signs the checkpoints: docs/MULTINODE.md) is killed with
# SIGKILL under load, ten times, and started again each time (issue 14).
#
# Two load generators live residents' lives as tests/sh/service_crash.sh's
# do (an officer enrols one, who logs in and fetches a code; a verifier
# checks it online; the officer sets the status and looks the resident
# up; the resident reads their history; the verifier uploads an offline
# scan; every other resident erases themselves), each request going to
# the two front-ends in turn, so a resident enrolled on one logs in on the
# other. A front-end that stops answering is left out for the rest of the
# round, and the resident whose request it dropped with it (that answer's
# outcome is unknown). Each answer seen 2xx is recorded with the leaf it
# must have.
#
# Each round: the load runs 300-999 ms; the leader (read from pg_locks:
# the advisory lock is held by a session of its role, ankang_nodeK), and
# /metrics's ankang_log_leader on both front-ends agrees; it is killed;
# then, polling with a bound (no timing is asserted), the other front-end
# holds the lock and has signed a checkpoint past every leaf committed
# before the kill; the load stops, the killed front-end starts again
# (scripts/cluster start: idempotent, it starts only what is down), and
# ankang-audit verify passes against the state it saved before the first
# kill; log_leaves holds 0..size-1 once each, and log_head says size. At
# the end every recorded answer has its leaf (the checker is
# service_crash.sh's, and it finds fabricated answers).
#
# Output never shows a name, number or token. Skips without PostgreSQL.
# Bounded: ten rounds of at most a second of load plus the takeover, a
# restart and checks, about a minute.
. tests/lib/tap.sh
. tests/lib/pg.sh
. tests/lib/service.sh
. tests/lib/answers.sh
. tests/lib/cluster_load.sh

KILLS=10
cluster_test_start
for k in 1 2; do
	like "$(grep "^node$k: " "$T/start.out")" "^node$k: http://127\\.0\\.0\\.1:[0-9]+ \\(started," \
		"it prints node$k's URL on the loopback address"
done
SU=$(pg_url "$C" ankang ankang_super)
is "$(pg_psql "$SU" "SELECT string_agg(DISTINCT usename, ' ' ORDER BY usename)
	FROM pg_stat_activity WHERE datname = 'ankang' AND usename LIKE 'ankang\\_node%'")" \
	"ankang_node1 ankang_node2" "each front-end connects as its own role"
is "$(pg_psql "$SU" "SELECT count(*) FROM pg_roles WHERE rolname IN ('ankang_node1', 'ankang_node2')
	AND pg_has_role(rolname, 'ankang_service', 'member')")" 2 "both roles are in ankang_service"
cmp -s "$C/node1/keys/log.key" "$C/node2/keys/log.key" && cmp -s "$C/node1/keys/kek.key" "$C/node2/keys/kek.key"
ok $? "both hold the deployment's keys"
ANKANG_BIN=$ANKANG_BIN scripts/cluster start "$C" -- "${SERVE_OPTS[@]}" >"$T/again.out" 2>&1
ok $? "scripts/cluster start again succeeds"
is "$(grep -c '(running, ' "$T/again.out") $(grep -o '^node[12]: [^ ]*' "$T/again.out" | tr '\n' ' ')" \
	"2 $(grep -o '^node[12]: [^ ]*' "$T/start.out" | tr '\n' ' ')" \
	"and starts nothing: the same two, on the same ports"

# alive PID: running, not a zombie.
alive() {
	local s
	s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]
}

# leader: K when a session of ankang_nodeK holds an advisory lock (the
# front-ends take no other), else nothing.
leader() {
	pg_psql "$SU" "SELECT a.usename FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND l.granted AND a.usename LIKE 'ankang\\_node%'" |
		sed -n 's/^ankang_node\([12]\)$/\1/p' | sort -u | tr -d '\n'
}
# gauge K: front-end K's ankang_log_leader.
gauge() {
	curl -s --max-time 10 -H "Authorization: Bearer $ADM" "$(url_of "$1")/metrics" |
		sed -n 's/^ankang_log_leader \([01]\)$/\1/p'
}

# agree: /metrics says node L leads, and node O does not.
agree() { [ "$(gauge "$L")/$(gauge "$O")" = 1/0 ]; }

# ------------------------------------------------- the state before kills
load_first "the kills"

# -------------------------------------------------------------- the kills
took=()
led=0 agreed=0 gone=0 tookover=0 restarted=0 verified=0 whole=0
for i in $(seq 1 $KILLS); do
	load_start "$i"
	nap $((300 + $(rnd) % 700))
	# The leader: one node holds the lock once a checkpoint was due, which
	# under load is within checkpoint-interval (1 s).
	L=
	for _ in $(seq 1 "$(patience 200)"); do
		L=$(leader)
		[ "$L" = 1 ] || [ "$L" = 2 ] && break
		nap 50
	done
	O=$((3 - ${L:-1}))
	if [ "$L" = 1 ] || [ "$L" = 2 ]; then
		led=$((led + 1))
		# The writer sets its gauge once it has taken the lock that
		# pg_locks shows: waited for, bounded.
		wait_until "/metrics to say node$L leads and node$O does not" agree && agreed=$((agreed + 1))
	fi
	P=$(pid_of "${L:-1}")
	kill -KILL "$P"
	for _ in $(seq 1 "$(patience 200)"); do
		alive "$P" || break
		nap 10
	done
	alive "$P" || gone=$((gone + 1))
	t0=$(date +%s%N)
	# Every leaf committed before the kill is in log_head now; a checkpoint
	# past it was signed after the kill, so by the other node.
	H=$(head_size)
	for _ in $(seq 1 "$(patience 600)"); do
		[ "$(leader)" = "$O" ] && [ "$(newest_checkpoint)" -gt "$H" ] && break
		nap 50
	done
	if [ "$(leader)" = "$O" ] && [ "$(newest_checkpoint)" -gt "$H" ]; then
		tookover=$((tookover + 1))
		took+=("$((($(date +%s%N) - t0) / 1000000))")
	else
		diag "kill $i: node$O did not take over (leader '$(leader)', head $H, newest checkpoint $(newest_checkpoint))"
	fi
	load_stop
	ANKANG_BIN=$ANKANG_BIN scripts/cluster start "$C" -- "${SERVE_OPTS[@]}" >"$T/again.out" 2>&1 &&
		grep -q "^node${L:-1}: .*(started, " "$T/again.out" &&
		[ "$(grep -c '(started, ' "$T/again.out")" = 1 ] && restarted=$((restarted + 1))
	if audit_verify "${L:-1}"; then
		verified=$((verified + 1))
	else
		diag "kill $i: ankang-audit verify failed: $(grep -m1 '^FAIL' "$T/audit.out")"
	fi
	if bad=$(leaves_whole); then
		whole=$((whole + 1))
	else
		diag "kill $i: log_leaves is not 0..size-1 once each (count distinct min max head: $bad)"
	fi
done
is "$led" "$KILLS" "before each kill one front-end held the leader lock"
is "$agreed" "$KILLS" "and /metrics said so: ankang_log_leader 1 there, 0 on the other"
is "$gone" "$KILLS" "the leader was killed $KILLS times"
is "$tookover" "$KILLS" "each time the other front-end took the lock and signed a checkpoint past the kill"
is "$restarted" "$KILLS" "each time scripts/cluster start started the killed one again, and only it"
is "$verified" "$KILLS" "each time ankang-audit verify passed against the state saved before the kills"
is "$whole" "$KILLS" "each time log_leaves held every index from 0 to size-1 once, and log_head said size"
diag "takeover, kill to a checkpoint signed by the other node (ms): ${took[*]}"

# ------------------------------------------------ every answer has its leaf
URL=$(url_of 1)
all_entries "$AUD" "$T/entries.jsonl" 100
is "$(jq -s '[.[].index] == [range(0; length)]' "$T/entries.jsonl")" true \
	"the auditor reads every entry, numbered without gaps"
is "$(lines "$T/entries.jsonl")" "$(head_size)" "as many as log_head says"

answers_missing "$T/entries.jsonl" "$T/answers" >"$T/missing"
ok $? "the checker ran"
total=$(lines "$T/answers")
is "$(head -5 "$T/missing")" "" "each of the $total answers seen 2xx has its leaf, action and subject"
answers_twins "$T/entries.jsonl" "$T/answers" 3 >"$T/answers.bad"
is "$(answers_missing "$T/entries.jsonl" "$T/answers.bad" | wc -l)" 3 "and it finds each of three answers given a leaf they lack"
answers_counts "$T/answers"
diag "$KILLS kills; $(lines "$T/requests") requests ($(grep -c '^1 ' "$T/requests") to node1," \
	"$(grep -c '^2 ' "$T/requests") to node2), $total answers seen 2xx ($before before the kills)," \
	"$(lines "$T/entries.jsonl") leaves"
diag "requests by status (000: no answer, the front-end killed): $(cut -d' ' -f2 "$T/requests" |
	sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')"
ok "$([ $((total - before)) -gt $((KILLS * 2)) ]; echo $?)" "the load made progress between kills"

P1=$(pid_of 1)
P2=$(pid_of 2)
scripts/cluster stop "$C" >/dev/null 2>&1
ok $? "scripts/cluster stop stops the front-ends and the database"
ok "$(! alive "$P1" && ! alive "$P2" && [ ! -e "$C/data/postmaster.pid" ]; echo $?)" \
	"nothing of the cluster runs"
done_testing
