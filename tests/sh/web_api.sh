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

leaf_count() { sqlite3 "$DB" "select count(*) from log_leaves"; }

# ------------------------------------------------------------ GET /v1/keys
api GET /v1/keys ""
is "$ST" 200 "GET /v1/keys answers without a token"
is "$(jbody 'keys | join(",")')" "log,origin,root" "and holds origin, root and log only"
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
is "$(sqlite3 "$DB" "select cut from (select rtrim(leaf, char(10)) as cut from log_leaves where idx = $IDX)" |
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

done_testing
