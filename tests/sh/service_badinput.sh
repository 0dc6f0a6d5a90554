#!/usr/bin/env bash
# service_badinput: well over a hundred malformed requests against `ankangd
# serve`, from one table (issue 4, "Bad input"): broken and deeply nested
# JSON, wrong types, unknown fields, oversized bodies (declared and
# chunked), invalid UTF-8, NUL bytes, bad GB 11643 numbers, SQL-injection
# strings in every string field, path tricks, ids with signs, leading
# zeros or 30 digits, wrong methods (405 + Allow), missing or wrong
# Content-Type (415), huge headers and request lines, bad query arguments.
#
# Each must get the 4xx of the table with a JSON body that is exactly
# {"error", "message"} carrying the expected code, and a message that does
# not echo the input (every string we send carries the marker "zqx", but
# for a name of only spaces, and no message may hold it or a run of 6+
# digits). The one documented
# exception (docs/API.md): headers or a request line too large for a
# connection's memory are refused by libmicrohttpd itself (431, 414) with
# an HTML body; those rows only demand that 4xx.
#
# Names that break the enrolment rule (service/policy.h) are refused with
# 400 bad_field. Afterwards injection strings that are VALID input (a
# name, a passphrase) are stored and given back byte for byte, a name sent
# decomposed comes back in NFC, the service still answers
# /healthz, and once it is stopped `ankangd check` and `ankang-audit verify
# --db` pass on its database.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done
[ "${ANKANG_TEST_STORE:-}" = pg ] || command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not installed"

D=$T/d
svc_init "$D"
VER=$(svc_account "$D" verifier checkpoint-1)
OFF=$(svc_account "$D" officer officer.hefei.1)
AUD=$(svc_account "$D" auditor inspector-1)
svc_start "$D"
at_exit svc_stop

# A resident (made up) for the resident and officer rows.
IDE=$(gb_id 34010219700101001)
api POST /v1/enroll "" "$(jq -nc --arg d "$IDE" \
	'{name: "Badinput Testresident", id_number: $d, passphrase: "badinput pass 1"}')"
is "$ST" 201 "a resident enrols"
RID=$(jbody .resident)
api POST /v1/login "" "$(jq -nc --arg d "$IDE" '{id_number: $d, passphrase: "badinput pass 1"}')"
is "$ST" 200 "and logs in"
RES=$(jbody .token)

# ID numbers: valid but not enrolled, and each way of being wrong.
IDV=$(gb_id 11010119800101002)
IDBAD=$(gb_bad 11010119800101002)
IDFUT=$(gb_id 11010120991231003)
ID1899=$(gb_id 11010118991231004)
IDFEB=$(gb_id 11010119690229005)
IDM13=$(gb_id 11010119991301006)
IDREG0=$(gb_id 01010119800101007)
IDLOWX=$(gb_id 44030520010102448)
IDLOWX_BAD=${IDLOWX%X}0 # the X of a valid number replaced: a wrong check

# Bodies too large or too deep to write inline, by name. (Deep ones go to
# /v1/scans, whose cap (16 KiB) lets them reach the JSON parser.)
gen_body() {
	case $1 in
	deep_arr) head -c 10000 /dev/zero | tr '\0' '[' ;;
	deep_obj) for i in $(seq 1 2500); do printf '{"a":'; done ;;
	deep_field) printf '{"scans":'; head -c 3000 /dev/zero | tr '\0' '[' ;;
	deep_ok_scans) printf '{"scans":%s%s}' "$(head -c 1000 /dev/zero | tr '\0' '[')" \
		"$(head -c 1000 /dev/zero | tr '\0' ']')" ;;
	deep_ok_nest) printf '{"credential":%s"zqx"%s}' "$(head -c 100 /dev/zero | tr '\0' '[')" \
		"$(head -c 100 /dev/zero | tr '\0' ']')" ;;
	big_enroll) printf '{"name":"zqx%s"}' "$(head -c 5000 /dev/zero | tr '\0' a)" ;;
	big_login) printf '{"passphrase":"zqx%s"}' "$(head -c 3000 /dev/zero | tr '\0' a)" ;;
	big_verify) printf '{"credential":"AK1:zqx%s"}' "$(head -c 5000 /dev/zero | tr '\0' A)" ;;
	big_lookup) printf '{"purpose":"zqx%s"}' "$(head -c 2000 /dev/zero | tr '\0' a)" ;;
	big_status) printf '{"reason":"zqx%s"}' "$(head -c 2000 /dev/zero | tr '\0' a)" ;;
	big_paper) printf '{"days":1,"zqx":"%s"}' "$(head -c 2000 /dev/zero | tr '\0' a)" ;;
	big_scans) printf '{"scans":"zqx%s"}' "$(head -c 20000 /dev/zero | tr '\0' a)" ;;
	huge_body) head -c 200000 /dev/zero | tr '\0' ' ' ;;
	many_keys) printf '{'; for i in $(seq 1 300); do printf '"zqx%d":1,' $i; done; printf '"zqx":1}' ;;
	long_name) printf '{"name":"zqx%s","id_number":"%s","passphrase":"zqx pass 1"}' \
		"$(head -c 200 /dev/zero | tr '\0' a)" "$IDV" ;;
	long_pass) printf '{"name":"zqx","id_number":"%s","passphrase":"zqx%s"}' "$IDV" \
		"$(head -c 300 /dev/zero | tr '\0' a)" ;;
	*) return 1 ;;
	esac
}

# The table. Fields, split on "|":
#   status | error code(s), comma-separated, or - | method | path |
#   caller (- res ver off aud) | content type (json, none, or literal) |
#   body (- none; @name generated; else printf %b text, so \xff is a
#   byte and \\u0000 is a JSON escape) | what it is
# Placeholders: @RID@ the resident's handle; @IDV@ a valid number nobody
# enrolled; @IDE@ the enrolled one; @IDBAD@ @IDFUT@ @ID1899@ @IDFEB@
# @IDM13@ @IDREG0@ @IDLOWX_BAD@ bad ones; @NOW@ unix seconds.
CASES=$(
	cat <<'EOF'
# ---- broken JSON
400|bad_json|POST|/v1/verify|ver|json||empty body with a JSON content type
400|bad_json|POST|/v1/verify|ver|json|{|a lone brace
400|bad_json|POST|/v1/verify|ver|json|{"credential":|a key with no value
400|bad_json|POST|/v1/verify|ver|json|{"credential":"zqx"|no closing brace
400|bad_json|POST|/v1/verify|ver|json|{"credential":"zqx}|an unterminated string
400|bad_json|POST|/v1/verify|ver|json|[]|an array, not an object
400|bad_json|POST|/v1/verify|ver|json|"zqx"|a string, not an object
400|bad_json|POST|/v1/verify|ver|json|12345|a number, not an object
400|bad_json|POST|/v1/verify|ver|json|null|null, not an object
400|bad_json|POST|/v1/verify|ver|json|true|true, not an object
400|bad_json|POST|/v1/verify|ver|json|{"credential":"zqx"} zqx|trailing bytes
400|bad_json|POST|/v1/verify|ver|json|{"credential":"zqx"}{}|two objects
400|bad_json|POST|/v1/verify|ver|json|{'credential':'zqx'}|single quotes
400|bad_json|POST|/v1/verify|ver|json|{credential:"zqx"}|a bare key
400|bad_json|POST|/v1/verify|ver|json|{"credential":"a","credential":"zqx"}|a duplicate key
400|bad_json|POST|/v1/verify|ver|json|{/*zqx*/"credential":"x"}|a comment
400|bad_json|POST|/v1/verify|ver|json|{"credential":"zqx",}|a trailing comma
400|bad_json|POST|/v1/residents/@RID@/paper-code|off|json|{"days":NaN}|NaN
400|bad_json|POST|/v1/residents/@RID@/paper-code|off|json|{"days":Infinity}|Infinity
400|bad_json|POST|/v1/residents/@RID@/paper-code|off|json|{"days":0x10}|a hex number
400|bad_json|POST|/v1/residents/@RID@/paper-code|off|json|{"days":99999999999999999999999}|an integer beyond 64 bits
400|bad_json|POST|/v1/verify|ver|json|\xef\xbb\xbf{"credential":"zqx"}|a byte-order mark
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\\q"}|an invalid escape
# ---- deep nesting
400|bad_json|POST|/v1/scans|ver|json|@deep_arr|10000 nested arrays
400|bad_json|POST|/v1/scans|ver|json|@deep_obj|2500 nested objects
400|bad_json|POST|/v1/scans|ver|json|@deep_field|3000 nested arrays inside a field
400|bad_field|POST|/v1/scans|ver|json|@deep_ok_scans|1000 nested arrays where scans belong
400|bad_field|POST|/v1/verify|ver|json|@deep_ok_nest|100 nested arrays where a string belongs
# ---- wrong types
400|bad_field|POST|/v1/verify|ver|json|{"credential":12345}|credential a number
400|bad_field|POST|/v1/verify|ver|json|{"credential":null}|credential null
400|bad_field|POST|/v1/verify|ver|json|{"credential":["zqx"]}|credential an array
400|bad_field|POST|/v1/verify|ver|json|{"credential":{"zqx":1}}|credential an object
400|bad_field|POST|/v1/verify|ver|json|{"credential":true}|credential a boolean
400|bad_field|POST|/v1/verify|ver|json|{}|credential missing
400|bad_field|POST|/v1/enroll|-|json|{"name":7,"id_number":"@IDV@","passphrase":"zqx pass 1"}|name a number
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":340102198001010011,"passphrase":"zqx pass 1"}|id_number a number
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@","passphrase":["zqx"]}|passphrase an array
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@","phone":13900000000,"passphrase":"zqx pass 1"}|phone a number
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@"}|passphrase missing
400|bad_field|POST|/v1/enroll|-|json|{"id_number":"@IDV@","passphrase":"zqx pass 1"}|name missing
400|bad_field|POST|/v1/enroll|-|json|{"name":"","id_number":"@IDV@","passphrase":"zqx pass 1"}|name empty
400|bad_field|POST|/v1/enroll|-|json|@long_name|name over 128 bytes
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx\\n","id_number":"@IDV@","passphrase":"zqx pass 1"}|a control character in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx\xe2\x80\xaeab","id_number":"@IDV@","passphrase":"zqx pass 1"}|U+202E RIGHT-TO-LEFT OVERRIDE in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx\\u202eab","id_number":"@IDV@","passphrase":"zqx pass 1"}|U+202E in the name, as a JSON escape
400|bad_field|POST|/v1/enroll|-|json|{"name":"   ","id_number":"@IDV@","passphrase":"zqx pass 1"}|a name of only spaces
400|bad_field|POST|/v1/enroll|-|json|{"name":" zqx","id_number":"@IDV@","passphrase":"zqx pass 1"}|a leading space in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx  zqx","id_number":"@IDV@","passphrase":"zqx pass 1"}|two spaces in a row in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx\\u0085a","id_number":"@IDV@","passphrase":"zqx pass 1"}|a C1 control (U+0085) in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx\xef\xb7\x90","id_number":"@IDV@","passphrase":"zqx pass 1"}|a non-character (U+FDD0) in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx\xe3\x85\xa4a","id_number":"@IDV@","passphrase":"zqx pass 1"}|a Hangul filler (U+3164) in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx 2","id_number":"@IDV@","passphrase":"zqx pass 1"}|a digit in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx\xf0\x9f\x98\x80","id_number":"@IDV@","passphrase":"zqx pass 1"}|an emoji in the name
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@","passphrase":"zqx"}|passphrase under 8 bytes
400|bad_field|POST|/v1/enroll|-|json|@long_pass|passphrase over 256 bytes
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@","phone":"12345","passphrase":"zqx pass 1"}|phone too short
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@","phone":"139-0000-0000","passphrase":"zqx pass 1"}|phone with dashes
400|bad_field|POST|/v1/login|-|json|{"id_number":"@IDV@"}|login without passphrase
400|bad_field|POST|/v1/login|-|json|{"id_number":null,"passphrase":"zqx pass 1"}|login id_number null
400|bad_field|POST|/v1/residents/@RID@/paper-code|off|json|{"purpose":"paper_code","id_number":"@IDE@","days":"14"}|days a string
400|bad_field|POST|/v1/residents/@RID@/paper-code|off|json|{"purpose":"paper_code","id_number":"@IDE@","days":-1}|days negative
400|bad_field|POST|/v1/residents/@RID@/paper-code|off|json|{"purpose":"paper_code","id_number":"@IDE@","days":0}|days zero
400|bad_field|POST|/v1/residents/@RID@/paper-code|off|json|{"purpose":"paper_code","id_number":"@IDE@","days":32}|days over 31
400|bad_field|POST|/v1/residents/@RID@/paper-code|off|json|{"purpose":"paper_code","id_number":"@IDE@","days":1.5}|days a fraction
400|bad_field|PUT|/v1/residents/@RID@/status|off|json|{"status":1,"reason":"close_contact"}|status a number
400|bad_field|PUT|/v1/residents/@RID@/status|off|json|{"status":"red"}|reason missing
400|bad_purpose,bad_field|POST|/v1/lookup|off|json|{"id_number":"@IDE@"}|purpose missing (refused as a look-up without a purpose)
400|bad_field|POST|/v1/scans|ver|json|{"scans":"zqx"}|scans a string
400|bad_field|POST|/v1/scans|ver|json|{"scans":[1,2]}|scans of numbers
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"zqx","cti":null,"time":1,"result":"valid"}]}|a scan id not hex
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"00112233445566778899aabbccddeeff","cti":"zqx","time":1,"result":"valid"}]}|a cti not hex
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"00112233445566778899aabbccddeeff","time":"zqx","result":"valid"}]}|a scan time a string
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"00112233445566778899aabbccddeeff","time":99999999999,"result":"valid"}]}|a scan from the far future
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"00112233445566778899aabbccddeeff","time":1,"result":"zqx"}]}|a scan result not a word
# ---- words not on their closed lists
400|bad_status|PUT|/v1/residents/@RID@/status|off|json|{"status":"zqx","reason":"close_contact"}|a status not on the list
400|bad_status|PUT|/v1/residents/@RID@/status|off|json|{"status":"GREEN","reason":"close_contact"}|a status in capitals
400|bad_reason|PUT|/v1/residents/@RID@/status|off|json|{"status":"red","reason":"zqx"}|a reason not on the list
400|bad_purpose|POST|/v1/lookup|off|json|{"id_number":"@IDE@","purpose":"zqx"}|a purpose not on the list
# ---- unknown fields
400|unknown_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@","passphrase":"zqx pass 1","role":"admin"}|enroll with a role
400|unknown_field|POST|/v1/login|-|json|{"id_number":"@IDV@","passphrase":"zqx pass 1","zqx":1}|login with an extra field
400|unknown_field|POST|/v1/verify|ver|json|{"credential":"AK1:zqx","debug":true}|verify with debug
400|unknown_field|POST|/v1/lookup|off|json|{"id_number":"@IDE@","purpose":"appeal_review","name":"zqx"}|lookup with a name
400|unknown_field|PUT|/v1/residents/@RID@/status|off|json|{"status":"red","reason":"close_contact","note":"zqx"}|status with a note
400|unknown_field|POST|/v1/residents/@RID@/paper-code|off|json|{"days":3,"name":"zqx"}|paper code with a name
400|unknown_field|POST|/v1/scans|ver|json|{"scans":[],"zqx":1}|scans with an extra field
400|unknown_field|POST|/v1/scans|ver|json|{"scans":[{"id":"00112233445566778899aabbccddeeff","time":1,"result":"valid","zqx":1}]}|a scan with an extra field
400|unknown_field|POST|/v1/verify|ver|json|@many_keys|300 unknown keys
400|unknown_field|POST|/v1/verify|ver|json|{"Credential":"AK1:zqx"}|a key in the wrong case
# ---- oversized bodies
413|too_large|POST|/v1/enroll|-|json|@big_enroll|enroll body over 4 KiB
413|too_large|POST|/v1/login|-|json|@big_login|login body over 2 KiB
413|too_large|POST|/v1/verify|ver|json|@big_verify|verify body over 4 KiB
413|too_large|POST|/v1/lookup|off|json|@big_lookup|lookup body over 1 KiB
413|too_large|PUT|/v1/residents/@RID@/status|off|json|@big_status|status body over 1 KiB
413|too_large|POST|/v1/residents/@RID@/paper-code|off|json|@big_paper|paper-code body over 1 KiB
413|too_large|POST|/v1/scans|ver|json|@big_scans|scans body over the server's cap
413|too_large|POST|/v1/verify|ver|json|@huge_body|a 200 KB body
413|too_large|POST|/v1/verify|ver|chunked|@big_verify|verify body over 4 KiB, chunked (no length)
413|too_large|POST|/v1/enroll|-|chunked|@huge_body|a 200 KB chunked body
413|too_large|GET|/v1/me/code|res|json|{"zqx":1}|a body where none is taken
# ---- invalid UTF-8 and NUL bytes
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\xff","id_number":"@IDV@","passphrase":"zqx pass 1"}|a 0xff byte in a name
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\xc3\x28","id_number":"@IDV@","passphrase":"zqx pass 1"}|a broken 2-byte sequence
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\xc0\xaf","id_number":"@IDV@","passphrase":"zqx pass 1"}|an overlong encoding
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\xed\xa0\x80","id_number":"@IDV@","passphrase":"zqx pass 1"}|an encoded surrogate
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\xe6\xac","id_number":"@IDV@","passphrase":"zqx pass 1"}|a truncated CJK character
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\\ud800","id_number":"@IDV@","passphrase":"zqx pass 1"}|a lone surrogate escape
400|bad_json|POST|/v1/login|-|json|{"id_number":"@IDV@","passphrase":"zqx \xfe\xfe pass"}|invalid UTF-8 in a passphrase
400|bad_json|POST|/v1/verify|ver|json|{"zqx\xff":1}|invalid UTF-8 in a key
400|bad_json|POST|/v1/verify|ver|json|{"credential":"AK1:zqx\0AAAA"}|a raw NUL inside a string
400|bad_json|POST|/v1/verify|ver|json|{"credential":"AK1:zqx"}\0|a raw NUL after the object
400|bad_json|POST|/v1/verify|ver|json|\0{"credential":"AK1:zqx"}|a raw NUL first
400|bad_json|POST|/v1/enroll|-|json|{"name":"zqx\\u0000x","id_number":"@IDV@","passphrase":"zqx pass 1"}|an escaped NUL in a name
400|bad_json|POST|/v1/login|-|json|{"id_number":"@IDV@\\u0000","passphrase":"zqx pass 1"}|an escaped NUL after an ID number
# ---- ID-card numbers
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDBAD@","passphrase":"zqx pass 1"}|a wrong check character
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDLOWX_BAD@","passphrase":"zqx pass 1"}|0 where X belongs
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDFUT@","passphrase":"zqx pass 1"}|born in 2099
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@ID1899@","passphrase":"zqx pass 1"}|born in 1899
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDFEB@","passphrase":"zqx pass 1"}|29 February 1969
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDM13@","passphrase":"zqx pass 1"}|month 13
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDREG0@","passphrase":"zqx pass 1"}|a region code starting with 0
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"11010119800101002","passphrase":"zqx pass 1"}|17 characters
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@0","passphrase":"zqx pass 1"}|19 characters
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":" @IDV@","passphrase":"zqx pass 1"}|a leading space
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"11010119800101002Y","passphrase":"zqx pass 1"}|check character Y
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"１１０１０１１９８００１０１００２Ｘ","passphrase":"zqx pass 1"}|full-width digits
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"","passphrase":"zqx pass 1"}|empty
400|bad_id_number|POST|/v1/login|-|json|{"id_number":"@IDBAD@","passphrase":"zqx pass 1"}|log-in with a wrong check character
400|bad_id_number|POST|/v1/lookup|off|json|{"id_number":"@IDBAD@","purpose":"appeal_review"}|look-up with a wrong check character
# ---- SQL injection in every string field
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"1' OR '1'='1","passphrase":"zqx pass 1"}|injection in enroll id_number
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDV@","phone":"1'; DROP TABLE residents;--zqx","passphrase":"zqx pass 1"}|injection in enroll phone
400|bad_field|POST|/v1/enroll|-|json|{"name":"zqx'); DROP TABLE residents;--","id_number":"@IDBAD@","passphrase":"zqx pass 1"}|injection in enroll name (brackets and ; break the name rule)
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx'-- DROP TABLE residents","id_number":"@IDBAD@","passphrase":"zqx pass 1"}|injection within the name rule (number wrong)
400|bad_id_number|POST|/v1/enroll|-|json|{"name":"zqx","id_number":"@IDBAD@","passphrase":"' OR 1=1 --zqx"}|injection in enroll passphrase (number wrong)
400|bad_id_number|POST|/v1/login|-|json|{"id_number":"' OR ''='zqx","passphrase":"zqx pass 1"}|injection in login id_number
401|bad_login|POST|/v1/login|-|json|{"id_number":"@IDV@","passphrase":"' OR '1'='1' --zqx"}|injection in login passphrase
400|bad_id_number|POST|/v1/lookup|off|json|{"id_number":"%' OR 1=1;--zqx","purpose":"appeal_review"}|injection in lookup id_number
400|bad_purpose|POST|/v1/lookup|off|json|{"id_number":"@IDE@","purpose":"appeal_review' OR 'zqx"}|injection in lookup purpose
400|bad_status|PUT|/v1/residents/@RID@/status|off|json|{"status":"red'; UPDATE residents SET status=0;--zqx","reason":"close_contact"}|injection in status
400|bad_reason|PUT|/v1/residents/@RID@/status|off|json|{"status":"red","reason":"x'); DELETE FROM leaves;--zqx"}|injection in reason
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"' OR 1=1--zqx","time":1,"result":"valid"}]}|injection in a scan id
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"00112233445566778899aabbccddeeff","cti":"'; DROP TABLE scans;--zqx","time":1,"result":"valid"}]}|injection in a scan cti
400|bad_field|POST|/v1/scans|ver|json|{"scans":[{"id":"00112233445566778899aabbccddeeff","time":1,"result":"valid' OR 'zqx"}]}|injection in a scan result
404|not_found|PUT|/v1/residents/1'%20OR%20'1'='1zqx/status|off|json|{"status":"red","reason":"close_contact"}|injection in the path id
400|bad_query|GET|/v1/audit/entries?start=0;DROP%20TABLE%20leaves--zqx&end=1|aud|none|-|injection in a query argument
400|bad_query|POST|/v1/residents/@RID@/paper-code?format=png'--zqx|off|json|{}|injection in format
# ---- path tricks and odd ids
404|not_found|GET|/v1/residents/../healthz|-|none|-|a .. segment
404|not_found|GET|/v1/%2e%2e/healthz|-|none|-|an encoded .. segment
404|not_found|GET|//healthz|-|none|-|a double slash first
404|not_found|GET|/v1//me/code|res|none|-|a double slash inside
404|not_found|GET|/healthz/|-|none|-|a trailing slash
404|not_found|GET|/HEALTHZ|-|none|-|capitals
404|not_found|GET|/v1/me/code.gif|res|none|-|another image type
404|not_found|GET|/v1/me/code.png.zqx|res|none|-|a longer extension
404|not_found|GET|/zqx|-|none|-|an unknown path
404|not_found|GET|/v1/zqx/../../healthz|-|none|-|climbing out of /v1
404|not_found|GET|/@LONGPATH@|-|none|-|a 6000-byte path
404|not_found|PUT|/v1/residents/0/status|off|json|{"status":"red","reason":"close_contact"}|resident 0
404|not_found|PUT|/v1/residents/-1/status|off|json|{"status":"red","reason":"close_contact"}|a negative id
404|not_found|PUT|/v1/residents/+1/status|off|json|{"status":"red","reason":"close_contact"}|an id with a plus sign
404|not_found|PUT|/v1/residents/01/status|off|json|{"status":"red","reason":"close_contact"}|an id with a leading zero
404|not_found|PUT|/v1/residents/999999999999999999999999999999/status|off|json|{"status":"red","reason":"close_contact"}|a 30-digit id
404|not_found|PUT|/v1/residents/18446744073709551616/status|off|json|{"status":"red","reason":"close_contact"}|2^64 as an id
404|not_found|PUT|/v1/residents/1e3/status|off|json|{"status":"red","reason":"close_contact"}|an id in exponent form
404|not_found|PUT|/v1/residents/0x1/status|off|json|{"status":"red","reason":"close_contact"}|a hex id
400|bad_request|PUT|/v1/residents/%31%00/status|off|json|{"status":"red","reason":"close_contact"}|an encoded NUL after the id (refused by the transport guard)
404|not_found|PUT|/v1/residents/%20/status|off|json|{"status":"red","reason":"close_contact"}|an encoded space as the id
404|not_found|PUT|/v1/residents/..%2fzqx/status|off|json|{"status":"red","reason":"close_contact"}|an encoded slash in the id
404|not_found|PUT|/v1/residents/999999/status|off|json|{"status":"red","reason":"close_contact"}|a resident nobody enrolled
404|not_found|PUT|/v1/residents/@RID@/status/zqx|off|json|{"status":"red","reason":"close_contact"}|a segment too many
# ---- wrong methods (405 with Allow)
405|method_not_allowed|POST|/healthz|-|json|{}|POST /healthz
405|method_not_allowed|GET|/v1/enroll|-|none|-|GET /v1/enroll
405|method_not_allowed|DELETE|/v1/verify|ver|none|-|DELETE /v1/verify
405|method_not_allowed|PUT|/v1/me/code|res|none|-|PUT /v1/me/code
405|method_not_allowed|GET|/v1/me|res|none|-|GET /v1/me
405|method_not_allowed|PATCH|/v1/residents/@RID@/status|off|json|{}|PATCH a status
405|method_not_allowed|GET|/v1/residents/@RID@/status|off|none|-|GET a status
405|method_not_allowed|GET|/v1/lookup|off|none|-|GET /v1/lookup
405|method_not_allowed|OPTIONS|/v1/verify|-|none|-|OPTIONS
405|method_not_allowed|TRACE|/v1/trust|-|none|-|TRACE
405|method_not_allowed|ZQXMETHOD|/v1/trust|-|none|-|an invented method
405|-|HEAD|/v1/verify|-|none|-|HEAD on a POST route
# ---- Content-Type (415)
415|unsupported_media_type|POST|/v1/verify|ver|none|{"credential":"AK1:zqx"}|no Content-Type
415|unsupported_media_type|POST|/v1/verify|ver|text/plain|{"credential":"AK1:zqx"}|text/plain
415|unsupported_media_type|POST|/v1/enroll|-|application/x-www-form-urlencoded|name=zqx&id_number=1|a form
415|unsupported_media_type|POST|/v1/login|-|multipart/form-data; boundary=zqx|--zqx--|multipart
415|unsupported_media_type|POST|/v1/verify|ver|application/jsonx|{"credential":"AK1:zqx"}|application/jsonx
415|unsupported_media_type|POST|/v1/verify|ver|application/json-seq|{"credential":"AK1:zqx"}|application/json-seq
415|unsupported_media_type|PUT|/v1/residents/@RID@/status|off|text/json|{"status":"red","reason":"close_contact"}|text/json
# ---- headers and request lines too large for a connection (libmicrohttpd)
4xx|-|GET|/healthz|-|bighdr|-|one 20 KB header
4xx|-|GET|/healthz|-|manyhdr|-|300 headers
4xx|-|POST|/v1/verify|-|bigauth|{"credential":"AK1:zqx"}|a 20 KB Authorization header
4xx|-|GET|/@HUGEPATH@|-|none|-|a 20 KB request line
# ---- query arguments
400|bad_query|GET|/v1/audit/entries?start=zqx&end=1|aud|none|-|start not a number
400|bad_query|GET|/v1/audit/entries?start=-1&end=1|aud|none|-|start negative
400|bad_query|GET|/v1/audit/entries?start=01&end=2|aud|none|-|start with a leading zero
400|bad_query|GET|/v1/audit/entries?start=1e3&end=2000|aud|none|-|start in exponent form
400|bad_query|GET|/v1/audit/entries?start=&end=1|aud|none|-|start empty
400|bad_query|GET|/v1/audit/entries?start=99999999999999999999999&end=1|aud|none|-|start beyond 64 bits
400|bad_query|GET|/v1/audit/entries?start=5&end=1|aud|none|-|end before start
400|bad_query|GET|/v1/audit/proof/inclusion?index=zqx&size=1|aud|none|-|inclusion index not a number
400|bad_query|GET|/v1/audit/proof/inclusion?index=5&size=5|aud|none|-|inclusion index not below size
400|bad_query|GET|/v1/audit/proof/inclusion?index=0&size=0|aud|none|-|inclusion size 0
400|bad_query|GET|/v1/audit/proof/inclusion?index=0&size=99999999|aud|none|-|inclusion size beyond the log
400|bad_query|GET|/v1/audit/proof/inclusion?size=1|aud|none|-|inclusion without index
400|bad_query|GET|/v1/audit/proof/consistency?old=5&new=2|aud|none|-|consistency old after new
400|bad_query|GET|/v1/audit/proof/consistency?old=zqx&new=2|aud|none|-|consistency old not a number
400|bad_query|GET|/v1/audit/proof/consistency?old=1&new=99999999|aud|none|-|consistency new beyond the log
400|bad_query|GET|/v1/me/accesses?limit=zqx|res|none|-|accesses limit not a number
400|bad_query|GET|/v1/me/accesses?limit=-5|res|none|-|accesses limit negative
400|bad_query|POST|/v1/residents/@RID@/paper-code?format=gif|off|json|{}|paper-code format gif
400|bad_query|POST|/v1/residents/@RID@/paper-code?format=|off|json|{}|paper-code format empty
EOF
)
NOW=$(date +%s)
LONGPATH=$(head -c 6000 /dev/zero | tr '\0' z)
HUGEPATH=$(head -c 20000 /dev/zero | tr '\0' z)
declare -A TOKEN=([-]="" [res]="$RES" [ver]="$VER" [off]="$OFF" [aud]="$AUD")

subst() {
	local s=$1
	s=${s//@RID@/$RID}
	s=${s//@IDV@/$IDV}
	s=${s//@IDE@/$IDE}
	s=${s//@IDBAD@/$IDBAD}
	s=${s//@IDFUT@/$IDFUT}
	s=${s//@ID1899@/$ID1899}
	s=${s//@IDFEB@/$IDFEB}
	s=${s//@IDM13@/$IDM13}
	s=${s//@IDREG0@/$IDREG0}
	s=${s//@IDLOWX_BAD@/$IDLOWX_BAD}
	s=${s//@NOW@/$NOW}
	s=${s//@LONGPATH@/$LONGPATH}
	s=${s//@HUGEPATH@/$HUGEPATH}
	printf '%s' "$s"
}

# run_case: one row; replies in $T/r.body, status in ST.
run_case() {
	local want=$1 method=$3 path ctype=$6 body=$7 token
	path=$(subst "$4")
	token=${TOKEN[$5]}
	local args=(-s -o "$T/r.body" -D "$T/r.hdr" -w '%{http_code}' --path-as-is --max-time 30)
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	if [ "$method" = HEAD ]; then
		args+=(-I)
	else
		args+=(-X "$method")
	fi
	case $ctype in
	none) args+=(-H 'Content-Type:') ;;
	json) args+=(-H 'Content-Type: application/json') ;;
	chunked) args+=(-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked') ;;
	bighdr) args+=(-H "X-Zqx: $(head -c 20000 /dev/zero | tr '\0' z)") ;;
	manyhdr) for i in $(seq 1 300); do args+=(-H "X-Zqx-$i: zqxzqxzqxzqxzqxzqxzqxzqxzqxzqxzqxzqxzqxzqxzqxzqxzqx"); done ;;
	bigauth) args+=(-H 'Content-Type: application/json'
		-H "Authorization: Bearer aka_$(head -c 20000 /dev/zero | tr '\0' z)") ;;
	*) args+=(-H "Content-Type: $ctype") ;;
	esac
	if [ "$body" != - ]; then
		if [ "${body:0:1}" = @ ]; then
			gen_body "${body:1}" >"$T/req.bin"
		else
			printf '%b' "$(subst "$body")" >"$T/req.bin"
		fi
		args+=(--data-binary "@$T/req.bin")
	fi
	ST=$(curl "${args[@]}" "$URL$path")
	[ -n "$ST" ] || ST=000
	cat "$T/r.body" >>"$T/errors.all"
	echo >>"$T/errors.all"
}

n=0
while IFS='|' read -r want codes method path who ctype body desc; do
	case $want in '#'* | '') continue ;; esac
	run_case "$want" "$codes" "$method" "$path" "$who" "$ctype" "$body"
	n=$((n + 1))
	why=""
	if [ "$want" = 4xx ]; then
		[[ "$ST" =~ ^4[0-9][0-9]$ ]] || why="status $ST, not 4xx"
	elif [ "$ST" != "$want" ]; then
		why="status $ST, not $want"
	elif [ "$method" = HEAD ]; then
		[ -n "$(hdr Allow)" ] || why="no Allow header"
	else
		if ! is_error_body; then
			why="the body is not exactly {error, message}"
		elif [ "$codes" != - ] && [[ ",$codes," != *",$(jbody .error),"* ]]; then
			why="error $(jbody .error), not $codes"
		elif jbody .message | grep -qiE "zqx|[0-9]{6}"; then
			why="the message echoes the input"
		elif [ "$(hdr Content-Type)" != application/json ]; then
			why="Content-Type $(hdr Content-Type)"
		elif [ "$want" = 405 ] && [ -z "$(hdr Allow)" ]; then
			why="405 without Allow"
		fi
	fi
	if [ -z "$why" ]; then
		ok 0 "$desc: $want${codes:+ $codes}"
	else
		ok 1 "$desc: $want $codes"
		diag "$why"
	fi
done <<<"$CASES"
ok "$([ $n -ge 100 ]; echo $?)" "$n malformed requests (at least 100)"

# No error body, header or server log line carries the marker or an ID
# number sent in this test.
LC_ALL=C grep -c -i -a zqx "$T/errors.all" >"$T/count" || true
is "$(cat "$T/count")" 0 "no error body repeats what was sent"
printf '%s\n' "$IDE" "$IDV" "$IDBAD" "$IDFUT" "$ID1899" "$IDFEB" "$IDM13" "$IDREG0" >"$T/needles"
is "$(LC_ALL=C grep -a -o -F -f "$T/needles" "$T/errors.all" "$T/serve.log" | wc -l)" 0 \
	"no ID number in any error body or in the server's log"
is "$(LC_ALL=C grep -c -i -a zqx "$T/serve.log")" 0 "the server's log holds no request data"

# Injection strings that are valid input are data, stored and given back
# exactly, and the tables are still there.
INJ_NAME="Robert'-- DROP TABLE residents"
INJ_PASS="' OR '1'='1' --"
IDI=$(gb_id 11010119800101012)
api POST /v1/enroll "" "$(jq -nc --arg n "$INJ_NAME" --arg d "$IDI" --arg w "$INJ_PASS" \
	'{name: $n, id_number: $d, passphrase: $w}')"
is "$ST" 201 "a name and passphrase that look like SQL are accepted as data"
api POST /v1/login "" "$(jq -nc --arg d "$IDI" --arg w "$INJ_PASS" '{id_number: $d, passphrase: $w}')"
is "$ST" 200 "the passphrase works as it was given"
tok=$(jbody .token)
api POST /v1/login "" "$(jq -nc --arg d "$IDI" --arg w "' OR '1'='2' --" '{id_number: $d, passphrase: $w}')"
is "$ST" 401 "and a near miss does not"
api GET /v1/me/code "$tok"
is "$ST" 200 "the resident gets a code"
same "$(jbody .name)" "$INJ_NAME" "carrying the name byte for byte"
verify_body=$(jq -nc --arg c "$(jbody .credential)" '{credential: $c}')
api POST /v1/verify "$VER" "$verify_body"
is "$ST/$(jbody .result)" 200/valid "which verifies"
api POST /v1/verify "$VER" '{"credential": "AK1:'"'"' OR 1=1; DROP TABLE leaves;--"}'
is "$ST/$(jbody .result)" 200/malformed "an injection string as a credential: 200 malformed (audited)"
api GET /v1/residents/../../v1/me/code "$tok"
is "$ST" 404 "no path climbs to another route"

# A name sent decomposed (e + U+0301, o + U+0308) is enrolled, sealed and
# put in codes in NFC (U+00E9, U+00F6).
DEC_NAME=$(printf 'Jose\xcc\x81 Bjo\xcc\x88rk')
NFC_NAME=$(printf 'Jos\xc3\xa9 Bj\xc3\xb6rk')
IDN=$(gb_id 11010119800101020)
api POST /v1/enroll "" "$(jq -nc --arg n "$DEC_NAME" --arg d "$IDN" \
	'{name: $n, id_number: $d, passphrase: "nfc test passphrase"}')"
is "$ST" 201 "a name sent decomposed is accepted"
api POST /v1/login "" "$(jq -nc --arg d "$IDN" '{id_number: $d, passphrase: "nfc test passphrase"}')"
tok=$(jbody .token)
api GET /v1/me/code "$tok"
is "$ST" 200 "its resident gets a code"
same "$(jbody .name)" "$NFC_NAME" "carrying the name in NFC, byte for byte"
api POST /v1/verify "$VER" "$(jq -nc --arg c "$(jbody .credential)" '{credential: $c}')"
is "$ST/$(jbody .result)" 200/valid "which verifies"
same "$(jbody .name)" "$NFC_NAME" "and the verifier is shown the NFC name"

# The service is still up and consistent.
api GET /healthz ""
is "$ST/$(jbody .status)" 200/ok "after all that, /healthz answers ok"
"$ANKANG_BIN/ankang-audit" verify --server "$URL" --token "$AUD" \
	--log-key "$D/public/log.vkey" >/dev/null 2>&1
ok $? "the log verifies over HTTP"
svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
# The catalogue of tables is each engine's own.
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	catalogue="information_schema.tables WHERE table_schema = 'public' AND table_name"
else
	catalogue="sqlite_master WHERE type = 'table' AND name"
fi
tables=$(svc_sql "$D/ankang.db" "SELECT count(*) FROM $catalogue IN ('log_leaves', 'log_checkpoints',
	'accounts', 'residents', 'status_history', 'sessions', 'codes', 'revocations', 'scans')")
is "$tables" 9 "the nine tables are all there"
is "$(svc_sql "$D/ankang.db" "SELECT count(*) FROM residents WHERE erased IS NULL")" 3 \
	"with the three residents enrolled, no more, no fewer"
"$ANKANG_BIN/ankangd" check --data "$D" >"$T/check.out" 2>&1
ok $? "ankangd check --data passes"
"$ANKANG_BIN/ankang-audit" verify --db "$(svc_db "$D")" --log-key "$D/public/log.vkey" \
	>"$T/audit.out" 2>&1
ok $? "ankang-audit verify --db passes on the database"
done_testing
