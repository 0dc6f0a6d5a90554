#!/bin/bash
# appeals: a resident appeals their status and an officer answers, over
# HTTP against a real ankangd (docs/API.md, "Appeals"): open (201, 409
# appeal_open for a second, 400 for a bad reason or text), the resident's
# own list (their text back, decrypted for them), the officers' list
# (oldest first, masked names, no text, one appeal_list leaf per appeal
# shown), an officer's read of one appeal (its text, audited), the answer
# (upheld: the status changes with reason appeal_upheld, the codes
# outstanding are revoked and superseded, two leaves; rejected; 409 on a
# second answer; 400 without a reason or with another decision's), the
# resident seeing the decision and the officer's label, overdue appeals
# flagged with a short --appeal-deadline (in the list and in the
# auditors' report, counted against the team of the officer who set the
# status), who may call what (a resident cannot read another's appeal;
# verifiers and auditors are refused), and the appeal's text never in
# the data folder's files, the server's log, an error body or a leaf.
# Personal data and tokens are compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

DIR=$T/data
DB=$DIR/ankang.db
AUDIT=$ANKANG_BIN/ankang-audit

leaf_at() { svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where idx = $1" | cut -d' ' -f3-; }
leaf_count() {
	svc_sql "$DB" "select count(*) from log_leaves where
		rtrim(cast(leaf as text), char(10)) glob '$1'"
}
subject_at() { leaf_at "$1" | cut -d' ' -f3; }
error_is() {
	is "$ST $(jbody .error)" "$1 $2" "$3: $1 $2"
	is_error_body
	ok $? "$3: the body is exactly {error, message}"
}
login_body() { jq -cn --arg i "$1" --arg p "$2" '{id_number: $i, passphrase: $p}'; }
appeal_body() { jq -cn --arg r "$1" --arg t "$2" '{reason: $r, text: $t}'; }

svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
"$ANKANG_BIN/ankangd" account add --data "$DIR" --role officer --name desk-1 \
	--team district-3 >"$T/off1" 2>/dev/null
OFFICER=$(cat "$T/off1")
OFFICER2=$(svc_account "$DIR" officer desk-2)
VERIFIER=$(svc_account "$DIR" verifier gate-1)
AUDITOR=$(svc_account "$DIR" auditor inspector-1)
OFF_ID=$(svc_sql "$DB" "select id from accounts where name = 'desk-1'")
OFF2_ID=$(svc_sql "$DB" "select id from accounts where name = 'desk-2'")
is "$(svc_sql "$DB" "select team from accounts where name = 'desk-1'")" district-3 \
	"account add --team: the officer's team is stored"
like "$("$ANKANG_BIN/ankangd" account list --data "$DIR" | grep ' desk-1$')" ' district-3 +active +desk-1$' \
	"account list shows the team"
"$ANKANG_BIN/ankangd" account add --data "$DIR" --role officer --name desk-9 \
	--team 'Team Nine' >/dev/null 2>&1
is $? 2 "account add refuses a team that is not a label"
svc_start "$DIR"
at_exit svc_stop

# Made-up people; the appeal texts are personal data too.
NAME_A='测试申诉甲'
NAME_B='Test Appellant Beta'
ID_A=$(gb_id 11010519850101201)
ID_B=$(gb_id 34010219920615302)
PASS_A='appeal passphrase a'
PASS_B='appeal passphrase b'
TEXT_A='我只是去银行取款, 不在风险区 Zq7-appeal-secret'
TEXT_B='Xv9 distinctive appeal words of beta'

for who in A B; do
	n=NAME_$who i=ID_$who p=PASS_$who
	api POST /v1/enroll "" "$(jq -cn --arg n "${!n}" --arg i "${!i}" --arg w "${!p}" \
		'{name: $n, id_number: $i, passphrase: $w}')"
	is "$ST" 201 "enrol $who"
	printf -v "RES_$who" '%s' "$(jbody .resident)"
	api POST /v1/login "" "$(login_body "${!i}" "${!p}")"
	printf -v "TOKEN_$who" '%s' "$(jbody .token)"
done

# An officer sets A red: the status A will appeal, set by desk-1.
api PUT "/v1/residents/$RES_A/status" "$OFFICER" '{"status": "red", "reason": "close_contact"}'
is "$ST" 200 "desk-1 sets A red"
PSEUDO_A=$(subject_at "$(jbody .log_index)")
api GET /v1/me/code "$TOKEN_A"
is "$ST" 200 "A gets a (red) code"
CTI_RED=$(leaf_at "$(jbody .log_index)" | cut -d' ' -f4)

# --- open --------------------------------------------------------------------
api POST /v1/me/appeals "$TOKEN_A" "$(appeal_body not_in_risk_area "$TEXT_A")"
is "$ST" 201 "A appeals: 201"
APPEAL_A=$(jbody .appeal)
like "$APPEAL_A" '^apl_[0-9a-f]{32}$' "an appeal handle, apl_ and 32 hex digits"
is "$(jbody '[.state, (.due | type), (.log_index | type)] | join(" ")')" "open number number" \
	"state open, a due time and a log index"
is "$(jbody 'keys | join(" ")')" "appeal due log_index state" "nothing else"
like "$(leaf_at "$(jbody .log_index)")" "^resident:- appeal_open $PSEUDO_A - ok not_in_risk_area\$" \
	"its leaf: appeal_open, A's pseudonym, the reason"

api POST /v1/me/appeals "$TOKEN_A" "$(appeal_body other "again")"
error_is 409 appeal_open "a second appeal while one is open"
is "$(svc_sql "$DB" "select count(*) from appeals")" 1 "no second row"
# The schema refuses it too, whatever the code above it does.
svc_sql "$DB" "insert into appeals (handle, resident_id, reason, text_sealed, status, opened, due)
	select randomblob(16), resident_id, 'other', text_sealed, 2, 1, 2 from appeals" 2>/dev/null
ok $((! $?)) "the schema refuses a second open appeal of one resident (partial unique index)"
svc_sql "$DB" "update appeals set reason = 'my own words'" 2>/dev/null
ok $((! $?)) "the schema refuses a reason that is not a word of the list"

api POST /v1/me/appeals "$TOKEN_B" '{"reason": "because"}'
error_is 400 bad_reason "a reason not on the list"
api POST /v1/me/appeals "$TOKEN_B" '{"text": "no reason"}'
error_is 400 bad_field "no reason"
api POST /v1/me/appeals "$TOKEN_B" "$(appeal_body other "$(printf 'x%.0s' $(seq 1 501))")"
error_is 400 bad_field "a text of 501 characters"
api POST /v1/me/appeals "$TOKEN_B" "$(appeal_body other "$(printf '😀%.0s' $(seq 1 501))")"
error_is 400 bad_field "a text of 501 emoji (4 bytes each)"
api POST /v1/me/appeals "$TOKEN_B" "$(appeal_body other "$(printf '申%.0s' $(seq 1 500))")"
is "$ST" 201 "a text of 500 Chinese characters (1500 bytes) is accepted"
APPEAL_B=$(jbody .appeal)
api POST /v1/me/appeals "$TOKEN_B" "$(jq -cn '{reason: "other", text: "a\u0007b"}')"
error_is 400 bad_field "a text with a control character"
api POST /v1/me/appeals "$TOKEN_B" "$(appeal_body other "$(printf 'line one\nline two')")"
error_is 409 appeal_open "B's second while B's first is open"
is "$(svc_sql "$DB" "select count(distinct length(text_sealed)) || ' ' || max(length(text_sealed)) from appeals")" \
	"1 2041" "every sealed text has one length, whatever the text's (2041 bytes)"

# --- the resident's own ---------------------------------------------------------
api GET /v1/me/appeals "$TOKEN_A"
is "$ST" 200 "A lists their appeals: 200"
same "$(jbody '.appeals[0].text')" "$TEXT_A" "A reads their own text back"
is "$(jbody '.appeals | length') $(jbody '.appeals[0] | [.appeal, .state, .reason, .decision, .officer, .answered] | map(tostring) | join(" ")')" \
	"1 $APPEAL_A open not_in_risk_area null null null" "open, the reason, no decision yet"
like "$(leaf_at "$(jbody .log_index)")" "^resident:- appeals_read $PSEUDO_A - ok -\$" \
	"the read is audited: appeals_read"
is "$(jbody '.appeals[0] | .due - .opened')" 86400 "due a day after it opened (the default --appeal-deadline)"

# --- officers' list -------------------------------------------------------------
api GET /v1/appeals "$OFFICER"
is "$ST" 200 "an officer lists open appeals: 200"
is "$(jbody '[.appeals[].appeal] | join(" ")')" "$APPEAL_A $APPEAL_B" "oldest first"
is "$(jbody '.appeals[0] | [.resident, .status, .reason, .overdue, (.age | type), (.due | type)] | map(tostring) | join(" ")')" \
	"$RES_A red not_in_risk_area false number number" \
	"with the resident's handle, current status, reason, age, due, not overdue"
is "$(jbody '[.appeals[] | has("text")] | any')" false "no text in the list"
is "$(jbody '.appeals[0].name')" "测*甲" "the name masked"
same "$(grep -c "$NAME_B" "$T/r.body")" 0 "no full name in the list"
list_idx=$(jbody .log_index)
is "$(leaf_at "$list_idx")" "officer:$OFF_ID appeal_list $PSEUDO_A - ok appeal_review" \
	"one appeal_list leaf per appeal shown, the first about A"
like "$(leaf_at $((list_idx + 1)))" "^officer:$OFF_ID appeal_list [0-9a-f]{32} - ok appeal_review\$" \
	"and the second about B"
api GET '/v1/appeals?state=answered' "$OFFICER"
is "$ST $(jbody '.appeals | length')" "200 0" "no answered appeals yet"
like "$(leaf_at "$(jbody .log_index)")" "^officer:$OFF_ID appeal_list - - ok appeal_review\$" \
	"an empty list is one leaf about nobody"
api GET '/v1/appeals?state=closed' "$OFFICER"
error_is 400 bad_query "state=closed"

# --- one appeal -----------------------------------------------------------------
api GET "/v1/appeals/$APPEAL_A" "$OFFICER"
is "$ST" 200 "an officer reads A's appeal: 200"
same "$(jbody .text)" "$TEXT_A" "with its text"
is "$(jbody '[.resident, .name, .status, .reason, .state] | join(" ")')" \
	"$RES_A 测*甲 red not_in_risk_area open" "its resident, masked name, status, reason, state"
like "$(leaf_at "$(jbody .log_index)")" "^officer:$OFF_ID appeal_read $PSEUDO_A - ok appeal_review\$" \
	"the read is audited: appeal_read, A's pseudonym"
api GET "/v1/appeals/apl_00000000000000000000000000000000" "$OFFICER"
error_is 404 not_found "no such appeal"
api GET "/v1/appeals/$RES_A" "$OFFICER"
error_is 404 not_found "a resident's handle is no appeal's"

# --- who may -------------------------------------------------------------------
api GET "/v1/appeals/$APPEAL_A" "$TOKEN_B"
error_is 403 wrong_role "a resident cannot read another's appeal"
api GET /v1/appeals "$TOKEN_B"
error_is 403 wrong_role "a resident cannot list appeals"
api POST "/v1/appeals/$APPEAL_A/answer" "$TOKEN_A" '{"decision": "upheld", "reason": "record_error"}'
error_is 403 wrong_role "a resident cannot answer their own"
for tok in VERIFIER AUDITOR; do
	api GET /v1/appeals "${!tok}"
	error_is 403 wrong_role "$tok: no list"
	api GET "/v1/appeals/$APPEAL_A" "${!tok}"
	error_is 403 wrong_role "$tok: no read"
	api POST "/v1/appeals/$APPEAL_A/answer" "${!tok}" '{"decision": "upheld", "reason": "record_error"}'
	error_is 403 wrong_role "$tok: no answer"
	api GET /v1/me/appeals "${!tok}"
	error_is 403 wrong_role "$tok: no /v1/me/appeals"
done
api GET /v1/me/appeals ""
error_is 401 no_token "no token"

# --- answer ---------------------------------------------------------------------
api POST "/v1/appeals/$APPEAL_A/answer" "$OFFICER2" '{"decision": "upheld"}'
error_is 400 bad_field "an answer without a reason"
api POST "/v1/appeals/$APPEAL_A/answer" "$OFFICER2" '{"decision": "upheld", "reason": "status_confirmed"}'
error_is 400 bad_reason "upheld with a rejection's reason"
api POST "/v1/appeals/$APPEAL_A/answer" "$OFFICER2" '{"decision": "maybe", "reason": "record_error"}'
error_is 400 bad_field "a decision that is neither"
api POST "/v1/appeals/$APPEAL_A/answer" "$OFFICER2" '{"decision": "rejected", "reason": "status_confirmed", "status": "green"}'
error_is 400 bad_status "a rejection with a status"
is "$(svc_sql "$DB" "select count(*) from appeals where answered is not null")" 0 "none of those answered"

api POST "/v1/appeals/$APPEAL_A/answer" "$OFFICER2" '{"decision": "upheld", "reason": "record_error"}'
is "$ST" 200 "desk-2 upholds A's appeal: 200"
is "$(jbody '[.appeal, .state, .decision, .reason, .status, .revoked] | map(tostring) | join(" ")')" \
	"$APPEAL_A answered upheld record_error green 1" "answered, upheld, record_error, green, one code revoked"
ans_idx=$(jbody .log_index)
is "$(leaf_at "$ans_idx")" "officer:$OFF2_ID appeal_answer $PSEUDO_A - ok record_error" \
	"the answer's leaf: appeal_answer, A, the reason"
is "$(leaf_at $((ans_idx + 1)))" "officer:$OFF2_ID status_set $PSEUDO_A - ok appeal_upheld" \
	"then status_set with appeal_upheld, in the same operation"
RID_A=$(row_id "$DB" "$RES_A")
is "$(svc_sql "$DB" "select status || ' ' || status_index from residents where id = $RID_A")" \
	"0 $((ans_idx + 1))" "A is green, set by the status_set leaf"
is "$(svc_sql "$DB" "select reason || ' ' || officer_id from status_history where resident_id = $RID_A order by id desc limit 1")" \
	"appeal_upheld $OFF2_ID" "A's history: appeal_upheld by desk-2"
is "$(svc_sql "$DB" "select count(*) from revocations where lower(hex(cti)) = '$CTI_RED'")" 1 \
	"the red code is revoked"
api GET /v1/me/history "$TOKEN_A"
is "$(jbody '.history[0] | [.status, .reason] | join(" ")')" "green appeal_upheld" \
	"A's history says why"

api POST "/v1/appeals/$APPEAL_A/answer" "$OFFICER" '{"decision": "rejected", "reason": "status_confirmed"}'
error_is 409 appeal_closed "a second answer"
api POST "/v1/appeals/$APPEAL_B/answer" "$OFFICER" '{"decision": "rejected", "reason": "evidence_insufficient"}'
is "$ST $(jbody '[.state, .decision, .reason, has("status")] | map(tostring) | join(" ")')" \
	"200 answered rejected evidence_insufficient false" "desk-1 rejects B's: no status change"
like "$(leaf_at "$(jbody .log_index)")" "^officer:$OFF_ID appeal_answer [0-9a-f]{32} - ok evidence_insufficient\$" \
	"one leaf for a rejection"

api GET /v1/me/appeals "$TOKEN_A"
is "$(jbody '.appeals[0] | [.state, .decision, .answer_reason, .officer, (.answered | type)] | join(" ")')" \
	"answered upheld record_error desk-2 number" "A sees the decision, the reason and the officer's label"
api GET '/v1/appeals?state=answered' "$OFFICER"
is "$(jbody '[.appeals[].appeal] | join(" ")')" "$APPEAL_A $APPEAL_B" "both are answered now"
api GET /v1/appeals "$OFFICER"
is "$(jbody '.appeals | length')" 0 "and none is open"

# A may appeal again, now that the first is answered.
api POST /v1/me/appeals "$TOKEN_A" "$(appeal_body wrong_person "")"
is "$ST" 201 "a new appeal once the first is answered (an empty text is fine)"

# --- overdue --------------------------------------------------------------------
svc_stop
svc_start "$DIR" --appeal-deadline 1
api PUT "/v1/residents/$RES_B/status" "$OFFICER" '{"status": "yellow", "reason": "secondary_contact"}'
api POST /v1/me/appeals "$TOKEN_B" "$(appeal_body negative_test "$TEXT_B")"
is "$ST" 201 "B appeals under a one-second deadline"
APPEAL_B2=$(jbody .appeal)
got=
for _ in $(seq 1 "$(patience 60)"); do
	api GET /v1/appeals "$OFFICER"
	got=$(jbody "[.appeals[] | select(.appeal == \"$APPEAL_B2\") | .overdue] | first")
	[ "$got" = true ] && break
	sleep 0.1
done
is "$got" true "past its due, B's appeal is flagged overdue in the officers' list"
api GET /v1/audit/report "$AUDITOR"
is "$ST" 200 "the auditors' report: 200"
is "$(jbody '.appeals | [.deadline, .open, .overdue] | map(tostring) | join(" ")')" "1 2 1" \
	"the report: the service's deadline, two open appeals, one overdue (A's was due a day after it opened)"
is "$(jbody '[.appeals.overdue_by_team[] | "\(.team) \(.count)"] | join(",")')" "district-3 1" \
	"counted against the team of the officer who set the status appealed"
is "$(jbody '.appeals.overdue_list[0] | [.appeal, .officer, .team] | join(" ")')" \
	"$APPEAL_B2 desk-1 district-3" "listed with the officer who set the status and the team"
is "$(jbody '.flagged')" true "and the report is flagged"
"$AUDIT" report --server "$URL" --token "$AUDITOR" --json >"$T/report.json" 2>"$T/report.err"
is $? 1 "ankang-audit report exits 1: something is flagged"
is "$(jq -r '.appeals | [.deadline, .overdue] | map(tostring) | join(" ")' "$T/report.json")" "1 1" \
	"ankang-audit report, from the server: one overdue appeal"
"$AUDIT" report --server "$URL" --token "$AUDITOR" >"$T/report.txt" 2>&1
like "$(grep -i 'overdue' "$T/report.txt" | head -1)" 'overdue' "its text output flags them"
grep -q 'district-3' "$T/report.txt"
ok $? "with the team's count"
"$AUDIT" report --server "$URL" --token "$AUDITOR" --appeal-deadline 60 >/dev/null 2>&1
is $? 2 "--appeal-deadline with --server: a usage error (the server judges by its own)"

# --- erasure ---------------------------------------------------------------------
RID_B=$(row_id "$DB" "$RES_B")
api DELETE /v1/me "$TOKEN_B"
is "$ST" 200 "B erases themselves"
is "$(svc_sql "$DB" "select count(*) || ' ' || count(text_sealed) from appeals where resident_id = $RID_B")" \
	"2 0" "B's appeals stay as records of an answer owed, their texts gone"
api GET '/v1/appeals?state=all' "$OFFICER"
is "$(jbody "[.appeals[] | select(.resident == \"$RES_B\")] | length")" 0 \
	"an erased resident's appeals are no longer listed"
api GET "/v1/appeals/$APPEAL_B2" "$OFFICER"
error_is 404 not_found "nor read"

# --- the log and the files --------------------------------------------------------
svc_stop
is "$SERVER_STATUS" 0 "the server stops cleanly"
"$AUDIT" verify --db "$(svc_db "$DIR")" --log-key "$DIR/public/log.vkey" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify: the log verifies"
"$AUDIT" report --db "$(svc_db "$DIR")" --json --appeal-deadline 1 >"$T/report-db.json" 2>"$T/report.err"
is $? 1 "ankang-audit report --db --appeal-deadline 1: flagged"
is "$(jq -r '.appeals | [.open, .overdue, (.overdue_by_team | map("\(.team) \(.count)") | join(","))] | map(tostring) | join(" ")' "$T/report-db.json")" \
	"1 1 null 1" "judged by a second's deadline, A's open appeal is overdue (its status set by desk-2, no team)"
"$AUDIT" report --db "$(svc_db "$DIR")" --json >"$T/report-db.json" 2>"$T/report.err"
is "$(jq -r '.appeals | [.open, .overdue, (.overdue_by_team | map("\(.team) \(.count)") | join(","))] | map(tostring) | join(" ")' "$T/report-db.json")" \
	"1 0 " "from the database copy: B's overdue appeal went with B's erasure, A's is open"
"$AUDIT" report --db "$(svc_db "$DIR")" --json --appeal-deadline 31622400 >"$T/report-db.json" 2>"$T/report.err"
is "$(jq -r '.appeals | [.deadline, .overdue] | map(tostring) | join(" ")' "$T/report-db.json")" \
	"31622400 0" "judged by a deadline of a year, none is overdue"
for f in "$DB" "$DB-wal" "$DB-index" "$DB-index-wal" "$T/serve.log" "$T/errors.all"; do
	[ -f "$f" ] || continue
	n=0
	for s in "$TEXT_A" "Zq7-appeal-secret" "$TEXT_B" "Xv9 distinctive" "$NAME_A" "$NAME_B" "$ID_A" "$ID_B"; do
		n=$((n + $(grep -caF -- "$s" "$f")))
	done
	is "$n" 0 "$(basename "$f"): no appeal text, name or ID number (grep -c = 0)"
done
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	is "$(svc_pg_files "$TEXT_A" "Zq7-appeal-secret" "$TEXT_B" "Xv9 distinctive" "$NAME_A" "$NAME_B" \
		"$ID_A" "$ID_B")" 0 "no file of the PostgreSQL cluster (tables, WAL) holds an appeal text, name or ID number"
fi
n=0
for s in "Zq7-appeal-secret" "Xv9 distinctive"; do
	n=$((n + $(svc_sql "$DB" "select count(*) from log_leaves where instr(cast(leaf as text), '$s') > 0")))
done
is "$n" 0 "no leaf holds the appeal texts"
done_testing
