#!/usr/bin/env bash
# http: ankangd serve's HTTP endpoints against the same server's /healthz,
# under the same load generator, in the same run (issue 4's benchmark and
# DESIGN.md "Performance, and how it is measured").
#
#   1. One server (durable audit: WAL, synchronous=FULL, on a disk), one
#      verifier, one resident with a freshly issued code (--code-ttl long
#      enough for the run).
#   2. wrk, BENCH_CONNS connections (64), BENCH_SECONDS per endpoint, for
#      BENCH_ROUNDS rounds (3), endpoints interleaved inside each round so
#      that what else the machine does falls on all of them alike:
#        GET  /healthz      the baseline: libmicrohttpd and our dispatcher
#        POST /v1/verify    a verifier checks valid codes, BENCH_CODES (16)
#                           distinct ones in turn (one durable `verify`
#                           leaf per request)
#        GET  /v1/me/code   the resident gets a fresh signed code (one
#                           durable `issue` leaf and one code row each)
#      Requests/s and p99 latency per endpoint; the ratios verify/healthz
#      and code/healthz per round; the medians. Targets: both ratios >= 0.6,
#      p99 <= 10 ms at 64 connections.
#   3. The service's memory with BENCH_IDLE_CONNS (1000) open connections:
#      wrk holds them open, each sending one /healthz a second (its Lua
#      delay()), and VmRSS is read from /proc while they are open; VmHWM
#      (the high-water mark of the whole run) after. Target: <= 64 MB.
#   4. BENCH_PROFILE=1: perf record (cpu-clock) of the server under the
#      verify and the code loads: the top symbols, threads and libraries.
#
# Besides requests/s and latency, each load reports the server's own CPU
# time per request (from /proc/PID/stat), which does not depend on how
# much of the machine wrk took.
#
# wrk and the server share the machine's CPUs: the header prints nproc and
# the load average, and the ratios (not the absolute rates) are the result.
# Exit 0 when the run completed (targets missed are reported, not fatal:
# they depend on the machine); 1 when it could not run or a load saw
# errors (non-2xx answers, socket errors), which makes its numbers void.
#
# Settings (environment): BIN (bin), BENCH_DIR (/var/tmp: a disk, not
# tmpfs), BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNS (64),
# BENCH_WRK_THREADS (2), BENCH_IDLE_CONNS (1000), BENCH_IDLE_SECONDS (8),
# BENCH_SERVER_THREADS (ankangd's default), BENCH_CODES (16), BENCH_PROFILE
# (0).
#
# Prints no personal data (the one resident is made up, and nothing of
# theirs is printed) and no token.
set -u
BIN=${BIN:-bin}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
IDLE=${BENCH_IDLE_CONNS:-1000}
IDLE_SECS=${BENCH_IDLE_SECONDS:-8}
PROFILE=${BENCH_PROFILE:-0}
NCODES=${BENCH_CODES:-16}

if ! command -v wrk >/dev/null 2>&1; then
	echo "http: wrk is not installed (Debian package wrk): skipped"
	exit 0
fi
for c in curl jq; do
	command -v $c >/dev/null 2>&1 || { echo "http: $c is not installed: skipped"; exit 0; }
done

W=$(mktemp -d "$BENCH_DIR/ankang-bench-http.XXXXXX") || exit 1
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "http: $*" >&2
	exit 1
}

# ------------------------------------------------------------------ set-up
"$BIN/ankangd" init --data "$W/d" --origin bench.test >/dev/null || die "init failed"
VER=$("$BIN/ankangd" account add --data "$W/d" --role verifier --name bench-verifier 2>/dev/null)
threads_opt=()
[ -n "${BENCH_SERVER_THREADS:-}" ] && threads_opt=(--threads "$BENCH_SERVER_THREADS")
# The code must outlive every round and the profile: a generous TTL. Every
# connection comes from 127.0.0.1, so the per-address limit is raised to
# hold the idle connections (and the verifier's and resident's loads).
"$BIN/ankangd" serve --data "$W/d" --listen 127.0.0.1:0 --port-file "$W/port" --quiet \
	--code-ttl 86400 --per-address $((${BENCH_IDLE_CONNS:-1000} + 200)) \
	"${threads_opt[@]}" 2>"$W/serve.log" &
PID=$!
for _ in $(seq 1 200); do
	[ -s "$W/port" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.05
done
[ -s "$W/port" ] || die "ankangd serve did not start"
URL=http://127.0.0.1:$(cat "$W/port")

post() { # PATH BODY [TOKEN] -> body on stdout
	local auth=()
	[ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
	curl -sf -X POST -H 'Content-Type: application/json' "${auth[@]}" --data-binary "$2" "$URL$1"
}
IDN=110101198001010010 # made up; its check character is right
post /v1/enroll "{\"name\":\"Bench Resident\",\"id_number\":\"$IDN\",\"passphrase\":\"bench passphrase\"}" \
	>/dev/null || die "enrolment failed"
RES=$(post /v1/login "{\"id_number\":\"$IDN\",\"passphrase\":\"bench passphrase\"}" | jq -r .token)
[ -n "$RES" ] && [ "$RES" != null ] || die "login failed"
# Distinct codes for the verify load, so that it measures checking codes,
# not checking one code again (which a cache could answer).
: >"$W/codes"
for _ in $(seq 1 "$NCODES"); do
	CRED=$(curl -sf -H "Authorization: Bearer $RES" "$URL/v1/me/code" | jq -r .credential)
	[ "${CRED:0:4}" = AK1: ] || die "no code"
	result=$(post /v1/verify "{\"credential\":\"$CRED\"}" "$VER" | jq -r .result)
	[ "$result" = valid ] || die "a code does not verify online ($result)"
	echo "$CRED" >>"$W/codes"
done

# wrk scripts: each prints one machine-readable line at the end.
cat >"$W/done.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout))
end
EOF
cp "$W/done.lua" "$W/healthz.lua"
{
	cat "$W/done.lua"
	echo 'wrk.method = "POST"'
	echo 'wrk.headers["Content-Type"] = "application/json"'
	echo "wrk.headers[\"Authorization\"] = \"Bearer $VER\""
	echo 'local bodies = {'
	sed 's/.*/  '"'"'{"credential":"&"}'"'"',/' "$W/codes"
	echo '}'
	echo 'local i = 0'
	echo 'request = function()'
	echo '  i = i % #bodies + 1'
	echo '  return wrk.format(nil, nil, nil, bodies[i])'
	echo 'end'
} >"$W/verify.lua"
{
	cat "$W/done.lua"
	echo "wrk.headers[\"Authorization\"] = \"Bearer $RES\""
} >"$W/code.lua"
{
	cat "$W/done.lua"
	echo 'delay = function() return 1000 end'
} >"$W/idle.lua"

path_of() {
	case $1 in
	healthz | idle) echo /healthz ;;
	verify) echo /v1/verify ;;
	code) echo /v1/me/code ;;
	esac
}

# The server's CPU time so far, in clock ticks (user + system).
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

# load NAME CONNS SECONDS: runs wrk; prints "rps p50 p99 non2xx sockerr
# cpu" where cpu is the server's CPU time per request in microseconds.
load() {
	local t0 t1 out
	t0=$(cpu_ticks)
	out=$(wrk -t"$WRK_THREADS" -c"$2" -d"$3"s --timeout 10s -s "$W/$1.lua" \
		"$URL$(path_of "$1")" 2>&1 | sed -n 's/^RESULT //p')
	t1=$(cpu_ticks)
	[ -n "$out" ] || return 0
	echo "$out $(awk -v d=$((t1 - t0)) -v r="${out%% *}" -v s="$3" -v h="$TCK" \
		'BEGIN {printf "%.1f", d / h * 1e6 / (r * s)}')"
}

rss() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$PID/status"; }
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "# http: $(nproc) CPUs shared by wrk ($WRK_THREADS threads) and ankangd; load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg) at start; $CONNS connections, ${SECS}s per endpoint," \
	"$ROUNDS rounds; durable audit (synchronous=FULL) in $BENCH_DIR"
# ----------------------------------------------------- memory, idle conns
# memory_phase WHEN: BENCH_IDLE_CONNS connections held open by wrk (one
# /healthz a second each); VmRSS read while they are open, split into
# anonymous memory and file pages (the mapped program and libraries),
# which are the kernel's page cache, shared and reclaimable.
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
memory_phase() {
	local when=$1 before open rss anon file idle
	before=$(rss VmRSS)
	wrk -t"$WRK_THREADS" -c"$IDLE" -d"$IDLE_SECS"s --timeout 10s -s "$W/idle.lua" \
		"$URL/healthz" >"$W/idle.out" 2>&1 &
	local wrk_pid=$!
	sleep $((IDLE_SECS / 2 + 1))
	open=$(ss -Htn state established "( sport = :$(cat "$W/port") )" 2>/dev/null | wc -l)
	rss=$(rss VmRSS)
	anon=$(rss RssAnon)
	file=$(rss RssFile)
	wait $wrk_pid
	idle=$(sed -n 's/^RESULT //p' "$W/idle.out")
	# shellcheck disable=SC2086 # numbers
	set -- $idle
	if [ $# -ne 5 ] || [ "$4" != 0 ] || [ "$5" != 0 ]; then
		void=1
		echo "memory ($when): the idle load saw errors"
	fi
	echo "memory $when: VmRSS $(mb "$before") MB before; with $open connections open" \
		"$(mb "$rss") MB (anonymous $(mb "$anon"), file pages $(mb "$file"))" \
		"$(awk -v k="$rss" 'BEGIN {print (k <= 65536 ? "(target <= 64 MB: ok)" : "(target <= 64 MB: OVER)")}')"
}

void=0
memory_phase "on a fresh server"

# ---------------------------------------------------------------- the loads
: >"$W/rounds"
for r in $(seq 1 "$ROUNDS"); do
	line="round $r:"
	for ep in healthz verify code; do
		# shellcheck disable=SC2046 # the fields are numbers
		set -- $(load $ep "$CONNS" "$SECS")
		[ $# -eq 6 ] || die "wrk printed no result for $ep"
		echo "$r $ep $1 $2 $3 $4 $5 $6" >>"$W/rounds"
		line+=$(printf ' %s %.0f/s p99 %.2fms;' "$ep" "$1" "$3")
		if [ "$4" != 0 ] || [ "$5" != 0 ]; then
			line+=" ($4 non-2xx, $5 socket errors!)"
			void=1
		fi
	done
	echo "$line"
done

printf '%-10s %12s %10s %10s %16s\n' endpoint "requests/s" "p50 ms" "p99 ms" "server CPU/req"
for ep in healthz verify code; do
	rps=$(awk -v e=$ep '$2 == e {print $3}' "$W/rounds" | median)
	p50=$(awk -v e=$ep '$2 == e {print $4}' "$W/rounds" | median)
	p99=$(awk -v e=$ep '$2 == e {print $5}' "$W/rounds" | median)
	cpu=$(awk -v e=$ep '$2 == e {print $8}' "$W/rounds" | median)
	printf '%-10s %12.0f %10.2f %10.2f %13.1f us   (medians of %s rounds)\n' \
		"$ep" "$rps" "$p50" "$p99" "$cpu" "$ROUNDS"
	eval "RPS_$ep=$rps P99_$ep=$p99"
done
# The ratio of each round (same minute, same machine state), then the median.
for ep in verify code; do
	ratio=$(awk -v e=$ep '$2 == "healthz" {h[$1] = $3} $2 == e {x[$1] = $3}
		END {for (r in x) print x[r] / h[r]}' "$W/rounds" | median)
	eval "p99=\$P99_$ep"
	verdict=$(awk -v q="$ratio" -v p="$p99" 'BEGIN {
		print (q >= 0.6 ? "ratio ok" : "ratio BELOW 0.6") ", " (p <= 10 ? "p99 ok" : "p99 OVER 10 ms") }')
	printf 'ratio %s/healthz = %.2f (target >= 0.6); p99 %.2f ms (target <= 10); %s\n' \
		"$ep" "$ratio" "$p99" "$verdict"
done

memory_phase "after the loads"
echo "memory: VmHWM $(mb "$(rss VmHWM)") MB, the high-water mark of the whole run"

# ---------------------------------------------------------------- profile
if [ "$PROFILE" = 1 ]; then
	if ! command -v perf >/dev/null 2>&1; then
		echo "profile: perf not installed; skipped"
	else
		for ep in verify code; do
			wrk -t"$WRK_THREADS" -c"$CONNS" -d$((SECS + 2))s -s "$W/$ep.lua" \
				"$URL$(path_of $ep)" >/dev/null 2>&1 &
			WRK=$!
			sleep 1
			perf record -q -e cpu-clock -F 1999 -p "$PID" -o "$W/perf.$ep" -- \
				sleep "$SECS" >/dev/null 2>&1
			wait $WRK
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
