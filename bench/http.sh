#!/usr/bin/env bash
# http: ankangd serve's HTTP endpoints against the work they cannot avoid,
# measured in the same run (issue 11 and DESIGN.md "Performance, and how
# it is measured").
#
#   1. One server (durable audit: WAL, synchronous=FULL, on a disk), one
#      verifier, one admin (for /metrics), one resident with a freshly
#      issued code (--code-ttl long enough for the run).
#   2. BENCH_ROUNDS rounds (3), each of, in this order:
#        GET  /healthz      wrk, BENCH_CONNS connections (64), BENCH_SECONDS
#        POST /v1/verify    the same, BENCH_CODES (16) distinct valid codes
#                           in turn (one durable `verify` leaf each)
#        GET  /v1/me/code   the same (a signed code, one durable `issue`
#                           leaf and one code row each)
#        bench_crypto       the bare crypto, CPU time per operation
#      so that what else the machine does falls on numerator and
#      denominator alike. For each load: the server's CPU time per request
#      (/proc/PID/stat, all threads), the audit writer's share of it (its
#      threads auditlog-writer and auditlog-wal), requests/s, and p99 from
#      the server's own latency histogram (/metrics, the difference of the
#      buckets over the load, interpolated within a bucket as Prometheus's
#      histogram_quantile does; the share of requests within 10 ms is the
#      bucket's own count).
#   3. Each endpoint's limit, per round: what /healthz costs the server,
#      plus the bare crypto the endpoint must do (verify: one Ed25519
#      verification; code: one Ed25519 signature, one data-key unwrap and
#      one field unsealed, the name), plus the audit writer's CPU per
#      request under that endpoint's own load (one leaf each, so at the
#      same batch size; for code it includes the code's row, which the
#      writer stores with the leaf). The ratio limit / server CPU per
#      request is the result (target >= 0.8), the median of the rounds'.
#   4. Memory with BENCH_IDLE_CONNS (1000) and BENCH_IDLE_MORE (10000)
#      idle keep-alive connections, after the loads: wrk opens them, each
#      sends one /healthz and then waits (its Lua delay()) while VmRSS is
#      read from /proc. Targets <= 64 MB and <= 256 MB. The open-file limit
#      is raised for it when the hard limit allows; if not, the phase says
#      so and is skipped.
#   5. BENCH_PROFILE=1: perf record (cpu-clock) of the server under the
#      verify and code loads: the top symbols, threads and libraries.
#
# wrk and the server share the machine's CPUs: requests/s depend on how
# much of them wrk took, the server's CPU time per request much less.
# Prints a table, and RESULT lines (scripts/bench gathers them into
# bench/results.json). Exit 0 when the run completed (targets missed are
# reported, not fatal: they depend on the machine); 1 when it could not
# run or a load saw errors (non-2xx answers, socket errors), which makes
# its numbers void.
#
# Settings (environment): BIN (bin), BUILD (build: bench_crypto),
# BENCH_DIR (/var/tmp: a disk, not tmpfs), BENCH_SECONDS (5), BENCH_ROUNDS
# (3), BENCH_CONNS (64), BENCH_WRK_THREADS (2), BENCH_IDLE_CONNS (1000),
# BENCH_IDLE_MORE (10000; 0: skip), BENCH_IDLE_SECONDS (8),
# BENCH_SERVER_THREADS (ankangd's default), BENCH_CODES (16),
# BENCH_PROFILE (0).
#
# Prints no personal data (the one resident is made up, and nothing of
# theirs is printed) and no token.
set -u
BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
IDLE=${BENCH_IDLE_CONNS:-1000}
IDLE_MORE=${BENCH_IDLE_MORE:-10000}
IDLE_SECS=${BENCH_IDLE_SECONDS:-8}
PROFILE=${BENCH_PROFILE:-0}
NCODES=${BENCH_CODES:-16}
CRYPTO=${BUILD}/bench/bench_crypto

if ! command -v wrk >/dev/null 2>&1; then
	echo "http: wrk is not installed (Debian package wrk): skipped"
	exit 0
fi
for c in curl jq; do
	command -v $c >/dev/null 2>&1 || { echo "http: $c is not installed: skipped"; exit 0; }
done
[ -x "$CRYPTO" ] || { echo "http: $CRYPTO is not built (make bench builds it): skipped"; exit 0; }

BENCH_NAME=http
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# The idle connections need a descriptor each in the server (and in wrk,
# which inherits the limit): raise the soft limit as far as the hard one
# lets us.
MOST=$IDLE
[ "$IDLE_MORE" -gt "$MOST" ] && MOST=$IDLE_MORE
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((MOST + 256)) ]; then
	ulimit -n $((MOST + 256)) 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
	NOFILE=$(ulimit -n)
fi

# ------------------------------------------------------------------ set-up
bench_tmp
bench_init bench.test
VER=$(bench_account verifier bench-verifier)
ADM=$(bench_account admin bench-admin)
threads_opt=()
[ -n "${BENCH_SERVER_THREADS:-}" ] && threads_opt=(--threads "$BENCH_SERVER_THREADS")
# The code must outlive every round and the profile: a generous TTL. Every
# connection comes from 127.0.0.1, so the per-address limit is raised to
# hold the idle connections.
bench_serve --code-ttl 86400 --per-address $((MOST + 200)) --max-connections $((MOST + 200)) \
	"${threads_opt[@]}"

bench_resident
bench_codes "$NCODES" "$W/codes" "$VER"
bench_wrk_scripts "$VER" "$W/codes"
cp "$W/done.lua" "$W/healthz.lua"
# Idle: one request on each connection, then nothing until wrk stops.
{
	cat "$W/done.lua"
	echo "delay = function() return $(((IDLE_SECS + 5) * 1000)) end"
} >"$W/idle.lua"

path_of() {
	case $1 in
	healthz | idle) echo /healthz ;;
	verify) echo /v1/verify ;;
	code) echo /v1/me/code ;;
	esac
}

# load NAME CONNS SECONDS: bench_load with NAME's wrk script and path.
load() { bench_load "$W/$1.lua" "$(path_of "$1")" "$2" "$3"; }

rss() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$PID/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo "# http: $(nproc) CPUs shared by wrk ($WRK_THREADS threads) and ankangd; load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg) at start; $CONNS connections, ${SECS}s per endpoint," \
	"$ROUNDS rounds; durable audit (synchronous=FULL) in $BENCH_DIR; open files $NOFILE"

# ---------------------------------------------------------------- the loads
void=0
: >"$W/rounds"
for r in $(seq 1 "$ROUNDS"); do
	line="round $r:"
	for ep in healthz verify code; do
		# shellcheck disable=SC2046 # the fields are numbers
		set -- $(load $ep "$CONNS" "$SECS")
		[ $# -eq 9 ] || die "wrk printed no result for $ep ($*)"
		echo "$r $ep $*" >>"$W/rounds"
		line+=$(printf ' %s %.0f/s %.1fus;' "$ep" "$1" "$6")
		if [ "$4" != 0 ] || [ "$5" != 0 ]; then
			line+=" ($4 non-2xx, $5 socket errors!)"
			void=1
		fi
	done
	# shellcheck disable=SC2046 # numbers
	set -- $("$CRYPTO" --line 0.3)
	[ $# -eq 4 ] || die "bench_crypto printed no result"
	echo "$r crypto $*" >>"$W/rounds"
	line+=$(printf ' bare: verify %.1fus sign %.1fus unwrap %.2fus unseal %.2fus' "$@")
	echo "$line"
done

# Per round: the limits, and limit / actual.
awk '
	$2 == "healthz" { h[$1] = $8 }
	$2 == "verify"  { vc[$1] = $8; vw[$1] = $9 }
	$2 == "code"    { cc[$1] = $8; cw[$1] = $9 }
	$2 == "crypto"  { ver[$1] = $3; sig[$1] = $4; unw[$1] = $5; uns[$1] = $6 }
	END {
		for (r in h) {
			lv = h[r] + ver[r] + vw[r]
			lc = h[r] + sig[r] + unw[r] + uns[r] + cw[r]
			print r, "verify", lv, lv / vc[r]
			print r, "code", lc, lc / cc[r]
		}
	}' "$W/rounds" >"$W/limits"

col() { awk -v e="$1" -v c="$2" '$2 == e {print $c}' "$W/rounds" | median; }
printf '%-8s %10s %9s %9s %11s %11s %9s %7s\n' endpoint "requests/s" "p99 ms" "p99 wrk" \
	"CPU us/req" "writer us" "limit us" ratio
for ep in healthz verify code; do
	rps=$(col $ep 3)
	p99=$(col $ep 10)
	wp99=$(col $ep 5)
	within=$(col $ep 11)
	cpu=$(col $ep 8)
	wr=$(col $ep 9)
	if [ $ep = healthz ]; then
		lim=- ratio=-
	else
		lim=$(awk -v e=$ep '$2 == e {print $3}' "$W/limits" | median | xargs printf '%.1f')
		ratio=$(awk -v e=$ep '$2 == e {print $4}' "$W/limits" | median | xargs printf '%.2f')
	fi
	printf '%-8s %10.0f %9.2f %9.2f %11.1f %11.1f %9s %7s\n' "$ep" "$rps" "$p99" "$wp99" \
		"$cpu" "$wr" "$lim" "$ratio"
	result "http_${ep}_rate" "$rps" "requests/s" - - "throughput at $CONNS connections (context)"
	result "http_${ep}_p99" "$p99" ms 10 "$(awk -v p="$p99" 'BEGIN {printf "%.2f", (p > 0 ? 10 / p : 0)}')" \
		"p99 <= 10 ms (server histogram; $(awk -v w="$within" 'BEGIN {printf "%.2f", w * 100}')% within 10 ms)"
	if [ $ep = healthz ]; then
		result "http_healthz_cpu" "$cpu" "us/request" - - "the baseline"
	else
		result "http_${ep}_cpu" "$cpu" "us/request" "$lim" "$ratio" "ratio >= 0.8"
	fi
done
for x in verify sign unwrap unseal; do
	c=$(case $x in verify) echo 3 ;; sign) echo 4 ;; unwrap) echo 5 ;; unseal) echo 6 ;; esac)
	printf 'bare %-7s %.2f us (median of %s rounds)\n' "$x" "$(col crypto "$c")" "$ROUNDS"
done
echo "limit = /healthz CPU + bare crypto (verify: Ed25519 verify; code: sign + unwrap + unseal)" \
	"+ the writer's CPU a request under the same load; ratio = limit / CPU, the median of" \
	"each round's (target >= 0.8); p99 from the server's histogram (target <= 10 ms)"

# ----------------------------------------------------- memory, idle conns
# memory_phase CONNS TARGET_MB: CONNS connections held open by wrk; VmRSS
# read while they are open, split into anonymous memory and file pages
# (the mapped program and libraries), which are the kernel's page cache,
# shared and reclaimable.
memory_phase() {
	local n=$1 target=$2 before open rss anon file idle threads=$WRK_THREADS
	if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((n + 64)) ]; then
		echo "memory with $n connections: skipped, the open-file limit is $NOFILE" \
			"and its hard limit $(ulimit -Hn) (needs $((n + 64)))"
		return
	fi
	before=$(rss VmRSS)
	wrk -t"$threads" -c"$n" -d"$IDLE_SECS"s --timeout 30s -s "$W/idle.lua" \
		"$URL/healthz" >"$W/idle.out" 2>&1 &
	local wrk_pid=$!
	BENCH_KILL=$wrk_pid
	sleep $((IDLE_SECS * 3 / 4))
	open=$(ss -Htn state established "( sport = :$PORT )" 2>/dev/null | wc -l)
	rss=$(rss VmRSS)
	anon=$(rss RssAnon)
	file=$(rss RssFile)
	wait $wrk_pid
	BENCH_KILL=
	idle=$(sed -n 's/^RESULT //p' "$W/idle.out")
	# shellcheck disable=SC2086 # numbers
	set -- $idle
	if [ $# -ne 5 ] || [ "$4" != 0 ] || [ "$5" != 0 ]; then
		void=1
		echo "memory ($n): the idle connections saw errors ($idle)"
	fi
	echo "memory with $n idle connections ($open open): VmRSS $(mb "$rss") MB" \
		"(anonymous $(mb "$anon"), file pages $(mb "$file")); $(mb "$before") MB before" \
		"$(awk -v k="$rss" -v t="$target" 'BEGIN {print (k <= t * 1024 ? "(target <= " t " MB: ok)" : "(target <= " t " MB: OVER)")}')"
	result "memory_idle_$n" "$(mb "$rss")" MB "$target" \
		"$(awk -v k="$rss" -v t="$target" 'BEGIN {printf "%.2f", t * 1024 / k}')" "<= $target MB"
}
memory_phase "$IDLE" 64
[ "$IDLE_MORE" -gt 0 ] && memory_phase "$IDLE_MORE" 256
echo "memory: VmHWM $(mb "$(rss VmHWM)") MB, the high-water mark of the whole run"

# ---------------------------------------------------------------- profile
if [ "$PROFILE" = 1 ]; then
	if ! command -v perf >/dev/null 2>&1; then
		echo "profile: perf not installed; skipped"
	else
		for ep in verify code; do
			wrk -t"$WRK_THREADS" -c"$CONNS" -d$((SECS + 2))s -s "$W/$ep.lua" \
				"$URL$(path_of $ep)" >/dev/null 2>&1 &
			BENCH_KILL=$!
			sleep 1
			perf record -q -e cpu-clock -F 1999 -g -p "$PID" -o "$W/perf.$ep" -- \
				sleep "$SECS" >/dev/null 2>&1
			wait "$BENCH_KILL"
			BENCH_KILL=
			echo "profile under $ep (perf, cpu-clock, self time, top 25):"
			perf report -i "$W/perf.$ep" --stdio --no-children --sort dso,symbol \
				--percent-limit 0.7 2>/dev/null | grep -E '^ +[0-9.]+%' | head -25
			echo "profile under $ep (by thread):"
			perf report -i "$W/perf.$ep" --stdio --no-children --sort comm 2>/dev/null |
				grep -E '^ +[0-9.]+%' | head -6
			echo "profile under $ep (by library):"
			perf report -i "$W/perf.$ep" --stdio --no-children --sort dso 2>/dev/null |
				grep -E '^ +[0-9.]+%' | head -8
		done
	fi
fi

[ $void = 0 ] || die "some loads saw errors: their numbers are void"
exit 0
