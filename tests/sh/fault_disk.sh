#!/bin/bash
# fault_disk: the data folder on a small file system that fills up. The
# service runs on a 4 MiB tmpfs; a filler file takes every free block.
# Then requests that must write (enrol, the code, the online check)
# answer 503 `unavailable` and none is answered 2xx without its leaf; the
# reads that need no leaf (/healthz, /v1/trust, /v1/audit/checkpoint)
# still answer 200. The filler goes, and the next writes succeed without
# a restart. Last, with the service stopped, `ankangd check` and
# `ankang-audit verify` pass: nothing was corrupted.
# Needs root (mount -t tmpfs); skipped, saying why, where mount is refused.
# Bounded: about 40 requests and one start.
. tests/lib/tap.sh
. tests/lib/service.sh
. tests/lib/fault.sh

MNT=$T/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=4m,mode=0700 ankang-fault "$MNT" 2>/dev/null ||
	skip_all "mounting a tmpfs is not allowed here (needs root outside a locked-down container)"
# Unmounted last: at_exit runs its cleanups newest first, and svc_stop
# is registered after this.
unmount() { umount -l "$MNT" 2>/dev/null; }
at_exit unmount

AUDIT=$ANKANG_BIN/ankang-audit
D=$MNT/d
DB=$D/ankang.db
svc_init "$D" || { echo "Bail out! ankangd init failed"; exit 1; }
OFF=$(svc_account "$D" officer officer-1)
VER=$(svc_account "$D" verifier checkpoint-1)
AUD=$(svc_account "$D" auditor inspector-1)
svc_start "$D" --quiet
at_exit svc_stop

baseline "with room"

# Every free block taken (dd stops at ENOSPC, which is the point).
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
diag "free after the filler: $(df --output=avail -k "$MNT" | tail -1 | tr -d ' ') KiB"
BEFORE=$(leaves)

full_ok=0 full_bad=0 full_2xx=0
for n in $(seq 2 21); do
	enrol "$n"
	case $ST in
	503) [ "$(jbody .error)" = unavailable ] && full_ok=$((full_ok + 1)) || full_bad=$((full_bad + 1)) ;;
	2*) full_2xx=$((full_2xx + 1)) ;;
	*) full_bad=$((full_bad + 1)); diag "enrolment on a full disk: $ST $(jbody .error)" ;;
	esac
done
diag "disk full: 20 enrolments: $full_ok answered 503 unavailable, $full_2xx 2xx, $full_bad other"
ok $((full_bad)) "disk full: every enrolment answered 503 unavailable or succeeded, nothing else"
enrol 22
MSG=$(jbody .message)
is "$ST $(jbody .error)" "503 unavailable" "disk full: an enrolment is refused 503 unavailable"
diag "its message: $MSG"
is_error_body
ok $? "disk full: the body is exactly {error, message}"
api GET /v1/me/code "$TOK"
is "$ST $(jbody .error)" "503 unavailable" "disk full: the code is refused 503 unavailable"
api POST /v1/verify "$VER" "{\"credential\":\"$CRED\"}"
is "$ST $(jbody .error)" "503 unavailable" "disk full: the online check is refused 503 unavailable"
is "$(leaves)" "$((BEFORE + full_2xx))" "disk full: no leaf but for the answers seen 2xx"

api GET /healthz ""
is "$ST" 200 "disk full: /healthz answers 200"
api GET /v1/trust ""
is "$ST" 200 "disk full: /v1/trust answers 200"
api GET /v1/audit/checkpoint "$AUD"
is "$ST" 200 "disk full: /v1/audit/checkpoint answers 200"
kill -0 "$SERVER_PID" 2>/dev/null
ok $? "disk full: the service is still running"

# Room again: the next writes succeed, no restart.
rm -f "$MNT/filler"
enrol 23
is "$ST" 201 "room again: the next enrolment is answered 201 without a restart"
api GET /v1/me/code "$TOK"
is "$ST" 200 "room again: the code is answered 200"
CRED=$(jbody .credential)
api POST /v1/verify "$VER" "{\"credential\":\"$CRED\"}"
is "$ST $(jbody .result)" "200 valid" "room again: the online check answers 200 valid"
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state" >/dev/null 2>&1
ok $? "room again: ankang-audit verify passes against the state saved before"
svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly (exit 0)"
"$ANKANG_BIN/ankangd" check --data "$D" >/dev/null 2>&1
ok $? "ankangd check passes after the disk was full"
sqlite3 "$DB" 'pragma integrity_check' | grep -qx ok
ok $? "SQLite's integrity_check passes"
if grep -q "Test Resident\|made up passphrase" "$T/serve.log" "$T/errors.all"; then
	ok 1 "no personal data in the service's log or the error bodies"
else
	ok 0 "no personal data in the service's log or the error bodies"
fi
grep -q 'database or disk is full' "$T/serve.log"
ok $? "the operator's log says the disk is full"
cut -d' ' -f2- "$T/serve.log" | grep fault | sort | uniq -c | sed 's/^ */# serve: /' >&2
done_testing
