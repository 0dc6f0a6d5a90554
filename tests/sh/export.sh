#!/usr/bin/env bash
# export: GET /v1/me/export over HTTP against a real ankangd (docs/API.md,
# "My data"):
#   - the document is complete: the resident's fields decrypted (name, ID
#     number, phone), status and status history with reasons and the
#     officer's account label, every live session, and every log entry
#     about the resident with its index, exactly as the log holds it;
#   - it is exactly mine: two residents, each export holds only its own
#     data and its own entries (the same set the log's subject index
#     holds), and nothing of the other;
#   - every access index in it is proven in the signed log with the
#     resident's own token (GET /v1/audit/proof/inclusion, checked offline
#     by ankang-audit check-proof), and a tampered twin fails;
#   - its appeals (with the text, unsealed) and household links are the
#     resident's own, and the other person of a link is named by handle
#     only (their name is theirs: service/http/export_household.c);
#   - it is audited (`export`, subject the resident), served as an
#     attachment, and refused to every other role;
#   - nothing of it reaches the server's log, the error bodies or the
#     data folder in the clear.
# Personal data is compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq sqlite3; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

DIR=$T/data
DB=$DIR/ankang.db
AUDIT=$ANKANG_BIN/ankang-audit
svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
OFFICER=$(svc_account "$DIR" officer desk-7)
VERIFIER=$(svc_account "$DIR" verifier gate-7)
AUDITOR=$(svc_account "$DIR" auditor inspector-7)
ADMIN=$(svc_account "$DIR" admin operator-7)
svc_start "$DIR"
at_exit svc_stop

leaf_at() { svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where idx = $1" | cut -d' ' -f3-; }

# Made-up people.
NAME_A='测试导出甲'
NAME_B='Test Export-Beta'
ID_A=$(gb_id 34010219900101187)
ID_B=$(gb_id 11010519800101232)
PHONE_A=13800138123
PASS_A='export passphrase alpha'
PASS_B='export passphrase beta'
TEXT_A='Exported appeal text: I was never in that district.'
NAME_K='测试导出孩'
ID_K=$(gb_id 11010520190401203) # born 2019: under 14, added at once

enrol() {
	api POST /v1/enroll "" "$(jq -cn --arg n "$1" --arg i "$2" --arg p "$3" --arg t "$4" \
		'{name: $n, id_number: $i, passphrase: $p} + (if $t == "" then {} else {phone: $t} end)')"
}
login() { api POST /v1/login "" "$(jq -cn --arg i "$1" --arg p "$2" '{id_number: $i, passphrase: $p}')"; }

enrol "$NAME_A" "$ID_A" "$PASS_A" "$PHONE_A"
is "$ST" 201 "A enrols (with a phone)"
RES_A=$(jbody .resident)
PSEUDO_A=$(leaf_at "$(jbody .log_index)" | cut -d' ' -f3)
enrol "$NAME_B" "$ID_B" "$PASS_B" ""
is "$ST" 201 "B enrols (no phone)"
RES_B=$(jbody .resident)
PSEUDO_B=$(leaf_at "$(jbody .log_index)" | cut -d' ' -f3)
login "$ID_A" "$PASS_A"
TOK_A1=$(jbody .token)
login "$ID_A" "$PASS_A"
TOK_A=$(jbody .token)
login "$ID_B" "$PASS_B"
TOK_B=$(jbody .token)
is "$ST" 200 "A logs in twice, B once"

# Some history: an officer changes A's status, looks B up; each gets a code.
api PUT "/v1/residents/$RES_A/status" "$OFFICER" '{"status": "yellow", "reason": "close_contact"}'
is "$ST" 200 "an officer sets A yellow (close_contact)"
api POST /v1/lookup "$OFFICER" "$(jq -cn --arg i "$ID_B" '{id_number: $i, purpose: "status_correction"}')"
is "$ST" 200 "an officer looks B up"
api GET /v1/me/code "$TOK_A"
is "$ST" 200 "A gets a code"
api GET /v1/me/code "$TOK_B"
is "$ST" 200 "B gets a code"
api POST /v1/me/appeals "$TOK_A" "$(jq -cn --arg t "$TEXT_A" '{reason: "not_in_risk_area", text: $t}')"
is "$ST" 201 "A appeals the yellow status"
APPEAL_A=$(jbody .appeal)
api POST /v1/me/household "$TOK_A" "$(jq -cn --arg n "$NAME_K" --arg i "$ID_K" \
	'{name: $n, id_number: $i, relation: "child"}')"
is "$ST" 201 "A adds a child to the household"
MEMBER_A=$(jbody .member)

# --- A's export ----------------------------------------------------------
api GET /v1/me/export "$TOK_A"
cp "$T/r.body" "$T/a.json"
is "$ST" 200 "A's export: 200"
is "$(hdr Content-Type)" "application/json" "as application/json"
is "$(hdr Content-Disposition)" 'attachment; filename="ankang-export.json"' \
	"as an attachment named ankang-export.json"
is "$(jq -c 'keys' "$T/a.json")" \
	'["accesses","appeals","exported","household","log_index","resident","sessions","status_history"]' \
	"the document's parts"
EXP_IDX=$(jq .log_index "$T/a.json")
is "$(leaf_at "$EXP_IDX")" "resident:- export $PSEUDO_A - ok -" \
	"audited: an export leaf, subject A, ok"

is "$(jq -r '.resident.handle' "$T/a.json")" "$RES_A" "resident.handle is A's"
same "$(jq -r '.resident.name' "$T/a.json")" "$NAME_A" "resident.name is A's, decrypted"
same "$(jq -r '.resident.id_number' "$T/a.json")" "$ID_A" "resident.id_number is A's, in full"
same "$(jq -r '.resident.phone' "$T/a.json")" "$PHONE_A" "resident.phone is A's"
is "$(jq -r '.resident.status' "$T/a.json")" yellow "resident.status: yellow"
is "$(jq -r '.resident | [.created, .status_changed] | map(type) | join(" ")' "$T/a.json")" \
	"number number" "created and status_changed are times"

is "$(jq -c '.status_history[0] | [.status, .reason, .officer]' "$T/a.json")" \
	'["yellow","close_contact","desk-7"]' \
	"the newest status change: yellow, close_contact, by the officer's account label"
is "$(jq '.status_history | length' "$T/a.json")" \
	"$(svc_sql "$DB" "select count(*) from status_history where resident_id = $(row_id "$DB" "$RES_A")")" \
	"every status history row of A's"

is "$(jq -c '[.sessions | length, (map(select(.current)) | length)]' "$T/a.json")" "[2,1]" \
	"sessions: A's two, one of them the one asking"

# Every leaf about A before the export, and nothing else.
want=$(svc_sql "$DB" "select idx from log_leaves where idx < $EXP_IDX and \
	cast(leaf as text) glob '* $PSEUDO_A *' order by idx desc" | jq -sc .)
is "$(jq -c '[.accesses[].index]' "$T/a.json")" "$want" \
	"accesses: every log entry about A, newest first, with its log index"
like "$(jq -r '[.accesses[].action] | unique | join(" ")' "$T/a.json")" \
	'enroll.*issue.*login.*status_set' "they include the enrolment, log-ins, the status change, the code"
bad=0
for idx in $(jq -r '.accesses[].index' "$T/a.json"); do
	words=$(leaf_at "$idx")
	got=$(jq -r --argjson i "$idx" '.accesses[] | select(.index == $i) |
		"\(.actor_role):\(.action) \(.code // "-") \(.result) \(.detail)"' "$T/a.json")
	set -- $words
	want_w="${1%%:*}:$2 $4 $5 $6"
	[ "$got" = "$want_w" ] || { bad=$((bad + 1)); diag "entry $idx differs from the log"; }
done
is "$bad" 0 "each access says what its leaf says (role, action, code, result, detail)"
is "$(jq -r '[.accesses[] | select(.action == "status_set")][0].actor' "$T/a.json")" desk-7 \
	"an officer's access names the officer's account"
is "$(jq -c '[.appeals[] | [.appeal, .state, .reason, .appealed_status]]' "$T/a.json")" \
	"[[\"$APPEAL_A\",\"open\",\"not_in_risk_area\",\"yellow\"]]" \
	"appeals: A's one appeal, open, its reason and the status appealed"
same "$(jq -r '.appeals[0].text' "$T/a.json")" "$TEXT_A" "the appeal's text, unsealed for A"
is "$(jq -c '.household.members | map([.member, .relation, .state, .consent])' "$T/a.json")" \
	"[[\"$MEMBER_A\",\"child\",\"active\",\"minor\"]]" \
	"household.members: the child A added, active as a minor"
is "$(jq -c '.household.guardians' "$T/a.json")" '[]' "household.guardians: nobody added A"
is "$(grep -cF -- "$NAME_K" "$T/a.json")" 0 "the member's name is not in A's export (it is theirs)"

# --- B's export: exactly B's ---------------------------------------------
api GET /v1/me/export "$TOK_B"
cp "$T/r.body" "$T/b.json"
is "$ST" 200 "B's export: 200"
EXP_IDX_B=$(jq .log_index "$T/b.json")
is "$(leaf_at "$EXP_IDX_B")" "resident:- export $PSEUDO_B - ok -" "audited: subject B"
is "$(jq -r .resident.handle "$T/b.json")" "$RES_B" "B's export holds B's handle"
same "$(jq -r .resident.name "$T/b.json")" "$NAME_B" "and B's name"
is "$(jq -r .resident.phone "$T/b.json")" null "B gave no phone: null"
want=$(svc_sql "$DB" "select idx from log_leaves where idx < $EXP_IDX_B and \
	cast(leaf as text) glob '* $PSEUDO_B *' order by idx desc" | jq -sc .)
is "$(jq -c '[.accesses[].index]' "$T/b.json")" "$want" "B's accesses: every entry about B"
is "$(jq -c --slurpfile a "$T/a.json" '[.accesses[].index] - [$a[0].accesses[].index] ==
	[.accesses[].index]' "$T/b.json")" true "none of A's entries is in B's export"
is "$(jq '.status_history | length' "$T/b.json")" \
	"$(svc_sql "$DB" "select count(*) from status_history where resident_id = $(row_id "$DB" "$RES_B")")" \
	"B's status history is B's"
is "$(jq '.sessions | length' "$T/b.json")" 1 "B's one session"
n=0
for s in "$NAME_A" "$ID_A" "$PHONE_A" "$RES_A" "$PSEUDO_A" "$TEXT_A" "$APPEAL_A" "$MEMBER_A"; do
	n=$((n + $(grep -cF -- "$s" "$T/b.json")))
done
is "$n" 0 "B's export holds nothing of A's (name, ID number, phone, handle, pseudonym, appeal, member)"
n=0
for s in "$NAME_B" "$ID_B" "$RES_B" "$PSEUDO_B"; do n=$((n + $(grep -cF -- "$s" "$T/a.json"))); done
is "$n" 0 "A's export holds nothing of B's"

# --- every access of A's, proven in the signed log -----------------------
want_size=$((EXP_IDX + 1))
size=0
for _ in $(seq 1 "$(patience 100)"); do # checkpoints are signed at most once a second
	api GET /v1/audit/checkpoint "$TOK_A"
	cp "$T/r.body" "$T/checkpoint.note"
	size=$(sed -n 2p "$T/checkpoint.note")
	[ "$ST" = 200 ] && [ "${size:-0}" -ge "$want_size" ] && break
	sleep 0.1
done
ok "$([ "${size:-0}" -ge "$want_size" ]; echo $?)" "a signed checkpoint covers A's export"
bad=0
checked=0
for idx in $(jq -r '.accesses[].index' "$T/a.json") "$EXP_IDX"; do
	api GET "/v1/audit/proof/inclusion?index=$idx&size=$size" "$TOK_A"
	if [ "$ST" != 200 ]; then
		bad=$((bad + 1))
		diag "proof of $idx: status $ST"
		continue
	fi
	leaf=$(svc_sql "$DB" "select hex(leaf) from log_leaves where idx = $idx" | xxd -r -p | base64 -w0)
	{
		echo "c2sp.org/tlog-proof@v1"
		echo "index $idx"
		jq -r '.proof[]' "$T/r.body"
		echo
		cat "$T/checkpoint.note"
	} >"$T/proof.txt"
	"$AUDIT" check-proof "$T/proof.txt" --log-key "$DIR/public/log.vkey" --leaf-b64 "$leaf" \
		>/dev/null 2>&1 || { bad=$((bad + 1)); diag "proof of $idx does not verify"; }
	checked=$((checked + 1))
done
is "$bad" 0 "every one of A's $checked exported entries (and the export's own) is proven"
other=$(svc_sql "$DB" "select hex(leaf) from log_leaves where idx = $EXP_IDX_B" | xxd -r -p | base64 -w0)
"$AUDIT" check-proof "$T/proof.txt" --log-key "$DIR/public/log.vkey" --leaf-b64 "$other" \
	>/dev/null 2>&1
is $? 1 "the tampered twin: the last proof does not prove B's export leaf"
api GET "/v1/audit/proof/inclusion?index=$(jq '.accesses[-1].index' "$T/b.json")&size=$size" "$TOK_A"
is "$ST/$(jbody .error)" 403/not_yours "A may not prove B's entry"

# --- refused to everyone else --------------------------------------------
before=$(svc_sql "$DB" "select count(*) from log_leaves")
for who in "none:" "verifier:$VERIFIER" "officer:$OFFICER" "auditor:$AUDITOR" "admin:$ADMIN"; do
	api GET /v1/me/export "${who#*:}"
	want=403
	[ -z "${who#*:}" ] && want=401
	is "$ST" "$want" "an export asked for by ${who%%:*}: $want"
	is_error_body
	ok $? "  with an error body"
done
api GET /v1/me/export "aks_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
is "$ST/$(jbody .error)" 401/bad_token "an unknown session: 401 bad_token"
api POST /v1/me/export "$TOK_A" '{}'
like "$ST" '^40[45]$' "POST is not an export"
is "$(svc_sql "$DB" "select count(*) from log_leaves where idx >= $before and \
	cast(leaf as text) glob '* export *'")" 0 "a refused export writes no export leaf"

# A session that ended exports nothing.
api DELETE /v1/session "$TOK_A1"
api GET /v1/me/export "$TOK_A1"
is "$ST" 401 "an ended session: 401"

# --- privacy ---------------------------------------------------------------
svc_stop
is "$SERVER_STATUS" 0 "the server stops cleanly"
for f in "$DB" "$DB-wal" "$DB-index" "$DB-index-wal" "$T/serve.log" "$T/errors.all"; do
	[ -f "$f" ] || continue
	n=0
	for s in "$NAME_A" "$NAME_B" "$ID_A" "$ID_B" "$PHONE_A" "$PASS_A" "$PASS_B" "$TEXT_A" "$NAME_K" "$ID_K"; do
		n=$((n + $(grep -caF -- "$s" "$f")))
	done
	is "$n" 0 "$(basename "$f"): no name, ID number, phone or passphrase (grep -c = 0)"
done
like "$(grep -c 'GET /v1/me/export' "$T/serve.log")" '^[1-9]' \
	"the server's log names the exports (as requests, nothing of them)"

done_testing
