#!/bin/bash
# auditlog_crash: the audit log survives SIGKILL at random moments.
#
# The logcrash helper appends from six threads and prints every leaf index
# only after the writer told it the leaf was durable. This test kills it
# with SIGKILL after a random 0.1-0.5 s, a dozen times over the same data
# folder, and after each kill demands that the log passes the self-check
# (`ankangd check`, as the service runs it before starting) and that every
# leaf reported durable, in this run or any before, is present and is the
# one written. A SIGKILL loses the process, not the page cache: this tests
# the writer's ordering (no answer before COMMIT; the in-memory tree never
# ahead of the disk), not the disk's honesty about fsync.
# Then `ankangd check` twenty times while the helper appends and signs:
# each passes, as the check reads in one snapshot.
# Bounded: 12 rounds of at most 0.5 s plus checks, well under 30 s.
# With ANKANG_TEST_STORE=pg the same runs on a PostgreSQL store: a kill
# there lands in the writer's transactions as seen by the server.
. tests/lib/tap.sh
. tests/lib/service.sh

ROUNDS=12
if [ -n "${ANKANG_HELPERS:-}" ]; then
	H=$ANKANG_HELPERS/logcrash
elif [ -x "$ANKANG_BIN/../tests/helpers/logcrash" ]; then
	H=$ANKANG_BIN/../tests/helpers/logcrash # BUILD=build/asan BIN=build/asan/bin
else
	H=$TOP/build/tests/helpers/logcrash
fi
[ -x "$H" ] || skip_all "no logcrash helper at $H (make tests)"
[ -x "$ANKANG_BIN/ankangd" ] || skip_all "no ankangd in $ANKANG_BIN"

D=$T/data
check "init a data folder" svc_init "$D" crash.example
total=0
i=1
while [ $i -le $ROUNDS ]; do
	"$H" run "$D" 6 >"$T/durable.$i" 2>"$T/run.$i.err" &
	pid=$!
	# 100-499 ms, so kills land in open, in batches, in checkpoints.
	sleep "0.$((100 + $(rnd) % 400))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ ! -s "$T/run.$i.err" ]
	ok $? "round $i: the helper reopened the log and appended until killed"
	[ -s "$T/run.$i.err" ] && diag "helper: $(head -c 300 "$T/run.$i.err")"
	check "round $i: ankangd check passes after SIGKILL" \
		"$ANKANG_BIN/ankangd" check --data "$D"
	"$H" verify "$D" "$T"/durable.* >"$T/verify.out" 2>"$T/verify.err"
	ok $? "round $i: every leaf reported durable so far is present"
	[ -s "$T/verify.err" ] && diag "$(head -c 300 "$T/verify.err")"
	total=$(cat "$T/verify.out" 2>/dev/null || echo 0)
	i=$((i + 1))
done
diag "$total leaves were reported durable across $ROUNDS kills"
[ "${total:-0}" -gt 0 ]
ok $? "the helper made progress between kills"

# The self-check while another process appends and signs (as `ankangd
# account` runs beside a serving node, or a second front-end starts): it
# reads in one snapshot, so a checkpoint signed between two of its reads
# is never taken for one beyond the stored leaves.
"$H" run "$D" 6 >"$T/durable.live" 2>"$T/run.live.err" &
pid=$!
fails=0
for i in $(seq 1 20); do
	"$ANKANG_BIN/ankangd" check --data "$D" >/dev/null 2>"$T/live.err" || {
		fails=$((fails + 1))
		diag "$(head -c 300 "$T/live.err")"
	}
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
is "$fails" 0 "ankangd check passes 20 times while another process appends and signs"
check "the full check (every hash recomputed) passes at the end" \
	"$ANKANG_BIN/ankangd" check --data "$D" --full
done_testing
