#!/bin/bash
# web_api: what the web pages ask of the service (docs/API.md): the keys
# a browser pins (GET /v1/keys: the same keys as the data folder's
# public/*.vkey, and the log key the signed trust list names); the
# resident's code with its QR image in one answer (?with=svg: the same
# drawing as code.svg, one issue leaf); the auditor's filtered,
# newest-first entries with account names and a bounded scan; and the
# anomaly report over HTTP, equal to ankang-audit report --json on the
# same leaves. Tokens, names and ID numbers are compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

DIR=$T/data
DB=$DIR/ankang.db
AUDIT=$ANKANG_BIN/ankang-audit
QRPNG=${ANKANG_HELPERS:-build/tests/helpers}/qrpng
[ -x "$QRPNG" ] || { echo "Bail out! tests/helpers/qrpng not built (make tests)"; exit 255; }

svc_init "$DIR"
AUD=$(svc_account "$DIR" auditor inspector-web)
OFF=$(svc_account "$DIR" officer officer.web.1)
VER=$(svc_account "$DIR" verifier checkpoint-web)
svc_start "$DIR"
at_exit svc_stop

leaf_count() { svc_sql "$DB" "select count(*) from log_leaves"; }

# ------------------------------------------------------------ GET /v1/keys
api GET /v1/keys ""
is "$ST" 200 "GET /v1/keys answers without a token"
is "$(jbody 'keys | join(",")')" "log,origin,root,witness_quorum,witnesses" \
	"and holds origin, root and log, and the witnesses (none here) only"
is "$(jbody .origin)" ankang.test "the origin is the deployment's"
is "$(jbody .root)" "$(tr -d '\n' <"$DIR/public/root.vkey")" "root is public/root.vkey's key text"
is "$(jbody .log)" "$(tr -d '\n' <"$DIR/public/log.vkey")" "log is public/log.vkey's key text"
ROOT_KEY=$(jbody .root)
LOG_KEY=$(jbody .log)
api GET /v1/trust ""
is "$(sed -n 's/^log //p' "$T/r.body")" "$LOG_KEY" "the signed trust list names the same log key"
like "$(tail -1 "$T/r.body")" "^— ${ROOT_KEY%%+*} " "and is signed by a key of the root key's name"
api GET /v1/audit/checkpoint "$AUD"
is "$(head -1 "$T/r.body")" "${LOG_KEY%%+*}" "checkpoints carry the log key's name as their origin"
n=$(leaf_count)
api GET /v1/keys "$AUD"
is "$ST/$(leaf_count)" "200/$n" "reading the keys writes no leaf"
api POST /v1/keys "" '{}'
is "$ST" 405 "POST /v1/keys: 405"

# -------------------------------------------------- GET /v1/me/code?with=svg
IDN=$(gb_id 11010519900307123)
NAME="Web Page Person"
api POST /v1/enroll "" "$(jq -nc --arg n "$NAME" --arg d "$IDN" \
	'{name: $n, id_number: $d, passphrase: "web page passphrase"}')"
is "$ST" 201 "a resident enrols"
api POST /v1/login "" "$(jq -nc --arg d "$IDN" '{id_number: $d, passphrase: "web page passphrase"}')"
RES=$(jbody .token)

n=$(leaf_count)
api GET '/v1/me/code?with=svg' "$RES"
is "$ST" 200 "GET /v1/me/code?with=svg: 200"
cp "$T/r.body" "$T/code.json"
is "$(jbody 'keys | join(",")')" "credential,exp,iat,log_index,name,status,svg" \
	"the JSON answer carries svg beside the code's fields"
same "$(jbody .name)" "$NAME" "with the resident's name"
"$QRPNG" -f svg "$(jbody .status)" "$(jbody .credential)" >"$T/want.svg"
jq -j .svg "$T/code.json" >"$T/got.svg"
cmp -s "$T/want.svg" "$T/got.svg"
ok $? "svg is code.svg's drawing of that very credential (service/qr.c, one place)"
like "$(head -c 5 "$T/got.svg")" '^<svg ' "and an SVG document"
if grep -qF -- "$NAME" "$T/got.svg"; then ok 1 "the SVG holds no name"; else ok 0 "the SVG holds no name"; fi
is "$(leaf_count)" $((n + 1)) "one leaf for the request"
IDX=$(jq -r .log_index "$T/code.json")
is "$(svc_sql "$DB" "select cut from (select rtrim(leaf, char(10)) as cut from log_leaves where idx = $IDX) as t" |
	cut -d' ' -f4,7,8)" "issue ok $(jq -r .status "$T/code.json")" "and it is the audited issue leaf of this code"
# What a page does with the keys it pinned: the lists it fetches verify
# under the root key from GET /v1/keys, and the code under the lists.
VDIR=$T/verifier
mkdir -p "$VDIR"
printf '%s\n' "$ROOT_KEY" >"$VDIR/root.vkey"
curl -s -o "$VDIR/trust.note" "$URL/v1/trust"
curl -s -o "$VDIR/revocations.note" "$URL/v1/revocations"
is "$("$ANKANG_BIN/ankang-verify" --dir "$VDIR" --json "$(jq -r .credential "$T/code.json")" 2>/dev/null |
	jq -r .result)" valid "the code verifies under the lists signed by the pinned root key"

api GET /v1/me/code "$RES"
is "$ST/$(jbody 'has("svg")')" 200/false "without with, no svg"
n=$(leaf_count)
for q in 'with=png' 'with=' 'with=SVG' 'with=svg,png'; do
	api GET "/v1/me/code?$q" "$RES"
	is "$ST/$(jbody .error)" 400/bad_query "GET /v1/me/code?$q: 400 bad_query"
done
is "$(jbody .message)" "Query argument 'with' must be svg." "the message names the argument, not what was sent"
is "$(leaf_count)" "$n" "a refused with= writes no leaf and issues no code"

# ------------------------------------------------- GET /v1/audit/entries
# Some activity by accounts: a look-up, a verification, failed log-ins.
api POST /v1/lookup "$OFF" "$(jq -nc --arg d "$IDN" '{id_number: $d, purpose: "status_correction"}')"
is "$ST" 200 "an officer looks the resident up"
api POST /v1/verify "$VER" "$(jq -nc --arg c "$(jq -r .credential "$T/code.json")" '{credential: $c}')"
is "$ST/$(jbody .result)" 200/valid "a verifier verifies the code"
for i in 1 2 3; do
	api POST /v1/login "" "$(jq -nc --arg d "$IDN" '{id_number: $d, passphrase: "not the passphrase"}')"
done
is "$ST" 401 "three failed log-ins"
OFF_ID=$("$ANKANG_BIN/ankangd" account list --data "$DIR" | awk '$NF == "officer.web.1" {print $1}')
VER_ID=$("$ANKANG_BIN/ankangd" account list --data "$DIR" | awk '$NF == "checkpoint-web" {print $1}')

# The page ankang-audit reads is as it was: {"entries": [...]}, now with
# the account's name beside each account's entries.
api GET '/v1/audit/entries?start=0&end=1000' "$AUD"
cp "$T/r.body" "$T/all.json"
is "$ST/$(jbody 'keys | join(",")')" 200/entries "start/end: the same answer as before, entries only"
is "$(jbody '.entries | length')" "$(leaf_count)" "every leaf of the log"
is "$(jbody '[.entries[] | select(.actor == "officer:'"$OFF_ID"'") | .actor_label] | unique | join(",")')" \
	officer.web.1 "an officer's entries carry the account's name as actor_label"
is "$(jbody '[.entries[] | select(.actor == "verifier:'"$VER_ID"'") | .actor_label] | unique | join(",")')" \
	checkpoint-web "a verifier's too"
is "$(jbody '[.entries[] | select(.actor | test("^(resident|system):")) | select(has("actor_label"))] | length')" \
	0 "residents and the system get no label"

# Filters.
api GET '/v1/audit/entries?action=lookup' "$AUD"
is "$ST/$(jbody '[.entries[].action] | unique | join(",")')/$(jbody .next)" 200/lookup/null \
	"action=lookup: look-ups only, and next is null at the end"
is "$(jbody '.entries | length')" "$(jq '[.entries[] | select(.action == "lookup")] | length' "$T/all.json")" \
	"all of them"
api GET '/v1/audit/entries?result=bad_login' "$AUD"
is "$ST/$(jbody .error)" 400/bad_query "result=bad_login (no such result word): 400 bad_query"
api GET '/v1/audit/entries?result=denied&actor=resident' "$AUD"
is "$(jbody '.entries | length')" \
	"$(jq '[.entries[] | select(.result == "denied" and (.actor | startswith("resident:")))] | length' "$T/all.json")" \
	"result=denied&actor=resident: the residents' denied entries"
api GET "/v1/audit/entries?actor=verifier:$VER_ID" "$AUD"
is "$(jbody '[.entries[].actor] | unique | join(",")')/$(jbody '.entries | length')" \
	"verifier:$VER_ID/$(jq '[.entries[] | select(.actor == "verifier:'"$VER_ID"'")] | length' "$T/all.json")" \
	"actor=verifier:ID: that account's entries"
T_MID=$(jq '.entries[(.entries | length) / 2 | floor].time_ms' "$T/all.json")
api GET "/v1/audit/entries?since=$T_MID" "$AUD"
is "$(jbody '.entries | length')" "$(jq "[.entries[] | select(.time_ms >= $T_MID)] | length" "$T/all.json")" \
	"since: the entries from that time on"
api GET "/v1/audit/entries?until=$T_MID" "$AUD"
is "$(jbody '.entries | length')" "$(jq "[.entries[] | select(.time_ms < $T_MID)] | length" "$T/all.json")" \
	"until: the entries before it"
for q in action=unknown_action result=denied2 actor=mayor actor=officer:- actor=officer:x \
	since=x until=0 "since=5&until=5" order=up "before=3" "order=desc&before=0" limit=0 "start=5&end=2&order=desc"; do
	api GET "/v1/audit/entries?$q" "$AUD"
	is "$ST/$(jbody .error)" 400/bad_query "$q: 400 bad_query"
done

# Newest first, in pages, with before = the previous page's next.
ALL_IDX=$(jq -c '[.entries[].index] | reverse' "$T/all.json")
got='[]'
before=
for i in $(seq 1 100); do
	api GET "/v1/audit/entries?order=desc&limit=3${before:+&before=$before}" "$AUD"
	[ "$ST" = 200 ] || break
	got=$(jq -c --argjson g "$got" '$g + [.entries[].index]' "$T/r.body")
	before=$(jbody .next)
	[ "$before" = null ] && break
done
is "$got" "$ALL_IDX" "order=desc pages of 3 walk the whole log, newest first, each entry once"
api GET '/v1/audit/entries?order=desc&limit=2000' "$AUD"
is "$(jbody '.entries | length')" "$(leaf_count)" "a limit over 1000 gives 1000 at most"

# A sparse filter over more leaves than one request reads: 25,000 planted
# scans by the verifier, after the look-up.
LOOKUP_IDX=$(jq '[.entries[] | select(.action == "lookup")][0].index' "$T/all.json")
svc_stop
NOW_MS=$(($(date +%s) * 1000))
seq 1 25000 | awk -v t="$NOW_MS" -v v="$VER_ID" \
	'{printf "ankang/v1 %.0f verifier:%s verify_offline - - malformed -\n", t + $1, v}' >"$T/plant.txt"
is "$("${QRPNG%/*}/audit_append" --data "$DIR" <"$T/plant.txt" 2>/dev/null)" 25000 "25,000 leaves planted"
svc_start "$DIR"
SIZE=$(leaf_count)
api GET '/v1/audit/entries?action=lookup&order=desc' "$AUD"
is "$ST/$(jbody '.entries | length')/$(jbody .next)" "200/0/$((SIZE - 20000))" \
	"a sparse query reads at most 20,000 leaves: none matched, next is where it stopped"
api GET "/v1/audit/entries?action=lookup&order=desc&before=$(jbody .next)" "$AUD"
is "$(jbody '[.entries[].index] | join(",")')/$(jbody .next)" "$LOOKUP_IDX/null" \
	"the next request finds the look-up, and the end of the log"
api GET '/v1/audit/entries?action=lookup' "$AUD"
is "$(jbody '[.entries[].index] | join(",")')/$(jbody .next)" "$LOOKUP_IDX/20000" \
	"oldest first, the same bound: next is the first leaf not read"
api GET '/v1/audit/entries?action=lookup&start=20000' "$AUD"
is "$(jbody '.entries | length')/$(jbody .next)" "0/null" "and the next request reaches the end"

# --------------------------------------------------- GET /v1/audit/report
api GET /v1/audit/report "$AUD"
cp "$T/r.body" "$T/report.json"
is "$ST/$(jbody .cut_at)" 200/null "GET /v1/audit/report: 200, nothing cut"
is "$(jbody .entries)/$(jbody .read)" "$SIZE/$SIZE" "every leaf read and counted"
"$AUDIT" report --server "$URL" --token "$AUD" --json >"$T/cli.json" 2>/dev/null
st=$?
ok "$([ "$st" -le 1 ]; echo $?)" "ankang-audit report --json reads the same log (exit $st: 0 or 1, not an error)"
# The tool takes the appeals section from the server's own report (the
# log has no due times), fetched a moment later: as_of may differ.
jq -S 'del(.cut_at, .appeals.as_of) | walk(if type == "object" then del(.actor_label) else . end)' \
	"$T/report.json" >"$T/report.norm"
jq -S 'del(.appeals.as_of)' "$T/cli.json" >"$T/cli.norm"
cmp -s "$T/report.norm" "$T/cli.norm"
ok $? "the service's report is ankang-audit report --json's, but for actor_label, cut_at and the appeals' as_of"
is "$(jq '[.hours[].actions[]] | add' "$T/report.json")" "$SIZE" "hours count every entry by action"
is "$(jq '[.hours[].results[]] | add' "$T/report.json")" "$SIZE" "and by result"
is "$(jq '[.hours[].hour | select(. % 3600 != 0)] | length' "$T/report.json")" 0 \
	"each hour is the unix second of an hour's start"
is "$(jq '[.hours[].hour] | . == (sort | unique)' "$T/report.json")" true "oldest first, each once"
is "$(jq -r '.by_actor[] | select(.actor == "verifier:'"$VER_ID"'") | "\(.actor_label) \(.entries)"' \
	"$T/report.json")" "checkpoint-web 25001" "the most active verifier, named, with its count"
is "$(jq -r '.by_actor[] | select(.actor == "officer:'"$OFF_ID"'") | .actor_label' "$T/report.json")" \
	officer.web.1 "an officer named"
is "$(jq '[.by_actor[] | select(.actor | test("^(resident|system):")) | select(has("actor_label"))] | length' \
	"$T/report.json")" 0 "residents and the system unnamed"
api GET "/v1/audit/report?since=$((NOW_MS + 24001))" "$AUD"
is "$(jbody .entries)/$(jbody .read)/$(jbody .by_action.verify_offline)/$(jbody .cut_at)" "1000/1000/1000/null" \
	"since: only the leaves from then on are read"
api GET /v1/audit/report?since=x "$AUD"
is "$ST/$(jbody .error)" 400/bad_query "since=x: 400 bad_query"
api GET /v1/audit/report "$OFF"
is "$ST" 403 "an officer may not read the report"

# Past the bound: the newest 100,000 leaves are read, and the answer says
# where it stopped.
svc_stop
seq 1 80000 | awk -v t="$((NOW_MS + 100000))" -v v="$VER_ID" \
	'{printf "ankang/v1 %.0f verifier:%s verify_offline - - malformed -\n", t + $1, v}' >"$T/plant.txt"
is "$("${QRPNG%/*}/audit_append" --data "$DIR" <"$T/plant.txt" 2>/dev/null)" 80000 "80,000 more leaves planted"
svc_start "$DIR"
SIZE=$(leaf_count)
api GET /v1/audit/report "$AUD"
is "$ST/$(jbody .read)/$(jbody .cut_at)/$(jbody .first_index)/$(jbody .last_index)" \
	"200/100000/$((SIZE - 100000))/$((SIZE - 100000))/$((SIZE - 1))" \
	"a report reads the newest 100,000 leaves, and cut_at says where it stopped"
api GET "/v1/audit/report?since=$((NOW_MS + 100000))" "$AUD"
is "$(jbody .read)/$(jbody .cut_at)" "80000/null" "a since inside the bound cuts nothing"

done_testing
