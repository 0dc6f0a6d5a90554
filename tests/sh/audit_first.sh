#!/bin/bash
# audit_first: nothing that reads personal data or changes state is
# answered before its audit leaf is durable, tried on the real service,
# route by route, with the audit writer paused.
#
# The pause: another process (the sqlite3 shell) holds the database's
# write lock (BEGIN IMMEDIATE), so the writer cannot commit; on PostgreSQL
# (ANKANG_TEST_STORE=pg) a psql session holds the log's head row FOR
# UPDATE, which every writer's batch takes first. Each audited
# request is sent while the lock is held; for a second not one byte of an
# answer may arrive; then the lock goes, the writer commits, and only then
# the answer comes, with the log one leaf longer (or as many as the
# request wrote), holding the leaf the answer names. Routes that write no
# leaf (liveness, the signed lists, the log itself) still answer while the
# writer is paused: they never wait for it.
#
# Every audited route of service/http/routes.c is driven here (the list is
# checked against the table). Made-up personal data only, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq mkfifo; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

D=$T/d
DB=$D/ankang.db
svc_init "$D"
OFF=$(svc_account "$D" officer desk-1)
VER=$(svc_account "$D" verifier gate-1)
svc_start "$D"
at_exit svc_stop

ID1=$(gb_id 34010219800101001)
ID2=$(gb_id 34010219800101002)
PASS="first audit then answer"
api POST /v1/enroll "" "$(jq -nc --arg d "$ID1" --arg p "$PASS" '{name: "Audit First", id_number: $d, passphrase: $p}')"
is "$ST" 201 "a resident enrols"
RES1=$(jbody .resident)
api POST /v1/login "" "$(jq -nc --arg d "$ID1" --arg p "$PASS" '{id_number: $d, passphrase: $p}')"
TOK=$(jbody .token)
api POST /v1/login "" "$(jq -nc --arg d "$ID1" --arg p "$PASS" '{id_number: $d, passphrase: $p}')"
TOK2=$(jbody .token)
api GET /v1/me/code "$TOK"
CRED=$(jbody .credential)

[ "${ANKANG_TEST_STORE:-}" = pg ] || command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not installed"
log_size() { svc_sql "$DB" "select count(*) from log_leaves"; }

# ------------------------------------------------------------- the pause
LOCK_IN=$T/lock.in
LOCK_PID=
# The psql session names itself, and is known to hold the row once it
# waits idle inside a transaction that has an ID (locking a row gives it
# one; psql's own output may sit in a buffer).
PAUSE_APP=ankang_test_pause
paused() {
	if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
		[ "$(svc_sql "$DB" "select count(*) from pg_stat_activity where application_name = '$PAUSE_APP'
			and state = 'idle in transaction' and backend_xid is not null")" = 1 ]
	else
		grep -q held "$T/lock.out" 2>/dev/null
	fi
}
pause_writer() {
	local url
	rm -f "$LOCK_IN" "$T/lock.out"
	mkfifo "$LOCK_IN"
	if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
		url=$(svc_db "$D")
		"$PG_BIN/psql" -X -q -A -t "${url%user=*}user=ankang_super&application_name=$PAUSE_APP" \
			<"$LOCK_IN" >"$T/lock.out" 2>&1 &
		LOCK_PID=$!
		exec 7>"$LOCK_IN"
		printf 'BEGIN;\nSELECT size FROM log_head FOR UPDATE;\n' >&7
	else
		sqlite3 "$DB" <"$LOCK_IN" >"$T/lock.out" 2>&1 &
		LOCK_PID=$!
		exec 7>"$LOCK_IN"
		printf '.timeout 5000\nBEGIN IMMEDIATE;\nSELECT '"'"'held'"'"';\n' >&7
	fi
	for i in $(seq 1 100); do
		paused && return 0
		sleep 0.05
	done
	return 1
}
resume_writer() {
	if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
		printf 'ROLLBACK;\n\\q\n' >&7
	else
		printf 'ROLLBACK;\n.quit\n' >&7
	fi
	exec 7>&-
	wait "$LOCK_PID" 2>/dev/null
	LOCK_PID=
}
release_on_exit() { [ -z "$LOCK_PID" ] || resume_writer; }
at_exit release_on_exit

# paused_request LABEL WANT METHOD PATH TOKEN [BODY]: the request while the
# writer is paused. Nothing may come back for a second; after the pause
# the answer must be WANT and the log longer than before.
paused_request() {
	local label=$1 want=$2 method=$3 path=$4 token=$5 body=${6-}
	local args=(-s -o "$T/p.body" -D "$T/p.hdr" -w '%{http_code}' --max-time 20 -X "$method")
	local before after st
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ $# -ge 6 ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	before=$(log_size)
	if ! pause_writer; then
		ok 1 "$label: the writer could not be paused"
		return
	fi
	: >"$T/p.hdr"
	curl "${args[@]}" "$URL$path" >"$T/p.status" 2>/dev/null &
	local cpid=$!
	sleep 1
	if [ -s "$T/p.hdr" ] || [ -s "$T/p.status" ] || ! kill -0 $cpid 2>/dev/null; then
		ok 1 "$label: no answer while its leaf cannot be written"
	else
		ok 0 "$label: no answer while its leaf cannot be written"
	fi
	resume_writer
	wait $cpid
	st=$(cat "$T/p.status")
	after=$(log_size)
	is "$st" "$want" "$label: answered $want once the writer could commit"
	[ "$after" -gt "$before" ]
	ok $? "$label: and its leaf is in the log ($before -> $after)"
	cp "$T/p.body" "$T/r.body"
}

# ---------------------------------------------- routes that write no leaf
if pause_writer; then
	for p in /healthz /v1/keys /v1/trust /v1/revocations; do
		st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$URL$p")
		is "$st" 200 "GET $p answers while the writer is paused: it writes no leaf"
	done
	resume_writer
fi

# ------------------------------------------------------ each audited route
DONE=()
run() {
	DONE+=("$3 $4")
	paused_request "$@"
}
run "enrol" 201 POST /v1/enroll "" \
	"$(jq -nc --arg d "$ID2" '{name: "Second Person", id_number: $d, passphrase: "second person pass"}')"
run "log in" 200 POST /v1/login "" "$(jq -nc --arg d "$ID2" '{id_number: $d, passphrase: "second person pass"}')"
TOK_B=$(jbody .token)
run "code" 200 GET /v1/me/code "$TOK"
run "code as PNG" 200 GET /v1/me/code.png "$TOK"
run "code as SVG" 200 GET /v1/me/code.svg "$TOK"
run "accesses" 200 GET /v1/me/accesses "$TOK"
run "history" 200 GET /v1/me/history "$TOK"
run "sessions" 200 GET /v1/me/sessions "$TOK"
run "export" 200 GET /v1/me/export "$TOK"
run "look-up" 200 POST /v1/lookup "$OFF" "$(jq -nc --arg d "$ID1" '{id_number: $d, purpose: "status_correction"}')"
run "status" 200 PUT "/v1/residents/$RES1/status" "$OFF" '{"status": "yellow", "reason": "close_contact"}'
run "paper code" 200 POST "/v1/residents/$RES1/paper-code" "$OFF" \
	"$(jq -nc --arg d "$ID1" '{purpose: "paper_code", id_number: $d, days: 2}')"
paused_request "paper code as a PDF card" 200 POST "/v1/residents/$RES1/paper-code?format=pdf" "$OFF" \
	"$(jq -nc --arg d "$ID1" '{purpose: "paper_code", id_number: $d, days: 2}')"
run "verify" 200 POST /v1/verify "$VER" "$(jq -nc --arg c "$CRED" '{credential: $c}')"
run "scans" 200 POST /v1/scans "$VER" \
	"$(jq -nc --arg s "$(head -c 16 /dev/urandom | xxd -p)" --argjson t "$(date +%s)" \
		'{scans: [{id: $s, time: $t, result: "malformed"}]}')"
# The household: a child (added here), the second person as a member who
# consents with their passphrase (then withdraws), and an adult who never
# enrolled, pending until the officer confirms.
run "household add" 201 POST /v1/me/household "$TOK" \
	"$(jq -nc --arg d "$(gb_id 34010220200101003)" '{name: "Audit Child", id_number: $d, relation: "child"}')"
MEM=$(jbody .member)
run "household list" 200 GET /v1/me/household "$TOK"
run "member's code" 200 GET "/v1/me/household/$MEM/code" "$TOK"
run "member's code as PNG" 200 GET "/v1/me/household/$MEM/code.png" "$TOK"
run "member's code as SVG" 200 GET "/v1/me/household/$MEM/code.svg" "$TOK"
run "member's accesses" 200 GET "/v1/me/household/$MEM/accesses" "$TOK"
api POST /v1/me/household "$TOK" "$(jq -nc --arg d "$ID2" \
	'{name: "Second Person", id_number: $d, relation: "spouse", member_passphrase: "second person pass"}')"
LINK_B=$(jbody .member)
run "guardians" 200 GET /v1/me/guardians "$TOK_B"
run "withdraw" 200 DELETE "/v1/me/guardians/$LINK_B" "$TOK_B"
api POST /v1/me/household "$TOK" "$(jq -nc --arg d "$(gb_id 34010219500101004)" \
	'{name: "Audit Elder", id_number: $d, relation: "parent"}')"
LINK=$(jbody .member)
run "pending links" 200 GET /v1/household/pending "$OFF"
run "confirm" 200 POST "/v1/household/$LINK/confirm" "$OFF" '{"purpose": "household_consent"}'
run "remove" 200 DELETE "/v1/me/household/$MEM" "$TOK"
run "log out here" 200 DELETE /v1/session "$TOK2"
run "log out everywhere" 200 DELETE /v1/sessions "$TOK"
api POST /v1/login "" "$(jq -nc --arg d "$ID1" --arg p "$PASS" '{id_number: $d, passphrase: $p}')"
TOK=$(jbody .token)
run "appeal" 201 POST /v1/me/appeals "$TOK" '{"reason": "other", "text": "audit first"}'
APL=$(jbody .appeal)
run "my appeals" 200 GET /v1/me/appeals "$TOK"
run "appeals list" 200 GET /v1/appeals "$OFF"
run "appeal read" 200 GET "/v1/appeals/$APL" "$OFF"
run "appeal answer" 200 POST "/v1/appeals/$APL/answer" "$OFF" '{"decision": "upheld", "reason": "record_error"}'
run "erase" 200 DELETE /v1/me "$TOK"

# The list above covers every audited route of the table.
audited=$(sed -n 's/^[[:space:]]*{"\([A-Z]*\)",[[:space:]]*"\([^"]*\)",.*ACT_\([A-Z_]*\),.*/\1 \2 \3/p' \
	service/http/routes.c | awk '$3 != "NONE" {print $1, $2}' | sed 's/{handle}/H/; s/{appeal}/A/; s/{member}/H/; s/{link}/H/' | sort)
driven=$(printf '%s\n' "${DONE[@]}" |
	sed "s#/$RES1/#/H/#; s#/$APL\$#/A#; s#/$APL/#/A/#; s#/$MEM\(/\|\$\)#/H\1#; s#/$LINK_B\$#/H#; s#/$LINK/#/H/#" |
	sort -u)
same "$driven" "$audited" "every audited route of service/http/routes.c was driven with the writer paused"

svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
done_testing
