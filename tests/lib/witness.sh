# witness.sh: test witnesses (tests/helpers/test_witness; tests/README.md,
# "The test witness") for the shell tests. Source it after tap.sh, once
# `need_helpers test_witness` has set $H.
#
#   wit_start I [PORT [SERVE-ARGS...]]
#                 witness I: its key $T/wI.key (which the test makes with
#                 `test_witness keygen`), its state $T/wI.state, its
#                 stderr appended to $T/wI.log; on 127.0.0.1 and PORT (0 or
#                 none: a port of its own; a number: back where a service
#                 expects it). Sets WPID[I] and WURL[I].
#   wit_stop I    SIGTERM, a bounded wait, then SIGKILL; WSTATUS = its
#                 exit status.
#   wit_stop_all  every witness still running; also run when the test
#                 exits.
WPID=()
WURL=()
WSTATUS=

wit_start() {
	local i=$1 port=${2:-0} n
	shift $(($# < 2 ? $# : 2))
	rm -f "$T/w$i.port"
	"$H/test_witness" serve --key "$T/w$i.key" --state "$T/w$i.state" \
		--port-file "$T/w$i.port" --port "$port" "$@" 2>>"$T/w$i.log" &
	WPID[$i]=$!
	for n in $(seq 1 "$(patience 400)"); do
		[ -s "$T/w$i.port" ] && break
		kill -0 "${WPID[$i]}" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$T/w$i.port" ] || { echo "Bail out! test_witness $i did not start"; exit 1; }
	WURL[$i]=http://127.0.0.1:$(cat "$T/w$i.port")
}

wit_stop() {
	local i=$1 n
	[ -n "${WPID[$i]:-}" ] || return 0
	kill -TERM "${WPID[$i]}" 2>/dev/null
	for n in $(seq 1 "$(patience 400)"); do
		kill -0 "${WPID[$i]}" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "${WPID[$i]}" 2>/dev/null
	wait "${WPID[$i]}" 2>/dev/null
	WSTATUS=$?
	WPID[$i]=
}

wit_stop_all() {
	local i
	for i in "${!WPID[@]}"; do wit_stop "$i"; done
}
at_exit wit_stop_all
