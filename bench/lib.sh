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
#   die "what failed"                  # message, the server's last words, exit 1
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
