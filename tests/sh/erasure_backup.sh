#!/bin/bash
# erasure_backup: a backup of ankang.db taken before an erasure stops
# opening anyone after the next KEK epoch rotation (issue 8, finding 1;
# SECURITY.md, "Backups").
#
# Two made-up residents enrol; copies of the database are taken while the
# service runs, as an operator's backup would take them: with SQLite's
# .backup, and as a raw copy of ankang.db and its WAL. One resident is
# erased. The twin first: with the live folder's keys (the KEK and the
# epochs file) both copies still open the erased person, and everyone,
# before the rotation. `ankangd keys rotate-epoch` is refused while the
# service holds the folder; stopped, it rotates: one key_rotate kek_epoch
# leaf, the file now holds only the new epoch. Then, with the live keys,
# neither copy opens anyone; the live database still opens the resident
# who stayed, who logs in and gets a code from the restarted service.
# (Before the fix, every copy opened the erased person for as long as the
# KEK lived.) Personal data is compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

need_helpers unseal
command -v sqlite3 >/dev/null || skip_all "the sqlite3 shell is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

DIR=$T/data
DB=$DIR/ankang.db
KEK=$DIR/keys/kek.key
EPOCHS=$DIR/keys/epochs.key
A=$ANKANG_BIN/ankangd

NAME_GONE='Orrin Blackthorne'
ID_GONE=$(gb_id 23010219830303041)
NAME_STAYS='Marisol Eversong'
ID_STAYS=$(gb_id 23010219840404052)

svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
svc_start "$DIR"
at_exit svc_stop

enrol_login() {
	api POST /v1/enroll "" "$(jq -cn --arg n "$1" --arg i "$2" --arg p "$3" \
		'{name: $n, id_number: $i, phone: "+8613911112222", passphrase: $p}')"
	[ "$ST" = 201 ] || return 1
	api POST /v1/login "" "$(jq -cn --arg i "$2" --arg p "$3" '{id_number: $i, passphrase: $p}')"
	[ "$ST" = 200 ] && jbody .token
}
TOKEN_GONE=$(enrol_login "$NAME_GONE" "$ID_GONE" "a backup test passphrase")
ok $? "a resident who will be erased enrols and logs in"
enrol_login "$NAME_STAYS" "$ID_STAYS" "another backup passphrase" >/dev/null
ok $? "a resident who stays enrols"

# Backups, taken while the service runs.
sqlite3 "$DB" ".backup '$T/backup.db'"
ok $? "a backup with sqlite3 .backup"
cp "$DB" "$T/raw.db" && cp "$DB-wal" "$T/raw.db-wal"
ok $? "a raw copy of ankang.db and its WAL"

api DELETE /v1/me "$TOKEN_GONE"
is "$ST/$(jbody .erased)" "200/true" "the first resident is erased"

# The twin: before a rotation the live keys open both copies.
is "$("$H/unseal" "$KEK" "$EPOCHS" "$T/backup.db" "$NAME_GONE")" "opened 2 of 2
NAME found" "before a rotation, the .backup copy opens the erased person with the live keys"
is "$("$H/unseal" "$KEK" "$EPOCHS" "$T/raw.db" "$NAME_GONE")" "opened 2 of 2
NAME found" "and so does the raw copy"

"$A" keys rotate-epoch --data "$DIR" >"$T/out" 2>&1
is $? 1 "keys rotate-epoch while the service runs: refused"
like "$(cat "$T/out")" "serve.lock is held" "because the service holds the folder"
svc_stop
"$A" keys rotate-epoch --data "$DIR" >"$T/out" 2>&1
is $? 0 "stopped, the epoch rotates"
like "$(cat "$T/out")" "^KEK epoch rotated: epoch 2, 1 keys re-wrapped, 1 older epoch\(s\) destroyed$" \
	"epoch 2: the live resident's key re-wrapped, epoch 1 destroyed"
is "$(sed -n '2p' "$EPOCHS" | cut -d' ' -f1)/$(wc -l <"$EPOCHS")" "2/2" \
	"the epochs file holds epoch 2 alone"
is "$(stat -c %a "$EPOCHS")" 600 "and is 0600"
is "$(sqlite3 -readonly "$DB" "select count(*) from log_leaves
	where rtrim(cast(leaf as text), char(10)) glob '* admin:- key_rotate - - ok kek_epoch'")" 1 \
	"the rotation is in the audit log: key_rotate, kek_epoch"

is "$("$H/unseal" "$KEK" "$EPOCHS" "$T/backup.db" "$NAME_GONE")" "opened 0 of 2
NAME not found" "after it, the .backup copy opens no one with the live keys"
is "$("$H/unseal" "$KEK" "$EPOCHS" "$T/raw.db" "$NAME_GONE")" "opened 0 of 2
NAME not found" "nor does the raw copy"
is "$("$H/unseal" "$KEK" "$EPOCHS" "$DB" "$NAME_STAYS")" "opened 1 of 1
NAME found" "the live database still opens the resident who stayed"

svc_start "$DIR"
api POST /v1/login "" "$(jq -cn --arg i "$ID_STAYS" '{id_number: $i, passphrase: "another backup passphrase"}')"
is "$ST" 200 "the service starts again; the resident who stayed logs in"
TOKEN=$(jbody .token)
api GET /v1/me/code "$TOKEN"
same "$ST/$(jbody .name)" "200/$NAME_STAYS" "and gets a code with their name"

done_testing
