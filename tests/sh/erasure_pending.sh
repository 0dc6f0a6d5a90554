#!/bin/bash
# erasure_pending: an erasure that cannot be wiped at once is never
# answered as done, and what it committed still takes effect at once.
#
# A reader holds an old snapshot of the database (the sqlite3 shell in a
# read transaction, as a backup in progress would), so the WAL cannot be
# emptied. DELETE /v1/me then answers 503 erasure_incomplete after about
# five seconds, not 200; the erasure itself committed (its leaf is in the
# log, the session is gone, the resident's code is on the served
# revocation list within a couple of seconds, not at the next minute's
# refresh); /metrics says a wipe is owed. Once the reader lets go, the
# service wipes on its own and /metrics says none is owed. Every wait is
# bounded. Made-up data only.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq sqlite3 mkfifo; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

D=$T/d
DB=$D/ankang.db
svc_init "$D"
ADM=$(svc_account "$D" admin operator-1)
svc_start "$D"
at_exit svc_stop
metric() { api GET /metrics "$ADM"; awk -v k="$1" '$1 == k {print $2}' "$T/r.body"; }

ID=$(gb_id 44010219850505051)
api POST /v1/enroll "" "$(jq -nc --arg d "$ID" '{name: "Pending Erasure", id_number: $d, passphrase: "pending erasure pass"}')"
is "$ST" 201 "a resident enrols"
api POST /v1/login "" "$(jq -nc --arg d "$ID" '{id_number: $d, passphrase: "pending erasure pass"}')"
TOK=$(jbody .token)
api GET /v1/me/code "$TOK"
is "$ST" 200 "and gets a code"
CTI=$(sqlite3 "$DB" "select lower(hex(cti)) from codes order by issued_index desc limit 1")
like "$CTI" '^[0-9a-f]{32}$' "its cti"

# The reader: a read transaction that stays open.
READ_IN=$T/read.in
mkfifo "$READ_IN"
sqlite3 "$DB" <"$READ_IN" >"$T/read.out" 2>&1 &
READ_PID=$!
exec 7>"$READ_IN"
printf "BEGIN;\nSELECT 'held', count(*) FROM residents;\n" >&7
for _ in $(seq 1 100); do
	grep -q held "$T/read.out" 2>/dev/null && break
	sleep 0.05
done
like "$(cat "$T/read.out")" held "a reader holds a snapshot"
release_reader() {
	[ -z "$READ_PID" ] && return
	printf 'ROLLBACK;\n.quit\n' >&7
	exec 7>&-
	wait "$READ_PID" 2>/dev/null
	READ_PID=
}
at_exit release_reader

before=$(sqlite3 "$DB" "select count(*) from log_leaves")
t0=$(date +%s)
api DELETE /v1/me "$TOK"
t1=$(date +%s)
is "$ST $(jbody .error)" "503 erasure_incomplete" "the erasure is not answered as done while a copy is left"
ok "$([ $((t1 - t0)) -ge 4 ] && [ $((t1 - t0)) -le 15 ]; echo $?)" \
	"it was answered after the wait for the wipe ($((t1 - t0)) s)"
is "$(sqlite3 "$DB" "select count(*) from log_leaves where idx >= $before and cast(leaf as text) like '% erase %'")" 1 \
	"the erasure committed: its erase leaf is in the log"
api GET /v1/me/code "$TOK"
is "$ST" 401 "and the session has ended"
listed=1
for _ in $(seq 1 25); do
	api GET /v1/revocations ""
	if grep -q "$CTI" "$T/r.body"; then
		listed=0
		break
	fi
	sleep 0.2
done
ok $listed "the code is on the served revocation list within 5 s"
is "$(metric ankang_log_wipe_owed)" 1 "/metrics: a wipe is owed"

release_reader
owed=1
for _ in $(seq 1 50); do
	owed=$(metric ankang_log_wipe_owed)
	[ "$owed" = 0 ] && break
	sleep 0.2
done
is "$owed" 0 "once the reader lets go, the service wipes on its own"
ok "$([ "$(stat -c %s "$DB-wal")" -lt 100000 ]; echo $?)" "and the WAL was emptied"

svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
done_testing
