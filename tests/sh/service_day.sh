#!/usr/bin/env bash
# service_day: one whole day of `ankangd serve`, through its HTTP API only,
# as residents, an officer, verifiers and an auditor would live it (issue 4,
# "Tests"), followed by the privacy and accountability checks over what the
# day left behind.
#
#   The day: residents enrol (CJK and Latin made-up names, made-up valid
#   GB 11643 numbers), log in, fetch codes as JSON, PNG (read back with
#   zbarimg, one per status colour) and SVG; verifiers check them online
#   and offline (ankang-verify with the served trust and revocation lists
#   and the root key from the data folder); an officer looks a resident
#   up, changes statuses (the old code is then `superseded` online and its
#   cti appears on the revocation list within a bounded poll) and prints
#   a paper code; a verifier uploads offline scans; a resident is erased
#   (login fails, look-up finds nobody, the sealed row is all NULLs); the
#   log verifies with ankang-audit over HTTP and on a copy of the database.
#
#   Privacy: no name, ID number, phone or passphrase of the day appears in
#   the database, its WAL, the server's stderr, any audit leaf or any error
#   body (byte search, UTF-8 and JSON-escaped forms); every POST /v1/verify
#   answer holds result/name/status and nothing else.
#
#   Accountability: every 2xx answer that touched a resident's data has
#   its leaf (counted by action; the leaf at each answered log_index has
#   the right action and the resident's pseudonym); GET /v1/me/accesses
#   lists exactly the verifications of that resident's codes, and each
#   listed index's inclusion proof, fetched with the resident's own token,
#   verifies with `ankang-audit check-proof` (and a tampered twin fails).
#
# Test output never shows the made-up personal data: values are compared,
# never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq sqlite3 base64 sha256sum xxd; do
	command -v $c >/dev/null 2>&1 || skip_all "$c not installed"
done
HAVE_ZBAR=0
ZBAR=(zbarimg --raw -q)
if command -v zbarimg >/dev/null 2>&1; then
	HAVE_ZBAR=1
	zbarimg --help 2>&1 | grep -q -- --nodbus && ZBAR+=(--nodbus)
fi

VERIFY=$ANKANG_BIN/ankang-verify
AUDIT=$ANKANG_BIN/ankang-audit
D=$T/d
TTL=600
svc_init "$D"
VER=$(svc_account "$D" verifier checkpoint-1)
VER2=$(svc_account "$D" verifier checkpoint-2)
OFF=$(svc_account "$D" officer officer.hefei.1)
AUD=$(svc_account "$D" auditor inspector-1)
ADM=$(svc_account "$D" admin operator-1)
svc_start "$D" --code-ttl $TTL
at_exit svc_stop

# ---------------------------------------------------------------- the people
# Made-up residents. R3's number ends in X (the lowercase form is tried);
# R5 is born on 29 February of a leap year and is enrolled by the officer;
# R4 is erased at the end of the day.
NAME=("" "欧阳澜汐" "司马青岚" "Quintus Zephyrine-Oyelaran" "慕容雪砚" "端木星遥")
IDN=("" "$(gb_id 34010219880315271)" "$(gb_id 11010519760823054)"
	"$(gb_id 44030520010102448)" "$(gb_id 51010419950707362)"
	"$(gb_id 32010219680229613)")
PHONE=("" "13987654321" "" "+8618655501234" "13700001111" "15955507788")
PASS=("" "lantern moss harbour 41" "quiet orchard 7 kites" "Zephyrine's long walk home"
	"snow inkstone 9 bridges" "star distant 5 meadows")
NOT_ENROLLED=$(gb_id 53010219991111888)
RESIDENTS="1 2 3 4 5"
declare -a RID TOK CRED SUBJ CODE_IDX PNG_IDX
declare -A WANT=() # action -> 2xx answers that touched a resident's data
declare -A AT=()   # log index -> "action resident" from answers that carry one
declare -A VCOUNT=() # resident -> online verifications of their codes
CODES_OF=("" "" "" "" "" "") # resident -> log indexes of their issue/print_code leaves

counted() { # ACTION [INDEX [RESIDENT]]
	WANT[$1]=$((${WANT[$1]:-0} + 1))
	[ -n "${2:-}" ] && AT[$2]="$1 ${3:-0}"
	return 0
}
index_ok() { [[ "$1" =~ ^[0-9]+$ ]]; }

enroll_body() { # i
	local i=$1
	if [ -n "${PHONE[i]}" ]; then
		jq -nc --arg n "${NAME[i]}" --arg d "${IDN[i]}" --arg p "${PHONE[i]}" \
			--arg w "${PASS[i]}" '{name: $n, id_number: $d, phone: $p, passphrase: $w}'
	else
		jq -nc --arg n "${NAME[i]}" --arg d "${IDN[i]}" --arg w "${PASS[i]}" \
			'{name: $n, id_number: $d, passphrase: $w}'
	fi
}
login_body() { jq -nc --arg d "$1" --arg w "$2" '{id_number: $d, passphrase: $w}'; }

# verify_online TOKEN CREDENTIAL: POST /v1/verify; RESULT, and every
# answer kept in $T/verify.all for the privacy check.
verify_online() {
	api POST /v1/verify "$1" "$(jq -nc --arg c "$2" '{credential: $c}')"
	jq -c . "$T/r.body" >>"$T/verify.all" 2>/dev/null || echo "NOT JSON" >>"$T/verify.all"
	RESULT=$(jbody .result)
	[ "$ST" = 200 ] && counted verify
	return 0
}
name_is() { jq -e --arg n "$1" '.name == $n' "$T/r.body" >/dev/null 2>&1; }

# --------------------------------------------------------------- enrolment
for i in 1 2 3 4; do
	api POST /v1/enroll "" "$(enroll_body $i)"
	is "$ST" 201 "R$i enrols: 201"
	RID[i]=$(jbody .resident)
	idx=$(jbody .log_index)
	ok "$([[ "${RID[i]}" =~ ^res_[0-9a-f]{32}$ ]] && index_ok "$idx"; echo $?)" \
		"R$i: a resident handle and a log_index number"
	is "$(jbody .status)" green "R$i starts green"
	is "$(jq -c 'keys' "$T/r.body")" '["log_index","resident","status"]' \
		"R$i: the answer holds resident, status, log_index only"
	counted enroll "$idx" $i
done
api POST /v1/enroll "$OFF" "$(enroll_body 5)"
is "$ST" 201 "R5 (29 February of a leap year) is enrolled by an officer: 201"
RID[5]=$(jbody .resident)
counted enroll "$(jbody .log_index)" 5
ids_distinct=$(printf '%s\n' "${RID[@]:1}" | sort -u | wc -l)
is "$ids_distinct" 5 "five residents, five handles"

api POST /v1/enroll "" "$(enroll_body 1)"
is "$ST" 409 "enrolling R1's number again: 409"
is "$(jbody .error)" duplicate "error duplicate"
api POST /v1/enroll "" "$(jq -nc --arg n "${NAME[2]}" --arg d "${IDN[3],,}" --arg w "${PASS[2]}" \
	'{name: $n, id_number: $d, passphrase: $w}')"
is "$ST" 409 "R3's number with a lowercase x is the same number: 409"
api POST /v1/enroll "" "$(jq -nc --arg n "${NAME[2]}" --arg d "$(gb_bad 53010219991111888)" \
	--arg w "${PASS[2]}" '{name: $n, id_number: $d, passphrase: $w}')"
is "$ST/$(jbody .error)" 400/bad_id_number "a wrong check character: 400 bad_id_number"

# ------------------------------------------------------------------ log in
now=$(date +%s)
for i in $RESIDENTS; do
	api POST /v1/login "" "$(login_body "${IDN[i]}" "${PASS[i]}")"
	is "$ST" 200 "R$i logs in: 200"
	TOK[i]=$(jbody .token)
	like "${TOK[i]:0:4}" '^aks_$' "R$i: a session token (aks_)"
	exp=$(jbody .expires)
	ok "$([ "$exp" -ge $((now + 43200 - 60)) ] && [ "$exp" -le $((now + 43200 + 120)) ]; echo $?)" \
		"R$i: the session lasts 12 hours"
	counted login
done
api POST /v1/login "" "$(login_body "${IDN[3],,}" "${PASS[3]}")"
is "$ST" 200 "R3 logs in with a lowercase x too"
counted login
api POST /v1/login "" "$(login_body "${IDN[2]}" "not the passphrase")"
is "$ST/$(jbody .error)" 401/bad_login "a wrong passphrase: 401 bad_login"
cp "$T/r.body" "$T/wrong.body"
api POST /v1/login "" "$(login_body "$NOT_ENROLLED" "not the passphrase")"
is "$ST/$(jbody .error)" 401/bad_login "an unknown ID number: 401 bad_login"
cmp -s "$T/r.body" "$T/wrong.body"
ok $? "unknown number and wrong passphrase get the very same answer"

# ------------------------------------------------------------------- codes
for i in $RESIDENTS; do
	api GET /v1/me/code "${TOK[i]}"
	is "$ST" 200 "R$i gets a code: 200"
	CRED[i]=$(jbody .credential)
	like "${CRED[i]:0:4}" '^AK1:$' "R$i: an AK1: credential"
	name_is "${NAME[i]}"
	ok $? "R$i: the code's name is theirs"
	is "$(jbody .status)" green "R$i: green"
	is "$(jbody '.exp - .iat')" $TTL "R$i: valid for --code-ttl"
	is "$(jq -c 'keys' "$T/r.body")" '["credential","exp","iat","log_index","name","status"]' \
		"R$i: credential, name, status, iat, exp, log_index"
	idx=$(jbody .log_index)
	counted issue "$idx" $i
	CODES_OF[i]+=" $idx"
	CODE_IDX[i]=$idx
done

# The PNG and SVG forms.
api GET /v1/me/code.png "${TOK[3]}"
is "$ST" 200 "R3 gets a PNG: 200"
is "$(hdr Content-Type)" image/png "as image/png"
idx=$(hdr X-Ankang-Log-Index)
ok "$(index_ok "$idx"; echo $?)" "with X-Ankang-Log-Index"
counted issue "$idx" 3
CODES_OF[3]+=" $idx"
PNG_IDX[3]=$idx
cp "$T/r.body" "$T/green.png"
api GET /v1/me/code.svg "${TOK[3]}"
is "$ST" 200 "R3 gets an SVG: 200"
like "$(hdr Content-Type)" '^image/svg\+xml' "as image/svg+xml"
grep -q '<svg' "$T/r.body"
ok $? "an <svg> document"
idx=$(hdr X-Ankang-Log-Index)
ok "$(index_ok "$idx"; echo $?)" "with X-Ankang-Log-Index"
counted issue "$idx" 3
CODES_OF[3]+=" $idx"
api GET /v1/me/code.png "${TOK[1]}"
is "$ST" 200 "R1 gets a PNG"
idx=$(hdr X-Ankang-Log-Index)
counted issue "$idx" 1
CODES_OF[1]+=" $idx"
api GET /v1/me/code.svg "${TOK[1]}"
is "$ST" 200 "R1 gets an SVG"
idx=$(hdr X-Ankang-Log-Index)
counted issue "$idx" 1
CODES_OF[1]+=" $idx"
R1_CODES=3 # JSON, PNG, SVG: outstanding when R1's status changes

# ---------------------------------------------------------- online verify
for i in $RESIDENTS; do
	verify_online "$VER" "${CRED[i]}"
	is "$ST/$RESULT" 200/valid "R$i's code verifies online: valid"
	name_is "${NAME[i]}"
	ok $? "R$i: the verifier is shown their name"
	is "$(jbody .status)" green "R$i: and green"
	is "$(jq -c 'keys' "$T/r.body")" '["name","result","status"]' \
		"R$i: result, name, status and nothing else"
	VCOUNT[$i]=$((${VCOUNT[$i]:-0} + 1))
done
tampered=${CRED[2]%?}
[ "${CRED[2]: -1}" = A ] && tampered+=B || tampered+=A
verify_online "$VER2" "$tampered"
is "$ST" 200 "a tampered code: 200 (every verification is answered and logged)"
ok "$([ "$RESULT" != valid ]; echo $?)" "a tampered code is not valid"
is "$(jq -c 'keys' "$T/r.body")" '["result"]' "and shows nothing but the result"
verify_online "$VER2" "AK1:NOT-A-CODE"
is "$ST/$RESULT" 200/malformed "garbage: malformed"

# --------------------------------------------------------- offline verify
fetch_lists() {
	mkdir -p "$T/vdir"
	cp "$D/public/root.vkey" "$T/vdir/root.vkey"
	api GET /v1/trust ""
	[ "$ST" = 200 ] && cp "$T/r.body" "$T/vdir/trust.note"
	local st1=$ST
	api GET /v1/revocations ""
	[ "$ST" = 200 ] && cp "$T/r.body" "$T/vdir/revocations.note"
	[ "$st1" = 200 ] && [ "$ST" = 200 ]
}
fetch_lists
ok $? "the served trust and revocation lists (200 each)"
like "$(head -1 "$T/vdir/trust.note")" '^ankang/trust/v1$' "the trust list is a trust list"
like "$(head -1 "$T/vdir/revocations.note")" '^ankang/revocations/v1$' \
	"the revocation list is a revocation list"
for i in $RESIDENTS; do
	"$VERIFY" --dir "$T/vdir" --json "${CRED[i]}" >"$T/off.json" 2>/dev/null
	rc=$?
	is "$rc/$(jq -r .result "$T/off.json")" 0/valid "R$i's code verifies offline: valid"
	jq -e --arg n "${NAME[i]}" '.name == $n and .status == "green"' "$T/off.json" >/dev/null
	ok $? "R$i offline: their name, green"
done
"$VERIFY" --dir "$T/vdir" --json "$tampered" >"$T/off.json" 2>/dev/null
is "$?" 1 "offline, the tampered code fails (exit 1)"
"$VERIFY" --dir "$T/vdir" --root "$D/public/log.vkey" "${CRED[1]}" >/dev/null 2>&1
is "$?" 2 "the served trust list does not open with another key (exit 2)"

# ------------------------------------------------------------------- officer
api POST /v1/lookup "$OFF" "$(jq -nc --arg d "${IDN[1]}" \
	'{id_number: $d, purpose: "epidemiological_investigation"}')"
is "$ST" 200 "the officer looks R1 up: 200"
is "$(jbody .resident)" "${RID[1]}" "the look-up finds R1's handle"
idx=$(jbody .log_index)
counted lookup "$idx" 1
masked_name=$(jbody .name)
masked_id=$(jbody .id_number)
ok "$([ "$masked_name" != "${NAME[1]}" ] && [[ "$masked_name" == *"*"* ]]; echo $?)" \
	"the name is masked"
ok "$([[ "$masked_id" =~ ^[0-9]{4}\*{10}[0-9]{3}[0-9X]$ ]] &&
	[ "${masked_id:0:4}" = "${IDN[1]:0:4}" ] && [ "${masked_id:14}" = "${IDN[1]:14}" ]
echo $?)" "the ID number is masked 4+10*+4"
is "$(jbody .status)" green "and the status shown"
api POST /v1/lookup "$OFF" "$(jq -nc --arg d "$NOT_ENROLLED" '{id_number: $d, purpose: "status_correction"}')"
is "$ST/$(jbody .error)" 404/not_found "looking up a number nobody enrolled: 404"
api POST /v1/lookup "$OFF" "$(jq -nc --arg d "${IDN[1]}" '{id_number: $d, purpose: "curiosity"}')"
is "$ST/$(jbody .error)" 400/bad_purpose "a look-up without a listed purpose: 400 bad_purpose"

api PUT "/v1/residents/${RID[1]}/status" "$OFF" '{"status": "yellow", "reason": "close_contact"}'
is "$ST" 200 "R1 turns yellow (close_contact): 200"
is "$(jbody .status)/$(jbody .resident)" "yellow/${RID[1]}" "the answer names R1 and yellow"
is "$(jbody .revoked)" $R1_CODES "R1's $R1_CODES outstanding codes are revoked"
counted status_set "$(jbody .log_index)" 1

verify_online "$VER" "${CRED[1]}"
is "$ST/$RESULT" 200/superseded "R1's old code online: superseded"
is "$(jbody .status)" yellow "with R1's current status"
name_is "${NAME[1]}"
ok $? "and R1's name"
VCOUNT[1]=$((VCOUNT[1] + 1))

# The old code's cti, as the auditor sees it: the object of its issue leaf.
api GET "/v1/audit/entries?start=${CODE_IDX[1]}&end=$((CODE_IDX[1] + 1))" "$AUD"
is "$ST" 200 "the auditor reads the leaf of R1's first code"
cti1=$(jbody '.entries[0].object')
like "$cti1" '^[0-9a-f]{32}$' "its object is a cti"
listed=1
for n in $(seq 1 100); do # up to 10 s; the list is re-signed within 1 s
	api GET /v1/revocations ""
	if grep -qx "$cti1" "$T/r.body"; then
		listed=0
		break
	fi
	sleep 0.1
done
ok $listed "R1's old cti is on the served revocation list (bounded poll)"
fetch_lists
"$VERIFY" --dir "$T/vdir" --json "${CRED[1]}" >"$T/off.json" 2>/dev/null
is "$?/$(jq -r .result "$T/off.json")" 1/revoked "offline with the new list: revoked"

api GET /v1/me/code "${TOK[1]}"
is "$ST/$(jbody .status)" 200/yellow "R1's new code is yellow"
CRED1B=$(jbody .credential)
idx=$(jbody .log_index)
counted issue "$idx" 1
CODES_OF[1]+=" $idx"
verify_online "$VER2" "$CRED1B"
is "$ST/$RESULT/$(jbody .status)" 200/valid/yellow "and verifies online: valid, yellow"
VCOUNT[1]=$((VCOUNT[1] + 1))

api GET /v1/me/history "${TOK[1]}"
is "$ST" 200 "R1 reads their status history"
is "$(jbody '.history | length')/$(jbody '.history[0].status')/$(jbody '.history[0].reason')" \
	1/yellow/close_contact "one change: yellow, close_contact"
HIST_IDX=$(jbody .log_index)
ok "$(index_ok "$HIST_IDX"; echo $?)" "the history answer carries its log_index"
counted history_read "$HIST_IDX" 1

api PUT "/v1/residents/${RID[2]}/status" "$OFF" '{"status": "red", "reason": "confirmed_case"}'
is "$ST/$(jbody .status)" 200/red "R2 turns red"
is "$(jbody .revoked)" 1 "R2's one code is revoked"
counted status_set "$(jbody .log_index)" 2
api PUT "/v1/residents/res_00000000000000000000000000000000/status" "$OFF" '{"status": "red", "reason": "confirmed_case"}'
is "$ST/$(jbody .error)" 404/not_found "a status for a resident who does not exist: 404"

# A QR code in each colour, read back by zbarimg and verified offline.
api GET /v1/me/code.png "${TOK[1]}"
cp "$T/r.body" "$T/yellow.png"
PNG_IDX[1]=$(hdr X-Ankang-Log-Index)
counted issue "${PNG_IDX[1]}" 1
CODES_OF[1]+=" ${PNG_IDX[1]}"
api GET /v1/me/code.png "${TOK[2]}"
cp "$T/r.body" "$T/red.png"
PNG_IDX[2]=$(hdr X-Ankang-Log-Index)
counted issue "${PNG_IDX[2]}" 2
CODES_OF[2]+=" ${PNG_IDX[2]}"
fetch_lists
if [ $HAVE_ZBAR = 1 ]; then
	for c in green:3 yellow:1 red:2; do
		colour=${c%:*} i=${c#*:}
		"${ZBAR[@]}" "$T/$colour.png" >"$T/qr.txt" 2>/dev/null
		ok $? "the $colour PNG decodes with zbarimg"
		like "$(head -c 4 "$T/qr.txt")" '^AK1:$' "to an AK1: credential"
		"$VERIFY" --dir "$T/vdir" --json "$(head -1 "$T/qr.txt")" >"$T/off.json" 2>/dev/null
		jq -e --arg n "${NAME[i]}" --arg s "$colour" \
			'.result == "valid" and .name == $n and .status == $s' "$T/off.json" >/dev/null
		ok $? "the $colour code verifies offline: valid, $colour, the holder's name"
		# Online too: its verify leaf will name the cti, which must be
		# the cti of the issue leaf at the PNG's X-Ankang-Log-Index
		# (checked with the log below): the image is the logged code.
		verify_online "$VER" "$(head -1 "$T/qr.txt")"
		is "$RESULT" valid "the $colour code verifies online"
		VCOUNT[$i]=$((${VCOUNT[$i]:-0} + 1))
	done
else
	diag "zbarimg not installed: the PNGs are not read back"
fi

# Paper codes.
# paper_body I [DAYS]: R<I> at the desk, with their ID card.
paper_body() {
	jq -nc --arg d "${IDN[$1]}" --arg n "${2:-}" \
		'{purpose: "paper_code", id_number: $d} + (if $n == "" then {} else {days: ($n | tonumber)} end)'
}
api POST "/v1/residents/${RID[3]}/paper-code" "$OFF" "$(paper_body 3 14)"
is "$ST" 200 "the officer prints R3 a paper code: 200"
is "$(jbody '.exp - .iat')" $((14 * 86400)) "valid 14 days"
name_is "${NAME[3]}"
ok $((!$?)) "the answer shows R3's name masked, not in full"
PAPER=$(jbody .credential)
idx=$(jbody .log_index)
counted print_code "$idx" 3
CODES_OF[3]+=" $idx"
verify_online "$VER" "$PAPER"
is "$RESULT" valid "the paper code verifies online"
VCOUNT[3]=$((${VCOUNT[3]:-0} + 1))
api POST "/v1/residents/${RID[3]}/paper-code?format=png" "$OFF" "$(paper_body 3)"
is "$ST/$(hdr Content-Type)" 200/image/png "a paper code as PNG (7 days by default)"
idx=$(hdr X-Ankang-Log-Index)
counted print_code "$idx" 3
CODES_OF[3]+=" $idx"
if [ $HAVE_ZBAR = 1 ]; then
	"${ZBAR[@]}" "$T/r.body" >"$T/qr.txt" 2>/dev/null
	"$VERIFY" --dir "$T/vdir" "$(head -1 "$T/qr.txt")" >/dev/null 2>&1
	ok $? "the printed PNG reads back to a valid code"
fi
api POST "/v1/residents/res_00000000000000000000000000000000/paper-code" "$OFF" "$(paper_body 3 1)"
is "$ST/$(jbody .error)" 404/not_found "a paper code for nobody: 404"

# Offline scans uploaded by a verifier (idempotent per scan id).
api GET "/v1/audit/entries?start=${CODE_IDX[3]}&end=$((CODE_IDX[3] + 1))" "$AUD"
cti3=$(jbody '.entries[0].object')
scan_id=$(head -c 16 /dev/urandom | xxd -p)
scans=$(jq -nc --arg s "$scan_id" --arg c "$cti3" --argjson t "$(date +%s)" \
	'{scans: [{id: $s, cti: $c, time: $t, result: "valid"}]}')
api POST /v1/scans "$VER2" "$scans"
is "$ST/$(jbody .accepted)/$(jbody .duplicates)" 200/1/0 "a verifier uploads an offline scan"
counted verify_offline
api POST /v1/scans "$VER2" "$scans"
is "$ST/$(jbody .accepted)/$(jbody .duplicates)" 200/0/1 "the same upload again: a duplicate"

# ------------------------------------------------------------------ erasure
verify_online "$VER" "${CRED[4]}"
is "$RESULT" valid "R4's code is valid before the erasure"
VCOUNT[4]=$((${VCOUNT[4]:-0} + 1))
api GET "/v1/audit/entries?start=${CODE_IDX[4]}&end=$((CODE_IDX[4] + 1))" "$AUD"
cti4=$(jbody '.entries[0].object')
api DELETE /v1/me "${TOK[4]}"
is "$ST/$(jbody .erased)" 200/true "R4 asks for erasure: 200, erased"
counted erase "$(jbody .log_index)" 4
api GET /v1/me/code "${TOK[4]}"
is "$ST/$(jbody .error)" 401/bad_token "R4's session ended with the erasure"
api POST /v1/login "" "$(login_body "${IDN[4]}" "${PASS[4]}")"
is "$ST/$(jbody .error)" 401/bad_login "R4 can no longer log in"
api POST /v1/lookup "$OFF" "$(jq -nc --arg d "${IDN[4]}" '{id_number: $d, purpose: "appeal_review"}')"
is "$ST/$(jbody .error)" 404/not_found "the officer's look-up finds nobody"
api PUT "/v1/residents/${RID[4]}/status" "$OFF" '{"status": "yellow", "reason": "close_contact"}'
is "$ST/$(jbody .error)" 404/not_found "nor can a status be set"
verify_online "$VER" "${CRED[4]}"
is "$ST/$RESULT" 200/revoked "R4's outstanding code: revoked"
VCOUNT[4]=$((VCOUNT[4] + 1))
# Seven truth values, as 1s and 0s whichever store prints them (t/f).
row=$(svc_sql "$D/ankang.db" "SELECT wrapped_key IS NULL, name_sealed IS NULL,
	id_sealed IS NULL, phone_sealed IS NULL, blind IS NULL,
	passphrase IS NULL, erased IS NOT NULL FROM residents
	WHERE lower(hex(handle)) = '${RID[4]#res_}'" | tr -d '|' | tr tf 10)
is "$row" 1111111 "R4's row: key, sealed fields, blind index and passphrase NULL; erased set"
row=$(svc_sql "$D/ankang.db" "SELECT count(*) FROM residents WHERE erased IS NULL
	AND wrapped_key IS NOT NULL AND name_sealed IS NOT NULL AND id_sealed IS NOT NULL")
is "$row" 4 "the other four residents' rows are still sealed, not empty"
listed=1
for n in $(seq 1 100); do
	api GET /v1/revocations ""
	grep -qx "$cti4" "$T/r.body" && { listed=0; break; }
	sleep 0.1
done
ok $listed "R4's code is on the revocation list"

# ---------------------------------------------------------- the log verifies
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify --server: the log verifies after the day"
# On PostgreSQL the auditor reads the live database (as its own
# read-only session), there being no file to copy.
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	"$AUDIT" verify --db "$(svc_db "$D")" --log-key "$D/public/log.vkey" >"$T/audit.out" 2>&1
else
	sqlite3 -readonly "$D/ankang.db" ".backup '$T/copy.db'"
	"$AUDIT" verify --db "$T/copy.db" --log-key "$D/public/log.vkey" >"$T/audit.out" 2>&1
fi
ok $? "ankang-audit verify --db on a copy of the database"
"$AUDIT" verify --server "$URL" --token "$VER" --log-key "$D/public/log.vkey" >/dev/null 2>&1
is $? 2 "a verifier's token cannot read the log (exit 2)"

# ============================================================ accountability
# R1 reads the accesses to their data (before the auditor reads the log).
api GET /v1/me/accesses "${TOK[1]}"
is "$ST" 200 "R1 reads the accesses to their data"
ACC_IDX=$(jbody .log_index)
cp "$T/r.body" "$T/acc1.json"
counted accesses_read "$ACC_IDX" 1
api GET /v1/me/accesses?limit=1 "${TOK[1]}"
is "$ST/$(jbody '.accesses | length')" 200/1 "?limit=1: one access"
counted accesses_read "$(jbody .log_index)" 1

# Every entry, through the auditor's endpoint, one JSON object per line.
all_entries "$AUD" "$T/entries.jsonl" 50
total=$(wc -l <"$T/entries.jsonl")
ok "$([ "$total" -gt 50 ]; echo $?)" "the auditor reads every entry ($total)"
is "$(jq -s '[.[].index] == [range(0; length)]' "$T/entries.jsonl")" true \
	"entries are numbered 0..n-1 without gaps"
entry() { jq -c --argjson i "$1" 'select(.index == $i)' "$T/entries.jsonl"; }

# The leaf of every answer that carried a log_index: right action, and the
# resident's pseudonym as its subject (the same for all of one resident's).
bad=0
for idx in "${!AT[@]}"; do
	read -r action who <<<"${AT[$idx]}"
	e=$(entry "$idx")
	[ "$(jq -r .action <<<"$e")" = "$action" ] || { bad=$((bad + 1)); diag "leaf $idx: not $action"; continue; }
	s=$(jq -r .subject <<<"$e")
	if [ "$who" != 0 ]; then
		if [ -z "${SUBJ[who]:-}" ]; then
			SUBJ[who]=$s
		elif [ "${SUBJ[who]}" != "$s" ]; then
			bad=$((bad + 1))
			diag "leaf $idx: another subject than R$who's other leaves"
		fi
	fi
done
is "$bad" 0 "each of the ${#AT[@]} answered log indexes holds its action and the resident's pseudonym"
if [ $HAVE_ZBAR = 1 ]; then
	for i in 1 2 3; do
		cti=$(entry "${PNG_IDX[i]}" | jq -r .object)
		n=$(jq -s --arg c "$cti" '[.[] | select(.action == "verify" and .result == "valid"
			and .object == $c)] | length' "$T/entries.jsonl")
		is "$n" 1 "R$i's PNG read back to the very code its issue leaf logged (cti)"
	done
fi
subjects=$(printf '%s\n' "${SUBJ[@]}" | grep -c '^[0-9a-f]\{32\}$')
is "$subjects" 5 "five residents, five 32-hex pseudonyms"
is "$(printf '%s\n' "${SUBJ[@]}" | sort -u | wc -l)" 5 "all different"

# Counts by action: every 2xx answer that touched a resident's data has a
# leaf. Verifications (online, and offline scans uploaded) are all logged,
# whatever their result; for the others the leaf's result is ok.
for action in enroll login issue verify verify_offline status_set lookup print_code accesses_read history_read erase; do
	if [ $action = verify ] || [ $action = verify_offline ]; then
		got=$(jq -s --arg a $action '[.[] | select(.action == $a)] | length' "$T/entries.jsonl")
	else
		got=$(jq -s --arg a $action '[.[] | select(.action == $a and .result == "ok")] | length' \
			"$T/entries.jsonl")
	fi
	is "$got" "${WANT[$action]:-0}" "$action: ${WANT[$action]:-0} answers, as many leaves"
done
# Refusals that concern a resident are logged too.
got=$(jq -s '[.[] | select(.action == "login" and .result == "denied")] | length' "$T/entries.jsonl")
is "$got" 3 "three refused log-ins (wrong passphrase, unknown number, erased R4): logged denied"
got=$(jq -s '[.[] | select(.action == "lookup" and .result == "not_found")] | length' "$T/entries.jsonl")
is "$got" 2 "two look-ups that found nobody: logged not_found"
got=$(jq -s '[.[] | select(.action == "enroll" and .result == "denied")] | length' "$T/entries.jsonl")
is "$got" 2 "two duplicate enrolments: logged denied"

# R1's accesses: exactly the verifications of R1's codes (read above).
mine=$(jq -c '[.accesses[] | select(.action == "verify") | .log_index] | sort' "$T/acc1.json")
# The issue and print_code leaves of R1's codes name their ctis; the
# verifications of R1's codes are the verify leaves with one of those
# objects (and R1's subject).
ctis=$(for idx in ${CODES_OF[1]}; do entry "$idx"; done | jq -s -c '[.[].object]')
theirs=$(jq -s -c --argjson c "$ctis" \
	'[.[] | select(.action == "verify" and (.object as $o | $c | index($o))) | .index] | sort' \
	"$T/entries.jsonl")
by_subject=$(jq -s -c --arg s "${SUBJ[1]}" \
	'[.[] | select(.action == "verify" and .subject == $s) | .index] | sort' "$T/entries.jsonl")
is "$mine" "$theirs" "R1's accesses list exactly the verify leaves of R1's codes"
is "$mine" "$by_subject" "which are exactly the verify leaves with R1's pseudonym"
is "$(jq length <<<"$mine")" "${VCOUNT[1]}" "and there are as many as R1's codes were verified (${VCOUNT[1]})"
all_mine=$(jq -c '[.accesses[].log_index] | sort' "$T/acc1.json")
all_subject=$(jq -s -c --arg s "${SUBJ[1]}" --argjson top "$ACC_IDX" \
	'[.[] | select(.subject == $s and .index < $top) | .index] | sort' "$T/entries.jsonl")
is "$all_mine" "$all_subject" "R1's accesses are every leaf with R1's pseudonym before this read"
is "$(jq -c '[.accesses[].log_index] == ([.accesses[].log_index] | sort | reverse)' "$T/acc1.json")" \
	true "newest first"
is "$(jq -c '[.accesses[] | keys] | unique' "$T/acc1.json")" \
	'[["action","actor","actor_role","detail","log_index","result","time_ms"]]' \
	"each access: log_index, time_ms, actor_role, actor, action, result, detail"
# Inclusion proofs of R1's verifications, asked for with R1's own token,
# checked offline against the signed checkpoint R1 fetched.
want_size=$(($(jq 'max' <<<"$mine") + 1))
size=0
for n in $(seq 1 100); do # checkpoints are signed at most once a second
	api GET /v1/audit/checkpoint "${TOK[1]}"
	cp "$T/r.body" "$T/checkpoint.note"
	size=$(sed -n 2p "$T/checkpoint.note")
	[ "$ST" = 200 ] && [ "${size:-0}" -ge "$want_size" ] && break
	sleep 0.1
done
ok "$([ "${size:-0}" -ge "$want_size" ]; echo $?)" "R1 gets a signed checkpoint covering their accesses"
bad=0
checked=0
for idx in $(jq -r '.[]' <<<"$mine"); do
	api GET "/v1/audit/proof/inclusion?index=$idx&size=$size" "${TOK[1]}"
	if [ "$ST" != 200 ]; then
		bad=$((bad + 1))
		diag "proof of $idx: status $ST"
		continue
	fi
	leaf=$(entry "$idx" | jq -r .leaf)
	[ "$(jbody .leaf_hash)" = "$(b64_leaf_hash "$leaf")" ] ||
		{ bad=$((bad + 1)); diag "proof of $idx: leaf_hash is not the leaf's"; }
	{
		echo "c2sp.org/tlog-proof@v1"
		echo "index $idx"
		jq -r '.proof[]' "$T/r.body"
		echo
		cat "$T/checkpoint.note"
	} >"$T/proof.txt"
	"$AUDIT" check-proof "$T/proof.txt" --log-key "$D/public/log.vkey" --leaf-b64 "$leaf" \
		>/dev/null 2>&1 || { bad=$((bad + 1)); diag "proof of $idx does not verify"; }
	checked=$((checked + 1))
done
is "$bad" 0 "every one of R1's $checked verifications is proven in the signed log"
# The tampered twin: the same proof for another leaf must fail.
other=$(entry "$ACC_IDX" | jq -r .leaf)
"$AUDIT" check-proof "$T/proof.txt" --log-key "$D/public/log.vkey" --leaf-b64 "$other" \
	>/dev/null 2>&1
is $? 1 "and the last proof does not prove another leaf (exit 1)"
api GET "/v1/audit/proof/inclusion?index=${CODE_IDX[2]}&size=$size" "${TOK[1]}"
is "$ST/$(jbody .error)" 403/not_yours "R1 may not ask for a proof of R2's leaf: 403 not_yours"

# =================================================================== privacy
# The needles: every name, ID number (and its lowercase-x form), phone and
# passphrase of the day, and each CJK name's JSON \u escape, lower and
# upper case.
: >"$T/needles"
for i in $RESIDENTS; do
	printf '%s\n' "${NAME[i]}" "${IDN[i]}" "${IDN[i],,}" "${PASS[i]}" >>"$T/needles"
	[ -n "${PHONE[i]}" ] && printf '%s\n' "${PHONE[i]}" "${PHONE[i]#+86}" >>"$T/needles"
	esc=$(jq -nac --arg n "${NAME[i]}" '$n' | tr -d '"')
	if [ "$esc" != "${NAME[i]}" ]; then
		printf '%s\n' "$esc" "${esc^^}" | sed 's/\\U/\\u/g' >>"$T/needles"
	fi
done
printf '%s\n' "$NOT_ENROLLED" >>"$T/needles"
sort -u -o "$T/needles" "$T/needles"
# hits FILE: how many needles occur in FILE's bytes (grep -F, C locale).
hits() {
	[ -f "$1" ] || { echo 0; return; }
	LC_ALL=C grep -a -o -F -f "$T/needles" "$1" | wc -l
}
jq -r .leaf "$T/entries.jsonl" | base64 -d >"$T/leaves.bin"
is "$(wc -l <"$T/leaves.bin")" "$total" "every leaf decoded ($total lines)"
api GET /metrics "$ADM"
cp "$T/r.body" "$T/metrics.txt"
# metric NAME{LABELS}: its value in the scrape, or "none".
metric() { awk -v k="$1" '$1 == k {print $2; f = 1} END {if (!f) print "none"}' "$T/metrics.txt"; }
is "$ST" 200 "/metrics with the admin token: 200"
like "$(hdr Content-Type)" '^text/plain' "as Prometheus text"
v=$(metric 'ankang_http_requests_total{method="POST",route="/v1/verify",status="200"}')
ok "$([ "$v" != none ] && [ "$v" -ge "$(wc -l <"$T/verify.all")" ]; echo $?)" \
	"verify answers counted by route and status ($v >= $(wc -l <"$T/verify.all") answers kept)"
v=$(metric 'ankang_audit_leaves')
ok "$([ "$v" != none ] && [ "$v" -ge "$total" ]; echo $?)" "the log's size ($v >= $total)"
for m in ankang_audit_batches_total ankang_audit_commit_seconds_count \
	ankang_audit_batch_operations_count ankang_audit_checkpoint_size; do
	v=$(metric "$m")
	ok "$([ "$v" != none ] && [ "$v" -gt 0 ]; echo $?)" "$m is there and positive ($v)"
done
for f in "$D/ankang.db" "$D/ankang.db-wal" "$D/ankang.db-index" "$D/ankang.db-index-wal" "$T/copy.db" "$T/serve.log" "$T/leaves.bin" \
	"$T/entries.jsonl" "$T/errors.all" "$T/metrics.txt" "$T/audit.out"; do
	[ -f "$f" ] || { diag "${f##*/} absent"; continue; }
	is "$(hits "$f")" 0 "no personal data in ${f##*/} ($(wc -c <"$f") bytes)"
done
ok "$([ -s "$T/serve.log" ] && [ -s "$T/errors.all" ]; echo $?)" \
	"(the server's log and the error bodies were not empty)"
bad=$(jq -s '[.[] | select(
	(keys - ["name", "result", "status"] | length > 0)
	or ((.result | IN("valid", "revoked", "superseded") | not) and (keys != ["result"]))
	or ((.result | IN("valid", "superseded")) and (keys != ["name", "result", "status"]))
	)] | length' "$T/verify.all" 2>/dev/null)
is "${bad:-parse error}" 0 "every one of $(wc -l <"$T/verify.all") verify answers: result, name, status and nothing else"

svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly on SIGTERM"
for f in "$D/ankang.db" "$D/ankang.db-wal" "$D/ankang.db-index"; do
	[ -f "$f" ] && is "$(hits "$f")" 0 "after the stop, no personal data in ${f##*/}"
done
"$ANKANG_BIN/ankangd" check --data "$D" >/dev/null 2>&1
ok $? "ankangd check: the stopped service's log is whole"
done_testing
