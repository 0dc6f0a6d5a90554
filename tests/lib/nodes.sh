# nodes.sh: `ankangd serve` nodes of one deployment on PostgreSQL, for the
# scripts that start, stop and kill several of them (pg_epochs.sh,
# pg_epochs_behind.sh, pg_node_compromised.sh). Needs tests/lib/tap.sh,
# and from the caller: A (the ankangd to run), T (the test's folder),
# STALE (the nodes' --epoch-stale, seconds) and SQ SQL (prints what the
# deployment's database answers). Every node started goes into PIDS;
# stop_all, which sourcing this file hands to at_exit, stops them all.

PIDS=()
at_exit stop_all

# nodes_deploy N: nodes 1..N started on the folders $T/n1..$T/nN, each
# its own copy of the deployment's (node_start); bails out when one does
# not start.
nodes_deploy() {
	local n
	for n in $(seq 1 "$1"); do
		node_start "$n" "$T/n$n" || bail_out "node $n did not start"
	done
}

# until_sql SQL WANT: waits (wait_until, 30 s) until SQ SQL answers WANT.
sql_is() { [ "$(SQ "$1")" = "$2" ]; }
until_sql() { WAIT_SECONDS=30 wait_until "the database to answer $2 to: $1" sql_is "$1" "$2"; }

# until_log FILE PATTERN: waits (wait_until, 30 s) until FILE has a line
# that matches PATTERN (grep's basic regular expression).
log_has() { grep -q "$2" "$1" 2>/dev/null; }
until_log() { WAIT_SECONDS=30 wait_until "a line of ${1##*/} to match: $2" log_has "$1" "$2"; }

# epochs_of DIR [FIELDS]: the epochs DIR's keys/epochs.key holds, one a
# word, the newest last: their numbers, or FIELDS (cut's -f) of each
# line, space-separated.
epochs_of() { sed -n '2,$p' "$1/keys/epochs.key" | cut -d' ' -f"${2:-1}" | tr '\n' ' ' | sed 's/ $//'; }

# node_start N DIR: serve DIR on 127.0.0.1:0, epochs rotated by hand only;
# U<N> its URL, P<N> its pid. Fails when it does not start (bounded).
node_start() {
	local n=$1 dir=$2 i
	rm -f "$T/port$n"
	"$A" serve --data "$dir" --listen 127.0.0.1:0 --port-file "$T/port$n" \
		--epoch-seconds 0 --epoch-stale "$STALE" 2>>"$T/serve$n.log" &
	eval "P$n=$!"
	PIDS+=("$!")
	for i in $(seq 1 "$(patience 600)"); do
		[ -s "$T/port$n" ] && break
		kill -0 "$(eval echo "\$P$n")" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$T/port$n" ] || return 1
	eval "U$n=http://127.0.0.1:$(cat "$T/port$n")"
}

# node_stop PID [SIGNAL]: SIGNAL (TERM) to a node, resumed first if it
# was stopped; KILL when it has not gone in a bounded wait.
node_stop() {
	local pid=$1 sig=${2:-TERM} i
	kill -CONT "$pid" 2>/dev/null
	kill -"$sig" "$pid" 2>/dev/null
	for i in $(seq 1 "$(patience 400)"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

stop_all() { for p in "${PIDS[@]}"; do node_stop "$p"; done; }
