#!/usr/bin/env bash
# migrate_pg: `ankangd migrate` moves a SQLite deployment to PostgreSQL
# (docs/MULTINODE.md, "Moving a SQLite deployment"; issue 14). Skips
# without PostgreSQL.
#
#   A SQLite deployment with a log of 100,000 planted leaves and a day of
#   traffic on top: enrolments, log-ins, codes, verifications, an
#   officer's look-up and status changes with their reasons, an appeal
#   and its answer, a household link, an offline scan, an erasure, and a
#   KEK epoch rotation between two halves of the day. `ankang-audit
#   verify --state` saves its checkpoint before the move.
#
#   Refusals, each leaving the target empty and ankang.conf as it was:
#   bad input (no URL, a path, a password in either URL, a database that
#   does not exist: exit 2, one line); a service running on the folder;
#   an ankangd session connected to the target; a table or a column that
#   migrate's list does not name (a later migration's, on either side);
#   a failure injected into
#   the copy (a trigger the superuser adds); the process killed with -9
#   while the copy waits inside the target (after the 100,000 leaves).
#   Then the move itself, run again after all of those.
#
#   After it: the same leaves (count and bytes, stored hashes included),
#   the same checkpoints, the same root (ankangd check on both sides),
#   the people's rows byte for byte, the identity sequences past the
#   copied ids; ankang.conf gains `store = URL` and keeps its lines;
#   ankang.db stays. `ankangd serve` on PostgreSQL: residents log in and
#   get codes with their names (sealed data opens), a session from before
#   the move still works, the officer reads the appeal's sealed text and
#   looks a resident up, a guardian shows the household member's code,
#   the erased resident stays erased, new leaves follow the old ones,
#   and `ankang-audit verify` with the state saved before passes on the
#   database and over HTTP. A second move into the now full database,
#   and a second move of the moved folder, are refused; a move ended
#   between its COMMIT and the rename of ankang.conf (the conf put back)
#   is finished by a second run, which finds the folder's own log (size,
#   root, KEK check) in the target and writes only the conf.
#
# Made-up personal data only, compared and never printed; no message of
# migrate's holds any of it.
. tests/lib/tap.sh
unset ANKANG_TEST_STORE # the deployment starts on SQLite, whatever the run's store
. tests/lib/service.sh
. tests/lib/pg.sh

for c in curl jq sqlite3 sha256sum; do
	command -v $c >/dev/null 2>&1 || skip_all "$c not installed"
done
need_helpers audit_append
pg_test_start || {
	echo "Bail out! the PostgreSQL cluster did not start"
	exit 1
}
A=$ANKANG_BIN/ankangd
AUDIT=$ANKANG_BIN/ankang-audit
D=$T/d
DB=$D/ankang.db
OWNER=$ANKANG_PG_URL
NODE=$ANKANG_PG_SERVICE_URL
SUPER=$ANKANG_PG_SUPER_URL
PLANT=100000
SQ() { pg_psql "$SUPER" "$1"; }
# A session whose client is gone ends at its next check of the socket,
# even inside a long statement (the kill -9 case below).
SQ "ALTER DATABASE ankang SET client_connection_check_interval = 100" >/dev/null
# ankangd sessions on the target, and a bounded wait for them to end.
sessions() { SQ "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ankangd'"; }
no_sessions() {
	local i
	for i in $(seq 1 "$(patience 300)"); do
		[ "$(sessions)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
# The target as migrate must leave it after a refusal or a failure.
target_empty() {
	[ "$(SQ "SELECT to_regclass('log_leaves') IS NULL")" = t ] && return 0
	[ "$(SQ "SELECT (SELECT count(*) FROM log_leaves) || ' ' || (SELECT count(*)
		FROM log_checkpoints) || ' ' || (SELECT count(*) FROM residents) || ' ' ||
		(SELECT count(*) FROM accounts) || ' ' || (SELECT count(*) FROM kek_check) || ' ' ||
		(SELECT size FROM log_head) || ' ' || (SELECT size FROM log_signer)")" = "0 0 0 0 0 0 0" ]
}
migrate() { "$A" migrate --from "$D" "$@" >"$T/m.out" 2>"$T/m.err"; }
# The lines of stderr that are not progress ("migrate: ..."): the errors.
errors() { grep -v '^migrate: ' "$T/m.err"; }
# refused STATUS WORDS DESC: the last migrate exited STATUS with one error
# line saying WORDS, the target is empty and ankang.conf unchanged.
refused() {
	local st=$1 words=$2 desc=$3
	is "$MST" "$st" "$desc: exit $st"
	is "$(errors | grep -c .)" 1 "$desc: one line says why"
	like "$(errors)" "$words" "$desc: it says why"
	target_empty
	ok $? "$desc: the target is left empty"
	cmp -s "$D/ankang.conf" "$T/conf.before"
	ok $? "$desc: ankang.conf is unchanged"
	cat "$T/m.out" "$T/m.err" >>"$T/migrate.all"
}
: >"$T/migrate.all"

# --------------------------------------------------------- a SQLite deployment
svc_init "$D"
VER=$(svc_account "$D" verifier gate-1)
OFF=$(svc_account "$D" officer desk-1)
AUD=$(svc_account "$D" auditor inspector-1)
VER_ID=$(sqlite3 "$DB" "select id from accounts where name = 'gate-1'")
NOW_MS=$(($(date +%s) * 1000))
seq 1 $PLANT | awk -v t="$((NOW_MS - 86400000))" -v v="$VER_ID" \
	'{printf "ankang/v1 %.0f verifier:%s verify_offline - - malformed -\n", t + $1, v}' \
	>"$T/plant.txt"
is "$("$H/audit_append" --data "$D" <"$T/plant.txt" 2>/dev/null)" $PLANT \
	"$PLANT leaves planted in the SQLite log"
svc_start "$D"
at_exit svc_stop

NAME=("" "欧阳测迁" "Migrata Testwell" "司马迁移" "Erasa Gone")
IDN=("" "$(gb_id 34010219880315271)" "$(gb_id 11010519760823054)"
	"$(gb_id 44030519900102448)" "$(gb_id 51010419950707362)")
PASS=("" "moving day lantern 1" "moving day lantern 2" "moving day lantern 3"
	"moving day lantern 4")
CHILD_NAME='司马小迁'
CHILD_ID=$(gb_id 44030520180301202) # born 2018: under 14, active at once
APPEAL_TEXT='迁移前的申诉 Qm4-migrate-appeal-words'
login_body() { jq -nc --arg d "$1" --arg w "$2" '{id_number: $d, passphrase: $w}'; }
name_is() { jq -e --arg n "$1" '.name == $n' "$T/r.body" >/dev/null 2>&1; }
declare -a RID TOK
for i in 1 2 3 4; do
	api POST /v1/enroll "" "$(jq -nc --arg n "${NAME[i]}" --arg d "${IDN[i]}" \
		--arg w "${PASS[i]}" '{name: $n, id_number: $d, passphrase: $w}')"
	is "$ST" 201 "R$i enrols"
	RID[i]=$(jbody .resident)
	api POST /v1/login "" "$(login_body "${IDN[i]}" "${PASS[i]}")"
	TOK[i]=$(jbody .token)
	api GET /v1/me/code "${TOK[i]}"
	is "$ST" 200 "R$i gets a code"
	api POST /v1/verify "$VER" "$(jq -nc --arg c "$(jbody .credential)" '{credential: $c}')"
	is "$ST/$(jbody .result)" 200/valid "R$i's code verifies online"
done
api POST /v1/lookup "$OFF" "$(jq -nc --arg d "${IDN[1]}" \
	'{id_number: $d, purpose: "epidemiological_investigation"}')"
is "$ST" 200 "the officer looks R1 up, with a purpose"
api PUT "/v1/residents/${RID[1]}/status" "$OFF" '{"status": "yellow", "reason": "close_contact"}'
is "$ST" 200 "the officer turns R1 yellow (close_contact)"
api PUT "/v1/residents/${RID[2]}/status" "$OFF" '{"status": "red", "reason": "confirmed_case"}'
is "$ST" 200 "the officer turns R2 red (confirmed_case)"
api POST /v1/me/appeals "${TOK[2]}" "$(jq -nc --arg t "$APPEAL_TEXT" \
	'{reason: "negative_test", text: $t}')"
is "$ST" 201 "R2 appeals, with a text"
APPEAL=$(jbody .appeal)
api POST /v1/me/household "${TOK[3]}" "$(jq -nc --arg n "$CHILD_NAME" --arg i "$CHILD_ID" \
	'{name: $n, id_number: $i, relation: "child"}')"
is "$ST/$(jbody .state)" 201/active "R3 adds a child to the household: active"
CHILD=$(jbody .member)
api DELETE /v1/me "${TOK[4]}"
is "$ST" 200 "R4 asks for erasure"
svc_stop

# The KEK's epoch rotated, with the service stopped; then the second half.
"$A" keys rotate-epoch --data "$D" >/dev/null 2>&1
is $? 0 "keys rotate-epoch between the two halves of the day"
svc_start "$D"
api GET /v1/me/code "${TOK[1]}"
is "$ST/$(jbody .status)" 200/yellow "after the rotation R1's session still gets a code"
name_is "${NAME[1]}"
ok $? "with R1's name (re-wrapped under the new epoch)"
api POST /v1/appeals/"$APPEAL"/answer "$OFF" '{"decision": "rejected", "reason": "status_confirmed"}'
is "$ST" 200 "the officer answers R2's appeal"
api GET "/v1/me/household/$CHILD/code" "${TOK[3]}"
is "$ST" 200 "R3 shows the child's code"
scan_id=$(head -c 16 /dev/urandom | xxd -p)
api POST /v1/scans "$VER" "$(jq -nc --arg s "$scan_id" --argjson t "$(date +%s)" \
	'{scans: [{id: $s, time: $t, result: "malformed"}]}')"
is "$ST" 200 "a verifier uploads an offline scan"

# --------------------------------------------------------------- refusals (1)
cp -p "$D/ankang.conf" "$T/conf.before"
migrate --to "$NODE" --to-owner "$OWNER"
MST=$?
refused 1 "serve.lock" "while a service runs on the folder"
svc_stop

migrate --to "$NODE" --to-owner "$OWNER" --extra 2>/dev/null
MST=$?
is "$MST" 2 "an unknown option: exit 2"
migrate
MST=$?
refused 2 "--to" "no --to"
migrate --to "$T/file.db"
MST=$?
refused 2 "postgresql://" "a path for --to"
migrate --to "postgresql://ankang_node:secret@/ankang?host=$PG_SOCK" --to-owner "$OWNER"
MST=$?
refused 2 "password" "a password in --to"
migrate --to "$NODE" --to-owner "postgresql:///ankang?host=$PG_SOCK&user=ankang_owner&password=pw"
MST=$?
refused 2 "password" "a password in --to-owner"
migrate --to "postgresql:///nodb?host=$PG_SOCK&user=ankang_owner"
MST=$?
refused 2 'database "nodb" does not exist' "a database that does not exist"

# ------------------------------------------------------------- before the move
"$A" check --data "$D" --full >"$T/check.sqlite" 2>&1
ok $? "ankangd check --full on SQLite"
ROOT_BEFORE=$(sed -n 's/^root //p' "$T/check.sqlite")
SIZE_BEFORE=$(sed -n 's/^size //p' "$T/check.sqlite")
ok "$([ "$SIZE_BEFORE" -gt $PLANT ]; echo $?)" "the log holds the planted leaves and the day ($SIZE_BEFORE)"
"$AUDIT" verify --db "$DB" --log-key "$D/public/log.vkey" --state "$T/audit.state" \
	>"$T/audit.out" 2>&1
ok $? "ankang-audit verify --db on SQLite, saving its state"

leaves_sqlite() {
	sqlite3 "$DB" "select idx, lower(hex(leaf)), lower(hex(hashes)) from log_leaves
		where idx < $1 order by idx" | sha256sum
}
leaves_pg() {
	SQ "select idx, encode(leaf, 'hex'), encode(hashes, 'hex') from log_leaves
		where idx < $1 order by idx" | sha256sum
}
LEAVES_BEFORE=$(leaves_sqlite "$SIZE_BEFORE")
CPS_BEFORE=$(sqlite3 "$DB" "select size, lower(hex(note)), time_ms from log_checkpoints
	order by size" | sha256sum)
# The people's tables, blobs in hex: the same text from either engine.
declare -A COLS=(
	[accounts]="id role name h:token_hash created disabled team"
	[residents]="id h:handle h:blind h:wrapped_key key_epoch h:name_sealed h:id_sealed
		h:phone_sealed passphrase status status_changed status_index created erased"
	[status_history]="id resident_id time status reason officer_id"
	[sessions]="h:token_hash resident_id created used expires"
	[codes]="h:cti resident_id iat exp status paper h:sig_hash issued_index"
	[revocations]="h:cti exp"
	[kek_check]="one h:value"
	[scans]="h:scan_id verifier_id h:cti time result uploaded"
	[appeals]="id h:handle resident_id reason h:text_sealed status status_officer opened due
		answered decision answer_reason officer_id"
	[household_links]="id h:handle guardian_id member_id relation state requested confirmed
		consent officer_id"
)
# table_sql TABLE sqlite|pg: its rows as one SELECT, in the key's order.
table_sql() {
	local c cols="" key
	for c in ${COLS[$1]}; do
		case $c in
		h:*) [ "$2" = sqlite ] && c="lower(hex(${c#h:}))" || c="encode(${c#h:}, 'hex')" ;;
		esac
		cols+="${cols:+, }$c"
	done
	key=${COLS[$1]%% *}
	echo "select $cols from $1 order by ${key#h:}"
}
declare -A ROWS_BEFORE=() COUNT_BEFORE=()
for t in "${!COLS[@]}"; do
	ROWS_BEFORE[$t]=$(sqlite3 "$DB" "$(table_sql "$t" sqlite)" | sha256sum)
	COUNT_BEFORE[$t]=$(sqlite3 "$DB" "select count(*) from $t")
done

# --------------------------------------------------------------- refusals (2)
# An ankangd session on the target, a node's role (any program of ours
# names itself so; the owner sees the name of any role's session).
mkfifo "$T/fifo"
"$PG_BIN/psql" -X -q "$NODE&application_name=ankangd" <"$T/fifo" >/dev/null 2>&1 &
HOLDER=$!
exec 7>"$T/fifo" # psql waits for input while this stays open
for i in $(seq 1 "$(patience 200)"); do
	[ "$(sessions)" = 1 ] && break
	sleep 0.05
done
is "$(sessions)" 1 "(an idle session named ankangd on the target)"
migrate --to "$NODE" --to-owner "$OWNER"
MST=$?
refused 1 "session.* of ankangd are connected" "while an ankangd session is connected"
exec 7>&- # end of input: psql ends its session
wait $HOLDER 2>/dev/null
no_sessions
ok $? "(the session ended)"

# A table that migrate's list does not name, on either side (as a later
# migration's would be): refused before anything is written.
SQ "CREATE TABLE public.later_table (x bigint)" >/dev/null
migrate --to "$NODE" --to-owner "$OWNER"
MST=$?
refused 1 "target has a table later_table that migrate does not know" \
	"a table of the target's that migrate does not know"
SQ "DROP TABLE public.later_table" >/dev/null
sqlite3 "$DB" "CREATE TABLE later_table (x INTEGER)"
migrate --to "$NODE" --to-owner "$OWNER"
MST=$?
refused 1 "SQLite store has a table later_table" "a table of the SQLite store's that migrate does not know"
sqlite3 "$DB" "DROP TABLE later_table"
SQ "ALTER TABLE scans ADD COLUMN later_column bigint" >/dev/null
migrate --to "$NODE" --to-owner "$OWNER"
MST=$?
refused 1 "table scans has a column later_column" "a column of the target's that migrate does not know"
SQ "ALTER TABLE scans DROP COLUMN later_column" >/dev/null

# A failure injected into the copy: the target refuses the household's
# rows, the last table copied.
SQ "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS
	\$\$BEGIN RAISE EXCEPTION 'injected by the test'; END\$\$;
	CREATE TRIGGER test_refuse BEFORE INSERT ON household_links
	FOR EACH ROW EXECUTE FUNCTION test_refuse()" >/dev/null
migrate --to "$NODE" --to-owner "$OWNER"
MST=$?
grep -q "copied log_leaves: $SIZE_BEFORE rows" "$T/m.err"
ok $? "(the injected failure comes after the leaves were copied)"
refused 1 "household_links.*injected by the test.*left as it was" "a failure injected into the copy"
SQ "DROP TRIGGER test_refuse ON household_links" >/dev/null

# Killed with -9 during the copy: the copy waits inside the target (a
# trigger that sleeps on the KEK's check row, copied after the leaves),
# is killed there, and the server rolls the transaction back.
SQ "CREATE FUNCTION test_sleep() RETURNS trigger LANGUAGE plpgsql AS
	\$\$BEGIN PERFORM pg_sleep(600); RETURN NEW; END\$\$;
	CREATE TRIGGER test_sleep BEFORE INSERT ON kek_check
	FOR EACH ROW EXECUTE FUNCTION test_sleep()" >/dev/null
"$A" migrate --from "$D" --to "$NODE" --to-owner "$OWNER" >"$T/m.out" 2>"$T/m.err" &
MPID=$!
for i in $(seq 1 "$(patience 600)"); do
	[ "$(SQ "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ankangd'
		AND wait_event = 'PgSleep'")" = 1 ] && break
	kill -0 $MPID 2>/dev/null || break
	sleep 0.1
done
kill -0 $MPID 2>/dev/null
ok $? "(migrate is inside the copy)"
grep -q "copied log_leaves: $SIZE_BEFORE rows" "$T/m.err"
ok $? "(after it copied the $SIZE_BEFORE leaves)"
kill -9 $MPID
wait $MPID 2>/dev/null
no_sessions
ok $? "killed with -9: its session ends"
target_empty
ok $? "killed with -9: the target is left empty"
cmp -s "$D/ankang.conf" "$T/conf.before"
ok $? "killed with -9: ankang.conf is unchanged"
cat "$T/m.out" "$T/m.err" >>"$T/migrate.all"
SQ "DROP TRIGGER test_sleep ON kek_check" >/dev/null

# ------------------------------------------------------------------ the move
t0=$(date +%s%N)
migrate --to "$NODE" --to-owner "$OWNER"
is $? 0 "ankangd migrate: exit 0"
diag "moved $SIZE_BEFORE leaves in $((($(date +%s%N) - t0) / 1000000)) ms (wall clock, shared machine)"
cat "$T/m.out" "$T/m.err" >>"$T/migrate.all"
like "$(head -1 "$T/m.out")" "^migrated .* $SIZE_BEFORE leaves" "it says how many leaves it moved"
is "$(sed -n 's/^root //p' "$T/m.out")" "$ROOT_BEFORE" "and the root, the SQLite log's"
like "$(cat "$T/m.out")" "ankang.db is kept .* personal data" \
	"it says ankang.db is kept, and holds personal data"
grep -q "^migrate: the SQLite log checks whole: $SIZE_BEFORE leaves" "$T/m.err"
ok $? "the SQLite log was checked in full first"
is "$(errors | grep -c .)" 0 "nothing but progress lines on stderr"
is "$(head -c "$(wc -c <"$T/conf.before")" "$D/ankang.conf" | sha256sum)" \
	"$(sha256sum <"$T/conf.before")" "ankang.conf keeps its lines"
is "$(sed -n 's/^store = //p' "$D/ankang.conf")" "$NODE" "and names the nodes' URL as its store"
[ -f "$DB" ]
ok $? "ankang.db is still there"

# ---------------------------------------------------------------- the same log
is "$(leaves_pg "$SIZE_BEFORE")" "$LEAVES_BEFORE" \
	"the same $SIZE_BEFORE leaves on PostgreSQL: bytes and stored hashes"
is "$(SQ "select count(*) from log_leaves")" "$SIZE_BEFORE" "and no other"
is "$(SQ "select size, encode(note, 'hex'), time_ms from log_checkpoints order by size" |
	sha256sum)" "$CPS_BEFORE" "the same checkpoints, byte for byte"
is "$(SQ "select size from log_head")" "$SIZE_BEFORE" "log_head: the log's size"
is "$(SQ "select size = (select max(size) from log_checkpoints) from log_signer")" t \
	"log_signer: the newest checkpoint's size"
is "$(SQ "select upto from log_verified")" 0 "log_verified: 0, so the first start rehashes all"
for t in "${!COLS[@]}"; do
	is "$(SQ "$(table_sql "$t" pg)" | sha256sum)" "${ROWS_BEFORE[$t]}" \
		"$t: the same ${COUNT_BEFORE[$t]} rows, byte for byte"
done
is "$(SQ "select count(*) from residents where erased is not null and wrapped_key is null")" 1 \
	"R4 is a tombstone there too"
is "$(SQ "select (select last_value from residents_id_seq) >= (select max(id) from residents)
	and (select last_value from accounts_id_seq) >= (select max(id) from accounts)")" t \
	"the identity sequences are past the copied ids"
"$A" check --data "$D" >"$T/check.pg" 2>&1
ok $? "ankangd check on PostgreSQL"
is "$(sed -n 's/^root //p' "$T/check.pg")" "$ROOT_BEFORE" "the same root as on SQLite"
is "$(sed -n 's/^size //p' "$T/check.pg")" "$SIZE_BEFORE" "the same size"

# Moving again: the folder is moved, and the database is full.
cp -p "$D/ankang.conf" "$T/conf.moved"
migrate --to "$NODE" --to-owner "$OWNER"
is $? 1 "a second move of the moved folder: exit 1"
like "$(cat "$T/m.err")" "PostgreSQL already" "it says the store is PostgreSQL already"
cmp -s "$D/ankang.conf" "$T/conf.moved"
ok $? "and ankang.conf is unchanged"
# Killed between COMMIT and the rename: the database full, the folder as
# it was. Run again, migrate finds its own log there and writes the conf.
cp -p "$T/conf.before" "$D/ankang.conf"
migrate --to "$NODE" --to-owner "$OWNER"
is $? 0 "ended between COMMIT and the rename of ankang.conf, a second run finishes: exit 0"
like "$(head -1 "$T/m.out")" "already held this folder's whole log \\($SIZE_BEFORE leaves" \
	"it says the target already held this folder's log"
is "$(sed -n 's/^root //p' "$T/m.out")" "$ROOT_BEFORE" "with its root"
cmp -s "$D/ankang.conf" "$T/conf.moved"
ok $? "ankang.conf is what the move writes"
is "$(SQ "select count(*) from log_leaves")" "$SIZE_BEFORE" "and the database is as the move left it"
cat "$T/m.out" "$T/m.err" >>"$T/migrate.all"
E=$T/e
svc_init "$E"
cp -p "$E/ankang.conf" "$T/conf.e"
"$A" migrate --from "$E" --to "$NODE" --to-owner "$OWNER" >"$T/m.out" 2>"$T/m.err"
is $? 1 "another deployment into the full database: exit 1"
is "$(errors | grep -c .)" 1 "one line says why"
like "$(errors)" "not empty" "the target is not empty"
cmp -s "$E/ankang.conf" "$T/conf.e"
ok $? "that folder's ankang.conf is unchanged"
is "$(SQ "select count(*) from log_leaves")/$(SQ "select count(*) from accounts")" \
	"$SIZE_BEFORE/${COUNT_BEFORE[accounts]}" "and the database holds the first one's rows alone"
cat "$T/m.out" "$T/m.err" >>"$T/migrate.all"

# ------------------------------------------------------------ serving from it
svc_start "$D"
api POST /v1/login "" "$(login_body "${IDN[2]}" "${PASS[2]}")"
is "$ST" 200 "R2 logs in on PostgreSQL (the passphrase's hash moved)"
TOK2=$(jbody .token)
idx=$(jbody .log_index)
api GET /v1/me/code "$TOK2"
is "$ST/$(jbody .status)" 200/red "R2 gets a code: red"
name_is "${NAME[2]}"
ok $? "with R2's name: the sealed row opens with the epoch keys"
CRED2=$(jbody .credential)
FIRST_NEW=$(jbody .log_index)
ok "$([ "$FIRST_NEW" -ge "$SIZE_BEFORE" ]; echo $?)" \
	"the new leaves follow the old ones ($FIRST_NEW >= $SIZE_BEFORE)"
api GET /v1/me/code "${TOK[1]}"
is "$ST/$(jbody .status)" 200/yellow "R1's session from before the move still works: yellow"
name_is "${NAME[1]}"
ok $? "with R1's name"
api POST /v1/verify "$VER" "$(jq -nc --arg c "$CRED2" '{credential: $c}')"
is "$ST/$(jbody .result)" 200/valid "R2's new code verifies online"
api GET "/v1/appeals/$APPEAL" "$OFF"
is "$ST" 200 "the officer reads R2's appeal"
same "$(jbody .text)" "$APPEAL_TEXT" "its sealed text opens"
is "$(jbody .decision)" rejected "with its answer"
api POST /v1/lookup "$OFF" "$(jq -nc --arg d "${IDN[3]}" '{id_number: $d, purpose: "status_correction"}')"
is "$ST/$(jbody .resident)" "200/${RID[3]}" "the officer looks R3 up by ID number (the blind index moved)"
api GET "/v1/me/household/$CHILD/code" "${TOK[3]}"
is "$ST" 200 "R3 shows the child's code"
name_is "$CHILD_NAME"
ok $? "with the child's name"
api POST /v1/login "" "$(login_body "${IDN[4]}" "${PASS[4]}")"
is "$ST/$(jbody .error)" 401/bad_login "R4, erased, cannot log in"
api POST /v1/enroll "" "$(jq -nc --arg n "Newcomer After" --arg d "$(gb_id 32010219700101111)" \
	--arg w "enrolled after the move" '{name: $n, id_number: $d, passphrase: $w}')"
is "$ST" 201 "a new resident enrols (a new row id from the moved sequence)"

"$AUDIT" verify --db "$(sed -n 's/^store = //p' "$D/ankang.conf")" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify --db on PostgreSQL with the state saved on SQLite"
cp "$T/audit.state" "$T/audit.state2"
for i in $(seq 1 "$(patience 100)"); do # checkpoints are signed within a second
	api GET /v1/audit/checkpoint "$AUD"
	[ "$(sed -n 2p "$T/r.body")" -gt "$SIZE_BEFORE" ] 2>/dev/null && break
	sleep 0.1
done
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state2" >"$T/audit2.out" 2>&1
ok $? "ankang-audit verify --server, consistent from the checkpoint saved before the move"
is "$(leaves_pg "$SIZE_BEFORE")" "$LEAVES_BEFORE" "the old leaves are untouched by the new ones"
svc_stop
is "$SERVER_STATUS" 0 "the service on PostgreSQL stops cleanly"

# The old ankang.db is a backup: the next epoch rotation, run on the
# PostgreSQL deployment, leaves the folder's keys unable to open it.
"$A" keys rotate-epoch --data "$D" >/dev/null 2>&1
is $? 0 "keys rotate-epoch on the PostgreSQL deployment"
mkdir -m 700 "$T/old"
cp -rp "$D/keys" "$D/public" "$DB" "$T/old/"
grep -v '^store = ' "$D/ankang.conf" >"$T/old/ankang.conf"
"$A" check --data "$T/old" >"$T/old.out" 2>&1
is $? 1 "then the old ankang.db no longer opens with the folder's keys (check: exit 1)"
like "$(cat "$T/old.out")" "epoch" "for want of the epoch its keys are wrapped under"
cat "$T/old.out" >>"$T/migrate.all"

# ------------------------------------------------------------------- privacy
: >"$T/needles"
for i in 1 2 3 4; do
	printf '%s\n' "${NAME[i]}" "${IDN[i]}" "${PASS[i]}" >>"$T/needles"
done
printf '%s\n' "$CHILD_NAME" "$CHILD_ID" "$APPEAL_TEXT" >>"$T/needles"
hits() { LC_ALL=C grep -a -o -F -f "$T/needles" "$1" | wc -l; }
ok "$([ -s "$T/migrate.all" ]; echo $?)" "(migrate's messages were kept: $(wc -l <"$T/migrate.all") lines)"
is "$(hits "$T/migrate.all")" 0 "no personal data in any of migrate's messages"
is "$(hits "$T/serve.log")" 0 "nor in the server's log"
done_testing
