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

done_testing
