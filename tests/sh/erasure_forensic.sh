#!/bin/bash
# erasure_forensic: after DELETE /v1/me answers, nothing of the erased
# resident is left in any file of the data folder (issue 8, finding 1;
# SECURITY.md, "Erasure").
#
# A made-up resident with a distinctive name, ID number and phone is
# enrolled among others (before and after, so their rows share pages and
# the pages split), logs in, gets a code and has a status change. Their
# wrapped key and sealed fields are read from the database before the
# erasure. Then, once the erasure is answered, with the service still
# running, and again after it stopped: no file anywhere in the data
# folder (ankang.db, -wal, -shm, -index and its WAL, the keys, the lists,
# everything) holds the wrapped key, a sealed field, or the name, ID
# number or phone in the clear; and the folder's own keys (the KEK and
# the epochs file) open nobody by that name from its database, while the
# other residents still open. The twins: before the erasure the same
# scans find the key and every sealed field, and the same keys open the
# person. /metrics counts the wipe. (Before the fix the WAL held them all
# after the erasure.)
# Personal data is compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

need_helpers findbytes unseal
command -v sqlite3 >/dev/null || skip_all "the sqlite3 shell is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

DIR=$T/data
DB=$DIR/ankang.db
KEK=$DIR/keys/kek.key
EPOCHS=$DIR/keys/epochs.key

# The person to erase: a distinctive name, ID number and phone.
NAME='Quilla Vantersmoor'
IDNO=$(gb_id 65010219770707123)
PHONE='+8613977770707'
PASS='a long erasure passphrase'

hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
# found_in_folder HEX: the files of the data folder that hold those bytes,
# one a line. A scan that could not read a file says so on a line of its
# own, which is not a file's name: it fails a check that wants nothing
# found, and is not counted as a find (the twins count only file names).
found_in_folder() {
	local files rc
	mapfile -d '' files < <(find "$DIR" -type f -print0)
	"$H/findbytes" "$1" "${files[@]}"
	rc=$?
	[ "$rc" -le 1 ] || echo "(findbytes failed: status $rc)"
}

svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
OFFICER=$(svc_account "$DIR" officer officer-1)
ADMIN=$(svc_account "$DIR" admin operator-1)
svc_start "$DIR"
at_exit svc_stop

# enrol NAME IDNO [PHONE]: by the officer (open enrolment is rate limited).
enrol() {
	api POST /v1/enroll "$OFFICER" "$(jq -cn --arg n "$1" --arg i "$2" --arg p "${3:-}" \
		--arg w "decoy passphrase $2" \
		'{name: $n, id_number: $i, passphrase: $w} + (if $p == "" then {} else {phone: $p} end)')"
}
LETTERS=(Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliett Kilo Lima Mike
	November Oscar Papa Quebec Romeo Sierra Tango)
others=0
for i in $(seq 10 21); do
	enrol "Decoy ${LETTERS[i - 10]}" "$(gb_id 110105199001010$i)" "1390000$((1000 + i))"
	[ "$ST" = 201 ] && others=$((others + 1))
done
api POST /v1/enroll "" "$(jq -cn --arg n "$NAME" --arg i "$IDNO" --arg p "$PHONE" --arg w "$PASS" \
	'{name: $n, id_number: $i, phone: $p, passphrase: $w}')"
is "$ST" 201 "the person enrols"
HANDLE=$(jbody .resident)
for i in $(seq 22 29); do
	enrol "Decoy ${LETTERS[i - 10]}" "$(gb_id 110105199001010$i)"
	[ "$ST" = 201 ] && others=$((others + 1))
done
is "$others" 20 "twenty others enrol around them"

api POST /v1/login "" "$(jq -cn --arg i "$IDNO" --arg w "$PASS" '{id_number: $i, passphrase: $w}')"
is "$ST" 200 "the person logs in"
TOKEN=$(jbody .token)
api GET /v1/me/code "$TOKEN"
is "$ST" 200 "and gets a code"
api PUT "/v1/residents/$HANDLE/status" "$OFFICER" '{"status": "yellow", "reason": "close_contact"}'
is "$ST" 200 "an officer changes their status"

# Their row's secrets, as the database holds them now.
RID=$(row_id "$DB" "$HANDLE")
read -r KEY NSEAL ISEAL PSEAL < <(sqlite3 -readonly "$DB" "select hex(wrapped_key), hex(name_sealed),
	hex(id_sealed), hex(phone_sealed) from residents where id = $RID" | tr '|' ' ')
is "${#KEY}/${#NSEAL}/${#ISEAL}/${#PSEAL}" "144/338/118/122" \
	"their wrapped key and sealed fields are read (72, 169, 59, 61 bytes)"

# The twins: before the erasure the scans find them, and the keys open them.
n=0
for h in "$KEY" "$NSEAL" "$ISEAL" "$PSEAL"; do
	found_in_folder "$h" | grep -q "^$DIR/" && n=$((n + 1))
done
is "$n" 4 "before the erasure, the data folder holds the key and every sealed field"
out=$("$H/unseal" "$KEK" "$EPOCHS" "$DB" "$NAME")
is "$out" "opened 21 of 21
NAME found" "and its own keys open the person (and everyone else)"

api DELETE /v1/me "$TOKEN"
is "$ST/$(jbody .erased)" "200/true" "DELETE /v1/me: 200, erased"

# scan WHEN: every file of the folder, for each of the person's secrets.
scan() {
	local label h files
	for label in key name_sealed id_sealed phone_sealed name id_number phone; do
		case $label in
		key) h=$KEY ;;
		name_sealed) h=$NSEAL ;;
		id_sealed) h=$ISEAL ;;
		phone_sealed) h=$PSEAL ;;
		name) h=$(hex "$NAME") ;;
		id_number) h=$(hex "$IDNO") ;;
		phone) h=$(hex "$PHONE") ;;
		esac
		files=$(found_in_folder "$h" | sed "s|^$DIR/||" | tr '\n' ' ')
		is "$files" "" "$1: no file of the data folder holds the $label"
	done
}
ls "$DIR/ankang.db-wal" "$DIR/ankang.db-shm" "$DIR/ankang.db-index" >/dev/null 2>&1
ok $? "the WAL, shared memory and index files are there to be scanned"
scan "once the erasure is answered"
out=$("$H/unseal" "$KEK" "$EPOCHS" "$DB" "$NAME")
is "$out" "opened 20 of 20
NAME not found" "the folder's keys open no one by that name; everyone else still opens"
api GET /metrics "$ADMIN"
metric() { awk -v k="$1" '$1 == k {print $2; f = 1} END {if (!f) print "none"}' "$T/r.body"; }
is "$(metric ankang_log_wipe_owed)/$(metric ankang_log_wipe_late_total)" "0/0" \
	"/metrics: no wipe owed, no erasure answered late"
[ "$(metric ankang_log_wipes_total)" -ge 1 ] 2>/dev/null
ok $? "/metrics: the wipe is counted"

svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
scan "after the service stopped"
out=$("$H/unseal" "$KEK" "$EPOCHS" "$DB" "$NAME")
is "$out" "opened 20 of 20
NAME not found" "and still no one by that name opens"

done_testing
