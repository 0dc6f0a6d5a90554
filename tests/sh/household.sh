#!/bin/bash
# household: a guardian's household members over HTTP against a real
# ankangd (docs/API.md, "Household"). A child under 14 who never enrolled
# is added active (a sealed record without a passphrase is made); an
# enrolled adult is refused with a wrong passphrase of theirs and added
# active with the right one; an adult who never enrolled is pending (no
# code: 403) until an officer confirms, which needs the purpose (400
# without); that adult then enrols with the same ID number and name and
# claims the record (a different name is still a duplicate). A member's
# passphrase is tried under the log-in limits (429 once locked). Each display
# of a member's code is an `issue` leaf in the MEMBER's log with the
# guardian as actor (resident:<pseudonym>), and shows in the member's own
# access list and in the guardian's view of the member's accesses. The
# member withdraws, the guardian removes: the next code request is 404
# and the link is gone from both lists. A stranger gets nobody's code by
# a link handle or a resident handle. Names and ID numbers never reach
# the database file, its WAL, the server's stderr or an error body.
# With ANKANG_TEST_STORE=pg the same runs on a PostgreSQL store, and the
# search covers the cluster's files instead of the database file.
# Personal data and tokens are compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

DIR=$T/data
DB=$DIR/ankang.db
AUDIT=$ANKANG_BIN/ankang-audit
VERIFY=$ANKANG_BIN/ankang-verify

leaf_at() { svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where idx = $1" | cut -d' ' -f3-; }
subject_at() { leaf_at "$1" | cut -d' ' -f3; }
error_is() {
	is "$ST $(jbody .error)" "$1 $2" "$3: $1 $2"
	is_error_body
	ok $? "$3: the body is exactly {error, message}"
}
enrol_body() {
	jq -cn --arg n "$1" --arg i "$2" --arg w "$3" '{name: $n, id_number: $i, passphrase: $w}'
}
login() {
	api POST /v1/login "" "$(jq -cn --arg i "$1" --arg w "$2" '{id_number: $i, passphrase: $w}')"
	jbody .token
}
# add TOKEN NAME ID RELATION [MEMBER-PASSPHRASE]
add() {
	local b
	b=$(jq -cn --arg n "$2" --arg i "$3" --arg r "$4" '{name: $n, id_number: $i, relation: $r}')
	[ $# -ge 5 ] && b=$(jq -c --arg p "$5" '. + {member_passphrase: $p}' <<<"$b")
	api POST /v1/me/household "$1" "$b"
}
# member_row LINK: the residents row of a link's member.
member_row() {
	svc_sql "$DB" "select member_id from household_links where lower(hex(handle)) = '$1'"
}

svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
OFFICER=$(svc_account "$DIR" officer desk-1)
OFFICER_ID=$(svc_sql "$DB" "select id from accounts where name = 'desk-1'")
svc_start "$DIR"
at_exit svc_stop

# Made-up people. Names and ID numbers are personal data here.
NAME_G='测试监护人'
NAME_K='测试小孩'
NAME_P='Test Parent Pan'
NAME_S='Test Spouse Su'
NAME_X='Test Stranger Xu'
ID_G=$(gb_id 11010519800101201)
ID_K=$(gb_id 11010520180301202) # born 2018: under 14
ID_P=$(gb_id 11010519550707203)
ID_S=$(gb_id 11010519820202204)
ID_X=$(gb_id 11010519790909205)
PASS_G='guardian passphrase'
PASS_P='parent passphrase'
PASS_S='spouse passphrase'
PASS_X='stranger passphrase'

api POST /v1/enroll "" "$(enrol_body "$NAME_G" "$ID_G" "$PASS_G")"
is "$ST" 201 "enrol the guardian"
PSEUDO_G=$(subject_at "$(jbody .log_index)")
api POST /v1/enroll "" "$(enrol_body "$NAME_P" "$ID_P" "$PASS_P")"
is "$ST" 201 "enrol the parent"
PSEUDO_P=$(subject_at "$(jbody .log_index)")
api POST /v1/enroll "" "$(enrol_body "$NAME_X" "$ID_X" "$PASS_X")"
is "$ST" 201 "enrol a stranger"
TOKEN_G=$(login "$ID_G" "$PASS_G")
TOKEN_X=$(login "$ID_X" "$PASS_X")
[ -n "$TOKEN_G" ] && [ -n "$TOKEN_X" ]
ok $? "the guardian and the stranger log in"

# --- bad input ------------------------------------------------------------
add "$TOKEN_G" "$NAME_K" "$ID_K" cousin
error_is 400 bad_relation "a relation off the list"
add "$TOKEN_G" "$NAME_K" "$(gb_bad 11010520180301202)" child
error_is 400 bad_id_number "a bad ID number"
add "$TOKEN_G" "$NAME_G" "$ID_G" spouse
error_is 400 bad_member "the guardian themself"
add "$TOKEN_G" "$NAME_P" "$ID_P" parent short
error_is 400 bad_field "a member passphrase too short"
api POST /v1/me/household "$TOKEN_G" '{"name":"x","id_number":"y","relation":"child","extra":1}'
error_is 400 unknown_field "an unknown field"
add "" "$NAME_K" "$ID_K" child
error_is 401 no_token "no token"
add "$OFFICER" "$NAME_K" "$ID_K" child
error_is 403 wrong_role "an officer"
is "$(svc_sql "$DB" "select count(*) from household_links")" 0 "no link after any of those"

# --- a child who never enrolled: active at once ---------------------------
before=$(svc_sql "$DB" "select count(*) from residents")
add "$TOKEN_G" "$NAME_K" "$ID_K" child
is "$ST" 201 "add a child: 201"
K=$(jbody .member)
like "$K" '^[0-9a-f]{32}$' "the member's handle is 32 hex digits"
is "$(jbody '.state + " " + .relation')" "active child" "active at once, relation child"
name_k=$(jbody .name)
[ -n "$name_k" ] && [ "$name_k" != "$NAME_K" ]
ok $? "the name is masked"
LEAF=$(leaf_at "$(jbody .log_index)")
like "$LEAF" "^resident:$PSEUDO_G household_add [0-9a-f]{32} - ok child\$" \
	"household_add in the child's log, the guardian acting by pseudonym"
PSEUDO_K=$(echo "$LEAF" | cut -d' ' -f3)
is "$(svc_sql "$DB" "select count(*) from residents")" $((before + 1)) "a record made for the child"
is "$(svc_sql "$DB" "select count(*) from residents where passphrase is null and name_sealed is not null
	and id_sealed is not null and id = $(member_row "$K")")" 1 "sealed, without a passphrase"
add "$TOKEN_G" "$NAME_K" "$ID_K" child
error_is 409 duplicate "the same child again"
api POST /v1/login "" "$(jq -cn --arg i "$ID_K" '{id_number: $i, passphrase: "any passphrase"}')"
error_is 401 bad_login "nobody logs in to a record without a passphrase"

# --- the child's code, shown by the guardian -------------------------------
api GET "/v1/me/household/$K/code" "$TOKEN_G"
is "$ST" 200 "the child's code: 200"
is "$(jbody .status)" green "green"
CRED=$(jbody .credential)
same "$(jbody .name)" "$NAME_K" "the code carries the child's name"
like "$(leaf_at "$(jbody .log_index)")" \
	"^resident:$PSEUDO_G issue $PSEUDO_K [0-9a-f]{32} ok green\$" \
	"the display is an issue leaf in the child's log, the guardian as actor"
VDIR=$T/verifier
mkdir -p "$VDIR"
cp "$DIR/public/root.vkey" "$VDIR/"
curl -s -o "$VDIR/trust.note" "$URL/v1/trust"
curl -s -o "$VDIR/revocations.note" "$URL/v1/revocations"
is "$("$VERIFY" --dir "$VDIR" --json "$CRED" 2>/dev/null | jq -r '.result + " " + .status')" \
	"valid green" "the code verifies with ankang-verify: valid green"
api GET "/v1/me/household/$K/code.png" "$TOKEN_G"
is "$ST $(hdr Content-Type)" "200 image/png" "as PNG"
api GET "/v1/me/household/$K/code.svg" "$TOKEN_G"
is "$ST $(hdr Content-Type)" "200 image/svg+xml" "as SVG"
api GET "/v1/me/household/$K/code?with=png" "$TOKEN_G"
is "$ST/$(jbody .error)" 400/bad_query "a member's code?with=png: 400 bad_query, no display"
api GET "/v1/me/household/$K/accesses" "$TOKEN_G"
is "$ST" 200 "the child's accesses, for the guardian: 200"
is "$(jq '[.accesses[] | select(.action == "issue" and .actor_pseudonym == "'"$PSEUDO_G"'")] | length' "$T/r.body")" 3 \
	"they hold the three displays, each by the guardian"
like "$(leaf_at "$(jbody .log_index)")" "^resident:$PSEUDO_G accesses_read $PSEUDO_K - ok -\$" \
	"and reading them is logged in the child's log"

# --- an enrolled adult: their own passphrase --------------------------------
add "$TOKEN_G" "Someone Else" "$ID_P" parent "$PASS_P"
error_is 403 member_mismatch "an enrolled member named otherwise"
like "$(leaf_at "$(svc_sql "$DB" 'select max(idx) from log_leaves')")" \
	"^resident:$PSEUDO_G household_add $PSEUDO_P - denied parent\$" "recorded as denied in the parent's log"
add "$TOKEN_G" "$NAME_P" "$ID_P" parent "wrong passphrase"
error_is 403 member_passphrase "the parent's passphrase, wrong"
add "$TOKEN_G" "$NAME_P" "$ID_P" parent "$PASS_P"
is "$ST $(jbody .state)" "201 active" "the parent's own passphrase: active at once"
P=$(jbody .member)
is "$(svc_sql "$DB" "select consent from household_links where lower(hex(handle)) = '$P'")" self \
	"consent: self"

# --- an adult who never enrolled: pending until an officer confirms ---------
add "$TOKEN_G" "$NAME_S" "$ID_S" spouse
is "$ST $(jbody .state)" "201 pending" "an adult not enrolled: pending"
S=$(jbody .member)
api GET /v1/me/household "$TOKEN_G"
is "$(jq -r '.members[] | select(.member == "'"$S"'") | .status' "$T/r.body")" null \
	"a pending member's status is not shown"
api DELETE "/v1/me/household/$K" "$TOKEN_G"
is "$ST" 200 "remove the child for a moment"
add "$TOKEN_G" "$NAME_K" "$ID_K" child "any passphrase at all"
is "$ST $(jbody .state)" "201 active" "a child again, a member passphrase given: ignored for a child"
K=$(jbody .member)
api GET "/v1/me/household/$S/code" "$TOKEN_G"
error_is 403 member_pending "a pending member's code"
api GET "/v1/me/household/$S/accesses" "$TOKEN_G"
error_is 403 member_pending "a pending member's accesses"
add "$TOKEN_G" "$NAME_S" "$ID_S" spouse "$PASS_S"
error_is 409 duplicate "adding the spouse again"

api GET /v1/household/pending "$OFFICER"
is "$ST" 200 "the officer's pending list: 200"
is "$(jq -r '.links | map(.link) | join(" ")' "$T/r.body")" "$S" "it holds the spouse's link only"
g=$(jbody '.links[0].guardian')
m=$(jbody '.links[0].member')
[ -n "$g" ] && [ "$g" != "$NAME_G" ] && [ -n "$m" ] && [ "$m" != "$NAME_S" ]
ok $? "both names masked"
is "$(jbody '.links[0].relation')" spouse "with the relation"
api GET /v1/household/pending "$TOKEN_G"
error_is 403 wrong_role "a resident lists pending links"
api POST "/v1/household/$S/confirm" "$OFFICER" '{}'
error_is 400 bad_purpose "confirming without a purpose"
api POST "/v1/household/$S/confirm" "$OFFICER" '{"purpose":"paper_code"}'
error_is 400 bad_purpose "confirming with another purpose"
api POST "/v1/household/$S/confirm" "$TOKEN_G" '{"purpose":"household_consent"}'
error_is 403 wrong_role "the guardian confirms"
api POST "/v1/household/0123456789abcdef0123456789abcdef/confirm" "$OFFICER" \
	'{"purpose":"household_consent"}'
error_is 404 not_found "confirming no link"
api POST "/v1/household/$S/confirm" "$OFFICER" '{"purpose":"household_consent"}'
is "$ST $(jbody .state)" "200 active" "the officer confirms"
LEAF=$(leaf_at "$(jbody .log_index)")
like "$LEAF" "^officer:$OFFICER_ID household_confirm [0-9a-f]{32} - ok household_consent\$" \
	"household_confirm, the officer as actor, the purpose as detail"
PSEUDO_S=$(echo "$LEAF" | cut -d' ' -f3)
api POST "/v1/household/$S/confirm" "$OFFICER" '{"purpose":"household_consent"}'
error_is 409 not_pending "confirming twice"
api GET "/v1/me/household/$S/code" "$TOKEN_G"
is "$ST" 200 "the spouse's code, once confirmed"

api GET /v1/me/household "$TOKEN_G"
is "$ST" 200 "the guardian's list: 200"
is "$(jq -r '[.members[] | .member + ":" + .relation + ":" + .state + ":" + .status] | join(" ")' "$T/r.body")" \
	"$P:parent:active:green $S:spouse:active:green $K:child:active:green" \
	"three members, oldest first (the child added again last), with relation, state and status"
is "$(jq -r '[.members[].name] | map(select(. == "'"$NAME_K"'" or . == "'"$NAME_P"'" or . == "'"$NAME_S"'")) | length' "$T/r.body")" 0 \
	"no name in the clear"
n=$(svc_sql "$DB" "select count(*) from log_leaves where idx >= $(jbody .log_index)
	and idx <= $(($(jbody .log_index) + 2)) and cast(leaf as text) like '% resident:$PSEUDO_G household_list %'")
is "$n" 3 "one household_list leaf a member, in each member's log"

# --- the spouse enrols later and claims the record ---------------------------
api POST /v1/enroll "" "$(enrol_body "Another Name" "$ID_S" "$PASS_S")"
error_is 409 duplicate "enrolling the spouse's number with another name"
api POST /v1/enroll "" "$(enrol_body "$NAME_S" "$ID_S" "$PASS_S")"
is "$ST" 201 "enrolling with the same number and name claims the record: 201"
is "$(subject_at "$(jbody .log_index)")" "$PSEUDO_S" "the same record (the same pseudonym)"
is "$(svc_sql "$DB" "select count(*) from residents where id = $(member_row "$S") and passphrase is not null")" 1 \
	"the record has a passphrase now"
api POST /v1/enroll "" "$(enrol_body "$NAME_S" "$ID_S" "$PASS_S")"
error_is 409 duplicate "enrolling it once more"
TOKEN_S=$(login "$ID_S" "$PASS_S")
[ -n "$TOKEN_S" ]
ok $? "the spouse logs in"
api GET /v1/me/accesses "$TOKEN_S"
is "$(jq '[.accesses[] | select(.action == "issue" and .actor_pseudonym == "'"$PSEUDO_G"'")] | length' "$T/r.body")" 1 \
	"the spouse's own list shows the guardian's display"
is "$(jq -r '[.accesses[] | select(.action == "household_confirm") | .result] | join(" ")' "$T/r.body")" \
	"denied ok" "and the officer's confirmation, and the second attempt refused"
api GET /v1/me/guardians "$TOKEN_S"
is "$ST" 200 "the spouse's guardians: 200"
is "$(jq -r '[.guardians[] | .link + ":" + .relation + ":" + .state] | join(" ")' "$T/r.body")" \
	"$S:spouse:active" "one guardian, the same link"
g=$(jbody '.guardians[0].name')
[ -n "$g" ] && [ "$g" != "$NAME_G" ]
ok $? "the guardian's name masked"
api GET "/v1/me/household/$S/code" "$TOKEN_G"
is "$ST" 200 "the guardian shows the spouse's code again"
api GET /v1/me/accesses "$TOKEN_S"
is "$(jq '[.accesses[] | select(.action == "issue" and .actor_pseudonym == "'"$PSEUDO_G"'")] | length' "$T/r.body")" 2 \
	"which the spouse sees too"

# --- a stranger -----------------------------------------------------------
api GET "/v1/me/household/$K/code" "$TOKEN_X"
error_is 404 not_found "a stranger with the child's link handle"
RES_K=$(svc_sql "$DB" "select lower(hex(handle)) from residents where id = $(member_row "$K")")
api GET "/v1/me/household/res_$RES_K/code" "$TOKEN_X"
error_is 404 not_found "a stranger with the child's resident handle"
api GET "/v1/me/household/$RES_K/code" "$TOKEN_X"
error_is 404 not_found "a stranger with the hex of the child's resident handle"
api GET "/v1/me/household/$K/accesses" "$TOKEN_X"
error_is 404 not_found "a stranger reads the child's accesses"
api DELETE "/v1/me/household/$K" "$TOKEN_X"
error_is 404 not_found "a stranger removes the child"
api DELETE "/v1/me/guardians/$K" "$TOKEN_X"
error_is 404 not_found "a stranger withdraws from the child's link"
api GET "/v1/me/household/$S/code" "$TOKEN_S"
error_is 404 not_found "the member with their own link handle, as if guardian"
api GET /v1/me/household "$TOKEN_X"
is "$ST $(jbody '.members | length')" "200 0" "the stranger's household is empty"

# --- withdrawal and removal: immediate ------------------------------------
api DELETE "/v1/me/guardians/$S" "$TOKEN_S"
is "$ST" 200 "the spouse withdraws consent: 200"
like "$(leaf_at "$(jbody .log_index)")" "^resident:- household_remove $PSEUDO_S - ok spouse\$" \
	"household_remove in the spouse's log, the spouse acting"
api GET "/v1/me/household/$S/code" "$TOKEN_G"
error_is 404 not_found "the guardian's next request for the spouse's code"
api DELETE "/v1/me/guardians/$S" "$TOKEN_S"
error_is 404 not_found "withdrawing twice"
api GET /v1/me/guardians "$TOKEN_S"
is "$(jbody '.guardians | length')" 0 "the spouse has no guardian now"

api DELETE "/v1/me/household/$P" "$TOKEN_G"
is "$ST" 200 "the guardian removes the parent: 200"
like "$(leaf_at "$(jbody .log_index)")" "^resident:$PSEUDO_G household_remove $PSEUDO_P - ok parent\$" \
	"household_remove in the parent's log, the guardian acting"
api GET "/v1/me/household/$P/code" "$TOKEN_G"
error_is 404 not_found "the removed parent's code"
api GET "/v1/me/household/$P/accesses" "$TOKEN_G"
error_is 404 not_found "the removed parent's accesses"
api DELETE "/v1/me/household/$P" "$TOKEN_G"
error_is 404 not_found "removing twice"
api GET /v1/me/household "$TOKEN_G"
is "$(jq -r '[.members[].member] | join(" ")' "$T/r.body")" "$K" "only the child is left"

# --- a member's passphrase is under the log-in limits ----------------------
for i in 1 2 3 4 5; do
	add "$TOKEN_G" "$NAME_X" "$ID_X" other "wrong passphrase $i"
	[ "$ST" = 403 ] || break
done
is "$ST $(jbody .error)" "403 member_passphrase" "five wrong passphrases of the stranger's: each 403"
add "$TOKEN_G" "$NAME_X" "$ID_X" other "$PASS_X"
error_is 429 rate_limited "the sixth, even the right one, while the account is locked"
[ -n "$(hdr Retry-After)" ]
ok $? "with Retry-After"
like "$(leaf_at "$(svc_sql "$DB" "select max(idx) from log_leaves where cast(leaf as text) like '% household_add %'")")" \
	"^resident:$PSEUDO_G household_add [0-9a-f]{32} - denied rate_limited\$" \
	"recorded in the stranger's log as denied, rate_limited"

# --- erasure ends the links -------------------------------------------------
api DELETE /v1/me "$TOKEN_G"
is "$ST" 200 "the guardian erases their data"
is "$(svc_sql "$DB" "select count(*) from household_links")" 0 "no link is left"

# --- the log and the files ------------------------------------------------
svc_stop
is "$SERVER_STATUS" 0 "the server stops cleanly"
"$AUDIT" verify --db "$(svc_db "$DIR")" --log-key "$DIR/public/log.vkey" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify: the log verifies"
for f in "$DB" "$DB-wal" "$T/serve.log" "$T/errors.all"; do
	[ -f "$f" ] || continue
	n=0
	for s in "$NAME_G" "$NAME_K" "$NAME_P" "$NAME_S" "$ID_G" "$ID_K" "$ID_P" "$ID_S" \
		"$PASS_P" "$PASS_S"; do
		n=$((n + $(grep -caF -- "$s" "$f")))
	done
	is "$n" 0 "$(basename "$f"): no member's name, ID number or passphrase"
done
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	n=$(svc_pg_files "$NAME_G" "$NAME_K" "$NAME_P" "$NAME_S" "$ID_G" "$ID_K" "$ID_P" "$ID_S" \
		"$PASS_P" "$PASS_S")
	is "$n" 0 "no file of the PostgreSQL cluster (tables, WAL) holds a member's name, ID number or passphrase"
fi

done_testing
