#!/bin/bash
# data_folder: the data folder defends itself, tried as an operator with
# the wrong files would:
#   - another deployment's key-encryption key is refused by serve and by
#     check (the database's check value), before anything is opened or
#     enrolled: no resident can be enrolled twice under two KEKs; an older
#     copy of the epochs file, lacking the epoch a resident's key is under,
#     is refused by both, naming the epoch;
#   - a data folder writable by group or others, a database open to
#     group or others, and a keys/ folder that is a symbolic link are
#     refused by serve and the other commands, with the fix in the message;
#   - the database, its WAL and the log's index file are created 0600.
# With ANKANG_TEST_STORE=pg the same on a PostgreSQL store (the KEK's
# check value is a row there), but for the modes of ankang.db and its
# companions, which that store does not have.
# Made-up data only; nothing personal is printed.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done
[ "${ANKANG_TEST_STORE:-}" = pg ] || command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not installed"

D=$T/d
OTHER=$T/other
DB=$D/ankang.db
A=$ANKANG_BIN/ankangd
svc_init "$D"
svc_init "$OTHER"
log_size() { svc_sql "$DB" "select count(*) from log_leaves"; }

# --- the KEK --------------------------------------------------------------
before=$(log_size)
"$A" serve --data "$D" --kek-file "$OTHER/keys/kek.key" --listen 127.0.0.1:0 >"$T/out" 2>&1
is $? 2 "serve with another deployment's KEK: refused (exit 2)"
like "$(cat "$T/out")" "not the key this data folder's records were sealed with" \
	"and says why"
is "$(log_size)" "$before" "nothing was written to the log"
"$A" check --data "$D" --kek-file "$OTHER/keys/kek.key" >"$T/out" 2>&1
is $? 1 "check with another KEK: fails (exit 1)"
like "$(cat "$T/out")" "not the key this data folder's records were sealed with" "and says why"
"$A" check --data "$D" >"$T/out" 2>&1
is $? 0 "check with the folder's own KEK passes"
like "$(cat "$T/out")" "key-encryption key: matches" "and says the KEK matches"
chmod 000 "$D/keys/kek.key"
if [ "$(id -u)" != 0 ]; then
	"$A" check --data "$D" >"$T/out" 2>&1
	is $? 0 "check without a readable KEK (an auditor's copy) still checks the log"
	like "$(cat "$T/out")" "keys: not checked" "and says the keys were not checked"
fi
chmod 600 "$D/keys/kek.key"

# The same with a running service: it refuses at start, so it never
# serves (and never enrols anyone) under the wrong key.
svc_start "$D"
ID=$(gb_id 34010219800101009)
api POST /v1/enroll "" "$(jq -nc --arg d "$ID" '{name: "Folder Test", id_number: $d, passphrase: "folder test pass"}')"
is "$ST" 201 "with its own KEK the service enrols"
svc_stop

# An older copy of the epochs file: after a rotation the resident's key is
# under an epoch the copy lacks. check and serve name the file and the
# epoch; with the current file both pass.
cp -p "$D/keys/epochs.key" "$T/epochs.old"
"$A" keys rotate-epoch --data "$D" >"$T/out" 2>&1
is $? 0 "keys rotate-epoch"
cp -p "$D/keys/epochs.key" "$T/epochs.new"
cp -p "$T/epochs.old" "$D/keys/epochs.key"
"$A" check --data "$D" >"$T/out" 2>&1
is $? 1 "check with an older copy of the epochs file: fails (exit 1)"
like "$(cat "$T/out")" "epochs.key: no epoch 2, which residents' keys are wrapped under" \
	"and names the epoch it lacks"
# On PostgreSQL the node first asks a leader for the epoch it lacks, and
# with none running refuses after twice --epoch-stale (10 s at least).
"$A" serve --data "$D" --listen 127.0.0.1:0 --epoch-stale 5 >"$T/out" 2>&1
is $? 2 "serve with it: refused (exit 2)"
like "$(cat "$T/out")" "no epoch 2|epoch 2 is listed in the database and not held here" \
	"and says why"
cp -p "$T/epochs.new" "$D/keys/epochs.key"
"$A" check --data "$D" >"$T/out" 2>&1
is $? 0 "check with the current epochs file passes"
like "$(cat "$T/out")" "epoch keys: every epoch residents' keys are wrapped under is held" \
	"and says so"

# --- modes and links --------------------------------------------------------
if [ "${ANKANG_TEST_STORE:-}" != pg ]; then
	is "$(stat -c %a "$DB")" 600 "ankang.db is 0600"
	for f in "$DB-wal" "$DB-index"; do
		[ -f "$f" ] && is "$(stat -c %a "$f")" 600 "$(basename "$f") is 0600"
	done
fi
is "$(stat -c %a "$D")" 700 "the folder is 0700"
is "$(stat -c %a "$D/keys")" 700 "keys/ is 0700"

# refused CMD... : the command exits 2 and its message names the fix.
refused() {
	local what=$1 fix=$2
	shift 2
	"$@" >"$T/out" 2>&1
	local rc=$?
	is "$rc" 2 "$what: refused (exit 2)"
	like "$(cat "$T/out")" "$fix" "$what: the message says how to fix it"
}
chmod 777 "$D"
refused "a data folder at 0777 (serve)" "writable by group or others \(chmod 700" \
	"$A" serve --data "$D" --listen 127.0.0.1:0
refused "a data folder at 0777 (account list)" "chmod 700" "$A" account list --data "$D"
chmod 700 "$D"
if [ -f "$DB" ]; then
	chmod 644 "$DB"
	refused "ankang.db at 0644" "ankang.db is open to group or others" \
		"$A" serve --data "$D" --listen 127.0.0.1:0
	chmod 600 "$DB"
fi
if [ -f "$DB-wal" ]; then
	chmod 640 "$DB-wal"
	refused "ankang.db-wal at 0640" "ankang.db-wal is open to group or others" \
		"$A" check --data "$D"
	chmod 600 "$DB-wal"
fi
mv "$D/keys" "$T/keys.elsewhere"
ln -s "$T/keys.elsewhere" "$D/keys"
refused "keys/ a symbolic link" "keys/ is not a folder of its own" \
	"$A" serve --data "$D" --listen 127.0.0.1:0
rm "$D/keys"
mv "$T/keys.elsewhere" "$D/keys"
chmod 750 "$D/keys"
refused "keys/ at 0750" "keys/ is open to group or others" "$A" check --data "$D"
chmod 700 "$D/keys"
"$A" check --data "$D" >/dev/null 2>&1
is $? 0 "all put right: check passes again"

done_testing
