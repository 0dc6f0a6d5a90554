#!/bin/bash
# officer_actions: GET /v1/officer/actions over HTTP against a real ankangd
# (docs/API.md, "Officers"):
#   - an officer's list holds exactly that officer's own leaves (compared
#     with the log's own bytes), newest first, with index, time, action,
#     result and detail as in the leaf, and no other account's;
#   - subjects are the resident's handle where the service can name them
#     (a status change, a paper code, an open appeal listed, a look-up of
#     a resident the officer then acted on), null otherwise (a look-up of
#     nobody, a look-up of a resident only looked up, an erased resident);
#   - paging with limit and before reaches the same entries, and `next`
#     is null once the beginning of the log is read;
#   - other roles are refused (403), no token is 401, bad queries are 400
#     with {error, message};
#   - reading the list writes no leaf.
# Personal data and tokens are compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

DIR=$T/data
DB=$DIR/ankang.db

log_size() { svc_sql "$DB" "select count(*) from log_leaves"; }
# leaves_of ACTOR: "index action result detail" of every leaf whose actor
# is ACTOR, newest first, from the log's bytes.
leaves_of() {
	svc_sql "$DB" "select idx, rtrim(leaf, char(10)) from log_leaves order by idx desc" |
		awk -F'[| ]' -v a="$1" '$4 == a { print $1, $5, $8, $9 }'
}
error_is() {
	is "$ST $(jbody .error)" "$1 $2" "$3: $1 $2"
	is_error_body
	ok $? "$3: the body is exactly {error, message}"
}

svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
OFFICER=$(svc_account "$DIR" officer desk-1)
OFFICER2=$(svc_account "$DIR" officer desk-2)
VERIFIER=$(svc_account "$DIR" verifier gate-1)
AUDITOR=$(svc_account "$DIR" auditor inspector-1)
ADMIN=$(svc_account "$DIR" admin admin-1)
O1=$(svc_sql "$DB" "select id from accounts where name = 'desk-1'")
O2=$(svc_sql "$DB" "select id from accounts where name = 'desk-2'")
svc_start "$DIR"
at_exit svc_stop

PASS='correct horse battery'
ID_A=$(gb_id 34010219900101123)
ID_B=$(gb_id 11010519800101106)
ID_C=$(gb_id 44030419851212002)
ID_NOBODY=$(gb_id 32010619750505004)
enrol() {
	api POST /v1/enroll "" "$(jq -cn --arg n "$1" --arg i "$2" --arg p "$PASS" \
		'{name: $n, id_number: $i, passphrase: $p}')"
}
lookup() { api POST /v1/lookup "$1" "$(jq -cn --arg i "$2" --arg p "$3" '{id_number: $i, purpose: $p}')"; }
enrol 'Test Officer-Alpha' "$ID_A"
RES_A=$(jbody .resident)
enrol 'Test Officer-Beta' "$ID_B"
RES_B=$(jbody .resident)
enrol 'Test Officer-Gamma' "$ID_C"
RES_C=$(jbody .resident)
like "$RES_A $RES_B $RES_C" '^res_[0-9a-f]{32} res_[0-9a-f]{32} res_[0-9a-f]{32}$' "three residents enrolled"

# desk-1: looks A up and changes A's status; prints B's paper code; looks
# C up and does nothing more; looks up a number nobody has. desk-2 works
# on A too, between them.
lookup "$OFFICER" "$ID_A" status_correction
is "$ST" 200 "desk-1 looks A up"
api PUT "/v1/residents/$RES_A/status" "$OFFICER2" '{"status":"red","reason":"confirmed_case"}'
is "$ST" 200 "desk-2 sets A red"
api PUT "/v1/residents/$RES_A/status" "$OFFICER" '{"status":"yellow","reason":"close_contact"}'
is "$ST" 200 "desk-1 sets A yellow"
api POST "/v1/residents/$RES_B/paper-code" "$OFFICER" \
	"$(jq -cn --arg i "$ID_B" '{purpose: "paper_code", id_number: $i}')"
is "$ST" 200 "desk-1 prints B's paper code"
lookup "$OFFICER" "$ID_C" epidemiological_investigation
is "$ST" 200 "desk-1 looks C up"
lookup "$OFFICER" "$ID_NOBODY" appeal_review
is "$ST" 404 "desk-1 looks up a number nobody enrolled"
lookup "$OFFICER2" "$ID_B" status_correction
is "$ST" 200 "desk-2 looks B up"

SIZE=$(log_size)
api GET /v1/officer/actions "$OFFICER"
is "$ST" 200 "desk-1 reads their actions"
is "$(log_size)" "$SIZE" "reading them writes no leaf"
is "$(jbody '.actions | length')" 5 "five actions of desk-1's"
is "$(jq -r '.actions[] | "\(.index) \(.action) \(.result) \(.detail)"' "$T/r.body")" \
	"$(leaves_of "officer:$O1")" "exactly desk-1's leaves, newest first, as the log has them"
is "$(jq -r '[.actions[].time] | map(type == "number" and . > 1700000000) | all' "$T/r.body")" true \
	"each with its time in unix seconds"
is "$(jbody '.actions[0] | keys | join(" ")')" "action detail index result subject_handle time time_ms" \
	"an action's fields"
is "$(jq -r '.actions | map(.subject_handle // "-") | join(" ")' "$T/r.body")" \
	"- - $RES_B $RES_A $RES_A" \
	"subjects: nobody, C (only looked up: null), B (paper code), A (status, and the look-up before it)"
is "$(jbody .next)" null "the whole log was read: next is null"

api GET /v1/officer/actions "$OFFICER2"
is "$ST" 200 "desk-2 reads their actions"
is "$(jq -r '.actions[] | "\(.index) \(.action) \(.result) \(.detail)"' "$T/r.body")" \
	"$(leaves_of "officer:$O2")" "desk-2 sees only desk-2's leaves"
is "$(jq -r '.actions | map(.subject_handle // "-") | join(" ")' "$T/r.body")" "- $RES_A" \
	"desk-2's look-up of B (no action on B) is unnamed; A is named through desk-2's status change"

# Paging: limit and before walk the same entries.
api GET '/v1/officer/actions?limit=2' "$OFFICER"
is "$ST $(jbody '.actions | length')" "200 2" "limit=2: two entries"
P1=$(jq -r '.actions[].index' "$T/r.body" | tr '\n' ' ')
NEXT=$(jbody .next)
is "$NEXT" "$(jbody '.actions[1].index')" "next is the last entry's index"
api GET "/v1/officer/actions?limit=2&before=$NEXT" "$OFFICER"
P2=$(jq -r '.actions[].index' "$T/r.body" | tr '\n' ' ')
NEXT=$(jbody .next)
api GET "/v1/officer/actions?limit=2&before=$NEXT" "$OFFICER"
P3=$(jq -r '.actions[].index' "$T/r.body" | tr '\n' ' ')
is "$P1$P2$P3" "$(leaves_of "officer:$O1" | cut -d' ' -f1 | tr '\n' ' ')" \
	"three pages of two hold the five entries in order"
api GET '/v1/officer/actions?limit=1000' "$OFFICER"
is "$ST $(jbody '.actions | length')" "200 5" "a limit above the page's maximum is capped, not refused"

# An erased resident is no longer named.
api POST /v1/login "" "$(jq -cn --arg i "$ID_B" --arg p "$PASS" '{id_number: $i, passphrase: $p}')"
SESSION_B=$(jbody .token)
api DELETE /v1/me "$SESSION_B"
like "$ST" '^(200|503)$' "B erases their data"
api GET /v1/officer/actions "$OFFICER"
is "$(jq -r '.actions | map(.subject_handle // "-") | join(" ")' "$T/r.body")" \
	"- - - $RES_A $RES_A" "B's entry stays in the list, with no handle once B is erased"

# An open appeal names its resident: the officers' list showed the handle.
api POST /v1/login "" "$(jq -cn --arg i "$ID_C" --arg p "$PASS" '{id_number: $i, passphrase: $p}')"
api POST /v1/me/appeals "$(jbody .token)" '{"reason": "other", "text": ""}'
is "$ST" 201 "C appeals"
api GET '/v1/appeals?state=open' "$OFFICER"
is "$ST $(jbody '.appeals | length')" "200 1" "desk-1 lists the open appeals: C's"
api GET /v1/officer/actions "$OFFICER"
is "$(jq -r '.actions[0] | "\(.action) \(.subject_handle)"' "$T/r.body")" "appeal_list $RES_C" \
	"the list read names C, whose appeal it showed"
is "$(jq -r --arg c "$RES_C" '[.actions[] | select(.action == "lookup" and .detail == "epidemiological_investigation")][0].subject_handle == $c' "$T/r.body")" \
	true "and so does desk-1's earlier look-up of C"

# Who may ask, and bad queries.
for who in VERIFIER AUDITOR ADMIN SESSION_B; do
	api GET /v1/officer/actions "${!who}"
	case $who in
	SESSION_B) want=401 ;; # its session ended with the erasure
	*) want=403 ;;
	esac
	is "$ST" "$want" "GET /v1/officer/actions as ${who,,}: $want"
done
api POST /v1/login "" "$(jq -cn --arg i "$ID_A" --arg p "$PASS" '{id_number: $i, passphrase: $p}')"
api GET /v1/officer/actions "$(jbody .token)"
error_is 403 wrong_role "a resident's session"
api GET /v1/officer/actions ""
error_is 401 no_token "no token"
api GET '/v1/officer/actions?limit=0' "$OFFICER"
error_is 400 bad_query "limit=0"
api GET '/v1/officer/actions?before=0' "$OFFICER"
error_is 400 bad_query "before=0"
api GET '/v1/officer/actions?limit=x' "$OFFICER"
error_is 400 bad_query "limit=x"

# Nothing personal in any answer or the server's log.
grep -qi -e 'Officer-Alpha' -e 'Officer-Beta' -e 'Officer-Gamma' -e "$ID_A" -e "$ID_B" -e "$ID_C" \
	"$T/errors.all" "$T/serve.log"
ok $((!$?)) "no name or ID number in the error answers or the server's log"

done_testing
