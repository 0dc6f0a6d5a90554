# lib.sh: what the scripts that drive a real ankangd share (bench/http.sh,
# bench/soak.sh, scripts/profile): a temporary folder on a disk, a data
# folder with accounts, one `ankangd serve` on 127.0.0.1 port 0, and
# cleaning up after all of it whatever way the script ends. Sourced, not
# run (it is not executable, so scripts/bench does not take it for a
# benchmark).
#
#   BENCH_NAME=http; . bench/lib.sh
#   bench_tmp                          # $W: a fresh folder under BENCH_DIR
#   bench_init ORIGIN                  # $W/d: a data folder
#   VER=$(bench_account verifier NAME) # an account's token
#   bench_serve [serve options...]     # $PID, $PORT, $URL once it listens
#   bench_stop                         # stops it (SIGTERM, waits)
#   die "what failed"                  # message, the server's last words, exit 1
#   bench_resident                     # $RES: a made-up resident's token
#   bench_codes N FILE VERIFIER        # N fresh codes of theirs, each checked
#   bench_wrk_scripts VERIFIER CODES   # $W/{done,verify,code}.lua for wrk
#   bench_cpu_ticks, bench_writer_ticks  # the server's CPU so far
#   bench_load LUA PATH CONNS SECONDS  # wrk + the server's CPU and histogram
#   median, result                     # a column's median; a RESULT line
#
# BENCH_SERVE_WRAP (a command and its options, e.g. valgrind) runs in
# front of ankangd; BENCH_SERVE_WAIT is how long it may take to listen
# (seconds, 10). Any other process a script starts in the background
# goes into BENCH_KILL (a list of ids), which the clean-up stops too. The
# server's configuration is an empty file: a host's
# /etc/ankang/ankangd.conf must not change what is measured.
#
# Nothing here prints personal data or a token.

BIN=${BIN:-bin}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
BENCH_NAME=${BENCH_NAME:-bench}
W=
PID=
BENCH_KILL=

bench_cleanup() {
	local p
	for p in $BENCH_KILL; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	[ -n "$W" ] && rm -rf "$W"
}

die() {
	echo "$BENCH_NAME: $*" >&2
	[ -n "$W" ] && [ -s "$W/serve.log" ] && tail -n 5 "$W/serve.log" >&2
	exit 1
}

bench_tmp() {
	W=$(mktemp -d "$BENCH_DIR/ankang-$BENCH_NAME.XXXXXX") || exit 1
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_init() {
	"$BIN/ankangd" init --data "$W/d" --origin "$1" >/dev/null || die "init failed"
	: >"$W/empty.conf"
}

bench_account() { # ROLE NAME -> the token on stdout
	local t
	t=$("$BIN/ankangd" account add --data "$W/d" --role "$1" --name "$2" 2>/dev/null)
	[ -n "$t" ] || die "account add failed"
	echo "$t"
}

bench_serve() {
	local i wait=${BENCH_SERVE_WAIT:-10}
	rm -f "$W/port"
	# shellcheck disable=SC2086 # the wrapper is a command with its options
	${BENCH_SERVE_WRAP:-} "$BIN/ankangd" serve --config "$W/empty.conf" --data "$W/d" \
		--listen 127.0.0.1:0 --port-file "$W/port" --quiet "$@" 2>"$W/serve.log" &
	PID=$!
	for i in $(seq 1 $((wait * 20))); do
		[ -s "$W/port" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$W/port" ] || die "ankangd serve did not start"
	PORT=$(cat "$W/port")
	URL=http://127.0.0.1:$PORT
}

bench_stop() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}

bench_post() { # PATH BODY [TOKEN] -> body on stdout
	curl -sf -X POST -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} \
		--data-binary "$2" "$URL$1"
}

# One made-up resident (the ID number's check character is right; no real
# person's), enrolled and logged in: $RES is their session token.
bench_resident() {
	local idn=110101198001010010
	bench_post /v1/enroll \
		"{\"name\":\"Bench Resident\",\"id_number\":\"$idn\",\"passphrase\":\"bench passphrase\"}" \
		>/dev/null || die "enrolment failed"
	RES=$(bench_post /v1/login "{\"id_number\":\"$idn\",\"passphrase\":\"bench passphrase\"}" |
		jq -r .token)
	[ -n "$RES" ] && [ "$RES" != null ] || die "login failed"
}

# bench_codes N FILE VERIFIER_TOKEN: N distinct codes of $RES's, one a
# line, each checked valid online, so that a verify load measures checking
# codes, not checking one code again (which a cache could answer).
bench_codes() {
	local cred result
	: >"$2"
	for _ in $(seq 1 "$1"); do
		cred=$(curl -sf -H "Authorization: Bearer $RES" "$URL/v1/me/code" | jq -r .credential)
		[ "${cred:0:4}" = AK1: ] || die "no code"
		result=$(bench_post /v1/verify "{\"credential\":\"$cred\"}" "$3" | jq -r .result)
		[ "$result" = valid ] || die "a code does not verify online ($result)"
		echo "$cred" >>"$2"
	done
}

# bench_wrk_scripts VERIFIER_TOKEN CODES: wrk's scripts, each printing one
# machine-readable line at the end ("RESULT rps p50 p99 non2xx sockerr"):
# $W/done.lua (plain GETs), $W/verify.lua (POST /v1/verify with the codes
# in turn), $W/code.lua (GET /v1/me/code as $RES).
bench_wrk_scripts() {
	cat >"$W/done.lua" <<'EOF'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout))
end
EOF
	{
		cat "$W/done.lua"
		echo 'wrk.method = "POST"'
		echo 'wrk.headers["Content-Type"] = "application/json"'
		echo "wrk.headers[\"Authorization\"] = \"Bearer $1\""
		echo 'local bodies = {'
		sed 's/.*/  '"'"'{"credential":"&"}'"'"',/' "$2"
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
}

# CPU time so far in clock ticks (user + system): the whole server, and
# the audit writer's threads.
bench_cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
bench_writer_ticks() {
	local t s=0
	for t in /proc/"$PID"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in
		auditlog-writer | auditlog-wal) s=$((s + $(awk '{print $14 + $15}' "$t/stat"))) ;;
		esac
	done
	echo $s
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
result() { printf 'RESULT\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }

# The server's latency histogram for one route: "le count" lines.
bench_histogram() {
	curl -sf -H "Authorization: Bearer $ADM" "$URL/metrics" |
		sed -n "s|^ankang_http_request_seconds_bucket{method=\"[A-Z]*\",route=\"$1\",le=\"\([^\"]*\)\"} \([0-9]*\)$|\1 \2|p"
}
# p99 (ms) and the share within 10 ms from two histograms (before, after).
bench_p99() {
	join <(sort "$1") <(sort "$2") | awk '
		{ le = ($1 == "+Inf") ? 1e9 : $1; n[le] = $3 - $2; k[++m] = le }
		END {
			# sort the bounds
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
				if (k[j] < k[i]) { t = k[i]; k[i] = k[j]; k[j] = t }
			total = n[k[m]]; if (total == 0) { print "0 0"; exit }
			want = 0.99 * total; lo = 0; prev = 0
			for (i = 1; i <= m; i++) {
				if (n[k[i]] >= want) {
					hi = (k[i] == 1e9) ? lo : k[i]
					p = lo + (hi - lo) * (want - prev) / (n[k[i]] - prev)
					break
				}
				lo = k[i]; prev = n[k[i]]
			}
			printf "%.3f %.4f\n", p * 1000, n[0.01] / total
		}'
}

# bench_load LUA PATH CONNS SECONDS: runs wrk (WRK_THREADS threads, 2) with
# script LUA against PATH; prints "rps p50 p99 non2xx sockerr cpu
# writer p99server within10" where cpu and writer are CPU microseconds a
# request (the server's, the writer's share), p99server is in ms.
# The histograms come from /metrics, as the admin whose token is $ADM.
bench_load() {
	local t0 t1 w0 w1 out
	bench_histogram "$2" >"$W/h0"
	t0=$(bench_cpu_ticks)
	w0=$(bench_writer_ticks)
	out=$(wrk -t"${WRK_THREADS:-2}" -c"$3" -d"$4"s --timeout 10s -s "$1" "$URL$2" 2>&1 |
		sed -n 's/^RESULT //p')
	t1=$(bench_cpu_ticks)
	w1=$(bench_writer_ticks)
	bench_histogram "$2" >"$W/h1"
	[ -n "$out" ] || return 0
	echo "$out $(awk -v d=$((t1 - t0)) -v w=$((w1 - w0)) -v r="${out%% *}" -v s="$4" -v h="$(getconf CLK_TCK)" \
		'BEGIN {printf "%.2f %.2f", d / h * 1e6 / (r * s), w / h * 1e6 / (r * s)}') $(bench_p99 "$W/h0" "$W/h1")"
}
