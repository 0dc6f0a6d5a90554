#!/usr/bin/env bash
# serve_overload: `ankangd serve --max-queue N` pushes back instead of
# queueing without bound (docs/MULTINODE.md, "Back-pressure and a lost
# database"; issue 14).
# Runs on SQLite, and on PostgreSQL as tests/pg/serve_overload.sh.
#
#   --max-queue, --max-unsigned and --batch-gather: a bad value is refused on one line
#   with exit 2, on the command line and as a key of the configuration
#   file; a good one in the file is taken.
#
#   Without --max-queue, a burst of 200 audited requests, 40 at a time,
#   is answered 200 throughout (the service as before). With a tiny
#   --max-queue, the same bursts get some 503 overloaded with
#   Retry-After: 1 and a JSON error; no answer is anything else; every
#   answer 200 has its issue leaf at the index it gave, no index is given
#   twice, the refused requests wrote nothing (as many issue leaves as
#   answers 200), the log has no gap, and ankang-audit verify passes
#   against the state it saved before. /metrics counts the refusals and
#   shows the queue's depth, and the batches the writer gathered for
#   (some on PostgreSQL under the burst, none on SQLite).
#
# Made-up residents; output never shows a name, number or token.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq; do
	command -v $c >/dev/null 2>&1 || skip_all "$c not installed"
done
at_exit svc_stop
AUDIT=$ANKANG_BIN/ankang-audit
D=$T/d
svc_init "$D" || { echo "Bail out! ankangd init failed"; exit 1; }
OFF=$(svc_account "$D" officer officer-1)
AUD=$(svc_account "$D" auditor inspector-1)
ADM=$(svc_account "$D" admin admin-1)

# ------------------------------------------------------------- bad values
for arg in "--max-queue x" "--max-queue -1" "--max-queue 1000001" \
	"--max-unsigned 2000000000" "--max-unsigned 1e3" "--batch-gather 100001" "--batch-gather -5"; do
	# shellcheck disable=SC2086
	"$ANKANG_BIN/ankangd" serve --data "$D" $arg 2>"$T/err" >/dev/null
	rc=$?
	ok "$([ $rc = 2 ] && [ "$(lines "$T/err")" = 1 ]; echo $?)" "$arg: exit 2 ($rc), one line"
done
printf 'max-queue = many\n' >"$T/bad.conf"
"$ANKANG_BIN/ankangd" serve --data "$D" --config "$T/bad.conf" 2>"$T/err" >/dev/null
rc=$?
ok "$([ $rc = 2 ] && [ "$(lines "$T/err")" = 1 ]; echo $?)" "max-queue = many in the file: exit 2, one line"
like "$(cat "$T/err")" "bad.conf:1: max-queue must be" "naming the file, the line and the key"

# ---------------------------------------------------------------- a burst
# burst TAG: 200 GET /v1/me/code, 40 at a time, in one curl; one line
# per answer (status, ra=Retry-After, the body's file) into $T/TAG.out.
mkdir -p "$T/b"
burst() {
	curl -s --parallel --parallel-max 40 --max-time 30 -H "Authorization: Bearer $TOK" \
		-o "$T/b/$1.#1" -w '%{http_code} ra=%header{retry-after} %{filename_effective}\n' \
		"$URL/v1/me/code?n=[1-200]" >>"$T/$1.out" 2>/dev/null
}
count() { awk -v s="$2" '$1 == s' "$T/$1.out" | wc -l | tr -d ' '; }
metric() { api GET /metrics "$ADM" && sed -n "s/^$1 //p" "$T/r.body"; }

printf 'max-unsigned = 50000\nquiet = yes\n' >"$T/good.conf"
svc_start "$D" --config "$T/good.conf"
ok 0 "max-unsigned in the configuration file is taken"
id=$(gb_id 11010519800101001)
pass="made up passphrase 1"
api POST /v1/enroll "$OFF" "{\"name\":\"Test Resident\",\"id_number\":\"$id\",\"passphrase\":\"$pass\"}"
api POST /v1/login "" "{\"id_number\":\"$id\",\"passphrase\":\"$pass\"}"
TOK=$(jbody .token)
[ -n "$TOK" ] || { echo "Bail out! no session"; exit 1; }
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify passes and saves its state"

: >"$T/free.out"
burst free
is "$(count free 200)/$(lines "$T/free.out")" "200/200" "without --max-queue, a burst of 200 is answered 200 throughout"
# The writer gathers before a batch while busy on PostgreSQL (the burst
# keeps it busy), never by default on SQLite.
g=$(metric ankang_log_gathered_batches_total)
like "$(metric ankang_log_gather_seconds_total)" '^[0-9]+\.[0-9]+$' "/metrics shows the time spent gathering"
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	ok "$([ "${g:-0}" -gt 0 ]; echo $?)" "on PostgreSQL the busy writer gathered before some batches ($g)"
else
	is "$g" 0 "on SQLite the writer never gathered (--batch-gather's default there)"
fi
svc_stop

svc_start "$D" --quiet --max-queue 1
: >"$T/shed.out"
for i in 1 2 3 4 5; do
	burst shed
	[ "$(count shed 503)" -gt 0 ] && break
done
n=$(lines "$T/shed.out")
shed=$(count shed 503)
ok "$([ "$shed" -gt 0 ]; echo $?)" "with --max-queue 1, bursts get some 503 ($shed of $n)"
ok "$([ "$(count shed 200)" -gt 0 ]; echo $?)" "and some 200 ($(count shed 200))"
is "$(awk '$1 != 200 && $1 != 503' "$T/shed.out" | wc -l | tr -d ' ')" 0 "and nothing else"
is "$(awk '$1 == 503 && $2 != "ra=1"' "$T/shed.out" | wc -l | tr -d ' ')" 0 "every 503 has Retry-After: 1"
awk '$1 == 503 { print $3 }' "$T/shed.out" | xargs -r jq -r .error 2>&1 | sort -u >"$T/errors"
is "$(cat "$T/errors")" overloaded "and the JSON error overloaded"
m=$(metric 'ankang_log_overloaded_total{bound="queue"}')
is "$m" "$shed" "/metrics counts each refusal"
like "$(metric ankang_log_queue_depth)" '^[0-9]+$' "and shows the queue's depth"

# ------------------------------------------------- every answer has its leaf
cat "$T/free.out" "$T/shed.out" | awk '$1 == 200 { print $3 }' | xargs -r jq -r .log_index |
	sort >"$T/answers"
is "$(uniq -d "$T/answers" | wc -l | tr -d ' ')" 0 "no index was given to two answers"
all_entries "$AUD" "$T/entries.jsonl" 100
is "$(jq -s '[.[].index] == [range(0; length)]' "$T/entries.jsonl")" true \
	"the auditor reads every entry, numbered without gaps"
jq -r 'select(.action == "issue") | .index' "$T/entries.jsonl" | sort >"$T/issued"
is "$(comm -23 "$T/answers" "$T/issued" | wc -l | tr -d ' ')" 0 \
	"each of the $(lines "$T/answers") answers 200 has its issue leaf at the index it gave"
is "$(lines "$T/issued")" "$(lines "$T/answers")" "and the refused requests wrote nothing"
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify passes against the state it saved before"
svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
done_testing
