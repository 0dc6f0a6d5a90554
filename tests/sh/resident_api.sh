#!/bin/bash
# resident_api: a resident's endpoints over HTTP against a real ankangd
# (docs/API.md, "Residents"): enrol (201, 409 for a duplicate, 400 with
# the right code for each bad field and never the input echoed, 429 after
# ten from one address, officers only with --enroll officer), log in (200
# with a session token; 401 bad_login with one body for an unknown ID
# number and a wrong passphrase; 429 with Retry-After on the sixth
# failure), the code as JSON, PNG and SVG (each verifies with
# ankang-verify against the served trust list; the PNG through zbarimg),
# the accesses list (the resident's own actions with their log indexes),
# the status history (after an officer's change), and erasure (200; the
# session ends, log-in fails, the codes are revoked). Every one of those
# left its leaf; the log verifies with ankang-audit; and the names, ID
# numbers and phones never reach the database file, its WAL, the
# server's stderr or an error body.
# Personal data and tokens are compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

DIR=$T/data
DB=$DIR/ankang.db
VERIFY=$ANKANG_BIN/ankang-verify
AUDIT=$ANKANG_BIN/ankang-audit

# skip DESC: a TAP skip (the check needs an endpoint another part owns).
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # skip $*"
}
# leaf_at IDX: that leaf's words, without its time ("actor action subject
# object result detail").
leaf_at() { svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where idx = $1" | cut -d' ' -f3-; }
# leaf_count GLOB [SQL]: how many leaves (their line, without its newline)
# match the shell pattern GLOB (and SQL): the log stores only a leaf's
# bytes, not its fields. Matched here, not in SQL, so that it reads the
# same on either store.
leaf_count() {
	local n=0 line
	while IFS= read -r line; do
		# shellcheck disable=SC2053 # GLOB is a pattern
		[[ $line == $1 ]] && n=$((n + 1))
	done < <(svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where ${2:-1 = 1}")
	echo "$n"
}
# subject_at IDX: the leaf's subject field.
subject_at() { leaf_at "$1" | cut -d' ' -f3; }
# post_json PATH TOKEN BODY: api POST with a JSON body.
post_json() { api POST "$1" "$2" "$3"; }
# error_is STATUS CODE DESC: the last answer is that error, in the one shape.
error_is() {
	is "$ST $(jbody .error)" "$1 $2" "$3: $1 $2"
	is_error_body
	ok $? "$3: the body is exactly {error, message}"
}
# not_echoed VALUE DESC: the last body does not contain VALUE.
not_echoed() {
	if grep -qF -- "$1" "$T/r.body"; then ok 1 "$2: input not echoed"; else ok 0 "$2: input not echoed"; fi
}

ZBAR=(zbarimg --raw -q)
zbarimg --help 2>&1 | grep -q -- --nodbus && ZBAR+=(--nodbus)

svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
OFFICER=$(svc_account "$DIR" officer officer-1)
svc_start "$DIR"
at_exit svc_stop

# Made-up people. Names, ID numbers and phones are personal data here.
NAME_A='测试甲一'
NAME_B='Test Beta Person'
NAME_C='Test Gamma'
ID_A=$(gb_id 11010519800101106) # ends in X
ID_B=$(gb_id 34010219900615002)
ID_C=$(gb_id 44030420000229003) # 29 February 2000: a leap year
ID_UNKNOWN=$(gb_id 32010619750505004)
PHONE_A='+8613900000001'
PHONE_B='13900000002'
PASS_A='correct horse battery'
PASS_B='tr0ub4dor and three'
PASS_C='gamma passphrase'

# --- enrol ------------------------------------------------------------------
body_a=$(jq -cn --arg n "$NAME_A" --arg i "$ID_A" --arg p "$PHONE_A" --arg w "$PASS_A" \
	'{name: $n, id_number: $i, phone: $p, passphrase: $w}')
post_json /v1/enroll "" "$body_a"
is "$ST" 201 "enrol A: 201"
RES_A=$(jbody .resident)
RID_A=$(row_id "$DB" "$RES_A")
ENROLL_IDX_A=$(jbody .log_index)
is "$(jbody '[.status, (.log_index | type)] | join(" ")')" \
	"green number" "enrol A: status green, a log_index number"
like "$RES_A" '^res_[0-9a-f]{32}$' "enrol A: a resident handle, res_ and 32 hex digits"
[[ $RID_A =~ ^[0-9]+$ ]]
ok $? "the handle names a row"
is "$(jbody 'keys | join(" ")')" "log_index resident status" "enrol A: nothing else"
like "$(leaf_at "$ENROLL_IDX_A")" '^resident:- enroll [0-9a-f]{32} - ok green$' \
	"enrol A's leaf: resident:-, a pseudonym, ok, green"
PSEUDO_A=$(subject_at "$ENROLL_IDX_A")

# A phone without '+' is accepted too.
body_b=$(jq -cn --arg n "$NAME_B" --arg i "$ID_B" --arg p "$PHONE_B" --arg w "$PASS_B" \
	'{name: $n, id_number: $i, phone: $p, passphrase: $w}')
post_json /v1/enroll "" "$body_b"
is "$ST" 201 "enrol B: 201"
RES_B=$(jbody .resident)
PSEUDO_B=$(subject_at "$(jbody .log_index)")
[ "$RES_B" != "$RES_A" ] && [ "$PSEUDO_B" != "$PSEUDO_A" ]
ok $? "B has its own handle and pseudonym"
[ "$(row_id "$DB" "$RES_B")" = $((RID_A + 1)) ]
ok $? "the rows are consecutive, the handles are not: nobody can count through residents"

# The same ID number again, spelt with a lowercase x.
dup=$(jq -cn --arg n "Someone Else" --arg i "${ID_A%X}x" --arg w "another passphrase" \
	'{name: $n, id_number: $i, passphrase: $w}')
post_json /v1/enroll "" "$dup"
error_is 409 duplicate "enrol A's ID number again"
not_echoed "$ID_A" "duplicate"
is "$(svc_sql "$DB" "select count(*) from residents")" 2 "the duplicate wrote no row"
is "$(leaf_count "* enroll - * denied *")" 1 \
	"the duplicate attempt is audited: enroll, subject -, denied"

# Each bad field: 400 with its code, never the input in the answer.
# bad_enrol DESC STATUS CODE NEEDLE JQ-EXPR (built from a good body)
good='{"name": "Valid Name", "phone": "13900000009", "passphrase": "valid passphrase"}'
good=$(jq -c --arg i "$(gb_id 51010219851212005)" '. + {id_number: $i}' <<<"$good")
bad_enrol() {
	local desc=$1 status=$2 code=$3 needle=$4 expr=$5
	post_json /v1/enroll "" "$(jq -c "$expr" <<<"$good")"
	error_is "$status" "$code" "$desc"
	[ -n "$needle" ] && not_echoed "$needle" "$desc"
}
bad_enrol "empty name" 400 bad_field "" '.name = ""'
bad_enrol "name with a control character" 400 bad_field "Ctrl" '.name = "Ctrl\u0007Name"'
long=$(printf 'N%.0s' {1..129})
bad_enrol "name of 129 bytes" 400 bad_field "$long" ".name = \"$long\""
bad_enrol "name not a string" 400 bad_field "" '.name = 42'
bad_enrol "missing name" 400 bad_field "" 'del(.name)'
bad_enrol "ID number with a wrong check character" 400 bad_id_number "$(gb_bad 51010219851212006)" \
	".id_number = \"$(gb_bad 51010219851212006)\""
bad_enrol "ID number of 17 digits" 400 bad_id_number "51010219851212007" \
	'.id_number = "51010219851212007"'
bad_enrol "ID number born on 29 February of a common year" 400 bad_id_number \
	"$(gb_id 44030420010229003)" ".id_number = \"$(gb_id 44030420010229003)\""
bad_enrol "ID number born in the future" 400 bad_id_number "$(gb_id 44030421990101003)" \
	".id_number = \"$(gb_id 44030421990101003)\""
bad_enrol "ID number with letters" 400 bad_id_number "5101021985121200AB" \
	'.id_number = "5101021985121200AB"'
bad_enrol "phone with letters" 400 bad_field "1390000abcd" '.phone = "1390000abcd"'
bad_enrol "phone of 21 digits" 400 bad_field "139000000001390000000" \
	'.phone = "139000000001390000000"'
bad_enrol "phone as a number" 400 bad_field "" '.phone = 13900000009'
bad_enrol "passphrase of 7 bytes" 400 bad_field "short77" '.passphrase = "short77"'
long=$(printf 'p%.0s' {1..257})
bad_enrol "passphrase of 257 bytes" 400 bad_field "$long" ".passphrase = \"$long\""
bad_enrol "missing passphrase" 400 bad_field "" 'del(.passphrase)'
bad_enrol "an unknown field" 400 unknown_field "sneaky" '. + {extra: "sneaky"}'
post_json /v1/enroll "" '[1, 2]'
error_is 400 bad_json "a body that is not an object"
post_json /v1/enroll "" "{\"name\": \"Bro"
error_is 400 bad_json "broken JSON"
is "$(svc_sql "$DB" "select count(*) from residents")" 2 "no bad enrolment wrote a row"

# --- log in -----------------------------------------------------------------
login_body() { jq -cn --arg i "$1" --arg w "$2" '{id_number: $i, passphrase: $w}'; }

post_json /v1/login "" "$(login_body "$ID_A" "wrong passphrase A")"
error_is 401 bad_login "A with a wrong passphrase"
cp "$T/r.body" "$T/wrong.body"
post_json /v1/login "" "$(login_body "$ID_UNKNOWN" "wrong passphrase A")"
error_is 401 bad_login "an unknown ID number"
cmp -s "$T/r.body" "$T/wrong.body"
ok $? "unknown ID number and wrong passphrase: byte-identical answers"
is "$(leaf_count "* login - * denied *")" 1 \
	"the unknown ID number's attempt is audited with subject - and denied"
is "$(leaf_count "* login $PSEUDO_A * denied -")" 1 \
	"A's failed attempt is audited with A's pseudonym"

post_json /v1/login "" "$(login_body "$ID_A" "$PASS_A")"
is "$ST" 200 "A logs in: 200"
TOKEN_A=$(jbody .token)
[[ $TOKEN_A =~ ^aks_[A-Za-z0-9_-]{43}$ ]]
ok $? "a session token: aks_ and 43 base64url characters"
exp=$(jbody .expires)
now=$(date +%s)
[ "$exp" -ge $((now + 43200 - 60)) ] && [ "$exp" -le $((now + 43200 + 60)) ]
ok $? "it expires in 12 hours"
is "$(jbody 'keys | join(" ")')" "expires token" "the answer holds token and expires only"
if grep -qaF -- "${TOKEN_A#aks_}" "$DB" "$DB-wal" 2>/dev/null; then
	ok 1 "the token is not in the database (only its hash)"
else
	ok 0 "the token is not in the database (only its hash)"
fi

# A lowercase x works for log-in too.
post_json /v1/login "" "$(login_body "${ID_A%X}x" "$PASS_A")"
is "$ST" 200 "log-in with a lowercase x"

post_json /v1/login "" "$(login_body "$(gb_bad 11010519800101106)" "$PASS_A")"
error_is 400 bad_id_number "log-in with a malformed ID number"
post_json /v1/login "" "$(login_body "$ID_A" "$PASS_A" | jq -c '. + {remember: true}')"
error_is 400 unknown_field "log-in with an unknown field"

# Rate limit: five failures for B from this address, then the sixth attempt
# from here is refused, even with the right passphrase, without running
# Argon2id. The lock is B's from this address: B elsewhere logs in.
for i in 1 2 3 4 5; do
	post_json /v1/login "" "$(login_body "$ID_B" "wrong passphrase $i")"
	[ "$ST" = 401 ] || break
done
is "$ST" 401 "B's five failed log-ins: 401 each"
post_json /v1/login "" "$(login_body "$ID_B" "wrong passphrase 6")"
error_is 429 rate_limited "B's sixth failed log-in"
ra=$(hdr Retry-After)
[[ $ra =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ]
ok $? "429 carries Retry-After in seconds: the first lock-out, at most a minute"
post_json /v1/login "" "$(login_body "$ID_B" "$PASS_B")"
error_is 429 rate_limited "B's right passphrase while limited"
ra2=$(hdr Retry-After)
[ "$ra2" -gt "$ra" ]
ok $? "each further attempt doubles the lock-out"
is "$(leaf_count "* login $PSEUDO_B * denied *")" 1 \
	"seven failures against B: one leaf now (the burst's first), not seven"
API_EXTRA=(--interface 127.0.0.2)
post_json /v1/login "" "$(login_body "$ID_B" "$PASS_B")"
API_EXTRA=()
is "$ST" 200 "B from another address logs in: an attacker cannot lock the owner out"
# Another account from the same address is not limited by B's count.
post_json /v1/login "" "$(login_body "$ID_A" "$PASS_A")"
is "$ST" 200 "A may still log in"

# --- code -------------------------------------------------------------------
VDIR=$T/verifier
mkdir -p "$VDIR"
cp "$DIR/public/root.vkey" "$VDIR/"
curl -s -o "$VDIR/trust.note" -w '%{http_code}' "$URL/v1/trust" >"$T/st.trust"
TRUST_SERVED=0
if [ "$(cat "$T/st.trust")" = 200 ]; then
	TRUST_SERVED=1
else
	cp "$DIR/public/trust.note" "$VDIR/" # GET /v1/trust not yet served
fi
# fetch_revocations: the served list into VDIR; 0 when it was served.
fetch_revocations() {
	local st
	st=$(curl -s -o "$VDIR/revocations.note" -w '%{http_code}' "$URL/v1/revocations")
	[ "$st" = 200 ] && return 0
	cp "$DIR/public/revocations.note" "$VDIR/"
	return 1
}
fetch_revocations
REVOCATIONS_SERVED=$?
if [ $TRUST_SERVED = 1 ]; then ok 0 "GET /v1/trust serves the trust list"; else skip "GET /v1/trust not served yet"; fi
# verify_json CRED: ankang-verify's JSON line for one credential.
verify_json() { "$VERIFY" --dir "$VDIR" --json "$1" 2>/dev/null; }

api GET /v1/me/code "$TOKEN_A"
is "$ST" 200 "code as JSON: 200"
CRED_A1=$(jbody .credential)
code_idx=$(jbody .log_index)
is "$(jbody 'keys | join(" ")')" "credential exp iat log_index name status" \
	"the code answer has exactly its six fields"
same "$(jbody .name)" "$NAME_A" "the answer names A"
is "$(jbody '[.status, (.exp - .iat)] | map(tostring) | join(" ")')" "green 300" \
	"green, valid for the default 300 seconds"
like "$(hdr Content-Type)" '^application/json' "Content-Type application/json"
is "$(hdr Cache-Control)" "no-store" "never cached"
v=$(verify_json "$CRED_A1")
is "$(jq -r '.result + " " + .status' <<<"$v")" "valid green" \
	"ankang-verify with the served trust list: valid green"
same "$(jq -r .name <<<"$v")" "$NAME_A" "and it shows A's name"
like "$(leaf_at "$code_idx")" "^resident:- issue $PSEUDO_A [0-9a-f]{32} ok green\$" \
	"the issue leaf: A's pseudonym, the code's cti, ok, green"
cti=$(leaf_at "$code_idx" | cut -d' ' -f4)
is "$(svc_sql "$DB" "select count(*) from codes where lower(hex(cti)) = '$cti' and resident_id = $RID_A")" 1 \
	"the code's row is stored with the leaf's cti"

api GET /v1/me/code.png "$TOKEN_A"
cp "$T/r.body" "$T/code.png"
is "$ST" 200 "code as PNG: 200"
is "$(hdr Content-Type)" "image/png" "Content-Type image/png"
png_idx=$(hdr X-Ankang-Log-Index)
like "$png_idx" '^[0-9]+$' "X-Ankang-Log-Index holds the leaf's index"
like "$(leaf_at "$png_idx")" "^resident:- issue $PSEUDO_A [0-9a-f]{32} ok green\$" \
	"that index is the PNG code's issue leaf"
if command -v zbarimg >/dev/null 2>&1; then
	CRED_A2=$("${ZBAR[@]}" "$T/code.png" 2>/dev/null)
	like "$CRED_A2" '^AK1:' "zbarimg reads a credential from the PNG"
	is "$(verify_json "$CRED_A2" | jq -r '.result + " " + .status')" "valid green" \
		"the PNG's credential verifies: valid green"
	[ "$CRED_A2" != "$CRED_A1" ]
	ok $? "every code is a fresh one"
else
	skip "zbarimg not installed"
	skip "zbarimg not installed"
	skip "zbarimg not installed"
	CRED_A2=
fi

api GET /v1/me/code.svg "$TOKEN_A"
cp "$T/r.body" "$T/code.svg"
is "$ST" 200 "code as SVG: 200"
is "$(hdr Content-Type)" "image/svg+xml" "Content-Type image/svg+xml"
like "$(hdr X-Ankang-Log-Index)" '^[0-9]+$' "the SVG carries its log index"
like "$(head -c 5 "$T/code.svg")" '^<svg ' "the body is an SVG document"
is "$(grep -o '<title>[^<]*</title>' "$T/code.svg")" "<title>green</title>" \
	"its title is the status word only"
if grep -qF -- "$NAME_A" "$T/code.svg"; then ok 1 "the SVG holds no name"; else ok 0 "the SVG holds no name"; fi

api GET /v1/me/code ""
error_is 401 no_token "a code without a token"
api GET /v1/me/code "$OFFICER"
error_is 403 wrong_role "a code with an officer's token"

# --- accesses ---------------------------------------------------------------
api GET /v1/me/accesses "$TOKEN_A"
is "$ST" 200 "accesses: 200"
cp "$T/r.body" "$T/acc1"
acc_idx=$(jbody .log_index)
is "$(jbody '.accesses | map(.action) | unique | join(" ")')" "enroll issue login" \
	"A's list holds A's enrolment, log-ins and codes"
is "$(jbody '[.accesses[] | select(.action == "issue")] | length')" 3 "the three codes"
is "$(jbody '[.accesses[] | select(.action == "login")] | map(.result) | sort | join(" ")')" \
	"denied ok ok ok" "the failed and the three good log-ins"
is "$(jbody '.accesses | map(.log_index) | (. == (sort | reverse))')" true "newest first"
is "$(jbody '[.accesses[] | .log_index < '"$acc_idx"'] | all')" true \
	"every entry precedes the accesses_read leaf"
is "$(jbody '.accesses[0] | keys | join(" ")')" \
	"action actor actor_role detail log_index result time_ms" "entries have exactly their fields"
is "$(jbody '[.accesses[] | select(.actor_role == "resident") | .actor == null] | all')" true \
	"a resident's own actions show no actor name"
# Each listed index is a leaf about A, with the action the list says.
bad=0
while read -r i a; do
	[ "$(leaf_at "$i" | cut -d' ' -f2,3)" = "$a $PSEUDO_A" ] || bad=1
done < <(jbody '.accesses[] | "\(.log_index) \(.action)"')
is $bad 0 "every listed log index is A's leaf with that action"
is "$(jbody '.accesses | length')" \
	"$(leaf_count "ankang/v1 * * * $PSEUDO_A *" "idx < $acc_idx")" \
	"the list has every leaf about A, skipping none"
like "$(leaf_at "$acc_idx")" "^resident:- accesses_read $PSEUDO_A - ok -\$" \
	"the read itself: an accesses_read leaf"
api GET /v1/me/accesses "$TOKEN_A"
is "$(jbody '.accesses[0] | "\(.log_index) \(.action)"')" "$acc_idx accesses_read" \
	"the next read lists the last one first"
api GET "/v1/me/accesses?limit=2" "$TOKEN_A"
is "$(jbody '.accesses | length')" 2 "?limit=2: two entries"
api GET "/v1/me/accesses?limit=0" "$TOKEN_A"
error_is 400 bad_query "?limit=0"
api GET "/v1/me/accesses?limit=ten" "$TOKEN_A"
error_is 400 bad_query "?limit=ten"
api GET /v1/me/accesses "$OFFICER"
error_is 403 wrong_role "accesses with an officer's token"

# Paging to the beginning of the log: pages of 3, each `next` the `before`
# of the following page, every entry once, none left out.
api GET /v1/me/accesses "$TOKEN_A"
all="$(jbody .log_index) $(jbody '[.accesses[].log_index] | join(" ")')"
pages=0 seen="" cursor=""
for i in $(seq 1 50); do
	api GET "/v1/me/accesses?limit=3${cursor:+&before=$cursor}" "$TOKEN_A"
	[ "$ST" = 200 ] || break
	seen="$seen $(jbody '[.accesses[].log_index] | join(" ")')"
	pages=$((pages + 1))
	cursor=$(jbody '.next // empty')
	[ -n "$cursor" ] || break
done
# The first page starts with the full list's own read, then the same.
is "$(echo $seen)" "$(echo $all)" "paging by 3 lists the same entries in the same order, to the first"
ok $([ "$pages" -ge 3 ] && [ -z "$cursor" ] && echo 0 || echo 1) \
	"in $pages pages, the last with next: null (the beginning of the log)"
api GET "/v1/me/accesses?action=login" "$TOKEN_A"
is "$(jbody '.accesses | map(.action) | unique | join(" ")')" login "?action=login: log-ins only"
is "$(jbody '.accesses | length')" "$(leaf_count "ankang/v1 * * login $PSEUDO_A *")" \
	"and all of them"
api GET "/v1/me/accesses?action=dance" "$TOKEN_A"
error_is 400 bad_query "?action= a word that is not an action"
api GET "/v1/me/accesses?before=0" "$TOKEN_A"
error_is 400 bad_query "?before=0"

# --- sessions ---------------------------------------------------------------
post_json /v1/login "" "$(login_body "$ID_A" "$PASS_A")"
TOKEN_A_OTHER=$(jbody .token)
api GET /v1/me/sessions "$TOKEN_A"
is "$ST" 200 "sessions: 200"
n_sessions=$(jbody '.sessions | length')
ok $([ "$n_sessions" -ge 2 ] && echo 0 || echo 1) "A's live sessions are listed ($n_sessions)"
is "$(jbody '[.sessions[] | select(.current)] | length')" 1 "one of them is the one asking"
is "$(jbody '.sessions[0] | keys | join(" ")')" "created current expires last_used" \
	"each: created, last used, expires, current; no address, no token"
like "$(leaf_at "$(jbody .log_index)")" "^resident:- sessions_read $PSEUDO_A - ok -\$" \
	"the read is audited: sessions_read"
api DELETE /v1/session "$TOKEN_A_OTHER"
is "$ST $(jbody .ended)" "200 1" "log out here: 200, one session ended"
like "$(leaf_at "$(jbody .log_index)")" "^resident:- logout $PSEUDO_A - ok this_session\$" \
	"audited: logout, this_session"
api GET /v1/me/code "$TOKEN_A_OTHER"
error_is 401 bad_token "the ended session's token no longer works"
api GET /v1/me/sessions "$TOKEN_A"
is "$ST $(jbody '.sessions | length')" "200 $((n_sessions - 1))" "and it is gone from the list"

# --- history ----------------------------------------------------------------
api GET /v1/me/history "$TOKEN_A"
is "$ST $(jbody '.history | length')" "200 0" "history before any change: 200, empty"
hist_idx=$(jbody .log_index)
like "$(leaf_at "$hist_idx")" "^resident:- history_read $PSEUDO_A - ok -\$" \
	"the read is audited: history_read"
api PUT "/v1/residents/$RES_A/status" "$OFFICER" '{"status": "yellow", "reason": "close_contact"}'
if [ "$ST" = 200 ]; then
	api GET /v1/me/history "$TOKEN_A"
	is "$ST" 200 "history after a change: 200"
	is "$(jbody '.history | map("\(.status) \(.reason)") | join(",")')" "yellow close_contact" \
		"it lists the change: yellow, close_contact"
	t=$(jbody '.history[0].time')
	now=$(date +%s)
	[ "$t" -le "$now" ] && [ "$t" -ge $((now - 120)) ]
	ok $? "with its time in unix seconds"
	api GET /v1/me/code "$TOKEN_A"
	is "$(jbody .status)" yellow "a new code carries the new status"
	api GET /v1/me/accesses "$TOKEN_A"
	is "$(jbody '[.accesses[] | select(.action == "status_set")][0] | "\(.actor_role) \(.actor) \(.detail)"')" \
		"officer officer-1 close_contact" "the officer's change is in A's accesses, by name"
else
	for i in 1 2 3 4 5; do
		skip "PUT /v1/residents/{id}/status not served yet (HTTP $ST)"
	done
fi

# --- erase ------------------------------------------------------------------
api GET /v1/me/code "$TOKEN_A"
CRED_A3=$(jbody .credential)
api DELETE /v1/me "$TOKEN_A"
is "$ST" 200 "erase: 200"
is "$(jq -c 'del(.log_index)' "$T/r.body")" '{"erased":true}' "erase answers erased: true"
erase_idx=$(jbody .log_index)
like "$(leaf_at "$erase_idx")" "^resident:- erase $PSEUDO_A - ok -\$" "the erase leaf"
is "$(svc_sql "$DB" "select erased is not null, wrapped_key is null, name_sealed is null,
	id_sealed is null, phone_sealed is null, passphrase is null, blind is null
	from residents where id = $RID_A" | tr -d '|' | tr tf 10)" 1111111 \
	"the row is a tombstone: key, fields, index gone"
api GET /v1/me/code "$TOKEN_A"
error_is 401 bad_token "the session ended with the erasure"
post_json /v1/login "" "$(login_body "$ID_A" "$PASS_A")"
error_is 401 bad_login "log-in after erasure"
is "$(svc_sql "$DB" "select count(*) from codes c join revocations r on r.cti = c.cti
	where c.resident_id = $RID_A")" \
	"$(svc_sql "$DB" "select count(*) from codes where resident_id = $RID_A")" \
	"every code of A's is on the store's revocation table"
if [ "$REVOCATIONS_SERVED" = 0 ]; then
	got=
	for i in $(seq 1 60); do
		fetch_revocations
		got=$(verify_json "$CRED_A3" | jq -r .result)
		[ "$got" = revoked ] && break
		sleep 0.1
	done
	is "$got" revoked "the last code verifies as revoked against the served list"
	is "$(verify_json "$CRED_A1" | jq -r .result)" revoked "and so does the first"
else
	skip "GET /v1/revocations not served yet"
	skip "GET /v1/revocations not served yet"
fi
# The ID number may be enrolled again: erasure dropped its blind index.
post_json /v1/enroll "" "$body_a"
is "$ST" 201 "A's ID number enrols anew after erasure"
[ "$(jbody .resident)" != "$RES_A" ] && [ "$(row_id "$DB" "$(jbody .resident)")" != "$RID_A" ]
ok $? "as a new resident"

# --- enrolment rate limit ---------------------------------------------------
# Enrolments so far from this address: A, B, the duplicate, A anew = 4.
for i in 1 2 3 4 5 6; do
	post_json /v1/enroll "" "$(jq -cn --arg i "$(gb_id "31010419900101$(printf %03d $((100 + i)))")" \
		'{name: "Rate Test", id_number: $i, passphrase: "rate test passphrase"}')"
	[ "$ST" = 201 ] || break
done
is "$ST" 201 "enrolments five to ten: 201"
post_json /v1/enroll "" "$(jq -cn --arg i "$(gb_id 31010419900101107)" \
	'{name: "Rate Test", id_number: $i, passphrase: "rate test passphrase"}')"
error_is 429 rate_limited "the eleventh enrolment from one address in an hour"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"

# --- the log and the files --------------------------------------------------
# Every 2xx answer above that touched a resident's data has its leaf.
is "$(leaf_count "* enroll * ok *")" 9 \
	"nine enroll leaves with ok (A, B, A anew, six more)"

# The accesses list of A's new self, to compare after a restart without
# the index file.
post_json /v1/login "" "$(login_body "$ID_A" "$PASS_A")"
is "$ST" 200 "A's new self logs in"
TOKEN_A2=$(jbody .token)
api GET /v1/me/accesses "$TOKEN_A2"
is "$ST $(jbody '.accesses | map(.action) | join(" ")')" "200 login enroll" \
	"its accesses: its log-in and its enrolment"
before=$(jq -c '.accesses' "$T/r.body")

for f in "$DB" "$DB-wal" "$DB-index" "$DB-index-wal" "$T/serve.log" "$T/errors.all"; do
	[ -f "$f" ] || continue
	n=0
	for s in "$NAME_A" "$NAME_B" "$ID_A" "$ID_B" "$PHONE_A" "$PHONE_B" "$PASS_A" "$PASS_B"; do
		n=$((n + $(grep -caF -- "$s" "$f")))
	done
	is "$n" 0 "$(basename "$f"): no name, ID number, phone or passphrase (grep -c = 0)"
done

svc_stop
is "$SERVER_STATUS" 0 "the server stops cleanly"
is "$(leaf_count "* login $PSEUDO_B - denied burst_2_9")" 1 \
	"the burst against B is summarised in one leaf: denied, 2 to 9 attempts"
is "$(leaf_count "* login $PSEUDO_B * denied *")" 2 \
	"so B's accesses show two failed-log-in entries for seven attempts"
"$AUDIT" verify --db "$(svc_db "$DIR")" --log-key "$DIR/public/log.vkey" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify: the log verifies"
for f in "$DB" "$DB-wal"; do
	[ -f "$f" ] || continue
	n=0
	for s in "$NAME_A" "$NAME_B" "$ID_A" "$ID_B" "$PHONE_A" "$PHONE_B"; do
		n=$((n + $(grep -caF -- "$s" "$f")))
	done
	is "$n" 0 "$(basename "$f") after shutdown: no personal data"
done

# The index file is derived: without it the service makes a new one and
# answers the same (queries scan the log until it is filled in). SQLite's
# alone: PostgreSQL has no index file.
if [ "${ANKANG_TEST_STORE:-}" != pg ]; then
is "$(stat -c %a "$DB-index")" 600 "the index file is 0600"
rm -f "$DB-index" "$DB-index-wal" "$DB-index-shm"
svc_start "$DIR"
api GET /v1/me/accesses "$TOKEN_A2"
is "$ST" 200 "accesses after a restart without the index file: 200"
is "$(jq -c '.accesses[1:]' "$T/r.body")" "$before" "the same entries, after the earlier read's own"
is "$(jbody '.accesses[0].action')" accesses_read "which comes first"
is "$(stat -c %a "$DB-index")" 600 "a new index file, 0600"
svc_stop
is "$SERVER_STATUS" 0 "the server stops cleanly again"
fi

# --- --enroll officer -------------------------------------------------------
DIR2=$T/data2
svc_init "$DIR2"
OFF2=$(svc_account "$DIR2" officer desk-1)
VER2=$(svc_account "$DIR2" verifier gate-1)
OFF2_ID=$(svc_sql "$DIR2/ankang.db" "select id from accounts where name = 'desk-1'")
svc_start "$DIR2" --enroll officer
body_c=$(jq -cn --arg n "$NAME_C" --arg i "$ID_C" --arg w "$PASS_C" \
	'{name: $n, id_number: $i, passphrase: $w}')
post_json /v1/enroll "" "$body_c"
error_is 401 no_token "--enroll officer: no token"
post_json /v1/enroll "$VER2" "$body_c"
error_is 403 wrong_role "--enroll officer: a verifier"
post_json /v1/enroll "$OFF2" "$body_c"
is "$ST" 201 "--enroll officer: an officer enrols"
DB=$DIR2/ankang.db
like "$(leaf_at "$(jbody .log_index)")" "^officer:$OFF2_ID enroll [0-9a-f]{32} - ok green\$" \
	"the leaf names the officer as actor"
svc_stop
for f in "$DB" "$DB-wal" "$T/serve.log"; do
	[ -f "$f" ] || continue
	n=$(($(grep -caF -- "$NAME_C" "$f") + $(grep -caF -- "$ID_C" "$f")))
	is "$n" 0 "$(basename "$f") (officer mode): no personal data"
done

done_testing
