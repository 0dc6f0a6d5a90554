#!/usr/bin/env bash
# store_pg_day: a data folder whose store is PostgreSQL, end to end
# (docs/MULTINODE.md, "The store seam"; issue 14). Skips without
# PostgreSQL.
#
#   init --store: a URL with a password is refused (libpq's password
#   file holds it), as is a database that does not exist, each with the
#   reason on one line and exit 2 and nothing left behind; a good one is
#   recorded in ankang.conf, and no ankang.db is made. account, check,
#   keys rotate and rotate-epoch run on it.
#
#   A resident's day on it: enrol, log in, a code, the accesses list,
#   erasure. Erasure's promise on PostgreSQL (SECURITY.md): at COMMIT no
#   live row holds the resident's wrapped data key, sealed fields, blind
#   index or passphrase, and the sessions are gone; the key's epoch is
#   destroyed by the next epoch rotation, after which the copies a dead
#   row, the server's WAL or a backup may keep open nothing.
#
#   The schema's guarantees: the node's role cannot UPDATE, DELETE or
#   TRUNCATE the log, nor DELETE a resident; a sealed field of the wrong
#   size is refused by a CHECK even for the owner.
#
# Made-up personal data only, compared and never printed.
. tests/lib/tap.sh
need_cmds curl jq
export ANKANG_TEST_STORE=pg
. tests/lib/service.sh
at_exit svc_stop
A=$ANKANG_BIN/ankangd
SQ() { pg_psql "$(pg_url "$PG_SOCK" "ak$SVC_DBS" "$1")" "$2" 2>/dev/null; }

# --- init --store -----------------------------------------------------------
"$A" init --data "$T/pw" --origin ankang.test \
	--store "postgresql://ankang_node:secret@/ak1?host=$PG_SOCK" 2>"$T/err"
is "$?" 2 "init --store with a password in the URL: exit 2"
like "$(cat "$T/err")" "password" "and the message says why"
is "$(wc -l <"$T/err")" 1 "on one line"
[ ! -e "$T/pw" ]
ok $? "and nothing is left behind"
"$A" init --data "$T/nodb" --origin ankang.test \
	--store "postgresql:///nodb?host=$PG_SOCK&user=ankang_node" 2>"$T/err"
is "$?" 2 "init --store naming a database that does not exist: exit 2"
like "$(cat "$T/err")" 'database "nodb" does not exist' "with the server's reason"
[ ! -e "$T/nodb" ]
ok $? "and nothing is left behind"
"$A" init --data "$T/bad" --origin ankang.test --store /tmp/file.db 2>/dev/null
is "$?" 2 "init --store with a path, not a URL: exit 2"

D=$T/data
svc_init "$D"
ok $? "init --store with the node's URL and --store-owner"
grep -qxF "store = $SVC_STORE" "$D/ankang.conf"
ok $? "ankang.conf records the store URL"
[ ! -e "$D/ankang.db" ]
ok $? "and no ankang.db is made"
"$A" init --data "$T/again" --origin ankang.test --store "$SVC_STORE" 2>/dev/null
is "$?" 2 "a second deployment on the same database is refused"

"$A" account add --data "$D" --role officer --name desk-1 >/dev/null 2>&1
ok $? "account add"
"$A" account list --data "$D" | grep -q "desk-1"
ok $? "account list shows it"
"$A" check --data "$D" >"$T/check.out" 2>&1
ok $? "check"
"$A" keys rotate --data "$D" >/dev/null 2>&1
ok $? "keys rotate"

# --- a resident's day ---------------------------------------------------------
NAME='测试乙二'
ID=$(gb_id 11010519800101202)
PHONE='+8613900000009'
PASS='made up pg passphrase'
svc_start "$D"
svc_enrol "$NAME" "$ID" "$PASS" "$PHONE"
is "$ST" 201 "enrol: 201"
HANDLE=$(jbody .resident)
HEX=${HANDLE#res_}
svc_login "$ID" "$PASS"
is "$ST" 200 "log in: 200"
TOKEN=$(jbody .token)
api GET /v1/me/code "$TOKEN"
is "$ST" 200 "a code: 200"
api GET /v1/me/accesses "$TOKEN"
is "$ST" 200 "the accesses list: 200"
is "$(jq '[.accesses[].action] | sort | unique | join(" ")' -r "$T/r.body")" \
	"enroll issue login" "it lists the enrolment, the log-in and the code"

row="from residents where handle = '\\x$HEX'"
KEY=$(SQ ankang_super "select encode(wrapped_key, 'hex') $row")
EPOCH=$(SQ ankang_super "select key_epoch $row")
[[ $KEY =~ ^[0-9a-f]{144}$ ]]
ok $? "the resident's row holds a wrapped data key (72 bytes)"
api DELETE /v1/me "$TOKEN"
is "$ST" 200 "erase: 200"
is "$(SQ ankang_super "select concat((erased is not null)::int, (wrapped_key is null)::int,
	(name_sealed is null)::int, (id_sealed is null)::int, (phone_sealed is null)::int,
	(passphrase is null)::int, (blind is null)::int) $row")" 1111111 \
	"at COMMIT the row is a tombstone: key, sealed fields, blind index, passphrase gone"
is "$(SQ ankang_super "select count(*) from residents where wrapped_key = '\\x$KEY'")" 0 \
	"no live row holds the old wrapped key"
is "$(SQ ankang_super "select count(*) from sessions s join residents r on r.id = s.resident_id
	where r.handle = '\\x$HEX'")" 0 "the sessions are gone"
api GET /v1/me/code "$TOKEN"
is "$ST" 401 "the token no longer works"
svc_stop
is "$SERVER_STATUS" 0 "serve stops cleanly"

"$A" keys rotate-epoch --data "$D" >"$T/rot.out" 2>&1
ok $? "keys rotate-epoch"
like "$(cat "$T/rot.out")" "epoch $((EPOCH + 1)),.* [1-9][0-9]* older epoch\\(s\\) destroyed" \
	"the erased key's epoch ($EPOCH) is destroyed: its copies in dead rows, WAL, backups open nothing"
"$A" check --data "$D" >"$T/check.out" 2>&1
ok $? "check after the rotation"

n=0
for s in "$NAME" "$ID" "$PHONE" "$PASS"; do
	n=$((n + $(grep -caF -- "$s" "$T/serve.log" "$T/errors.all" | awk -F: '{t += $NF} END {print t + 0}')))
done
is "$n" 0 "no personal data in the server's log or any error body"

# --- the schema's guarantees -------------------------------------------------
for sql in "update log_leaves set leaf = leaf" "delete from log_leaves" "truncate log_leaves" \
	"delete from log_checkpoints" "delete from residents"; do
	SQ ankang_node "$sql" >/dev/null
	is "$?" 1 "the node's role: '$sql' is refused"
done
SQ ankang_owner "update residents set name_sealed = '\\x00' where id = 1" >/dev/null
is "$?" 1 "a sealed field of the wrong size is refused, for the owner too"
SQ ankang_owner "delete from log_leaves" >/dev/null
is "$?" 1 "the owner's delete from the log: the trigger refuses it"
done_testing
