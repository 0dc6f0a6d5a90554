#!/bin/bash
# verify_window: a verifier cannot follow a person's status over a
# long-lived code. POST /v1/verify shows the holder's current status for a
# superseded code only within its online window, the resident code's
# lifetime (--code-ttl, 30 s here) from its iat; after that the answer is
# `superseded` with the name and no status, and its leaf records no status
# either, and ankang-verify --server shows that answer as it is. The twin:
# within the window the status is shown.
#
# Waits out one window (about 30 s), so it lives in a file of its own and
# runs beside the others. Made-up data only.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

D=$T/d
DB=$D/ankang.db
svc_init "$D"
OFF=$(svc_account "$D" officer desk-1)
VER=$(svc_account "$D" verifier gate-1)
svc_start "$D" --code-ttl 30
at_exit svc_stop

ID=$(gb_id 34010219800101017)
api POST /v1/enroll "" "$(jq -nc --arg d "$ID" '{name: "Window Test", id_number: $d, passphrase: "window test pass"}')"
RES=$(jbody .resident)
api POST "/v1/residents/$RES/paper-code" "$OFF" \
	"$(jq -nc --arg d "$ID" '{purpose: "paper_code", id_number: $d, days: 7}')"
is "$ST" 200 "a paper code, 7 days"
PAPER=$(jbody .credential)
IAT=$(jbody .iat)
verify() { api POST /v1/verify "$VER" "$(jq -nc --arg c "$1" '{credential: $c}')"; }
verify "$PAPER"
is "$(jbody .result)/$(jbody .status)" valid/green "it verifies: valid, green"

api PUT "/v1/residents/$RES/status" "$OFF" '{"status": "red", "reason": "confirmed_case"}'
is "$ST" 200 "the holder turns red"
verify "$PAPER"
is "$(jbody .result)/$(jbody .status)" superseded/red \
	"within the online window: superseded, with the current status"
leaf=$(svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves order by idx desc limit 1")
is "$(cut -d' ' -f7,8 <<<"$leaf")" "superseded red" "its leaf records the status shown"

# Wait until the paper code is older than the window (bounded).
for i in $(seq 1 80); do
	[ "$(date +%s)" -gt $((IAT + 31)) ] && break
	sleep 0.5
done
api PUT "/v1/residents/$RES/status" "$OFF" '{"status": "yellow", "reason": "data_correction"}'
is "$ST" 200 "the holder turns yellow"
verify "$PAPER"
is "$(jbody .result)" superseded "past the window: still superseded"
is "$(jbody 'has("status")')" false "but without the current status"
is "$(jbody 'keys | join(" ")')" "name result" "the answer is the result and the name only"
leaf=$(svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves order by idx desc limit 1")
is "$(cut -d' ' -f7,8 <<<"$leaf")" "superseded -" "and its leaf records no status"

# ankang-verify online takes that answer: the name, "-" for the status.
VERIFY=$ANKANG_BIN/ankang-verify
out=$("$VERIFY" --server "$URL" --token "$VER" --dir "$T/vdir" "$PAPER" 2>"$T/verr")
is "$?/$out" "1/superseded - Window Test" \
	"ankang-verify --server: superseded, no status, the name (exit 1: not valid)"
out=$("$VERIFY" --server "$URL" --token "$VER" --dir "$T/vdir" --json "$PAPER" 2>>"$T/verr")
is "$(jq -c . <<<"$out")" '{"result":"superseded","name":"Window Test"}' "and with --json, no status key"
is "$(cat "$T/verr")" "" "nothing on stderr"

svc_stop
done_testing
