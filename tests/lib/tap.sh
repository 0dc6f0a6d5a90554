# tap.sh: TAP helpers for ankang's shell tests. Source it, then call
#   ok COND_EXIT_STATUS DESCRIPTION   e.g.  ok $? "verify exits 0"
#   check DESCRIPTION CMD...          runs CMD, passes when it exits 0
#   is GOT WANT DESCRIPTION
#   like GOT REGEX DESCRIPTION        (grep -E)
#   done_testing
# and small file helpers: rnd, lines FILE, fsize FILE, and `patience N`;
# `need_cmds NAME...` skips the test without a command it needs;
# `wait_until WHAT CMD...` polls CMD, bounded, until it succeeds;
# `need_helpers NAME...` sets $H to the folder of the built test helpers
# (tests/helpers/*.c) that holds them all, or bails out.
# Every test gets a private temporary directory $T, removed on exit, and
# the binaries under test in $ANKANG_BIN (default bin/).
# Tests run from the project root. Output never carries personal data.

set -u
# A host where ankang is installed has /etc/ankang/ankangd.conf; the
# servers the tests start must not take its settings (empty: no file).
export ANKANGD_CONFIG=
ANKANG_BIN=${ANKANG_BIN:-bin}
case $ANKANG_BIN in /*) ;; *) ANKANG_BIN=$PWD/$ANKANG_BIN ;; esac
# The program files themselves, for tests that read them (nm, readelf)
# rather than run them: ANKANG_BIN, unless that holds wrapper scripts
# (make check-valgrind sets ANKANG_PROGS to the real programs' folder).
ANKANG_PROGS=${ANKANG_PROGS:-$ANKANG_BIN}
TOP=$PWD
_tap_n=0
_tap_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/ankang-test.XXXXXX")
_tap_cleanups=""
_tap_exit() {
	for c in $_tap_cleanups; do "$c" || true; done
	# ANKANG_TEST_KEEP=1 keeps the test's folder (logs, data) to look at.
	if [ -n "${ANKANG_TEST_KEEP:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap _tap_exit EXIT
trap 'exit 130' INT TERM

# at_exit FUNCTION: run FUNCTION when the test ends (stop a server, ...).
at_exit() { _tap_cleanups="$1 $_tap_cleanups"; }

ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

check() {
	_d=$1
	shift
	"$@" >"$T/.check.out" 2>&1
	_rc=$?
	ok $_rc "$_d"
	[ $_rc -eq 0 ] || sed 's/^/#   /' "$T/.check.out" | head -20 >&2
	return $_rc
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#          got: %s\n#     expected: %s\n' "$1" "$2" >&2
	fi
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#          got: %s\n#  to match: %s\n' "$1" "$2" >&2
	fi
}

diag() { echo "# $*" >&2; }

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# bail_out MESSAGE: stops the whole test, as TAP's "Bail out!" says
# (prove reports it and fails), running the at_exit cleanups.
bail_out() {
	echo "Bail out! $*"
	exit 1
}

done_testing() {
	echo "1..$_tap_n"
	[ $_tap_failed -eq 0 ]
	exit $?
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now
# (bash's /dev/tcp; bounded tries), below the kernel's range of ephemeral
# ports: a port in that range can be taken at any moment as the local end
# of some client's connection (curl, wrk, a libpq session), and a server
# then fails to bind it (pg_tls.sh's cluster did, once). Servers started
# by tests should prefer --listen 127.0.0.1:0 with a port file, which has
# no race at all.
free_port() {
	local lo=32768
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	[ "$lo" -gt 11000 ] 2>/dev/null || lo=32768
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		_p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null; then
			echo "$_p"
			return 0
		fi
	done
	return 1
}

# patience N: N scaled for a slow run, for the bound of a loop that waits
# for a server or a child. ANKANG_SLOW (a whole number, default 1) is how
# many times slower the programs run than a plain build: make
# check-valgrind sets it, since memcheck runs code 20-50 times slower.
ANKANG_SLOW=${ANKANG_SLOW:-1}
patience() { echo $(($1 * ANKANG_SLOW)); }

# need_cmds NAME...: skips the whole test when a command it needs is not
# installed (curl, jq, openssl, ...).
need_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
	done
}

# need_helpers NAME...: $H, the first of $ANKANG_HELPERS (make check sets
# it to the build's, make check-asan to the sanitizer build's), the one
# beside $ANKANG_BIN and build/tests/helpers that has every NAME built.
# A missing helper is a build that is not whole: bail out, not skip.
need_helpers() {
	local d n
	H=
	for d in ${ANKANG_HELPERS:-} "$ANKANG_BIN/../tests/helpers" build/tests/helpers; do
		for n in "$@"; do
			[ -x "$d/$n" ] && [ -f "$d/$n" ] || continue 2
		done
		H=$d
		return 0
	done
	echo "Bail out! tests/helpers/{$(echo "$@" | tr ' ' ',')} not built (make tests)"
	exit 255
}
# wait_until WHAT CMD...: runs CMD until it succeeds, every 50 ms for
# WAIT_SECONDS (15) at most, scaled as patience; fails past that, saying
# on stderr what it waited for. For a state a server reaches by itself
# after a restart, a kill or a failover (a gauge in /metrics, a line in
# its log): checked once it is there, not once at once.
wait_until() {
	local what=$1 i n
	shift
	n=$(patience $((${WAIT_SECONDS:-15} * 20)))
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.05
	done
	diag "waited $((n / 20)) s for $what"
	return 1
}
# nap MS: sleeps MS milliseconds, scaled the same way.
nap() {
	_ms=$(($1 * ANKANG_SLOW))
	sleep "$((_ms / 1000)).$(printf '%03d' $((_ms % 1000)))"
}

# rnd: a random number 0..65535, from the kernel (dash has no $RANDOM).
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' \n'; }

# lines FILE: its number of LFs (0 when it does not exist).
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# fsize FILE: its size in bytes (0 when it does not exist).
fsize() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }

# flip_byte FILE OFFSET: the byte at OFFSET replaced by its complement, so
# the file surely changes (writing a fixed byte is a no-op one time in 256,
# when the byte already was that value).
flip_byte() {
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$_b" ] || return 1
	printf "\\$(printf %03o $((_b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
