#!/usr/bin/env bash
# cluster: two ankangd front-ends on one PostgreSQL database against the
# SQLite node, in the same run (issue 14, docs/MULTINODE.md; DESIGN.md
# "Performance, and how it is measured").
#
#   1. One SQLite node (bench/lib.sh's: durable audit, WAL,
#      synchronous=FULL, on a disk) and a cluster (scripts/cluster: a
#      PostgreSQL server with fsync and synchronous_commit on, on the same
#      disk, and two front-ends, each its own data folder and role), each
#      with a verifier, an admin (for /metrics) and one made-up resident
#      whose codes are valid for the run.
#   2. BENCH_ROUNDS rounds (3), each of, in this order: POST /v1/verify on
#      SQLite, then on the cluster; GET /v1/me/code on SQLite, then on the
#      cluster. Each load is two wrk processes of one thread and
#      BENCH_CONNS/2 connections (32) for BENCH_SECONDS (5): on SQLite both
#      against the one node, on the cluster one against each front-end,
#      as a load balancer would spread them. For each load: requests/s,
#      durable leaves/s (the log's size before and after: log_head on
#      PostgreSQL, /healthz on SQLite; a verify is one leaf, a code one
#      leaf and its row), p99 from the servers' own histograms (/metrics,
#      the two front-ends' buckets summed), the CPU per request of the
#      servers (the front-ends and every PostgreSQL process) and the
#      share of the machine's CPUs busy (/proc/stat).
#   3. The results: audited verifies/s and durable leaves/s (under the
#      code load) of the cluster over the SQLite node's, the median of the
#      rounds' ratios (target >= 0.5: the database and both front-ends
#      share the two CPUs with wrk), and each side's p99.
#   4. Where the cluster's time goes, on the cluster alone after the
#      rounds (so that watching does not slow the rounds), BENCH_PROFILE_
#      SECONDS (3) each of the verify and the code load:
#        - the statements the front-ends send, from the server's own log
#          (log_min_duration_statement 0 for the phase, parameters never
#          logged): round trips per request by kind, and the share of
#          them, and of the server's time in them, that the savepoints
#          take (store_q's, around each write of a change, and the
#          writer's, around each operation with a change);
#        - what the front-ends' sessions wait for, sampled every 50 ms
#          (pg_stat_activity: the head row's lock, the WAL's flush, the
#          front-end (ClientRead: its CPU and the socket's round trip),
#          or running).
#
# Settings (environment): BIN, BENCH_DIR (/var/tmp), BENCH_SECONDS (5),
# BENCH_ROUNDS (3), BENCH_CONNS (64), BENCH_CODES (16),
# BENCH_PROFILE_SECONDS (3; 0: skip step 4), PG_BIN (tests/lib/pg.sh),
# BENCH_CLUSTER_OPTS (more `ankangd serve` options for the front-ends,
# e.g. "--batch-gather 0" to compare a setting; none by default).
# Skipped (exit 0) without wrk, curl, jq or PostgreSQL. Prints no personal
# data (the residents are made up, and nothing of theirs is printed) and
# no token.
set -u
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-64}
NCODES=${BENCH_CODES:-16}
PROF_SECS=${BENCH_PROFILE_SECONDS:-3}
read -r -a CLUSTER_OPTS <<<"${BENCH_CLUSTER_OPTS:-}"
HALF=$(((CONNS + 1) / 2))

for c in wrk curl jq; do
	command -v $c >/dev/null 2>&1 || { echo "cluster: $c is not installed: skipped"; exit 0; }
done
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib/pg.sh
. "$HERE/tests/lib/pg.sh"
pg_find_bin || { echo "cluster: PostgreSQL is not installed (initdb, pg_ctl): skipped"; exit 0; }

BENCH_NAME=cluster
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# ------------------------------------------------------------------ set-up
bench_tmp
# The cluster's folder: not under $W, which the database's user may not
# enter (tests/lib/pg.sh). Stopped and removed before $W.
C=$(mktemp -d "$BENCH_DIR/ankang-cluster.XXXXXX") || die "mktemp failed"
cluster_cleanup() {
	"$HERE/scripts/cluster" stop "$C" >/dev/null 2>&1
	rm -rf "$C"
	bench_cleanup
}
trap cluster_cleanup EXIT
case $BIN in /*) ABS_BIN=$BIN ;; *) ABS_BIN=$PWD/$BIN ;; esac

# The SQLite node.
bench_init bench.test
VER=$(bench_account verifier bench-verifier)
ADM=$(bench_account admin bench-admin)
bench_serve --code-ttl 86400 --per-address 256
SQ_URL=$URL
bench_resident
bench_codes "$NCODES" "$W/codes" "$VER"
bench_wrk_scripts "$VER" "$W/codes"
for f in verify code; do mv "$W/$f.lua" "$W/sq-$f.lua"; done
SQ_ADM=$ADM

# The cluster.
ANKANG_BIN=$ABS_BIN "$HERE/scripts/cluster" start "$C" --front-ends 2 --origin bench.test -- \
	--quiet --code-ttl 86400 --per-address 256 "${CLUSTER_OPTS[@]}" >"$W/cluster.out" 2>&1 ||
	die "scripts/cluster start failed: $(tail -n 3 "$W/cluster.out")"
SU=$(pg_url "$C" ankang ankang_super)
pg_account() { # ROLE NAME -> the token
	local t
	t=$("$BIN/ankangd" account add --data "$C/node1" --role "$1" --name "$2" 2>/dev/null)
	[ -n "$t" ] || die "account add (cluster) failed"
	echo "$t"
}
PG_VER=$(pg_account verifier bench-verifier)
PG_ADM=$(pg_account admin bench-admin)
PG_U1=http://127.0.0.1:$(cat "$C/node1.port")
PG_U2=http://127.0.0.1:$(cat "$C/node2.port")
URL=$PG_U1
bench_resident
bench_codes "$NCODES" "$W/pg-codes" "$PG_VER"
bench_wrk_scripts "$PG_VER" "$W/pg-codes"
for f in verify code; do mv "$W/$f.lua" "$W/pg-$f.lua"; done

PG_PIDS() { # the postmaster and its children
	local pm
	pm=$(head -n 1 "$C/data/postmaster.pid")
	echo "$pm"
	pgrep -P "$pm"
}
# CPU ticks (user + system) of processes, summed.
ticks_of() {
	local p s=0 t
	for p in "$@"; do
		t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) && s=$((s + t))
	done
	echo $s
}
# The machine's busy and total ticks, all CPUs.
machine_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }

# hist SIDE ROUTE FILE: the route's latency buckets ("le count"), summed
# over the side's servers.
hist() {
	local u
	{
		if [ "$1" = sq ]; then
			URL=$SQ_URL ADM=$SQ_ADM bench_histogram "$2"
		else
			for u in "$PG_U1" "$PG_U2"; do URL=$u ADM=$PG_ADM bench_histogram "$2"; done
		fi
	} | awk '{n[$1] += $2} END {for (k in n) print k, n[k]}' >"$3"
}
log_size() {
	if [ "$1" = sq ]; then
		curl -sf "$SQ_URL/healthz" | jq -r .log_size
	else
		pg_psql "$SU" "SELECT size FROM log_head"
	fi
}
# server_ticks SIDE: "front-ends database" CPU ticks so far.
server_ticks() {
	if [ "$1" = sq ]; then
		echo "$(ticks_of "$PID") 0"
	else
		# shellcheck disable=SC2046 # process ids
		echo "$(ticks_of "$(cat "$C/node1.pid")" "$(cat "$C/node2.pid")") $(ticks_of $(PG_PIDS))"
	fi
}
# wrk2 SIDE EP SECONDS OUT: the two wrk processes; OUT gets their RESULT
# lines.
wrk2() {
	local a=$SQ_URL b=$SQ_URL p1 p2 path=/v1/verify
	[ "$1" = pg ] && a=$PG_U1 b=$PG_U2
	[ "$2" = code ] && path=/v1/me/code
	wrk -t1 -c"$HALF" -d"$3"s --timeout 10s -s "$W/$1-$2.lua" "$a$path" >"$4.1" 2>&1 &
	p1=$!
	wrk -t1 -c"$HALF" -d"$3"s --timeout 10s -s "$W/$1-$2.lua" "$b$path" >"$4.2" 2>&1 &
	p2=$!
	BENCH_KILL="$p1 $p2"
	wait "$p1" "$p2"
	BENCH_KILL=
	sed -n 's/^RESULT //p' "$4.1" "$4.2" >"$4"
}

# load SIDE EP: one measured load; prints "rps leaves/s p99 cpu_us busy
# non2xx sockerr fe_us db_us": the servers' CPU a request in all, the
# front-ends' and the database's part of it.
load() {
	local side=$1 ep=$2 route=/v1/verify s0 s1 t0 t1 m0 m1
	[ "$ep" = code ] && route=/v1/me/code
	hist "$side" "$route" "$W/h0"
	s0=$(log_size "$side")
	t0=$(server_ticks "$side")
	m0=$(machine_ticks)
	wrk2 "$side" "$ep" "$SECS" "$W/wrk.out"
	m1=$(machine_ticks)
	t1=$(server_ticks "$side")
	s1=$(log_size "$side")
	hist "$side" "$route" "$W/h1"
	[ "$(wc -l <"$W/wrk.out")" = 2 ] || return 1
	awk -v s="$SECS" -v dl=$((s1 - s0)) -v h="$(getconf CLK_TCK)" \
		-v df="$((${t1% *} - ${t0% *}))" -v dd="$((${t1#* } - ${t0#* }))" \
		-v mb="$(($(echo "$m1" | cut -d' ' -f1) - $(echo "$m0" | cut -d' ' -f1)))" \
		-v mt="$(($(echo "$m1" | cut -d' ' -f2) - $(echo "$m0" | cut -d' ' -f2)))" \
		-v p99="$(bench_p99 "$W/h0" "$W/h1" | cut -d' ' -f1)" '
		{ r += $1; e += $4; k += $5 }
		function us(t) { return r > 0 ? t / h * 1e6 / (r * s) : 0 }
		END { printf "%.1f %.1f %s %.1f %.2f %d %d %.1f %.1f\n", r, dl / s, p99, us(df + dd),
			(mt > 0 ? mb / mt : 0), e, k, us(df), us(dd) }' "$W/wrk.out"
}

echo "# cluster: $(nproc) CPUs shared by wrk (2 processes, 1 thread each), the SQLite node," \
	"two front-ends and PostgreSQL; load average $(cut -d' ' -f1-3 /proc/loadavg) at start;" \
	"$CONNS connections, ${SECS}s a load, $ROUNDS rounds; data in $BENCH_DIR"

# ---------------------------------------------------------------- the loads
void=0
: >"$W/rounds"
for r in $(seq 1 "$ROUNDS"); do
	line="round $r:"
	for ep in verify code; do
		for side in sq pg; do
			# shellcheck disable=SC2046 # numbers
			set -- $(load $side $ep)
			[ $# -eq 9 ] || die "wrk printed no result for $side $ep ($*)"
			echo "$r $side $ep $*" >>"$W/rounds"
			line+=$(printf ' %s %s %.0f/s (%.0f leaves/s, p99 %.1f ms, %.0f us CPU, %.0f%% busy);' \
				"$side" "$ep" "$1" "$2" "$3" "$4" "$(awk -v b="$5" 'BEGIN {print b * 100}')")
			if [ "$6" != 0 ] || [ "$7" != 0 ]; then
				line+=" ($6 non-2xx, $7 socket errors!)"
				void=1
			fi
		done
	done
	echo "$line"
done

col() { awk -v s="$1" -v e="$2" -v c="$3" '$2 == s && $3 == e {print $c}' "$W/rounds" | median; }
# ratio EP COLUMN: the median of the rounds' cluster / SQLite.
ratio() {
	awk -v e="$1" -v c="$2" '$3 == e && $2 == "sq" {a[$1] = $c} $3 == e && $2 == "pg" {b[$1] = $c}
		END {for (r in a) if (a[r] > 0) print b[r] / a[r]}' "$W/rounds" | median
}
vr=$(ratio verify 4)
lr=$(ratio code 5)
# The summary, also for bench/RESULTS.md's section (scripts/bench takes
# the lines that start with CLUSTER).
{
	printf '%-7s %-8s %11s %9s %8s %11s %17s %5s\n' load side "requests/s" "leaves/s" "p99 ms" \
		"CPU us/req" "(front-ends + db)" busy
	for ep in verify code; do
		for side in sq pg; do
			printf '%-7s %-8s %11.0f %9.0f %8.2f %11.1f %17s %4.0f%%\n' "$ep" \
				"$([ $side = sq ] && echo SQLite || echo cluster)" "$(col $side $ep 4)" "$(col $side $ep 5)" \
				"$(col $side $ep 6)" "$(col $side $ep 7)" \
				"$([ $side = pg ] && printf '(%.0f + %.0f)' "$(col $side $ep 11)" "$(col $side $ep 12)")" \
				"$(awk -v b="$(col $side $ep 8)" 'BEGIN {print b * 100}')"
		done
	done
	echo "cluster / SQLite (median of the rounds' ratios): verifies/s $(printf '%.2f' "$vr")," \
		"leaves/s under the code load $(printf '%.2f' "$lr") (target >= 0.5);" \
		"CPU per verify $(printf '%.2f' "$(ratio verify 7)")x, per code $(printf '%.2f' "$(ratio code 7)")x"
} | sed 's/^/CLUSTER /'
result cluster_verify_rate "$(col pg verify 4)" "verifies/s" "$(col sq verify 4)" "$(printf '%.2f' "$vr")" \
	"ratio >= 0.5: two front-ends on PostgreSQL / the SQLite node, audited POST /v1/verify, same run"
result cluster_leaves_rate "$(col pg code 5)" "leaves/s" "$(col sq code 5)" "$(printf '%.2f' "$lr")" \
	"ratio >= 0.5: durable leaves/s under GET /v1/me/code (a leaf and a code row each), same run"
for ep in verify code; do
	p=$(col pg $ep 6)
	q=$(col sq $ep 6)
	result "cluster_${ep}_p99" "$p" ms "$q" "$(awk -v p="$p" -v q="$q" 'BEGIN {printf "%.2f", (p > 0 ? q / p : 0)}')" \
		"context: p99 of the two front-ends' histograms against the SQLite node's, same run"
done
result cluster_verify_cpu "$(col pg verify 7)" "us/request" "$(col sq verify 7)" \
	"$(awk -v r="$(ratio verify 7)" 'BEGIN {printf "%.2f", (r > 0 ? 1 / r : 0)}')" \
	"context: CPU a verify, both front-ends and every PostgreSQL process, against the SQLite node's"

# ------------------------------------------------------ where the time goes
if [ "$PROF_SECS" -gt 0 ]; then
	# The server's log from here on holds each statement, its duration,
	# never its parameters.
	pg_psql "$SU" "ALTER SYSTEM SET log_min_duration_statement = 0" >/dev/null &&
		pg_psql "$SU" "ALTER SYSTEM SET log_parameter_max_length = 0" >/dev/null &&
		pg_psql "$SU" "ALTER SYSTEM SET log_line_prefix = '[%p] '" >/dev/null &&
		pg_psql "$SU" "SELECT pg_reload_conf()" >/dev/null || die "could not turn the statement log on"
	samples=$((PROF_SECS * 20))
	for ep in verify code; do
		{
			sleep 0.5
			from=$(wc -l <"$C/server.log")
			# One psql session samples the front-ends' sessions every 50 ms.
			{
				for _ in $(seq 1 "$samples"); do
					echo "SELECT CASE WHEN state = 'idle in transaction' THEN 'front-end (ClientRead)'
						WHEN wait_event IS NULL THEN 'running' WHEN wait_event = 'ClientRead'
						THEN 'front-end (ClientRead)' ELSE wait_event_type || ':' || wait_event END
						FROM pg_stat_activity WHERE usename LIKE 'ankang\\_node%' AND state <> 'idle';"
					echo "SELECT pg_sleep(0.05);"
				done
			} | "$PG_BIN/psql" -X -q -A -t "$SU" 2>/dev/null | grep . >"$W/waits.$ep" &
			sampler=$!
			s0=$(log_size pg)
			wrk2 pg "$ep" "$PROF_SECS" "$W/prof.out"
			s1=$(log_size pg)
			wait "$sampler"
			reqs=$(awk -v s="$PROF_SECS" '{r += $1 * s} END {printf "%d", r}' "$W/prof.out")
			tail -n +$((from + 1)) "$C/server.log" >"$W/stmts.$ep"
			# Statements: a simple query ("statement:") or an execution
			# ("execute"; parse and bind ride with it). Round trips: the
			# statements but those that ride in another's pipeline
			# (store_pg.c, "Deferred commands": a BEGIN, SAVEPOINT or
			# RELEASE sent unnamed in the extended protocol; and the
			# COMMIT that follows a writer's batch-end statement in its
			# pipeline, store_pg_run_commit). The batch-end statement
			# (WITH ins AS (INSERT INTO log_leaves ...) UPDATE log_head)
			# counts as a log_head one.
			awk -v reqs="$reqs" -v leaves=$((s1 - s0)) -v ep="$ep" '
				/ duration: / {
					d = $0; sub(/.* duration: /, "", d); sub(/ ms .*/, "", d)
					ride = 0
					if ($0 ~ /  statement: /) { s = $0; sub(/.*  statement: /, "", s) }
					else if ($0 ~ /  execute [^:]*: /) {
						s = $0; sub(/.*  execute [^:]*: /, "", s)
						ride = $0 ~ /  execute <unnamed>: (BEGIN|SAVEPOINT|RELEASE|COMMIT)/
					}
					else next
					if (s ~ /^SAVEPOINT store_q|^RELEASE SAVEPOINT store_q|^ROLLBACK TO SAVEPOINT store_q/) k = "store_q savepoints"
					else if (s ~ /SAVEPOINT op/) k = "operation savepoints"
					else if (s ~ /^(BEGIN|COMMIT|ROLLBACK)/) k = "BEGIN, COMMIT"
					else if (s ~ /log_head/) k = "log_head (lock, update)"
					else if (s ~ /^INSERT INTO log_leaves/) k = "leaf inserts"
					else if (s ~ /^(INSERT|UPDATE|DELETE)/) k = "other writes"
					else k = "reads"
					n[k]++; t[k] += d; N++; T += d
					if (!ride) { m[k]++; M++ }
				}
				END {
					if (reqs == 0 || N == 0) { print "profile " ep ": no statements logged"; exit }
					printf "profile %s: %d requests, %d leaves, %d round trips to the database (%.1f a request) carrying %d statements (%.1f a request), %.0f ms of statements in the server\n", ep, reqs, leaves, M, M / reqs, N, N / reqs, T
					for (k in n) printf "  %-26s %6.2f statements, %5.2f round trips a request  %5.1f%% of round trips  %5.1f%% of the statements'"'"' time\n", k, n[k] / reqs, m[k] / reqs, 100 * m[k] / M, 100 * t[k] / T
					printf "TRIPS %s %.2f %.2f %.2f %.3f\n", ep, M / reqs, m["store_q savepoints"] / reqs,
						m["operation savepoints"] / reqs, (t["store_q savepoints"] + t["operation savepoints"]) / T
				}' "$W/stmts.$ep" >"$W/prof.$ep"
			grep -v '^TRIPS ' "$W/prof.$ep"
			echo "  the front-ends' sessions, sampled every 50 ms ($(grep -c . "$W/waits.$ep") samples of a busy session):"
			sort "$W/waits.$ep" | uniq -c | sort -rn | awk -v n="$(grep -c . "$W/waits.$ep")" \
				'{c = $1; $1 = ""; printf "  %-40s %5.1f%%\n", $0, 100 * c / n}' | head -8
		} | sed 's/^/CLUSTER /'
	done
	pg_psql "$SU" "ALTER SYSTEM RESET ALL" >/dev/null && pg_psql "$SU" "SELECT pg_reload_conf()" >/dev/null
	# What a round trip costs: the cluster's CPU a request beyond the
	# SQLite node's (the same HTTP, crypto and leaf), over its round trips.
	# shellcheck disable=SC2046 # numbers
	set -- $(sed -n 's/^TRIPS code //p' "$W/prof.code") $(sed -n 's/^TRIPS verify //p' "$W/prof.verify")
	if [ $# = 8 ]; then
		awk -v tc="$1" -v sq="$2" -v so="$3" -v st="$4" -v tv="$5" \
			-v pc="$(col pg code 7)" -v qc="$(col sq code 7)" -v pv="$(col pg verify 7)" -v qv="$(col sq verify 7)" '
			BEGIN {
				rc = (pc - qc) / tc; rv = (pv - qv) / tv
				printf "a round trip to the database: about %.0f us of CPU, front-end and server together" \
					" (the cluster'"'"'s CPU a request beyond the SQLite node'"'"'s, over its round trips:" \
					" %.0f us under the code load, %.0f under the verify load)\n", (rc + rv) / 2, rc, rv
				printf "the savepoints of a code: %.2f round trips of its %.2f (store_q'"'"'s %.2f, the" \
					" operation'"'"'s %.2f), %.1f%% of the statements'"'"' server time, about %.0f us of CPU," \
					" %.0f%% of its %.0f us\n", sq + so, tc, sq, so, st * 100, (sq + so) * rc,
					100 * (sq + so) * rc / pc, pc
				printf "SAVEPOINT_CPU %.1f %.2f %.2f\n", (sq + so) * rc, (sq + so) * rc / pc, sq + so
			}' >"$W/savepoints"
		grep -v '^SAVEPOINT_CPU ' "$W/savepoints" | sed 's/^/CLUSTER /'
		# shellcheck disable=SC2046 # numbers
		set -- $(sed -n 's/^SAVEPOINT_CPU //p' "$W/savepoints")
		result cluster_code_savepoints "$1" "us/request" "$(col pg code 7)" - \
			"context: CPU of the $3 savepoint round trips of a GET /v1/me/code on PostgreSQL ($(awk \
				-v f="$2" 'BEGIN {printf "%.0f", f * 100}')% of its CPU; estimated from round trips)"
	fi
	# The bottleneck, from the figures: how busy the CPUs were under the
	# cluster's loads, and what the front-ends' sessions waited for.
	cat "$W/waits.verify" "$W/waits.code" | awk -v busy="$(awk '$2 == "pg" {print $8}' "$W/rounds" | median)" \
		-v cv="$(ratio verify 7)" -v cc="$(ratio code 7)" '
		{ n++ } /^Lock:/ { lock++ } /WAL/ { wal++ } /ClientRead/ { fe++ } /^running/ { run++ }
		END {
			if (n == 0) exit
			printf "CLUSTER bottleneck: %s (the CPUs %.0f%% busy under the cluster'"'"'s loads, which" \
				" cost %.1fx the SQLite node'"'"'s CPU a verify, %.1fx a code); the front-ends'"'"'" \
				" sessions were waiting for their front-end (its CPU, the socket'"'"'s round trip) in" \
				" %.0f%% of the samples, for the head row'"'"'s lock (the other front-end'"'"'s batch) in" \
				" %.0f%%, for the WAL'"'"'s flush in %.0f%%, running in %.0f%%\n",
				(busy >= 0.9 ? "CPU" : (wal > lock ? "the WAL'"'"'s flush" : "the head row'"'"'s lock")),
				busy * 100, cv, cc, 100 * fe / n, 100 * lock / n, 100 * wal / n, 100 * run / n
		}'
fi

[ $void = 0 ] || die "some loads saw errors: their numbers are void"
exit 0
