#!/bin/bash
# officer_verifier_api: the officers', verifiers', public and auditors'
# endpoints over HTTP against a real ankangd (docs/API.md, "Officers",
# "Verifiers", "Public", "Auditors"):
#   - status changes: 200 with the count revoked and a history row; the
#     old code turns `superseded` online and shows up in the served
#     revocation list within about a second, so ankang-verify offline with
#     the fetched lists says `revoked`; bad status/reason 400; an unknown
#     resident 404, audited as not_found with subject -;
#   - look-ups: found (masked name and ID number), not found (404,
#     audited), no or bad purpose (400);
#   - paper codes: 1-31 days, JSON, PNG (read back by zbarimg) and SVG;
#   - online verification: every result class, with answers holding
#     exactly result/name/status, and one `verify` leaf each;
#   - offline scans: idempotent per scan id, one verify_offline leaf per
#     new scan;
#   - the trust and revocation notes verify with the root key (and a
#     tampered copy does not);
#   - the auditors' endpoints, and ankang-audit verify/entries/prove/report
#     --server against them, with a saved --state consistent after more
#     traffic.
# Personal data and tokens are compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

DIR=$T/data
DB=$DIR/ankang.db
D=$ANKANG_BIN/ankangd
VERIFY=$ANKANG_BIN/ankang-verify
AUDIT=$ANKANG_BIN/ankang-audit

MKCRED=
for h in ${ANKANG_HELPERS:-} "$ANKANG_BIN/../tests/helpers" build/tests/helpers; do
	if [ -x "$h/mkcred" ] && [ -f "$h/mkcred" ] && [ -x "$h/credsig" ]; then
		MKCRED=$h/mkcred
		CREDSIG=$h/credsig
		break
	fi
done
[ -n "$MKCRED" ] || { echo "Bail out! tests/helpers/{mkcred,credsig} are not built (make tests)"; exit 1; }
# sig_of CRED: the code's signature in hex, as a verifier's spool keeps it.
sig_of() { printf '%s\n' "$1" | "$CREDSIG"; }
NOBODY=res_00000000000000000000000000000000

ZBAR=(zbarimg --raw -q)
zbarimg --help 2>&1 | grep -q -- --nodbus && ZBAR+=(--nodbus)

# leaf_at IDX: the leaf's words after its time: actor action subject object result detail.
leaf_at() { svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where idx = $1" | cut -d' ' -f3-; }
log_size() { svc_sql "$DB" "select count(*) from log_leaves"; }
# count_leaves GLOB: how many leaves' lines match GLOB (the log stores only
# a leaf's bytes, not its fields).
count_leaves() { svc_sql "$DB" "select count(*) from log_leaves where cast(leaf as text) glob '$1'"; }
error_is() {
	is "$ST $(jbody .error)" "$1 $2" "$3: $1 $2"
	is_error_body
	ok $? "$3: the body is exactly {error, message}"
}
verify_json() { jq -cn --arg c "$1" '{credential: $c}'; }
# verify CRED: POST /v1/verify as the verifier.
verify() { api POST /v1/verify "$VERIFIER" "$(verify_json "$1")"; }
# cti_of CRED: the credential's id, through the leaf of an online check.
cti_of_last_verify() { leaf_at "$(($(log_size) - 1))" | cut -d' ' -f4; }

svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
OFFICER=$(svc_account "$DIR" officer officer-1)
OFFICER2=$(svc_account "$DIR" officer officer-2)
READER=$(svc_account "$DIR" officer officer-3)
VERIFIER=$(svc_account "$DIR" verifier checkpoint-1)
AUDITOR=$(svc_account "$DIR" auditor inspector-1)
ADMIN=$(svc_account "$DIR" admin admin-1)
OFFICER_ID=$(svc_sql "$DB" "select id from accounts where name = 'officer-1'")
VERIFIER_ID=$(svc_sql "$DB" "select id from accounts where name = 'checkpoint-1'")

# A second data folder: its codes are signed by a key this service does not trust.
svc_init "$T/other" || { echo "Bail out! second ankangd init failed"; exit 1; }
FOREIGN=$(echo 'Test Foreign' | "$D" issue --data "$T/other" --name - --status green --ttl 3600)

# Codes signed in the past need issuer windows that reach back (mkcred).
"$MKCRED" --data "$DIR" --backdate 86400 || { echo "Bail out! mkcred --backdate failed"; exit 1; }
# A body cap large enough for 1001 scans, to see the count refused (the
# default cap, 16 KiB, refuses such a body as too large before that).
svc_start "$DIR" --quiet --max-body 1048576 --officer-reads 40
at_exit svc_stop

# Made-up people (personal data in this test: compared, never printed).
NAME_A='测试甲乙'
NAME_B="Test O'Quinn-Beta"
# Enrolment refuses quotes and backslashes in a name, but a code from
# elsewhere may carry them (FORMAT.md): this one is only ever signed here.
NAME_Q='Test "Quoted" \ Person'
ID_A=$(gb_id 34010219900101123)
ID_B=$(gb_id 11010519800101106)
ID_NOBODY=$(gb_id 32010619750505004)
PASS='correct horse battery'

enrol() {
	api POST /v1/enroll "" "$(jq -cn --arg n "$1" --arg i "$2" --arg p "$PASS" \
		'{name: $n, id_number: $i, passphrase: $p}')"
}
login() {
	api POST /v1/login "" "$(jq -cn --arg i "$1" --arg p "$PASS" '{id_number: $i, passphrase: $p}')"
}
enrol "$NAME_A" "$ID_A"
is "$ST" 201 "enrol A"
RES_A=$(jbody .resident)
RID_A=$(row_id "$DB" "$RES_A")
PSEUDO_A=$(leaf_at "$(jbody .log_index)" | cut -d' ' -f3)
enrol "$NAME_B" "$ID_B"
is "$ST" 201 "enrol B"
RES_B=$(jbody .resident)
RID_B=$(row_id "$DB" "$RES_B")
login "$ID_A"
is "$ST" 200 "A logs in"
SESSION_A=$(jbody .token)
api GET /v1/me/code "$SESSION_A"
is "$ST" 200 "A gets a code"
CODE_A1=$(jbody .credential)
ISSUE_IDX_A1=$(jbody .log_index)
CTI_A1=$(leaf_at "$ISSUE_IDX_A1" | cut -d' ' -f4)
like "$CTI_A1" '^[0-9a-f]{32}$' "A's code has a cti in its issue leaf"

# ============================================================== verify
verify "$CODE_A1"
is "$ST" 200 "verify A's code: 200"
is "$(jbody .result) $(jbody .status)" "valid green" "verify A's code: valid, green"
same "$(jbody .name)" "$NAME_A" "verify A's code: the name is A's"
is "$(jbody 'keys | join(" ")')" "name result status" "verify: result, name, status and nothing else"
is "$(leaf_at $(($(log_size) - 1)))" "verifier:$VERIFIER_ID verify $PSEUDO_A $CTI_A1 valid green" \
	"verify leaf: verifier, A's pseudonym, the cti, valid, green"

# Each result class. Codes signed here at chosen times by the data
# folder's issuer key (tests/helpers/mkcred), and one from elsewhere.
mk() { echo "$1" | "$MKCRED" --data "$DIR" --status "$2" --iat "$3" --exp "$4" "${@:5}"; }
EXPIRED=$(mk 'Test Expired' green -3600 -600)
FUTURE=$(mk 'Test Future' green +3600 +7200)
BADSIG=$(mk 'Test Badsig' green -10 +600 --bad-sig)
UNLOGGED=$(mk "$NAME_Q" yellow -10 +600)
# check_class DESC CRED RESULT KEYS
check_class() {
	local before
	before=$(log_size)
	verify "$2"
	is "$ST $(jbody .result)" "200 $3" "verify $1: $3"
	is "$(jbody 'keys | join(" ")')" "$4" "verify $1: keys are $4"
	is "$(($(log_size) - before))" 1 "verify $1: one leaf"
	like "$(leaf_at $(($(log_size) - 1)))" "^verifier:$VERIFIER_ID verify - [-0-9a-f]+ $3 " \
		"verify $1: leaf verifier, no subject, result $3"
}
check_class "an expired code" "$EXPIRED" expired "result"
check_class "a code not yet valid" "$FUTURE" not_yet_valid "result"
check_class "a bad signature" "$BADSIG" bad_signature "result"
check_class "another service's code" "$FOREIGN" unknown_key "result"
check_class "garbage" "AK1:NOT-A-CODE" malformed "result"
check_class "a code the store never issued" "$UNLOGGED" valid "name result status"
same "$(jbody .name)" "$NAME_Q" "a name with quotes and a backslash comes back intact"
like "$(leaf_at $(($(log_size) - 1)) | cut -d' ' -f3,4,6)" '^- [0-9a-f]{32} yellow$' \
	"a code the store does not know: no subject, its cti, the status shown"
check_class "an empty string" "" malformed "result"
is "$(leaf_at $(($(log_size) - 1)) | cut -d' ' -f4)" "-" "a malformed code's leaf has no object"
long=$(printf 'A%.0s' {1..1100})
check_class "an over-long credential" "AK1:$long" malformed "result"
api POST /v1/verify "$VERIFIER" '{"credential": 42}'
error_is 400 bad_field "credential not a string"
api POST /v1/verify "$VERIFIER" '{"credential": "x", "extra": 1}'
error_is 400 unknown_field "verify with an extra field"
api POST /v1/verify "$OFFICER" "$(verify_json "$CODE_A1")"
error_is 403 wrong_role "an officer may not verify"

# ============================================================== look-up
lookup() { api POST /v1/lookup "$OFFICER" "$(jq -cn --arg i "$1" --arg p "$2" '{id_number: $i, purpose: $p}')"; }
before=$(log_size)
lookup "$ID_A" status_correction
is "$ST" 200 "look-up A: 200"
is "$(jbody 'keys | join(" ")')" "id_number log_index name resident status" \
	"look-up: resident, masked name and ID number, status, log_index"
is "$(jbody .resident) $(jbody .status)" "$RES_A green" "look-up: A's handle and status"
same "$(jbody .id_number)" "${ID_A:0:4}**********${ID_A:14:4}" "look-up: the ID number is masked"
same "$(jbody .name)" "测*乙" "look-up: the name is masked (first*last)"
is "$(leaf_at "$(jbody .log_index)")" "officer:$OFFICER_ID lookup $PSEUDO_A - ok status_correction" \
	"look-up leaf: officer, A's pseudonym, ok, the purpose"
lookup "$ID_NOBODY" epidemiological_investigation
error_is 404 not_found "look-up of an ID number nobody enrolled"
is "$(leaf_at $(($(log_size) - 1)))" "officer:$OFFICER_ID lookup - - not_found epidemiological_investigation" \
	"a look-up that finds nobody is audited: not_found, subject -, the purpose"
is "$(($(log_size) - before))" 2 "two look-ups, two leaves"
api POST /v1/lookup "$OFFICER" "$(jq -cn --arg i "$ID_A" '{id_number: $i}')"
error_is 400 bad_purpose "look-up without a purpose"
lookup "$ID_A" curiosity
error_is 400 bad_purpose "look-up with a purpose not on the list"
lookup "$(gb_bad 34010219900101123)" status_correction
error_is 400 bad_id_number "look-up with a bad check character"
if grep -qF -- "${ID_A:0:17}" "$T/r.body"; then ok 1 "the ID number is not echoed"; else ok 0 "the ID number is not echoed"; fi
is "$(($(log_size) - before))" 2 "refused look-ups write no leaf"
api POST /v1/lookup "$VERIFIER" "$(jq -cn --arg i "$ID_A" '{id_number: $i, purpose: "paper_code"}')"
error_is 403 wrong_role "a verifier may not look up"

# An officer reading in a loop: 40 reads in ten minutes (--officer-reads),
# then refused, without a leaf; the other officers are not held up.
before=$(log_size)
for i in $(seq 1 40); do
	api POST /v1/lookup "$READER" "$(jq -cn --arg i "$ID_A" '{id_number: $i, purpose: "epidemiological_investigation"}')"
	[ "$ST" = 200 ] || break
done
is "$ST" 200 "an officer's 40 look-ups in a row: 200 each"
api POST /v1/lookup "$READER" "$(jq -cn --arg i "$ID_A" '{id_number: $i, purpose: "epidemiological_investigation"}')"
error_is 429 rate_limited "the 41st in ten minutes"
ra=$(hdr Retry-After)
[[ $ra =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && [ "$ra" -le 600 ]
ok $? "with Retry-After (1 to 600 seconds)"
api POST "/v1/residents/$RES_A/paper-code" "$READER" \
	"$(jq -cn --arg i "$ID_A" '{purpose: "paper_code", id_number: $i}')"
error_is 429 rate_limited "a paper code counts as a read too"
is "$(($(log_size) - before))" 40 "the 40 reads are logged; the refusals write nothing"
lookup "$ID_A" status_correction
is "$ST" 200 "another officer still looks up"


# ============================================================== status
put_status() { api PUT "/v1/residents/$1/status" "$OFFICER" "$2"; }
put_status "$RES_A" '{"status": "purple", "reason": "close_contact"}'
error_is 400 bad_status "a status not on the list"
put_status "$RES_A" '{"status": "yellow", "reason": "felt_like_it"}'
error_is 400 bad_reason "a reason not on the list"
put_status "$RES_A" '{"status": "yellow", "reason": "status_correction"}'
error_is 400 bad_reason "a purpose is not a reason"
put_status "$RES_A" '{"status": "yellow"}'
error_is 400 bad_field "no reason"
put_status "$RES_A" '{"status": "yellow", "reason": "close_contact", "note": "x"}'
error_is 400 unknown_field "an extra field"
put_status abc '{"status": "yellow", "reason": "close_contact"}'
error_is 404 not_found "a resident handle that is not one"
put_status "$RID_A" '{"status": "yellow", "reason": "close_contact"}'
error_is 404 not_found "a row id is not a handle: residents cannot be counted through"
before=$(log_size)
put_status "$NOBODY" '{"status": "red", "reason": "confirmed_case"}'
error_is 404 not_found "an unknown resident"
is "$(leaf_at $(($(log_size) - 1)))" "officer:$OFFICER_ID status_set - - not_found confirmed_case" \
	"the unknown resident is audited: not_found, subject -"
is "$(($(log_size) - before))" 1 "only the 404 for a well-formed handle wrote a leaf (the 400s did not)"

# A second code for A, so two are outstanding.
api GET /v1/me/code "$SESSION_A"
CODE_A2=$(jbody .credential)
revs_before=$(svc_sql "$DB" "select count(*) from revocations")
put_status "$RES_A" '{"status": "yellow", "reason": "close_contact"}'
is "$ST" 200 "set A yellow: 200"
is "$(jbody 'keys | join(" ")')" "log_index resident revoked status" "status answer's keys"
is "$(jbody .resident) $(jbody .status) $(jbody .revoked)" "$RES_A yellow 2" \
	"the answer: A, yellow, both outstanding codes revoked"
STATUS_IDX=$(jbody .log_index)
is "$(leaf_at "$STATUS_IDX")" "officer:$OFFICER_ID status_set $PSEUDO_A - ok close_contact" \
	"status leaf: officer, A's pseudonym, ok, the reason"
is "$(svc_sql "$DB" "select status, reason, officer_id from status_history where resident_id = $RID_A")" \
	"1|close_contact|$OFFICER_ID" "a history row with the officer"
is "$(($(svc_sql "$DB" "select count(*) from revocations") - revs_before))" 2 "two revocations stored"

verify "$CODE_A1"
is "$(jbody .result) $(jbody .status)" "superseded yellow" "A's old code: superseded, with the current status"
is "$(jbody 'keys | join(" ")')" "name result status" "superseded shows name and status only"
is "$(leaf_at $(($(log_size) - 1)))" "verifier:$VERIFIER_ID verify $PSEUDO_A $CTI_A1 superseded yellow" \
	"superseded leaf: the current status as detail"

# The served revocation list catches up within about a second (bounded
# poll, with slack for a sanitizer build on a busy machine).
listed=1
for i in $(seq 1 25); do
	api GET /v1/revocations ""
	if grep -qx "$CTI_A1" "$T/r.body"; then listed=0; break; fi
	sleep 0.1
done
ok $listed "the old code is on GET /v1/revocations within 2.5 s"
is "$(hdr Content-Type)" "text/plain; charset=utf-8" "revocations: text/plain; charset=utf-8"
mkdir -p "$T/vdir"
cp "$T/r.body" "$T/vdir/revocations.note"
api GET /v1/trust ""
is "$ST $(hdr Content-Type)" "200 text/plain; charset=utf-8" "GET /v1/trust: text/plain"
cp "$T/r.body" "$T/vdir/trust.note"
cp "$DIR/public/root.vkey" "$T/vdir/root.vkey"
cmp -s "$T/vdir/trust.note" "$DIR/public/trust.note"
ok $? "the served trust list is the data folder's"
check "the served revocation list is also written to public/revocations.note" \
	grep -qx "$CTI_A1" "$DIR/public/revocations.note"
out=$("$VERIFY" --dir "$T/vdir" --json "$CODE_A1" 2>/dev/null)
is "$(jq -r .result <<<"$out") $(jq -r .status <<<"$out")" "revoked green" \
	"offline with the fetched lists: A's old code is revoked (as signed: green)"
out=$("$VERIFY" --dir "$T/vdir" --json "$UNLOGGED" 2>/dev/null)
is "$?:$(jq -r .result <<<"$out")" "0:valid" "offline: an unrevoked code is valid (both notes verify with the root key)"
# A tampered copy of each note is refused.
sed 's/^ankang.test$/ankang.evil/' "$T/vdir/revocations.note" >"$T/vdir/r2" && mv "$T/vdir/r2" "$T/vdir/revocations.note"
"$VERIFY" --dir "$T/vdir" "$UNLOGGED" >/dev/null 2>&1
is "$?" 2 "a tampered revocation list is refused"
cp "$DIR/public/revocations.note" "$T/vdir/revocations.note"
sed 's/^issuer \([0-9a-f]*\) /issuer \1 x/' "$DIR/public/trust.note" >"$T/vdir/trust.note"
"$VERIFY" --dir "$T/vdir" "$UNLOGGED" >/dev/null 2>&1
is "$?" 2 "a tampered trust list is refused"
cp "$DIR/public/trust.note" "$T/vdir/trust.note"

# A new code after the change is valid again, and yellow.
api GET /v1/me/code "$SESSION_A"
verify "$(jbody .credential)"
is "$(jbody .result) $(jbody .status)" "valid yellow" "a code issued after the change: valid, yellow"
# The same status again with another reason still supersedes codes before it.
api GET /v1/me/code "$SESSION_A"
CODE_A3=$(jbody .credential)
# In the same second: the log's order, not the clock, says which came first.
api PUT "/v1/residents/$RES_A/status" "$OFFICER2" '{"status": "yellow", "reason": "data_correction"}'
is "$ST $(jbody .revoked)" "200 2" "same status, another reason: 200, both codes since revoked"
verify "$CODE_A3"
is "$(jbody .result) $(jbody .status)" "superseded yellow" \
	"a code from before a same-status change in the same second: superseded"
api GET /v1/me/code "$SESSION_A"
verify "$(jbody .credential)"
is "$(jbody .result)" valid "and one issued right after it: valid"

# Erasure revokes without a status change: `revoked`, not superseded.
login "$ID_B"
SESSION_B=$(jbody .token)
api GET /v1/me/code "$SESSION_B"
CODE_B1=$(jbody .credential)
api DELETE /v1/me "$SESSION_B"
if [ "$ST" = 200 ]; then
	verify "$CODE_B1"
	is "$(jbody .result)" revoked "an erased resident's code: revoked"
	is "$(leaf_at $(($(log_size) - 1)) | cut -d' ' -f2,5)" "verify revoked" "its leaf says revoked"
	put_status "$RES_B" '{"status": "green", "reason": "recovered"}'
	error_is 404 not_found "status of an erased resident"
else
	ok 1 "erasure (DELETE /v1/me) answered $ST"
fi

# ============================================================ paper code
# paper HANDLE QUERY [BODY]: an officer asks for a paper code.
paper() { api POST "/v1/residents/$1/paper-code$2" "$OFFICER" "${@:3}"; }
# paper_body ID DAYS: the person's ID number and the purpose (and days).
paper_body() {
	jq -cn --arg i "$1" --arg d "${2:-}" \
		'{purpose: "paper_code", id_number: $i} + (if $d == "" then {} else {days: ($d | tonumber)} end)'
}
before=$(log_size)
paper "$RES_A" "" "$(paper_body "$ID_A" 31)"
is "$ST" 200 "paper code, 31 days, for the person at the desk: 200"
is "$(jbody '.exp - .iat')" $((31 * 86400)) "it lives 31 days"
is "$(jbody 'keys | join(" ")')" "credential exp iat log_index name status" "paper code answer's keys"
same "$(jbody .name)" "测*乙" "the answer shows the name masked"
PAPER=$(jbody .credential)
PAPER_IDX=$(jbody .log_index)
like "$(leaf_at "$PAPER_IDX")" "^officer:$OFFICER_ID print_code $PSEUDO_A [0-9a-f]{32} ok paper_code$" \
	"print_code leaf: officer, A's pseudonym, the cti, ok, paper_code"
verify "$PAPER"
is "$(jbody .result) $(jbody .status)" "valid yellow" "the paper code verifies: valid, yellow"
same "$(jbody .name)" "$NAME_A" "and the code itself carries the full name, for the checkpoint"
is "$(svc_sql "$DB" "select paper from codes where hex(cti) = upper('$(leaf_at "$PAPER_IDX" | cut -d' ' -f4)')")" 1 \
	"its row is marked paper"
before=$(log_size)
paper "$RES_A" "" "$(paper_body "$ID_A" 32)"
error_is 400 bad_field "32 days"
paper "$RES_A" "" "$(paper_body "$ID_A" 0)"
error_is 400 bad_field "0 days"
paper "$RES_A" "" "$(jq -cn --arg i "$ID_A" '{purpose: "paper_code", id_number: $i, days: "7"}')"
error_is 400 bad_field "days as a string"
paper "$RES_A" ""
error_is 400 bad_json "no body: a paper code needs the purpose and the ID number"
paper "$RES_A" "" '{"days": 2}'
error_is 400 bad_purpose "no purpose"
paper "$RES_A" "" "$(jq -cn --arg i "$ID_A" '{purpose: "status_correction", id_number: $i}')"
error_is 400 bad_purpose "another purpose"
paper "$RES_A" "" '{"purpose": "paper_code"}'
error_is 400 bad_field "no ID number"
is "$(($(log_size) - before))" 0 "refused paper-code requests write no leaf"
paper "$RES_A" "" "$(paper_body "$ID_B")"
error_is 403 id_number_mismatch "someone else's ID number: refused"
is "$(leaf_at $(($(log_size) - 1)))" "officer:$OFFICER_ID print_code $PSEUDO_A - denied paper_code" \
	"and audited as denied, about A"
paper "$RES_A" "" "$(paper_body "$ID_A")"
is "$ST $(jbody '.exp - .iat')" "200 $((7 * 86400))" "no days: the default 7"
paper "$RES_A" "?format=png" "$(paper_body "$ID_A" 2)"
cp "$T/r.body" "$T/paper.png"
is "$ST $(hdr Content-Type)" "200 image/png" "paper code as PNG"
like "$(hdr X-Ankang-Log-Index)" '^[0-9]+$' "the PNG carries its log index"
if command -v zbarimg >/dev/null 2>&1; then
	png_code=$("${ZBAR[@]}" "$T/paper.png" 2>/dev/null | tr -d '\n')
	like "$png_code" '^AK1:' "zbarimg reads a credential from the PNG"
	verify "$png_code"
	is "$(jbody .result) $(jbody .status)" "valid yellow" "the scanned paper code verifies"
else
	ok 0 "# skip zbarimg not installed"
fi
paper "$RES_A" "?format=svg" "$(paper_body "$ID_A" 2)"
cp "$T/r.body" "$T/paper.svg"
is "$ST $(hdr Content-Type)" "200 image/svg+xml" "paper code as SVG"
check "the SVG is an SVG" grep -q '<svg' "$T/paper.svg"
paper "$RES_A" "?format=gif" "$(paper_body "$ID_A" 2)"
error_is 400 bad_query "an unknown format"
paper "$NOBODY" "" "$(paper_body "$ID_A" 2)"
error_is 404 not_found "paper code for nobody"
is "$(leaf_at $(($(log_size) - 1)))" "officer:$OFFICER_ID print_code - - not_found paper_code" \
	"paper code for nobody is audited: not_found"

# ================================================================ scans
hex32() { head -c 16 /dev/urandom | xxd -p; }
S1=$(hex32) S2=$(hex32) S3=$(hex32) S4=$(hex32)
NOW=$(date +%s)
scans() { api POST /v1/scans "$VERIFIER" "$1"; }
SIG_A1=$(sig_of "$CODE_A1")
body=$(jq -cn --arg s1 "$S1" --arg s2 "$S2" --arg s3 "$S3" --arg c "$CTI_A1" --arg r "$(hex32)" \
	--arg g "$SIG_A1" --argjson t "$((NOW - 1))" \
	'{scans: [{id: $s1, cti: $c, time: $t, result: "valid", sig: $g},
		  {id: $s2, cti: null, time: $t, result: "malformed"},
		  {id: $s3, cti: $r, time: $t, result: "unknown_key"}]}')
before=$(log_size)
scans "$body"
is "$ST $(jbody .accepted) $(jbody .duplicates)" "200 3 0" "three new scans accepted"
is "$(jbody 'keys | join(" ")')" "accepted duplicates" "scans answer's keys"
is "$(($(log_size) - before))" 3 "one leaf per scan"
is "$(leaf_at "$before")" "verifier:$VERIFIER_ID verify_offline $PSEUDO_A $CTI_A1 valid -" \
	"a known cti's scan: A's pseudonym and the cti"
is "$(svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where idx = $before" | cut -d' ' -f2)" \
	"$(((NOW - 1) * 1000))" \
	"the leaf carries the scan's own time"
is "$(leaf_at $((before + 1)) | cut -d' ' -f3-)" "- - malformed -" "a scan without a cti: no subject, no object"
is "$(leaf_at $((before + 2)) | cut -d' ' -f3,5)" "- unknown_key" "an unknown cti: no subject"
# Scans that prove nothing: a cti copied from the public revocation list,
# without the code's signature, with another's, or at a time the code was
# not valid. None lands on A's record.
bad_sig=$(printf '%s' "$SIG_A1" | sed 's/^./0/; t; s/^/0/')
[ "$bad_sig" != "$SIG_A1" ] || bad_sig=$(printf '%s' "$SIG_A1" | sed 's/^./1/')
before=$(log_size)
scans "$(jq -cn --arg c "$CTI_A1" --arg g "$SIG_A1" --arg b "$bad_sig" --arg s1 "$(hex32)" \
	--arg s2 "$(hex32)" --arg s3 "$(hex32)" --argjson t "$((NOW - 1))" \
	'{scans: [{id: $s1, cti: $c, time: $t, result: "valid"},
		  {id: $s2, cti: $c, time: $t, result: "valid", sig: $b},
		  {id: $s3, cti: $c, time: 157766400, result: "valid", sig: $g}]}')"
is "$ST $(jbody .accepted)" "200 3" "three scans without proof: accepted, and recorded"
for k in 0 1 2; do
	is "$(leaf_at $((before + k)) | cut -d' ' -f3-)" "- - malformed -" \
		"$(echo "no signature|another signature|dated 1975" | cut -d'|' -f$((k + 1))): logged as malformed, subject and object -"
done
is "$(count_leaves "* verify_offline $PSEUDO_A *")" 1 "A's record holds only the one proven scan"
before=$(log_size)
body2=$(jq -c --arg s4 "$S4" --argjson t "$NOW" '.scans += [{id: $s4, time: $t, result: "expired"},
	{id: $s4, time: $t, result: "expired"}]' <<<"$body")
scans "$body2"
is "$ST $(jbody .accepted) $(jbody .duplicates)" "200 1 4" "the upload again, plus one new (twice): 1 new, 4 duplicates"
is "$(($(log_size) - before))" 1 "only the new scan was logged"
scans "$body2"
is "$ST $(jbody .accepted) $(jbody .duplicates)" "200 0 5" "all seen: 0 accepted"
is "$(($(log_size) - before))" 1 "and nothing logged"
scans '{"scans": []}'
is "$ST $(jbody .accepted)" "200 0" "an empty upload"
scans "$(jq -cn --arg s "$(hex32)" '{scans: [{id: $s, time: 1, result: "valid", who: 1}]}')"
error_is 400 unknown_field "a scan with an extra field"
scans "$(jq -cn '{scans: [{id: "xyz", time: 1, result: "valid"}]}')"
error_is 400 bad_field "a bad scan id"
scans "$(jq -cn --arg s "$(hex32)" '{scans: [{id: $s, time: 1, result: "fine"}]}')"
error_is 400 bad_field "a result that is not a result word"
scans "$(jq -cn --arg s "$(hex32)" --argjson t "$((NOW + 3600))" '{scans: [{id: $s, time: $t, result: "valid"}]}')"
error_is 400 bad_field "a scan from the future"
scans "$(jq -cn '{scans: [range(1001) | {id: "00000000000000000000000000000000", time: 1, result: "valid"}]}')"
error_is 400 bad_field "1001 scans"
scans '{"scans": {}}'
error_is 400 bad_field "scans not an array"
is "$(svc_sql "$DB" "select count(*) from scans")" 7 "seven scan rows stored"

# ============================================================ auditors
api GET /v1/audit/checkpoint "$AUDITOR"
is "$ST $(hdr Content-Type)" "200 text/plain; charset=utf-8" "checkpoint: text/plain"
CP_SIZE=$(sed -n 2p "$T/r.body")
like "$CP_SIZE" '^[0-9]+$' "the checkpoint has a size"
api GET "/v1/audit/entries?start=0&end=5" "$AUDITOR"
is "$ST $(jbody '.entries | length') $(jbody '[.entries[].index] | join(",")')" "200 5 0,1,2,3,4" "entries 0-5"
is "$(jbody '.entries[0] | keys | join(" ")')" "action actor detail index leaf object result subject time_ms" \
	"an entry's keys"
is "$(jbody '.entries[0].leaf' | base64 -d | cut -d' ' -f3-)" "$(leaf_at 0)" "the leaf field is the leaf's bytes"
is "$(jbody '.entries[0] | [.actor, .action, .result, .detail] | join(" ")')" "admin:- account_add ok officer" \
	"the fields match the leaf"
api GET "/v1/audit/entries?start=0&end=5000" "$AUDITOR"
is "$(jbody '.entries | length')" "$(($(log_size) < 1000 ? $(log_size) : 1000))" "an over-large page is capped"
api GET "/v1/audit/entries?start=$(($(log_size) + 10))&end=$(($(log_size) + 20))" "$AUDITOR"
is "$ST $(jbody '.entries | length')" "200 0" "a range past the end: 200, no entries"
api GET "/v1/audit/entries?start=5&end=2" "$AUDITOR"
error_is 400 bad_query "end before start"
api GET "/v1/audit/entries?start=x" "$AUDITOR"
error_is 400 bad_query "start not a number"
api GET "/v1/audit/entries?start=0&end=5" "$VERIFIER"
error_is 403 wrong_role "a verifier may not read entries"
api GET "/v1/audit/entries?start=0&end=5" "$SESSION_A"
error_is 403 wrong_role "a resident may not read entries"

api GET "/v1/audit/proof/inclusion?index=$STATUS_IDX&size=$CP_SIZE" "$AUDITOR"
is "$ST $(jbody '[.index, .size] | join(" ")')" "200 $STATUS_IDX $CP_SIZE" "inclusion proof: 200"
is "$(jbody 'keys | join(" ")')" "index leaf_hash proof size" "inclusion proof's keys"
leaf_b64=$(svc_sql "$DB" "select hex(leaf) from log_leaves where idx = $STATUS_IDX" | xxd -r -p | base64 -w0)
is "$(jbody .leaf_hash)" "$(b64_leaf_hash "$leaf_b64")" "leaf_hash is SHA-256(0x00 || leaf)"
api GET "/v1/audit/proof/inclusion?index=$STATUS_IDX&size=$CP_SIZE" "$SESSION_A"
is "$ST" 200 "A may prove an entry about A"
api GET "/v1/audit/proof/inclusion?index=0&size=$CP_SIZE" "$SESSION_A"
error_is 403 not_yours "A may not prove an entry about someone else"
api GET "/v1/audit/checkpoint" "$SESSION_A"
is "$ST" 200 "A may read the checkpoint"
api GET "/v1/audit/proof/inclusion?index=0&size=$((CP_SIZE + 1000))" "$AUDITOR"
error_is 400 bad_query "a size past the newest checkpoint"
api GET "/v1/audit/proof/inclusion?index=5&size=5" "$AUDITOR"
error_is 400 bad_query "index not below size"
api GET "/v1/audit/proof/inclusion?size=5" "$AUDITOR"
error_is 400 bad_query "index missing"
api GET "/v1/audit/proof/consistency?old=3&new=$CP_SIZE" "$AUDITOR"
is "$ST $(jbody '[.old, .new] | join(" ")') $(jbody '.proof | length > 0')" "200 3 $CP_SIZE true" \
	"consistency proof: 200"
api GET "/v1/audit/proof/consistency?old=0&new=$CP_SIZE" "$AUDITOR"
error_is 400 bad_query "consistency from 0"
api GET "/v1/audit/proof/consistency?old=9&new=3" "$AUDITOR"
error_is 400 bad_query "old after new"
api GET "/v1/audit/proof/consistency?old=3&new=$CP_SIZE" "$OFFICER"
error_is 403 wrong_role "an officer may not ask for proofs"

# ankang-audit against the real service.
LOGKEY=$DIR/public/log.vkey
"$AUDIT" verify --server "$URL" --token "$AUDITOR" --log-key "$LOGKEY" --state "$T/audit.state" \
	>"$T/audit.out" 2>&1
is "$?" 0 "ankang-audit verify --server: passes"
check "  and says so" grep -q 'verify: OK' "$T/audit.out"
"$AUDIT" entries --server "$URL" --token "$AUDITOR" --json >"$T/entries.out" 2>&1
is "$?" 0 "ankang-audit entries --server"
n_lines=$(grep -c . "$T/entries.out")
[ "$n_lines" -ge "$CP_SIZE" ]
ok $? "entries --server lists at least the checkpoint's $CP_SIZE entries"
"$AUDIT" entries --server "$URL" --token "$AUDITOR" --action status_set >"$T/entries.out" 2>&1
is "$?:$(grep -c status_set "$T/entries.out")" "0:$(count_leaves "* status_set *")" \
	"entries --server --action status_set: each status change"
"$AUDIT" prove --server "$URL" --token "$AUDITOR" "$STATUS_IDX" >"$T/proof.out" 2>&1
is "$?" 0 "ankang-audit prove --server"
"$AUDIT" check-proof "$T/proof.out" --log-key "$LOGKEY" >/dev/null 2>&1
is "$?" 0 "the proof checks against the log key"
"$AUDIT" report --server "$URL" --token "$AUDITOR" >"$T/report.out" 2>&1
rc=$?
[ "$rc" -le 1 ] && grep -q 'status_set' "$T/report.out"
ok $? "ankang-audit report --server summarises the log"

# More traffic, then the saved state must be consistent with the new head.
for i in 1 2 3; do verify "$CODE_A1"; done
put_status "$RES_A" '{"status": "green", "reason": "negative_test"}'
sleep 1.2 # a checkpoint at most once a second
"$AUDIT" verify --server "$URL" --token "$AUDITOR" --log-key "$LOGKEY" --state "$T/audit.state" \
	>"$T/audit.out" 2>&1
is "$?" 0 "ankang-audit verify --server again: passes"
check "  consistent with the saved checkpoint" grep -q 'consistent with the saved checkpoint' "$T/audit.out"

# ================================================================ privacy
for v in "$NAME_A" "$ID_A" "$NAME_B" "$ID_B" "$NAME_Q"; do
	if grep -qF -- "$v" "$T/errors.all" "$T/serve.log" 2>/dev/null; then
		ok 1 "no personal data in error bodies or the server's log"
	else
		ok 0 "no personal data in error bodies or the server's log"
	fi
done

svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
done_testing
