#!/bin/bash
# verify_sync: ankang-verify's online and sync side against a real
# ankangd, and against a fake server (tests/helpers/fake_verify_server)
# that serves lists the test controls:
#   - sync into a fresh folder holding only the root key: lists fetched,
#     verified and written; without the root key sync refuses (it is never
#     fetched);
#   - offline checks are spooled (one line per scan, 0600 in a 0700
#     folder, the cti and the code's signature and never the name),
#     --no-spool and --now are not;
#   - sync uploads the spool (accepted), a second sync uploads nothing,
#     a re-sent page is answered as duplicates; pages of at most 50, the
#     sent offset recorded only after a page is accepted; a torn line is
#     dropped at the next start, a whole line that does not parse skipped;
#   - proof of possession: the fake, told which codes were issued,
#     attributes a scan only when the uploaded sig is the signature of the
#     code with its cti: the scans of real codes are; a changed sig, an old
#     four-field line with a cti copied and dated 1975, and a badly signed
#     code are not;
#   - a tampered list, junk, a list from before the held one (rollback)
#     and a redirect to another host are refused, the held files kept;
#   - status: ages, staleness (exit 1), unsent counts; the stale warning
#     when checking offline, printed once;
#   - online mode prints the server's answer in the offline format;
#   - a wrong token: exit 2 and one line that does not hold the token;
#   - names with C1 controls and bidi overrides print as U+FFFD.
# Names and tokens are compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

D=$ANKANG_BIN/ankangd
VERIFY=$ANKANG_BIN/ankang-verify
DATA=$T/data
V=$T/v

need_helpers fake_verify_server sign_list mkcred
command -v curl >/dev/null || skip_all "curl is needed to probe the server"

# skip REASON: one skipped check (an endpoint not written yet).
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

svc_init "$DATA" || { echo "Bail out! ankangd init failed"; exit 1; }
TOKEN=$(svc_account "$DATA" verifier checkpoint-1)
[ -n "$TOKEN" ] || { echo "Bail out! account add failed"; exit 1; }
svc_start "$DATA" --quiet
at_exit svc_stop

# Which endpoints answer for real yet (others write them while this test
# is written): 501 means "pending".
api GET /v1/trust ""
TRUST_READY=0
[ "$ST" = 200 ] && TRUST_READY=1
api POST /v1/verify "$TOKEN" '{"credential":"AK1:X"}'
VERIFY_READY=0
[ "$ST" = 200 ] && VERIFY_READY=1
api POST /v1/scans "$TOKEN" '{"scans":[]}'
SCANS_READY=0
[ "$ST" != 501 ] && [ "$ST" != 404 ] && [ "$ST" != 000 ] && SCANS_READY=1
# The verifier sends each scan's "sig" (docs/API.md); a service that does
# not take the key yet refuses the whole upload as unknown_field. (The
# probe's id is bad, so a service that takes it stores nothing.)
if [ $SCANS_READY = 1 ]; then
	api POST /v1/scans "$TOKEN" '{"scans":[{"id":"-","time":1,"result":"valid","sig":"-"}]}'
	[ "$(jbody .error)" = unknown_field ] && SCANS_READY=0 && SCANS_WHY="it does not take 'sig' yet"
fi
SCANS_WHY=${SCANS_WHY:-"it is not written yet (HTTP $ST)"}

# ---------------------------------------------------- sync into a fresh folder
mkdir -p "$V"
"$VERIFY" sync --server "$URL" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "sync without a root key in the folder: exit 2"
like "$(cat "$T/err")" "root key .*never fetched" "and says the root key is installed by hand"
[ ! -e "$V/trust.note" ] && [ ! -e "$V/revocations.note" ]
ok $? "and writes no list"

cp "$DATA/public/root.vkey" "$V/"
if [ $TRUST_READY = 1 ]; then
	SYNC_URL=$URL
else
	SYNC_URL=
fi
# The lists come from the real service when it serves them; else from the
# fake server below, started here early with the data folder's own lists.
FD=$T/fake
mkdir -p "$FD"
cp "$DATA/public/trust.note" "$DATA/public/revocations.note" "$FD/"
FAKE_PID=
fake_start() { # [FAULT]
	rm -f "$T/fport"
	"$H/fake_verify_server" --dir "$FD" --token "$TOKEN" --port-file "$T/fport" \
		${1:+--fault "$1"} 2>"$T/fake.err" &
	FAKE_PID=$!
	for _i in $(seq 1 400); do
		[ -s "$T/fport" ] && break
		sleep 0.05
	done
	[ -s "$T/fport" ] || { echo "Bail out! fake_verify_server did not start"; exit 1; }
	FAKE=http://127.0.0.1:$(cat "$T/fport")
}
fake_stop() {
	[ -n "$FAKE_PID" ] || return 0
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
	FAKE_PID=
}
at_exit fake_stop
fake_start
[ -n "$SYNC_URL" ] || SYNC_URL=$FAKE

"$VERIFY" sync --server "$SYNC_URL" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
ok $? "sync into a fresh folder with only the root key: exit 0"
[ $TRUST_READY = 1 ] || diag "GET /v1/trust is not served yet: lists came from the fake server"
like "$(sed -n 1p "$T/out")" "^trust: issued [0-9T:-]+Z, 1 issuer key \(new\)$" "it reports the trust list"
like "$(sed -n 2p "$T/out")" "^revocations: issued [0-9T:-]+Z, 0 revoked codes \(new\)$" \
	"and the revocation list"
like "$(sed -n 3p "$T/out")" "^scans: none to upload" "and that there was nothing to upload"
"$VERIFY" --dir "$V" --revocations "$V/revocations.note" --trust "$V/trust.note" \
	--no-spool AK1:X >/dev/null 2>&1
is $? 1 "the fetched lists open with the root key (a junk code is merely not valid)"
is "$(stat -c %a "$V/trust.note") $(stat -c %a "$V/revocations.note")" "644 644" \
	"the lists are written 0644 (they are public)"

# ------------------------------------------------------------ offline + spool
cred=$(printf 'Test Resident\n' | "$D" issue --data "$DATA" --name - --status green)
ok $? "ankangd issue prints a code"
out=$("$VERIFY" --dir "$V" "$cred" 2>"$T/err")
ok $? "offline: the issued code verifies (exit 0)"
same "$out" "valid green Test Resident" "offline: result, status and name"
is "$(cat "$T/err")" "" "offline: nothing on stderr with fresh lists"
"$VERIFY" --dir "$V" AK1:NOTACODE >"$T/out" 2>&1
is $? 1 "offline: a malformed code exits 1"
printf '%s\n\n%s\n' "$cred" "$cred" | "$VERIFY" --dir "$V" - >"$T/out" 2>&1
is "$(tr '\n' ' ' <"$T/out" | cut -d' ' -f1,5)" "valid valid" "stdin: two scans"
SP=$V/spool/scans
is "$(lines "$SP")" 4 "the spool has one line per scan (4)"
is "$(grep -cE '^[0-9a-f]{32} ([0-9a-f]{32} [0-9]+ [a-z_]+ [0-9a-f]{128}|- [0-9]+ [a-z_]+ -)$' "$SP")" 4 \
	"every line is <id> <cti|-> <time> <result> <sig|->, a sig exactly with a cti"
is "$(cut -d' ' -f1 "$SP" | sort -u | wc -l | tr -d ' ')" 4 "every scan id is distinct"
is "$(cut -d' ' -f4 "$SP" | tr '\n' ' ')" "valid malformed valid valid " "the results, in order"
is "$(awk '$4 == "malformed" { print $2 }' "$SP")" "-" "a malformed code has no cti"
is "$(awk '$4 == "valid" { print $2 }' "$SP" | sort -u | wc -l | tr -d ' ')" 1 \
	"the three scans of one code carry its one cti"
is "$(awk '$4 == "valid" { print $5 }' "$SP" | sort -u | wc -l | tr -d ' ')" 1 \
	"and its one signature"
now=$(date +%s)
t1=$(head -1 "$SP" | cut -d' ' -f3)
ok $((!(t1 <= now && t1 >= now - 120))) "the time is the scan's"
grep -q "Test Resident" "$SP"
ok $((!$?)) "no name in the spool"
grep -qE "green|yellow|red" "$SP"
ok $((!$?)) "no status in the spool"
is "$(stat -c %a "$V/spool") $(stat -c %a "$SP")" "700 600" "spool folder 0700, file 0600"
"$VERIFY" --dir "$V" --no-spool "$cred" >/dev/null 2>&1
"$VERIFY" --dir "$V" --now "$now" "$cred" >/dev/null 2>&1
is "$(lines "$SP")" 4 "--no-spool and --now (forensics) record nothing"

chmod 0755 "$V/spool"
out=$("$VERIFY" --dir "$V" "$cred" 2>"$T/err")
is $? 2 "a spool folder open to others: exit 2"
is "$out" "" "and no result is shown (a scan shown is a scan recorded)"
like "$(cat "$T/err")" "group or others" "and says why"
chmod 0700 "$V/spool"

# ------------------------------------------------------------------ status
"$VERIFY" status --dir "$V" >"$T/out" 2>"$T/err"
is $? 0 "status with fresh lists: exit 0"
like "$(sed -n 1p "$T/out")" "^trust: issued [0-9T:-]+Z, [0-9]+ s ago$" "status: the trust list's age"
like "$(sed -n 2p "$T/out")" "^revocations: issued [0-9T:-]+Z, [0-9]+ s ago, 0 revoked$" \
	"status: the revocation list's age, not stale"
is "$(sed -n 3p "$T/out")" "spool: $(fsize "$SP") bytes, 4 scans unsent" "status: spool size and unsent count"
"$VERIFY" status --dir "$V" --json >"$T/out"
is "$(jq -c '[.spool.unsent, .stale, .stale_after, (.trust.age >= 0)]' "$T/out")" "[4,false,600,true]" \
	"status --json: unsent, stale, threshold, ages"

# -------------------------------------------------------- upload to the service
if [ $SCANS_READY = 1 ]; then
	"$VERIFY" sync --server "$URL" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
	ok $? "sync uploads the spool: exit 0"
	is "$(grep '^scans:' "$T/out")" "scans: 4 uploaded (4 new, 0 already there)" \
		"the service accepted the 4 scans"
	is "$(cat "$V/spool/sent")" "$(fsize "$SP")" "the sent offset is the spool's size"
	is "$(stat -c %a "$V/spool/sent")" 600 "the sent file is 0600"
	"$VERIFY" sync --server "$URL" --token "$TOKEN" --dir "$V" >"$T/out" 2>&1
	is "$(grep '^scans:' "$T/out")" "scans: none to upload" "a second sync uploads nothing new"
	echo 0 >"$V/spool/sent" # as if a crash came between upload and record
	"$VERIFY" sync --server "$URL" --token "$TOKEN" --dir "$V" >"$T/out" 2>&1
	is "$(grep '^scans:' "$T/out")" "scans: 4 uploaded (0 new, 4 already there)" \
		"re-sent scans are duplicates to the service (idempotent by scan id)"
	is "$("$VERIFY" status --dir "$V" | sed -n 3p)" "spool: $(fsize "$SP") bytes, 0 scans unsent" \
		"status: nothing unsent"
else
	for i in 1 2 3 4 5 6 7; do skip "POST /v1/scans: $SCANS_WHY"; done
fi

# -------------------------------------------------- paging, against the fake
S2=$T/spool2
mkdir -m 0700 "$S2"
for i in $(seq 1 1203); do
	printf '%032x - %d valid\n' "$((i + 7000))" "$((now - i))"
done >"$S2/scans"
chmod 0600 "$S2/scans"
fake_stop
fake_start fail-second
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" --spool "$S2" >"$T/out" 2>"$T/err"
is $? 2 "an upload refused half-way: exit 2"
like "$(cat "$T/err")" "POST /v1/scans: HTTP 503 \(unavailable\)" "and the server's error code is shown"
PAGE=50 # VWIRE_SCANS_PAGE: pages stay under the service's default body cap
is "$(cat "$S2/sent")" "$(head -$PAGE "$S2/scans" | wc -c | tr -d ' ')" \
	"the sent offset stops after the one accepted page"
is "$(lines "$FD/received")" $PAGE "the server holds that page"
fake_stop
fake_start
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" --spool "$S2" >"$T/out" 2>"$T/err"
ok $? "the next sync goes on"
is "$(grep '^scans:' "$T/out")" "scans: $((1203 - PAGE)) uploaded ($((1203 - PAGE)) new, 0 already there)" \
	"from where it stopped"
is "$(tr '\n' ' ' <"$FD/pages")" "$(for i in $(seq $((1200 / PAGE))); do printf '%d ' $PAGE; done)3 " \
	"in pages of at most $PAGE"
is "$(lines "$FD/received")" 1203 "every scan reached the server once"
is "$(cat "$S2/sent")" "$(fsize "$S2/scans")" "and the offset is the end"
whole=$(lines "$S2/scans")
printf '%032x - %d val' 1 "$now" >>"$S2/scans" # a line torn by a crash
"$VERIFY" --dir "$V" --spool "$S2" "$cred" >/dev/null 2>&1
is "$(lines "$S2/scans")/$(grep -c ' val$\| val ' "$S2/scans")" "$((whole + 1))/0" \
	"the next start drops the torn line, then appends its scan"
printf '%032x - %d val\n' 2 "$now" >>"$S2/scans" # a whole line that does not parse
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" --spool "$S2" >"$T/out" 2>"$T/err"
is "$(grep '^scans:' "$T/out")" "scans: 1 uploaded (1 new, 0 already there)" \
	"the torn line is not sent, nor a line that does not parse"
like "$(cat "$T/err")" "skipped 1 malformed spool line" "which is skipped with a warning"
printf '%032x - %d valid\n' 9 "$now" >>"$S2/scans"
fake_stop
fake_start miscount
before=$(cat "$S2/sent")
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" --spool "$S2" >"$T/out" 2>"$T/err"
is $? 2 "an answer that does not count every scan: exit 2"
is "$(cat "$S2/sent")" "$before" "and the offset stays"

# ------------------------------------ proof of possession, against the fake
# The fake now attributes a scan only when its sig is the signature of the
# code with its cti among $FD/codes, as the service attributes scans.
fake_stop
rm -f "$FD/received" "$FD/pages"
nyv=$(printf 'Test Resident\n' | "$H/mkcred" --data "$DATA" --status yellow --iat +3600 --exp +7200)
ok $? "mkcred signs a code valid from an hour on"
forged=$(printf 'Test Resident\n' | "$H/mkcred" --data "$DATA" --status green --iat +0 --exp +300 --bad-sig)
printf '%s\n%s\n' "$cred" "$nyv" >"$FD/codes"
fake_start
S3=$T/spool3
"$VERIFY" --dir "$V" --spool "$S3" "$cred" "$nyv" "$forged" >/dev/null 2>&1
is "$(cut -d' ' -f4 "$S3/scans" | tr '\n' ' ')" "valid not_yet_valid bad_signature " \
	"three scans: a valid code, one not yet valid, one badly signed"
L_VALID=$(sed -n 1p "$S3/scans")
L_NYV=$(sed -n 2p "$S3/scans")
L_BAD=$(sed -n 3p "$S3/scans")
is "$(echo "$L_BAD" | cut -d' ' -f2,5)" "- -" "the badly signed code has neither cti nor sig"
# A hostile verifier's lines: the valid scan with one sig digit changed;
# an old four-field line with the valid code's cti, dated 1975.
id4=$(printf '%032x' 4444)
id5=$(printf '%032x' 5555)
read -r _ cti_v t_v _ sig_v <<<"$L_VALID"
flip=$([ "${sig_v:0:1}" = 0 ] && echo 1 || echo 0)
printf '%s %s %s valid %s\n' "$id4" "$cti_v" "$t_v" "$flip${sig_v:1}" >>"$S3/scans"
printf '%s %s %s valid\n' "$id5" "$cti_v" 157766400 >>"$S3/scans"
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" --spool "$S3" >"$T/out" 2>"$T/err"
ok $? "sync uploads them"
is "$(grep '^scans:' "$T/out")" "scans: 5 uploaded (5 new, 0 already there)" "all five"
is "$(cat "$T/err")" "" "the old four-field line is not a malformed line"
R=$FD/received
is "$(grep "^${L_VALID%% *} " "$R")" "$L_VALID" \
	"the valid scan is attributed: its uploaded sig is the code's signature"
is "$(grep "^${L_NYV%% *} " "$R")" "$L_NYV" "so is the not-yet-valid code's (its signature verified)"
is "$(grep "^${L_BAD%% *} " "$R" | cut -d' ' -f2,4,5)" "- malformed -" \
	"tampered: a badly signed code's scan, with no sig, is attributed to no one"
is "$(grep "^$id4 " "$R" | cut -d' ' -f2,4,5)" "- malformed -" \
	"tampered: one sig digit changed, the scan is attributed to no one"
is "$(grep "^$id5 " "$R" | cut -d' ' -f2,3,4)" "- 157766400 malformed" \
	"tampered: a copied cti without a sig (dated 1975) is attributed to no one"
rm -f "$FD/codes"

# ------------------------------------------ lists the verifier must refuse
fake_stop
fake_start
cp "$V/trust.note" "$T/trust.held"
cp "$V/revocations.note" "$T/revoc.held"
held_unchanged() { cmp -s "$V/trust.note" "$T/trust.held" && cmp -s "$V/revocations.note" "$T/revoc.held"; }
t_issued=$(sed -n 3p "$V/trust.note")
r_issued=$(sed -n 3p "$V/revocations.note")

cp "$T/trust.held" "$FD/trust.note"
sed -i "3s/.*/$((t_issued + 1))/" "$FD/trust.note" # changed after signing
cp "$T/revoc.held" "$FD/revocations.note"
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "a tampered trust list: exit 2"
like "$(cat "$T/err")" "GET /v1/trust: not signed by the root key" "refused as not signed"
held_unchanged
ok $? "and the held lists are kept"

printf 'hello\n' >"$FD/trust.note"
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "junk for a trust list: exit 2"
held_unchanged
ok $? "and the held lists are kept"

cp "$T/trust.held" "$FD/trust.note"
sed -i "\$s/.\{8\}$/AAAAAAA=/" "$FD/revocations.note" # a broken signature
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "a revocation list with a bad signature: exit 2"
held_unchanged
ok $? "and neither held list is replaced (not even the good trust list)"

"$H/sign_list" --data "$DATA" trust $((t_issued - 100)) >"$FD/trust.note"
cp "$T/revoc.held" "$FD/revocations.note"
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "a genuine but older trust list: exit 2"
like "$(cat "$T/err")" "GET /v1/trust: issued .* before the held list .*rollback" "refused as a rollback"
held_unchanged
ok $? "and the held lists are kept"

cp "$T/trust.held" "$FD/trust.note"
"$H/sign_list" --data "$DATA" revocations $((r_issued - 100)) >"$FD/revocations.note"
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "a genuine but older revocation list: exit 2"
like "$(cat "$T/err")" "GET /v1/revocations: issued .* rollback" "refused as a rollback"
held_unchanged
ok $? "and the held lists are kept"

# A newer list revoking the code: accepted, and the code is revoked offline.
cti=$(awk '$4 == "valid" { print $2; exit }' "$SP")
"$H/sign_list" --data "$DATA" revocations $((now + 1)) "$cti" >"$FD/revocations.note"
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" --spool "$T/nospool" >"$T/out" 2>"$T/err"
ok $? "a newer revocation list is accepted"
like "$(sed -n 2p "$T/out")" "^revocations: issued .*, 1 revoked code \(updated\)$" "and reported as updated"
out=$("$VERIFY" --dir "$V" --no-spool "$cred" 2>/dev/null)
is $? 1 "the revoked code now exits 1 offline"
same "$out" "revoked (was green) Test Resident" \
	"revoked, with the status it claimed (in words that say it no longer holds) and the name"
cp "$V/trust.note" "$T/trust.held"
cp "$V/revocations.note" "$T/revoc.held"

fake_stop
fake_start redirect-other
"$VERIFY" sync --server "$FAKE" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "a redirect to another host: exit 2"
like "$(cat "$T/err")" "redirected to another host" "and says so"
held_unchanged
ok $? "and the held lists are kept"
fake_stop

# ------------------------------------------------------------- staleness
W=$T/w
mkdir -p "$W"
cp "$V/root.vkey" "$V/trust.note" "$W/"
"$VERIFY" status --dir "$W" >"$T/out" 2>&1
is $? 1 "status without a revocation list: exit 1"
like "$(sed -n 2p "$T/out")" "^revocations: none, stale" "and says it is stale"
now=$(date +%s) # the age below is counted from here, however long the test has run
"$H/sign_list" --data "$DATA" revocations $((now - 3600)) >"$W/revocations.note"
"$VERIFY" status --dir "$W" >"$T/out" 2>&1
is $? 1 "status with an hour-old revocation list: exit 1"
like "$(sed -n 2p "$T/out")" "^revocations: issued .*, 36[0-9][0-9] s ago, 0 revoked, stale \(older than 600 s" \
	"its age, and stale"
"$VERIFY" status --dir "$W" --stale 7200 >/dev/null 2>&1
is $? 0 "not stale under --stale 7200"
"$VERIFY" --dir "$W" --no-spool "$cred" "$cred" >"$T/out" 2>"$T/err"
ok $? "offline with a stale list still checks"
is "$(grep -c 'warning: the revocation list is 36[0-9][0-9] s old' "$T/err")" 1 \
	"and warns once on stderr, for two codes"
"$VERIFY" --dir "$W" --no-spool --stale 7200 "$cred" >"$T/out" 2>"$T/err"
is "$(cat "$T/err")" "" "no warning under --stale 7200"
rm "$W/trust.note"
"$VERIFY" status --dir "$W" >/dev/null 2>"$T/err"
is $? 2 "status without a trust list: exit 2"

# ------------------------------------------------------------- online mode
before=$(lines "$SP")
if [ $VERIFY_READY = 1 ]; then
	out=$("$VERIFY" --server "$URL" --token "$TOKEN" "$cred" 2>"$T/err")
	rc=$?
	like "$(printf '%s' "$out" | sed 's/ Test Resident$//')" \
		'^(valid green|revoked \(was green\)|superseded \(now green\))$' \
		"online: the service's result and status (a refusal's status in parentheses)"
	if [ "${out%% *}" = valid ]; then
		ok $rc "online: exit 0 for valid"
	else
		ok $((rc != 1)) "online: exit 1 for ${out%% *}"
	fi
	same "$(printf '%s' "$out" | sed -E 's/^(valid green|revoked \(was green\)|superseded \(now green\)) //')" \
		"Test Resident" "online: the name"
	"$VERIFY" --server "$URL" --token "$TOKEN" --json "$cred" AK1:NOTACODE >"$T/out" 2>"$T/err"
	is $? 1 "online: exit 1 when a code is not valid"
	is "$(sed -n 2p "$T/out")" '{"result":"malformed"}' "online --json: the malformed code"
	is "$(sed -n 1p "$T/out" | jq -c keys)" '["name","result","status"]' \
		"online --json: result, status, name and nothing else"
	ANKANG_VERIFY_TOKEN=$TOKEN "$VERIFY" --server "$URL" AK1:NOTACODE >"$T/out" 2>&1
	is "$(cat "$T/out")" "malformed" "online: the token from \$ANKANG_VERIFY_TOKEN"
	(umask 077 && printf '%s\n' "$TOKEN" >"$T/token")
	"$VERIFY" --server "$URL" --token-file "$T/token" AK1:NOTACODE >"$T/out" 2>&1
	is "$(cat "$T/out")" "malformed" "online: the token from --token-file"
else
	for i in 1 2 3 4 5 6 7 8; do skip "POST /v1/verify is not written yet"; done
fi
is "$(lines "$SP")" "$before" "online checks are not spooled (the service audits them)"
chmod 0644 "$T/token" 2>/dev/null || { printf 'x\n' >"$T/token" && chmod 0644 "$T/token"; }
"$VERIFY" --server "$URL" --token-file "$T/token" AK1:X >/dev/null 2>"$T/err"
is $? 2 "a token file readable by others is refused: exit 2"
like "$(cat "$T/err")" "readable by group or others" "and says why"

# -------------------------------------------------------------- wrong token
BAD=aka_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
"$VERIFY" sync --server "$URL" --token "$BAD" --dir "$V" >"$T/out" 2>"$T/err"
is $? 2 "sync with a wrong token: exit 2"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "with a one-line message"
like "$(cat "$T/err")" "HTTP 401" "that says the server refused (401)"
grep -qF -- "${BAD#aka_}" "$T/err" "$T/out"
ok $((!$?)) "and does not hold the token"
held_unchanged
ok $? "and the held lists are kept"
"$VERIFY" --server "$URL" --token "$BAD" "$cred" "$cred" >"$T/out" 2>"$T/err"
is $? 2 "online with a wrong token: exit 2"
is "$(wc -l <"$T/err" | tr -d ' ')" 1 "one line for both codes (it stops at the first refusal)"
grep -qF -- "${BAD#aka_}" "$T/err" "$T/out"
ok $((!$?)) "which does not hold the token"
is "$(cat "$T/out")" "" "and no result"

# --------------------------------------- names a terminal could be fooled by
# U+009B (CSI, a C1 control), then ESC-less "[31m", U+202E (right-to-left
# override), U+2066 (isolate): all allowed in a name by FORMAT.md, though
# enrolment and `ankangd issue` refuse them, so the code is signed with the
# issuer key by the mkcred helper, as another issuer's tool might. The
# byte patterns are matched with LC_ALL=C (in a UTF-8 locale \xc2 is U+00C2).
printf 'Eve\xc2\x9b[31m\xe2\x80\xaeAB\xe2\x81\xa6C\n' >"$T/name"
cred2=$("$H/mkcred" --data "$DATA" --status yellow --iat +0 --exp +300 <"$T/name")
ok $? "a code whose name holds C1 and bidi controls is signed"
"$VERIFY" --dir "$V" --no-spool "$cred2" >"$T/out" 2>/dev/null
ok $? "and verifies"
is "$(od -An -tx1 "$T/out" | tr -d ' \n')" \
	"$(printf 'valid yellow Eve\xef\xbf\xbd[31m\xef\xbf\xbdAB\xef\xbf\xbdC\n' | od -An -tx1 | tr -d ' \n')" \
	"text output: each control is U+FFFD, the rest intact"
LC_ALL=C grep -qP '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$T/out"
ok $((!$?)) "no C1 or bidi control reaches the terminal"
"$VERIFY" --dir "$V" --no-spool --json "$cred2" >"$T/out" 2>/dev/null
same "$(jq -r .name "$T/out")" "$(head -c -1 "$T/name")" "--json: the exact name (jansson escapes)"
if [ $VERIFY_READY = 1 ]; then
	"$VERIFY" --server "$URL" --token "$TOKEN" "$cred2" >"$T/out" 2>/dev/null
	LC_ALL=C grep -qP '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$T/out"
	ok $((!$?)) "online: the same replacement"
else
	skip "POST /v1/verify is not written yet"
fi

done_testing
