#!/usr/bin/env bash
# soak: `ankangd serve` under a fixed mixed load for SOAK_SECONDS (600),
# its memory and open descriptors sampled every SOAK_INTERVAL seconds (10),
# and a verdict on their growth (issue 10, "Faults survived": `make soak`,
# not part of `make test`, since it takes ten minutes).
#
#   1. One server (durable audit, data in a temp folder on a disk, port 0
#      on 127.0.0.1), one officer, one verifier. Officers enrol, so the
#      per-address enrolment limit does not apply; the officers' look-up
#      limit is raised for the same reason.
#   2. wrk, SOAK_CONNS connections (4), each on its own thread (a Lua
#      state per thread, so each connection is one resident's life at a
#      time, in this order):
#        POST   /v1/enroll                      (by the officer)
#        POST   /v1/login                       the resident
#        GET    /v1/me/code                     the resident
#        POST   /v1/verify                      the verifier, that code
#        PUT    /v1/residents/{handle}/status   the officer
#        POST   /v1/lookup                      the officer
#        POST   /v1/scans                       the verifier, one scan
#        DELETE /v1/me                          the resident: erasure
#      and then the next resident. Each connection waits 1000 *
#      SOAK_CONNS / SOAK_RATE ms before each request (wrk's delay()), so
#      the rate is fixed at about SOAK_RATE requests/s (200) in all, a
#      little less by the requests' own latency: the achieved rate is
#      printed. A request answered other than 2xx starts a new resident.
#   3. Every SOAK_INTERVAL seconds: VmRSS (from /proc/PID/status; the
#      least of reads every 0.5 s through the interval, below) and the
#      open descriptors (/proc/PID/fd), printed as a table.
#   4. The verdict, on the last third of the run (at 600 s: 200 s, some
#      40,000 requests): growth = the least-squares slope of the samples
#      from there on, times that window's length. The first two thirds
#      are warm-up: SQLite's page caches (log/store.c: 8 MiB for the
#      writer, 2 MiB for each reader connection, 1 MiB for each of the
#      writer's attached files) fill as the database grows, and count as
#      growth until they are full; on the 2-CPU development VM at 200
#      requests/s that took about 8 minutes of an earlier run (VmRSS from
#      10.6 to 26.0 MB, in steps, then flat), so samples 4-6 against the
#      last three called that bounded fill "growth". A fit over the last
#      third is not moved by one high sample as a difference of two ends
#      is. Thresholds: RSS within SOAK_RSS_KB (2048) and descriptors
#      within SOAK_FDS (8). A leak of 50 bytes a request grows RSS by 2 MB
#      in 40,000 requests, so the limit is far above noise (malloc's
#      trimming, a cache's last pages) and below any per-request leak
#      worth the name; descriptors are sockets, the database and its WAL,
#      so a handful may come and go with connections, where a leak of one
#      per request would be thousands. The whole table is printed too: a
#      leak climbs at a constant load, the caches level off.
#      Written also to SOAK_JSON (bench/soak.json).
#
# Exit 0 when there is no growth and the load saw no errors; 1 otherwise,
# or when it could not run (wrk, curl or jq missing is a skip, exit 0).
#
# Settings (environment): BIN (bin), BENCH_DIR (/var/tmp), SOAK_SECONDS
# (600), SOAK_INTERVAL (10), SOAK_RATE (200), SOAK_CONNS (4), SOAK_RSS_KB
# (2048), SOAK_FDS (8), SOAK_JSON (bench/soak.json).
#
# Prints no personal data (the residents are made up, and nothing of
# theirs is printed) and no token.
set -u
BIN=${BIN:-bin}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
SECS=${SOAK_SECONDS:-600}
EVERY=${SOAK_INTERVAL:-10}
RATE=${SOAK_RATE:-200}
CONNS=${SOAK_CONNS:-4}
RSS_MAX=${SOAK_RSS_KB:-2048}
FDS_MAX=${SOAK_FDS:-8}
JSON=${SOAK_JSON:-bench/soak.json}

for v in SECS EVERY RATE CONNS RSS_MAX FDS_MAX; do
	case ${!v} in
	'' | *[!0-9]* | 0) echo "soak: $v must be a whole number above 0" >&2; exit 2 ;;
	esac
done
# Each connection's thread number is its residents' birth month.
[ "$CONNS" -le 11 ] || { echo "soak: SOAK_CONNS must be at most 11" >&2; exit 2; }
# Three warm-up samples, three to compare against, three at the end.
if [ $((SECS / EVERY)) -lt 9 ]; then
	echo "soak: SOAK_SECONDS must hold at least 9 samples ($((9 * EVERY)) s)" >&2
	exit 2
fi
for c in wrk curl jq; do
	command -v $c >/dev/null 2>&1 || { echo "soak: $c is not installed: skipped"; exit 0; }
done

BENCH_NAME=soak
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_tmp

# ------------------------------------------------------------------ set-up
bench_init soak.test
OFF=$(bench_account officer soak-officer)
VER=$(bench_account verifier soak-verifier)
bench_serve --officer-reads 100000

# ------------------------------------------------------------- the load
# One resident's life per connection, as a state machine in each wrk
# thread's Lua state (one connection per thread). ID numbers: 110105,
# a birth date from the counter (years 1950-1999, days 1-28, the month
# the thread's number), a sequence number, the GB 11643 check character;
# unique per thread for 1.4 million residents.
cat >"$W/soak.lua" <<EOF
local OFF, VER = "$OFF", "$VER"
local PERIOD = $(awk -v c="$CONNS" -v r="$RATE" 'BEGIN {print 1000 * c / r}')
EOF
cat >>"$W/soak.lua" <<'EOF'
local threads, next_id = {}, 1
function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

local W = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local C = "10X98765432"
local function gb(first17)
	local s = 0
	for i = 1, 17 do s = s + tonumber(first17:sub(i, i)) * W[i] end
	local k = s % 11 + 1
	return first17 .. C:sub(k, k)
end

-- done_ok and bad are globals: done() reads them with thread:get().
local step, n = 0, 0
done_ok, bad = 0, 0
local idn, handle, token, cred
local function json(body) return wrk.format(nil, nil, nil, body) end
local function as(method, path, tok, body)
	local h = {["Authorization"] = "Bearer " .. tok}
	if body then h["Content-Type"] = "application/json" end
	return wrk.format(method, path, h, body)
end

-- The try-out run passes its own thread number (12) as an argument, so
-- that its residents' ID numbers are not the soak threads' (1 to 11).
function init(args)
	if args[1] then tid = tonumber(args[1]) end
end

-- A fixed rate: each request is due PERIOD ms after the one before it,
-- whatever the answers' latency (LuaJIT's ffi reads the monotonic
-- clock; wrk's Lua has none of its own). A late answer makes the next
-- requests go at once until the schedule is met again.
local ffi = require("ffi")
ffi.cdef[[
struct soak_ts { long tv_sec; long tv_nsec; };
int clock_gettime(int clk, struct soak_ts *ts);
]]
local ts = ffi.new("struct soak_ts")
local function now_ms()
	ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local due
function delay()
	local t = now_ms()
	due = (due or t) + PERIOD
	if due < t - 1000 then due = t end -- more than 1 s behind: start again
	return math.max(0, math.floor(due - t))
end

-- The steps of a life: 0 enrol, 1 log in, then CODES times a code
-- (2, 4, ...) and its check (3, 5, ...), then a status change, a look-up,
-- a scans upload and the erasure.
local CODES = 4
local ST_STATUS = 2 + 2 * CODES
local LAST = ST_STATUS + 3

function request()
	if step == 0 then
		n = n + 1
		idn = gb(string.format("110105%04d%02d%02d%03d", 1950 + n % 50, tid,
			1 + math.floor(n / 50) % 28, math.floor(n / 1400) % 1000))
		return as("POST", "/v1/enroll", OFF, string.format(
			'{"name":"Soak Resident","id_number":"%s","passphrase":"made up soak %d"}', idn, n))
	elseif step == 1 then
		return wrk.format("POST", "/v1/login", {["Content-Type"] = "application/json"},
			string.format('{"id_number":"%s","passphrase":"made up soak %d"}', idn, n))
	elseif step < ST_STATUS and step % 2 == 0 then
		return as("GET", "/v1/me/code", token)
	elseif step < ST_STATUS then
		return as("POST", "/v1/verify", VER, string.format('{"credential":"%s"}', cred))
	elseif step == ST_STATUS then
		return as("PUT", "/v1/residents/" .. handle .. "/status", OFF,
			'{"status":"yellow","reason":"close_contact"}')
	elseif step == ST_STATUS + 1 then
		return as("POST", "/v1/lookup", OFF, string.format(
			'{"id_number":"%s","purpose":"status_correction"}', idn))
	elseif step == ST_STATUS + 2 then
		return as("POST", "/v1/scans", VER, string.format(
			'{"scans":[{"id":"%08x%08x%016x","time":%d,"result":"valid"}]}',
			tid, n, 0, os.time()))
	else
		return as("DELETE", "/v1/me", token)
	end
end

function response(status, headers, body)
	if status < 200 or status > 299 then
		bad = bad + 1
		step = 0
		return
	end
	local missing = false
	if step == 0 then
		handle = body:match('"resident":%s*"([^"]+)"')
		missing = not handle
	elseif step == 1 then
		token = body:match('"token":%s*"([^"]+)"')
		missing = not token
	elseif step < ST_STATUS and step % 2 == 0 then
		cred = body:match('"credential":%s*"([^"]+)"')
		missing = not cred
	end
	done_ok = done_ok + 1
	step = step == LAST and 0 or step + 1
	if missing then
		bad = bad + 1
		step = 0
	end
end

function done(summary, latency, requests)
	local ok, b = 0, 0
	for _, t in ipairs(threads) do
		ok = ok + t:get("done_ok")
		b = b + t:get("bad")
	end
	local e = summary.errors
	io.write(string.format("RESULT %d %d %d %d %.1f %.3f\n", summary.requests, ok, b,
		e.connect + e.read + e.write + e.timeout, summary.requests / (summary.duration / 1e6),
		latency:percentile(99) / 1000))
end
EOF

# A two-second try-out first, on one connection: the script's requests
# must work, or the soak would measure a stream of errors.
wrk -t1 -c1 -d2s --timeout 10s -s "$W/soak.lua" "$URL" -- 12 >"$W/try.out" 2>&1
# shellcheck disable=SC2046 # numbers
set -- $(sed -n 's/^RESULT //p' "$W/try.out")
[ $# -eq 6 ] || die "wrk printed no result: $(head -c 300 "$W/try.out")"
[ "$3" = 0 ] && [ "$4" = 0 ] && [ "$2" -ge 8 ] ||
	die "the load's requests fail: $2 answered 2xx, $3 not, $4 socket errors"

kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$PID/status"; }
# rss_floor UNTIL: the least VmRSS of reads every 0.5 s until the unix
# second UNTIL (at most 1200 reads). Each enrolment and log-in hashes a
# passphrase with Argon2id, whose 19 MiB buffer is mapped for the hash
# and unmapped after it: a single read lands inside a hash or not, +-19 MB
# of noise that says nothing about what stays. The least read of the
# interval is what the server holds between hashes.
rss_floor() {
	local m='' r n=0
	while [ $n -lt 1200 ]; do
		r=$(kb VmRSS)
		{ [ -z "$m" ] || [ "$r" -lt "$m" ]; } && m=$r
		[ "$(date +%s)" -ge "$1" ] && break
		sleep 0.5
		n=$((n + 1))
	done
	echo "$m"
}
fds() { find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

NS=$((SECS / EVERY))
echo "# soak: $(nproc) CPUs shared by wrk and ankangd; load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg) at start; ${SECS}s at ~$RATE requests/s" \
	"($CONNS connections), samples every ${EVERY}s; durable audit in $BENCH_DIR"
wrk -t"$CONNS" -c"$CONNS" -d"$((NS * EVERY + 2))"s --timeout 10s -s "$W/soak.lua" \
	"$URL" >"$W/wrk.out" 2>&1 &
WRK=$!
BENCH_KILL=$WRK
T0=$(date +%s)
printf '%6s %8s %12s %6s\n' sample "time s" "VmRSS kB" fds
: >"$W/samples"
for i in $(seq 1 "$NS"); do
	# Read through the interval to the sample's time (no drift).
	r=$(rss_floor $((T0 + i * EVERY)))
	kill -0 "$PID" 2>/dev/null || die "ankangd serve died during the soak (see its log)"
	f=$(fds)
	echo "$i $((i * EVERY)) $r $f" >>"$W/samples"
	printf '%6d %8d %12d %6d\n' "$i" $((i * EVERY)) "$r" "$f"
done
wait "$WRK"
BENCH_KILL=
# shellcheck disable=SC2046 # numbers
set -- $(sed -n 's/^RESULT //p' "$W/wrk.out")
[ $# -eq 6 ] || die "wrk printed no result"
REQS=$1 OK=$2 BAD=$3 SOCK=$4 RPS=$5 P99=$6
HWM=$(kb VmHWM)

# growth COLUMN: over the last third of the samples (at least 3), the
# least-squares slope of COLUMN against time, times the window's length.
FROM=$((NS - NS / 3 + 1))
[ "$FROM" -gt $((NS - 2)) ] && FROM=$((NS - 2))
[ "$FROM" -lt 1 ] && FROM=1
growth() {
	awk -v c="$1" -v from="$FROM" '$1 >= from {n++; x = $2; y = $c
			sx += x; sy += y; sxx += x * x; sxy += x * y
			if (n == 1) x0 = x; x1 = x}
		END {d = n * sxx - sx * sx
			printf "%.1f", (d > 0 ? (n * sxy - sx * sy) / d * (x1 - x0) : 0)}' "$W/samples"
}
RG=$(growth 3)
FG=$(growth 4)
problems=()
awk -v g="$RG" -v m="$RSS_MAX" 'BEGIN {exit !(g > m)}' && problems+=("RSS GROWS")
awk -v g="$FG" -v m="$FDS_MAX" 'BEGIN {exit !(g > m)}' && problems+=("fds GROW")
[ "$BAD" = 0 ] && [ "$SOCK" = 0 ] || problems+=("the load saw errors")
verdict=ok
if [ ${#problems[@]} -gt 0 ]; then
	verdict=$(printf '%s; ' "${problems[@]}")
	verdict=${verdict%; }
fi

echo "load: $REQS requests, $(printf '%.1f' "$RPS")/s achieved (target $RATE), $OK answered 2xx," \
	"$BAD not, $SOCK socket errors; p99 $(printf '%.2f' "$P99") ms"
echo "growth (fitted over samples $FROM-$NS, $(((NS - FROM) * EVERY)) s):" \
	"VmRSS $RG kB (limit $RSS_MAX), fds $FG (limit $FDS_MAX); VmHWM $(mb "$HWM") MB"
echo "verdict: $verdict"

jq -n --argjson seconds "$SECS" --argjson interval "$EVERY" --argjson rate "$RATE" \
	--argjson achieved "$RPS" --argjson requests "$REQS" --argjson ok "$OK" \
	--argjson failed "$BAD" --argjson socket_errors "$SOCK" --argjson p99_ms "$P99" \
	--argjson rss_growth_kb "$RG" --argjson fds_growth "$FG" --argjson from "$FROM" \
	--argjson rss_limit_kb "$RSS_MAX" --argjson fds_limit "$FDS_MAX" \
	--argjson vmhwm_kb "$HWM" --arg verdict "$verdict" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson cpus "$(nproc)" \
	--slurpfile s <(awk '{printf "{\"sample\":%d,\"seconds\":%d,\"vmrss_kb\":%d,\"fds\":%d}\n", $1, $2, $3, $4}' "$W/samples") \
	'{date: $date, cpus: $cpus, seconds: $seconds, interval: $interval,
	  rate_target: $rate, rate_achieved: $achieved, requests: $requests,
	  answered_2xx: $ok, answered_other: $failed, socket_errors: $socket_errors,
	  p99_ms: $p99_ms, growth_from_sample: $from,
	  rss_growth_kb: $rss_growth_kb, rss_limit_kb: $rss_limit_kb,
	  fds_growth: $fds_growth, fds_limit: $fds_limit, vmhwm_kb: $vmhwm_kb,
	  verdict: $verdict, samples: $s}' >"$JSON" || die "could not write $JSON"
echo "written to $JSON"
[ "$verdict" = ok ]
