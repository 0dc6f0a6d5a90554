#!/bin/bash
# ankangd's admin commands as an operator runs them: `account add|list|
# disable` (a token printed once and stored only as a hash; names are
# labels; bad input exits 2 with one line), two processes adding accounts
# at the same time, and `keys rotate` (a new issuer in the trust list, the
# old one's window closed and its secret gone, codes from before and after
# both verifying, refused while DIR/serve.lock is held). Every admin action
# leaves its audit leaf, and `ankangd check` passes at the end.
# Tokens are secrets: compared and searched for, never printed.
# With ANKANG_TEST_STORE=pg the same runs on a PostgreSQL store.
. tests/lib/tap.sh
. tests/lib/service.sh

D=$ANKANG_BIN/ankangd
VERIFY=$ANKANG_BIN/ankang-verify
DIR=$T/data
DB=$DIR/ankang.db

svc_init "$DIR"
ok $? "init a data folder"

# leaves ACTION: the log's leaves with that action, one per line.
# (Each leaf ends in its own newline, which sqlite3 would print as a blank line.)
# (The log stores only a leaf's bytes: the action is the word after the actor.)
leaves() { svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where cast(leaf as text) glob 'ankang/v1 * *:* $1 *' order by idx"; }
# in_store TEXT: 0 when TEXT occurs in the database file or its WAL (on
# PostgreSQL: any file of the cluster's data folder, its WAL included).
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	in_store() { [ "$(svc_pg_files "$1")" -gt 0 ]; }
else
	in_store() { cat "$DB" "$DB-wal" 2>/dev/null | grep -qaF -- "$1"; }
fi

# --- account add, one per role --------------------------------------------
for role in verifier officer auditor admin; do
	"$D" account add --data "$DIR" --role $role --name "$role-1" >"$T/tok.$role" 2>"$T/err"
	ok $? "account add --role $role: exit 0"
	tok=$(cat "$T/tok.$role")
	is "$(wc -l <"$T/tok.$role")" 1 "$role: one line on stdout"
	is "${#tok}" 47 "$role: the token is 47 characters"
	# Matched without like(), which would print the token on failure.
	[[ $tok =~ ^aka_[A-Za-z0-9_-]{43}$ ]]
	ok $? "$role: aka_ and 43 base64url characters"
	in_store "$tok"
	is $? 1 "$role: the token text is not in the database or its WAL"
	in_store "${tok#aka_}"
	is $? 1 "$role: nor its body without the prefix"
	grep -qF -- "$tok" "$T/err"
	is $? 1 "$role: nor on stderr"
done
in_store admin-1
ok $? "(the same search finds what the store holds: an account's name)"
toks=$(cat "$T"/tok.* | sort -u | wc -l)
is "$toks" 4 "four different tokens"
is "$(svc_sql "$DB" "select count(*) from accounts where length(token_hash) = 32")" 4 \
	"the accounts table holds four 32-byte hashes"
is "$(svc_sql "$DB" "select role || ':' || name from accounts order by id" | paste -sd' ')" \
	"verifier:verifier-1 officer:officer-1 auditor:auditor-1 admin:admin-1" \
	"roles and names stored in order"

# --- list ------------------------------------------------------------------
"$D" account list --data "$DIR" >"$T/list" 2>"$T/err"
ok $? "account list: exit 0"
is "$(wc -l <"$T/list")" 5 "a header and four accounts"
like "$(sed -n 1p "$T/list")" '^ID +ROLE +CREATED +TEAM +STATE +NAME$' "the header names the columns"
like "$(sed -n 3p "$T/list")" '^2 +officer +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +- +active +officer-1$' \
	"a row: id, role, created (UTC), team (- for none), state, name"
leaked=0
for f in "$T"/tok.*; do grep -qF -- "$(cat "$f")" "$T/list" && leaked=1; done
is $leaked 0 "the list shows no token"

# --- disable -----------------------------------------------------------------
"$D" account disable --data "$DIR" --id 2 >"$T/out" 2>"$T/err"
ok $? "account disable --id 2: exit 0"
like "$(sed -n 3p <("$D" account list --data "$DIR"))" '^2 +officer .* disabled +officer-1$' \
	"the list shows it disabled"
is "$(svc_sql "$DB" "select count(*) from accounts where disabled is not null")" 1 \
	"one account disabled in the store"
"$D" account disable --data "$DIR" --id 2 >/dev/null 2>"$T/err"
is $? 2 "disabling it again: exit 2"
like "$(cat "$T/err")" 'already disabled' "and says so"
"$D" account disable --data "$DIR" --id 99 >/dev/null 2>"$T/err"
is $? 2 "an unknown id: exit 2"
is "$(wc -l <"$T/err")" 1 "with one line"

# --- bad input: exit 2, one line, nothing written --------------------------
before=$(svc_sql "$DB" "select count(*) from log_leaves")
bad() {
	_what=$1
	shift
	"$D" "$@" >"$T/out" 2>"$T/err"
	_rc=$?
	is "$_rc" 2 "$_what: exit 2"
	is "$(wc -l <"$T/err")" 1 "$_what: one line on stderr"
	is "$(wc -c <"$T/out")" 0 "$_what: nothing on stdout"
}
bad "role resident" account add --data "$DIR" --role resident --name r-1
bad "role system" account add --data "$DIR" --role system --name s-1
bad "role in capitals" account add --data "$DIR" --role ADMIN --name a-2
bad "empty role" account add --data "$DIR" --role "" --name a-2
bad "a name with a space" account add --data "$DIR" --role officer --name "Test Resident"
bad "a CJK name" account add --data "$DIR" --role officer --name "$(printf '\xe5\xbc\xa0\xe4\xb8\x89')"
bad "an empty name" account add --data "$DIR" --role officer --name ""
bad "a 65-character name" account add --data "$DIR" --role officer --name "$(printf 'n%.0s' {1..65})"
bad "SQL in the name" account add --data "$DIR" --role officer --name "x');drop table accounts;--"
bad "a taken name" account add --data "$DIR" --role officer --name officer-1
bad "no --name" account add --data "$DIR" --role officer
bad "no --data" account add --role officer --name o-9
bad "a missing data folder" account add --data "$T/nowhere" --role officer --name o-9
bad "an unknown option" account add --data "$DIR" --role officer --name o-9 --colour red
bad "--id not a number" account disable --data "$DIR" --id abc
bad "--id 0" account disable --data "$DIR" --id 0
bad "--id -1" account disable --data "$DIR" --id -1
bad "--id with a leading zero" account disable --data "$DIR" --id 02
bad "list with --role" account list --data "$DIR" --role admin
bad "an unknown subcommand" account remove --data "$DIR" --id 1
bad "keys with no subcommand" keys
bad "keys rotate without --data" keys rotate
is "$(svc_sql "$DB" "select count(*) from log_leaves")" "$before" "bad input wrote no leaf"
is "$(svc_sql "$DB" "select count(*) from accounts")" 4 "and no account"
"$D" account --help >"$T/out" 2>&1
ok $? "account --help: exit 0"
like "$(cat "$T/out")" 'account add' "and shows the usage"
"$D" account add --help >/dev/null 2>&1
ok $? "account add --help: exit 0"
"$D" keys rotate --help >"$T/out" 2>&1
ok $? "keys rotate --help: exit 0"
like "$(cat "$T/out")" 'serve.lock' "and says the service must be stopped"

# --- two writer processes at once ------------------------------------------
adder() {
	for i in 1 2 3 4 5; do
		"$D" account add --data "$DIR" --role verifier --name "$1-$i" >/dev/null 2>>"$T/par.err" ||
			echo fail >>"$T/par.fail"
	done
}
adder par-a &
pa=$!
adder par-b &
pb=$!
wait $pa $pb
[ ! -e "$T/par.fail" ]
ok $? "two processes adding 5 accounts each at the same time: all succeed"
if [ -e "$T/par.fail" ]; then # say why (the lines hold no token or name)
	grep -v 'the token above is shown only this once' "$T/par.err" | head -5 |
		while IFS= read -r line; do diag "account add: $line"; done
fi
is "$(svc_sql "$DB" "select count(*) from accounts where name like 'par-%'")" 10 \
	"10 accounts stored"
is "$(leaves account_add | grep -c ' verifier$')" 11 \
	"11 account_add leaves with detail verifier (1 + 10)"
check "ankangd check passes after concurrent writers" "$D" check --data "$DIR"

# --- keys rotate -------------------------------------------------------------
old_kid=$(sed -n 's/^issuer \([0-9a-f]\{16\}\) .*/\1/p' "$DIR/public/trust.note")
is "$(printf '%s\n' "$old_kid" | wc -l)" 1 "one issuer in the trust list before rotation"
[ -f "$DIR/keys/issuer-$old_kid.key" ]
ok $? "its secret key file exists"
old_after=$(sed -n "s/^issuer $old_kid [^ ]* [0-9]* \([0-9]*\)$/\1/p" "$DIR/public/trust.note")
cred1=$(printf 'Test Resident\n' | "$D" issue --data "$DIR" --name - --status yellow)
ok $? "a code issued before the rotation"

# Refused while something holds serve.lock, as the running service will.
sum_before=$(sha256sum <"$DIR/public/trust.note")
# One process that takes the lock, says so, and then becomes `sleep` (exec
# keeps the locked descriptor), so killing it is what releases the lock.
bash -c 'exec 9>>"$1" && flock 9 && : >"$2" && exec sleep 60' _ "$DIR/serve.lock" "$T/held" \
	>/dev/null 2>&1 &
holder=$!
stop_holder() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; }
at_exit stop_holder
for _ in $(seq 100); do
	[ -e "$T/held" ] && break
	sleep 0.05
done
[ -e "$T/held" ]
ok $? "a stand-in for the service holds serve.lock"
"$D" keys rotate --data "$DIR" >"$T/out" 2>"$T/err"
rc=$?
ok $((rc == 0)) "keys rotate while serve.lock is held: refused (exit $rc)"
like "$(cat "$T/err")" 'serve.lock is held' "and says the service is running"
is "$(wc -l <"$T/err")" 1 "in one line"
is "$(sha256sum <"$DIR/public/trust.note")" "$sum_before" "the trust list is untouched"
[ -f "$DIR/keys/issuer-$old_kid.key" ]
ok $? "the old key is untouched"
is "$(leaves key_rotate | wc -l)" 0 "and no key_rotate leaf"
stop_holder

t0=$(date +%s)
"$D" keys rotate --data "$DIR" >"$T/out" 2>"$T/err"
ok $? "keys rotate once the lock is free: exit 0"
t1=$(date +%s)
new_kid=$(sed -n 's/^issuer key rotated: new kid \([0-9a-f]\{16\}\)$/\1/p' "$T/out")
is "${#new_kid}" 16 "it prints the new kid"
kids=$(sed -n 's/^issuer \([0-9a-f]\{16\}\) .*/\1/p' "$DIR/public/trust.note" | sort | tr '\n' ' ')
is "$kids" "$(printf '%s\n' "$old_kid" "$new_kid" | sort | tr '\n' ' ')" \
	"the trust list holds the old and the new issuer"
read -r _ _ _ nb_old na_old < <(grep "^issuer $old_kid " "$DIR/public/trust.note")
read -r _ _ _ nb_new na_new < <(grep "^issuer $new_kid " "$DIR/public/trust.note")
ok $((!(na_old >= t0 && na_old <= t1 && na_old < old_after))) \
	"the old issuer's window now closes at the rotation"
ok $((!(nb_new == na_old))) "the new issuer's window opens there"
ok $((!(na_new > nb_new))) "and runs on"
[ ! -e "$DIR/keys/issuer-$old_kid.key" ]
ok $? "the old issuer's secret file is gone"
[ -f "$DIR/keys/issuer-$new_kid.key" ] && [ "$(stat -c %a "$DIR/keys/issuer-$new_kid.key")" = 600 ]
ok $? "the new one exists, mode 0600"
"$VERIFY" --dir "$DIR/public" "$cred1" >"$T/v1" 2>&1
ok $? "a code issued before the rotation still verifies (ankang-verify exit 0)"
is "$(cut -d' ' -f1-2 "$T/v1")" "valid yellow" "valid, yellow"
cred2=$(printf 'Test Resident\n' | "$D" issue --data "$DIR" --name - --status green)
ok $? "a code issued after the rotation"
"$VERIFY" --dir "$DIR/public" "$cred2" >"$T/v2" 2>&1
ok $? "verifies too"
is "$(cut -d' ' -f1-2 "$T/v2")" "valid green" "valid, green"
[ "$cred1" != "$cred2" ]
ok $? "(two different codes)"

# --- the audit trail ----------------------------------------------------------
is "$(leaves account_add | wc -l)" 14 "14 account_add leaves (4 roles + 10 concurrent)"
is "$(leaves account_add | head -4 | cut -d' ' -f3,5-8 | tr '\n' '|')" \
	"admin:- - - ok verifier|admin:- - - ok officer|admin:- - - ok auditor|admin:- - - ok admin|" \
	"account_add: actor admin:-, no subject or object, ok, the role"
is "$(leaves account_disable | cut -d' ' -f3,5-8)" "admin:- - - ok officer" \
	"one account_disable leaf: admin:-, ok, the account's role"
is "$(leaves key_rotate | cut -d' ' -f3,5-8)" "admin:- - - ok -" \
	"one key_rotate leaf: admin:-, ok"
is "$(leaves issue | wc -l)" 2 "two issue leaves"
check "ankangd check passes at the end" "$D" check --data "$DIR"
check "ankangd check --full passes too" "$D" check --data "$DIR" --full

done_testing
