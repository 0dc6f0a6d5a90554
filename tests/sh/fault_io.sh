#!/bin/bash
# fault_io: the database's writes and fsyncs fail under a running
# service, made to by an LD_PRELOAD shim (tests/shim/faultio.c) while a
# control file exists. Four faults, each under load of its own kind:
#  - write() says ENOSPC (a full disk, where no tmpfs can be mounted):
#    the writes are refused 503 `unavailable`, and they succeed again,
#    without a restart, once the fault goes;
#  - fsync() of the database file alone fails with EIO, which only a
#    checkpoint of the WAL into it meets (here, an erasure's wipe): the
#    wipe is not done and the erasure says so (503 erasure_incomplete),
#    other writes go on (their commits sync the WAL, which works), and
#    the wipe is done once the fault goes, without a restart: a
#    checkpoint that failed leaves its frames in the WAL, and the next
#    one writes them again rather than trusting a second fsync;
#  - fsync() fails with EIO (after which the kernel may have dropped the
#    pages it could not write: "fsyncgate"), and
#  - write() fails with EIO:
#    the request is refused 503 `unavailable` saying the storage failed,
#    with no leaf, and every write after it is refused too, fault gone or
#    not, until a restart: the service never serves from a state it could
#    not make durable. Reads that need no leaf go on (/v1/trust, the
#    checkpoint), /healthz answers 503 saying the storage failed (a load
#    balancer sends requests elsewhere), /metrics says writes are refused,
#    the operator's log
#    names the cause, the service stops cleanly, and after the restart
#    `ankangd check` and `ankang-audit verify` (against the state saved
#    before any fault) pass and writes succeed.
# Bounded: about 50 requests, three starts, and at most 10 s waiting
# for a wipe.
. tests/lib/tap.sh
. tests/lib/service.sh
. tests/lib/fault.sh

SHIM=${ANKANG_HELPERS:-build/tests/helpers}/faultio.so
[ -f "$SHIM" ] || { echo "Bail out! $SHIM not built (make tests)"; exit 1; }
PRELOAD=$(cd "$(dirname "$SHIM")" && pwd)/faultio.so
# Under ASan, libasan must be the first object loaded.
ASAN=$(ldd "$ANKANG_BIN/ankangd" 2>/dev/null | awk '/libasan/ {print $3; exit}')
[ -n "$ASAN" ] && PRELOAD="$ASAN $PRELOAD"

AUDIT=$ANKANG_BIN/ankang-audit
D=$T/d
DB=$D/ankang.db
CTL=$T/fault
export FAULTIO_CTL=$CTL
svc_init "$D" || { echo "Bail out! ankangd init failed"; exit 1; }
OFF=$(svc_account "$D" officer officer-1)
VER=$(svc_account "$D" verifier checkpoint-1)
AUD=$(svc_account "$D" auditor inspector-1)
ADM=$(svc_account "$D" admin admin-1)

start() { LD_PRELOAD=$PRELOAD svc_start "$D" --quiet; }
start
at_exit svc_stop

refused() { [ "$ST $(jbody .error)" = "503 unavailable" ] && is_error_body; }
# reads_work WHEN [PATHS]: the reads that need no leaf still answer 200.
reads_work() {
	local bad= p
	for p in ${2:-/healthz} /v1/trust /v1/revocations; do
		api GET "$p" ""
		[ "$ST" = 200 ] || bad="$bad $p:$ST"
	done
	api GET /v1/audit/checkpoint "$AUD"
	[ "$ST" = 200 ] || bad="$bad checkpoint:$ST"
	is "${bad:-none}" none "$1: the reads that need no leaf answer 200"
}

baseline "no fault"

# ---------------------------------------------------- ENOSPC: recovers
printf n >"$CTL"
BEFORE=$(leaves)
enrol 2
refused
ok $? "write ENOSPC: an enrolment is refused 503 unavailable"
diag "its message: $(jbody .message)"
api GET /v1/me/code "$TOK"
refused
ok $? "write ENOSPC: the code is refused 503 unavailable"
api POST /v1/verify "$VER" "{\"credential\":\"$CRED\"}"
refused
ok $? "write ENOSPC: the online check is refused 503 unavailable"
is "$(leaves)" "$BEFORE" "write ENOSPC: no leaf written"
reads_work "write ENOSPC"
rm -f "$CTL"
enrol 3
is "$ST" 201 "ENOSPC gone: the next enrolment is answered 201 without a restart"
api POST /v1/verify "$VER" "{\"credential\":\"$CRED\"}"
is "$ST $(jbody .result)" "200 valid" "ENOSPC gone: the online check answers 200 valid"

# ------------------------- a checkpoint's fsync fails: the wipe waits
metric() { api GET /metrics "$ADM" && sed -n "s/^$1 //p" "$T/r.body"; }
enrol 5
login 5
printf F >"$CTL"
api DELETE /v1/me "$TOK"
is "$ST $(jbody .error)" "503 erasure_incomplete" \
	"checkpoint fsync EIO: the erasure is not answered as done while its wipe failed"
is "$(metric ankang_log_wipe_owed)" 1 "checkpoint fsync EIO: /metrics says a wipe is owed"
enrol 6
is "$ST" 201 "checkpoint fsync EIO: other writes go on (201)"
is "$(metric ankang_log_writes_refused)" 0 "checkpoint fsync EIO: writes are not refused"
rm -f "$CTL"
for i in $(seq 1 100); do
	[ "$(metric ankang_log_wipe_owed)" = 0 ] && break
	sleep 0.1
done
is "$(metric ankang_log_wipe_owed)" 0 "fault gone: the wipe is done without a restart"
is "$(fsize "$DB-wal")" 0 "fault gone: the WAL is empty"
login 1

# ------------------------------------------ EIO: refuses until a restart
# eio MODE WHAT N: the fault MODE (f or w) under enrolment N.
eio() {
	local mode=$1 what=$2 n=$3 before msg
	printf '%s' "$mode" >"$CTL"
	before=$(leaves)
	enrol "$n"
	refused
	ok $? "$what EIO: the enrolment is refused 503 unavailable"
	msg=$(jbody .message)
	diag "its message: $msg"
	like "$msg" "storage failed" "$what EIO: the message says the storage failed"
	api GET /v1/me/code "$TOK"
	refused
	ok $? "$what EIO: the code is refused 503 unavailable"
	reads_work "$what EIO" " "
	api GET /healthz ""
	is "$ST $(jbody .error)" "503 unavailable" "$what EIO: /healthz answers 503 unavailable"
	like "$(jbody .message)" "storage failed" "$what EIO: and says the storage failed"
	rm -f "$CTL"
	enrol $((n + 1))
	refused
	ok $? "$what EIO, fault gone: writes are still refused (no retry after an I/O error)"
	api POST /v1/verify "$VER" "{\"credential\":\"$CRED\"}"
	refused
	ok $? "$what EIO, fault gone: the online check is refused too"
	is "$(leaves)" "$before" "$what EIO: no leaf written"
	api GET /metrics "$ADM"
	grep -qx 'ankang_log_writes_refused 1' "$T/r.body"
	ok $? "$what EIO: /metrics says writes are refused"
	grep -q 'storage\|I/O' "$T/serve.log"
	ok $? "$what EIO: the operator's log names the cause"
	grep 'I/O' "$T/serve.log" | tail -1 | sed 's/^/# serve: /' >&2
	svc_stop
	is "$SERVER_STATUS" 0 "$what EIO: the service stops cleanly (exit 0)"
	"$ANKANG_BIN/ankangd" check --data "$D" >/dev/null 2>&1
	ok $? "$what EIO: ankangd check passes"
	start
	enrol $((n + 2))
	is "$ST" 201 "$what EIO, restarted: an enrolment is answered 201"
	api GET /healthz ""
	is "$ST" 200 "$what EIO, restarted: /healthz answers 200"
	"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
		--state "$T/audit.state" >/dev/null 2>&1
	ok $? "$what EIO, restarted: ankang-audit verify passes against the state saved before"
}
eio f fsync 10
eio w write 20

svc_stop
sqlite3 "$DB" 'pragma integrity_check' | grep -qx ok
ok $? "SQLite's integrity_check passes"
if grep -q "Test Resident\|made up passphrase" "$T/serve.log" "$T/errors.all"; then
	ok 1 "no personal data in the service's log or the error bodies"
else
	ok 0 "no personal data in the service's log or the error bodies"
fi
done_testing
