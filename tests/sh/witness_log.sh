#!/usr/bin/env bash
# witness_log: ankangd serve asking witnesses to cosign its checkpoints
# (service/witnessing.h), against one and two test witnesses
# (tests/helpers/test_witness.c, the C2SP tlog-witness protocol):
#   - bad --witness, --witness-quorum and --checkpoint-interval values,
#     on the command line or in the configuration file: one line, exit 2;
#   - without witnesses nothing changes: /v1/keys lists none, no
#     public/witnesses;
#   - one witness (its key from a file), then two: /log/checkpoint and
#     /v1/audit/checkpoint become the stored checkpoint note followed by
#     the witnesses' cosignature/v1 lines (in the configured order), which
#     `test_witness check` verifies with each witness's key, and their size
#     grows with traffic; /v1/keys and public/witnesses list the witnesses
#     and the quorum;
#   - each witness's state survives a restart: the first add-checkpoint
#     after it starts from the size the witness cosigned (the witness
#     answers no 409);
#   - /metrics per witness; quorum 2 with one witness down holds the
#     served checkpoint and says why, then moves once it is back; quorum 1
#     keeps publishing;
#   - an older copy of the data folder put back, and a fork grown past
#     what the witnesses cosigned, are refused at start (exit 1, one line
#     naming the witness and both sizes, nothing served);
#   - a damaged state file is set aside (one 409 sets it right); a
#     witness that hangs delays only itself.
# Checkpoints carry no personal data; nothing here prints a token.
. tests/lib/tap.sh
. tests/lib/service.sh

export TZ=UTC
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

need_helpers test_witness
W=$H/test_witness
. tests/lib/witness.sh
command -v jq >/dev/null || skip_all "jq is not installed"
[ "${ANKANG_TEST_STORE:-}" = pg ] || command -v sqlite3 >/dev/null ||
	skip_all "the sqlite3 shell is not installed"

D=$ANKANG_BIN/ankangd
DIR=$T/data

# ---------------------------------------------------------------- helpers

at_exit svc_stop

# served: GET /log/checkpoint into $T/served; prints its size ("" if none).
served() {
	api GET /log/checkpoint ""
	cp "$T/r.body" "$T/served"
	[ "$ST" = 200 ] && sed -n 2p "$T/served"
}

# stored: the size of the newest checkpoint the log signed.
stored() { svc_sql "$DIR/ankang.db" "select max(size) from log_checkpoints"; }

# wait_served MIN: until the served checkpoint's size is at least MIN
# (bounded); prints it.
wait_served() {
	local s= n
	for n in $(seq 1 "$(patience 150)"); do
		s=$(served)
		[ -n "$s" ] && [ "$s" -ge "$1" ] && break
		nap 100
	done
	echo "$s"
}

# traffic N: N officer requests, each an audit leaf.
traffic() {
	local n
	for n in $(seq 1 "$1"); do
		api GET "/v1/appeals?state=open" "$OFF"
	done
}

# check_by VKEY: the crypto/cosig verifier, through test_witness check,
# accepts VKEY's cosignature on $T/served.
check_by() { "$W" check --vkey "$1" --note "$T/served" >/dev/null 2>&1; }

# metric NAME [WITNESS]: a value from /metrics (of that witness's series).
metric() {
	api GET /metrics "$ADM"
	if [ -n "${2:-}" ]; then
		grep "^$1{witness=\"$2\"} " "$T/r.body" | cut -d' ' -f2
	else
		grep "^$1 " "$T/r.body" | cut -d' ' -f2
	fi
}

# refused DIR OUT: serve on DIR with both witnesses must refuse to start:
# exit status into RST, its stderr into OUT.
refused() {
	rm -f "$T/refused.port"
	"$D" serve --data "$1" --listen 127.0.0.1:0 --port-file "$T/refused.port" \
		--witness "$W1@${WURL[1]}" --witness "$W2@${WURL[2]}" 2>"$2"
	RST=$?
}

ge() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -ge "$2" ] && echo 0 || echo 1; }

# conflicts [N]: how many 409s the witnesses (or witness N) answered, by
# test_witness's own line for each refusal ("test_witness: 409 ...").
conflicts() { cat "$T"/w${1:-*}.log 2>/dev/null | grep -c '^test_witness: 409 '; }
# logged PATTERN: the service's log has a line matching PATTERN (grep's
# basic regular expression): for wait_until.
logged() { grep -q "$1" "$T/serve.log"; }

# ---------------------------------------------------------------- the log and two witnesses

svc_init "$DIR"
OFF=$(svc_account "$DIR" officer off-1)
AUD=$(svc_account "$DIR" auditor aud-1)
ADM=$(svc_account "$DIR" admin adm-1)
LOGVKEY=$(cat "$DIR/public/log.vkey")
W1=$("$W" keygen --key "$T/w1.key" --name witness.test/w1)
W2=$("$W" keygen --key "$T/w2.key" --name witness.test/w2)
printf '%s\n' "$W1" >"$T/w1.vkey"
wit_start 1 0 --log "$LOGVKEY"
wit_start 2 0 --log "$LOGVKEY"

# ---------------------------------------------------------------- bad settings

# bad DESC ARGS...: serve refuses with one line and exit 2, naming no value.
bad() {
	local desc=$1
	shift
	"$D" serve --data "$DIR" --listen 127.0.0.1:0 --port-file "$T/bad.port" "$@" \
		>"$T/bad.out" 2>"$T/bad.err"
	is "$?/$(wc -l <"$T/bad.err" | tr -d ' ')" "2/1" "$desc: exit 2, one line"
}
bad "--witness without @" --witness "$W1"
bad "--witness with a key that is neither a vkey nor a file" --witness "nonsense@${WURL[1]}"
bad "--witness with a log key (not a cosigner key)" --witness "$LOGVKEY@${WURL[1]}"
bad "--witness with an ftp URL" --witness "$W1@ftp://127.0.0.1/"
bad "--witness with no URL" --witness "$W1@"
bad "the same witness twice" --witness "$W1@${WURL[1]}" --witness "$W1@${WURL[2]}"
bad "--witness-quorum larger than the witnesses" --witness "$W1@${WURL[1]}" --witness-quorum 2
bad "--witness-quorum 0" --witness "$W1@${WURL[1]}" --witness-quorum 0
bad "--witness-quorum without witnesses" --witness-quorum 1
bad "--checkpoint-interval 5 ms" --checkpoint-interval 5
bad "--checkpoint-interval not a number" --checkpoint-interval soon
printf 'witness = nonsense@%s\n' "${WURL[1]}" >"$T/bad.conf"
bad "witness = ... in the file, a bad key" --config "$T/bad.conf"
ok "$(grep -c nonsense "$T/bad.err")" "  and the message does not repeat the value"
[ ! -e "$T/bad.port" ]
ok $? "none of them served"

# ---------------------------------------------------------------- no witnesses

svc_start "$DIR"
api GET /v1/keys ""
is "$ST $(jbody '.witnesses | length') $(jbody .witness_quorum)" "200 0 0" \
	"without witnesses /v1/keys lists none, quorum 0"
[ ! -e "$DIR/public/witnesses" ]
ok $? "and there is no public/witnesses"
api GET /log/checkpoint ""
cp "$T/r.body" "$T/plain.cp"
is "$ST $(grep -c '^—' "$T/plain.cp")" "200 1" "the checkpoint carries the log's signature only"
svc_stop

# ---------------------------------------------------------------- one witness

svc_start "$DIR" --witness "$T/w1.vkey@${WURL[1]}/" --officer-reads 100000 \
	--checkpoint-interval 200
S0=$(stored)
S1=$(wait_served "$S0")
ok $([ -n "$S1" ] && [ "$S1" -ge "$S0" ] && echo 0 || echo 1) \
	"one witness (key from a file): /log/checkpoint is cosigned at $S1 (stored $S0)"
is "$(hdr Content-Type)" "text/plain; charset=utf-8" "  as text/plain"
check_by "$W1"
ok $? "  test_witness check verifies witness 1's cosignature"
is "$(grep -c '^—' "$T/served")" 2 "  two signature lines: the log's and the witness's"
svc_sql "$DIR/ankang.db" "select hex(note) from log_checkpoints where size = $S1" | xxd -r -p >"$T/stored.cp"
head -n -1 "$T/served" >"$T/served.head"
cmp -s "$T/served.head" "$T/stored.cp"
ok $? "  the note before the cosignature is the checkpoint exactly as stored"
check_by "$W2"
ok $((! $?)) "  and it is not witness 2's"
api GET /v1/audit/checkpoint "$AUD"
cmp -s "$T/r.body" "$T/served"
ok $? "  GET /v1/audit/checkpoint answers the same note"
api GET /v1/keys ""
is "$(jbody '.witnesses | join(",")') $(jbody .witness_quorum)" "$W1 1" \
	"/v1/keys lists the witness and quorum 1"
printf 'ankang/witnesses/v1\nquorum 1\nwitness %s\n' "$W1" >"$T/want.pub"
cmp -s "$DIR/public/witnesses" "$T/want.pub"
ok $? "public/witnesses: the format line, the quorum, the witness"

traffic 5
S2=$(wait_served $((S1 + 5)))
ok $([ -n "$S2" ] && [ "$S2" -ge $((S1 + 5)) ] && echo 0 || echo 1) \
	"traffic grows the cosigned checkpoint ($S1 -> $S2)"
check_by "$W1"
ok $? "  and it verifies"
traffic 3
S3=$(wait_served $((S2 + 3)))
ok $([ -n "$S3" ] && [ "$S3" -ge $((S2 + 3)) ] && echo 0 || echo 1) "  and again ($S2 -> $S3)"
svc_stop
is "$SERVER_STATUS" 0 "serve stops cleanly with a witness"
ok "$([ -s "$DIR/witness/cosigned" ] && echo 0 || echo 1)" "the cosigned checkpoint is kept in witness/cosigned"
W1ID=$(echo "$W1" | cut -d+ -f2)
like "$(sed -n 2p "$DIR/witness/$W1ID")" '^[0-9]+$' "witness 1's state: witness/$W1ID"
is "$(stat -c %a "$DIR/witness")" 700 "  in a private folder"

# ---------------------------------------------------------------- two witnesses

c0=$(conflicts)
svc_start "$DIR" --witness "$W1@${WURL[1]}" --witness "$W2@${WURL[2]}" --officer-reads 100000 \
	--checkpoint-interval 200
S0=$(stored)
S4=$(wait_served "$S0")
ok $([ -n "$S4" ] && [ "$S4" -ge "$S0" ] && echo 0 || echo 1) "two witnesses: cosigned at $S4"
check_by "$W1" && check_by "$W2"
ok $? "  by both (quorum: all of them)"
is "$(grep '^—' "$T/served" | cut -d' ' -f2 | tr '\n' ' ')" \
	"${LOGVKEY%%+*} witness.test/w1 witness.test/w2 " "  the log's line, then the witnesses' in order"
is "$(conflicts)" "$c0" "  witness 1 was asked from the size it cosigned (no 409)"
traffic 4
S5=$(wait_served $((S4 + 4)))
ok $([ -n "$S5" ] && [ "$S5" -ge $((S4 + 4)) ] && echo 0 || echo 1) \
	"traffic grows it ($S4 -> $S5)"
check_by "$W1" && check_by "$W2"
ok $? "  cosigned by both"
api GET /v1/keys ""
is "$(jbody '.witnesses | join(",")') $(jbody .witness_quorum)" "$W1,$W2 2" \
	"/v1/keys lists both in order, quorum 2"
svc_stop

# ---------------------------------------------------------------- a restart

c0=$(conflicts)
svc_start "$DIR" --witness "$W1@${WURL[1]}" --witness "$W2@${WURL[2]}" --officer-reads 100000 \
	--witness-quorum 2 --checkpoint-interval 200
S6=$(wait_served "$(stored)")
ok $([ -n "$S6" ] && [ "$S6" -ge "$S5" ] && echo 0 || echo 1) \
	"after a restart: the newest checkpoint is cosigned ($S6)"
traffic 2
S7=$(wait_served $((S6 + 2)))
ok $([ -n "$S7" ] && [ "$S7" -ge $((S6 + 2)) ] && echo 0 || echo 1) "and traffic grows it ($S7)"
is "$(conflicts)" "$c0" "both witnesses were asked from their stored sizes (no 409)"
svc_stop
is "$SERVER_STATUS" 0 "serve stops cleanly"
# Each of witnessing.c's failure lines, by its words: a bare "409" or
# "answered" would also match a size or a line about something else.
WFAIL='witness [^ ]* unreachable|witness [^ ]* answered|witness [^ ]* keeps naming|refuses|rolled back|did not answer|cannot make the request|no quorum'
is "$(grep -cE "$WFAIL" "$T/serve.log")" 0 \
	"the service's log names no witness failure"
grep -E "$WFAIL" "$T/serve.log" | head -3 | sed 's/^/# /' >&2

# ---------------------------------------------------------------- phase 2: /metrics

BOTH=(--witness "$W1@${WURL[1]}" --witness "$W2@${WURL[2]}" --officer-reads 100000
	--checkpoint-interval 200)
svc_start "$DIR" "${BOTH[@]}"
S8=$(wait_served "$(stored)")
ok "$(ge "$S8" "$S7")" "both witnesses up: served at $S8"
is "$(metric ankang_witness_cosigned_size witness.test/w1)" "$S8" \
	"/metrics: witness 1's cosigned size"
is "$(metric ankang_witness_cosigned_size witness.test/w2)" "$S8" "  witness 2's"
is "$(metric ankang_witness_up witness.test/w2)/$(metric ankang_witness_failures_total witness.test/w2)" \
	"1/0" "  witness 2 up, no failures"
is "$(metric ankang_witness_served_checkpoint_size)/$(metric ankang_witness_quorum)" "$S8/2" \
	"  the served size and the quorum"
like "$(metric ankang_witness_conflicts_total witness.test/w1)" '^[0-9]+$' "  conflicts counted"

# ---------------------------------------------------------------- quorum 2, one witness down

W2PORT=$(cat "$T/w2.port")
wit_stop 2
traffic 3
f=
for _ in $(seq 1 "$(patience 150)"); do
	f=$(metric ankang_witness_failures_total witness.test/w2)
	[ -n "$f" ] && [ "$f" -ge 1 ] && break
	nap 100
done
ok "$(ge "$f" 1)" "witness 2 down: /metrics counts its failures ($f)"
is "$(metric ankang_witness_up witness.test/w2)" 0 "  and shows it not up"
is "$(served)" "$S8" "quorum 2 with one witness down: the served checkpoint stays at $S8"
newest=$(metric ankang_witness_newest_checkpoint_size)
ok "$(ge "$newest" $((S8 + 1)))" "  while newer ones wait (newest $newest)"
is "$(metric ankang_witness_served_checkpoint_size)" "$S8" "  /metrics: served $S8"
grep -q "witness witness.test/w2 unreachable" "$T/serve.log"
ok $? "  the service's log says witness 2 is unreachable"
grep -q "no quorum: 1 of the 2 witnesses cosign, 2 needed" "$T/serve.log"
ok $? "  and that there is no quorum"

wit_start 2 "$W2PORT" --log "$LOGVKEY"
S9=$(wait_served $((S8 + 3)))
ok "$(ge "$S9" $((S8 + 3)))" "witness 2 back: a quorum again, the served checkpoint moves ($S9)"
check_by "$W1" && check_by "$W2"
ok $? "  cosigned by both"
wait_until "the service's log to say a quorum is back" logged "a quorum cosigned checkpoint [0-9]* again"
ok $? "  and the service's log says so"
svc_stop

# ---------------------------------------------------------------- quorum 1, one witness down

wit_stop 2
svc_start "$DIR" "${BOTH[@]}" --witness-quorum 1
S10=$(wait_served "$S9")
traffic 3
S11=$(wait_served $((S10 + 3)))
ok "$(ge "$S11" $((S10 + 3)))" "quorum 1 with witness 2 down: the served checkpoint grows ($S10 -> $S11)"
check_by "$W1"
ok $? "  cosigned by witness 1"
check_by "$W2"
ok $((! $?)) "  and not by witness 2"
wait_until "the service's log to name witness 2" logged "witness witness.test/w2 did not answer\|witness witness.test/w2 unreachable"
ok $? "  the service's log names witness 2"
svc_stop
is "$SERVER_STATUS" 0 "  and it stops cleanly"
wit_start 2 "$W2PORT" --log "$LOGVKEY"

# ---------------------------------------------------------------- a rollback

svc_copy "$DIR" "$T/older"
svc_start "$DIR" "${BOTH[@]}"
base=$(stored)
traffic 3
S12=$(wait_served $((base + 3)))
ok "$(ge "$S12" $((base + 3)))" "the log grows past the copy ($base -> $S12), cosigned by both"
svc_stop
mv "$DIR" "$T/newer"
cp -a "$T/older" "$DIR"
cp "$T/w1.state" "$T/w1.before"
refused "$DIR" "$T/rb.err"
is "$RST" 1 "an older copy of the data folder put back: serve refuses to start (exit 1)"
last=$(grep '^ankangd: serve:' "$T/rb.err")
like "$last" "^ankangd: serve: witness witness\.test/w1 has cosigned the log at size [0-9]+, but the newest checkpoint here is [0-9]+" \
	"  one line naming the witness and both sizes"
their=$(echo "$last" | sed -E 's/.*at size ([0-9]+), .*/\1/')
ours=$(echo "$last" | sed -E 's/.*checkpoint here is ([0-9]+).*/\1/')
ok "$(ge "$their" $((ours + 1)))" "  the witness's size ($their) is larger than the copy's ($ours)"
is "$(grep -c '^ankangd: serve:' "$T/rb.err")" 1 "  said once"
[ ! -e "$T/refused.port" ]
ok $? "  nothing was served"
cmp -s "$T/w1.state" "$T/w1.before"
ok $? "  the witness's state is unchanged"
rm -rf "$DIR"
mv "$T/newer" "$DIR"

# ---------------------------------------------------------------- a fork

svc_copy "$DIR" "$T/fork"
svc_start "$DIR" "${BOTH[@]}"
base=$(stored)
traffic 2
S13=$(wait_served $((base + 2)))
ok "$(ge "$S13" $((base + 2)))" "the log grows and is cosigned ($base -> $S13)"
svc_stop
# The copy grows otherwise, past what the witnesses cosigned: same key,
# another history.
for i in $(seq 1 8); do svc_account "$T/fork" officer "fork-$i" >/dev/null; done
F=$(svc_sql "$T/fork/ankang.db" "select max(size) from log_checkpoints")
ok "$(ge "$F" $((S13 + 1)))" "a fork of the data folder grown to $F"
cp "$T/w1.state" "$T/w1.before"
refused "$T/fork" "$T/fork.err"
is "$RST" 1 "serve on the fork refuses to start (exit 1)"
like "$(grep '^ankangd: serve:' "$T/fork.err")" \
	"^ankangd: serve: witness witness\.test/w1 refuses this log's checkpoint $F as inconsistent with the one of size [0-9]+ it cosigned" \
	"  one line naming the witness and both sizes"
[ ! -e "$T/refused.port" ]
ok $? "  nothing was served"
grep -q "test_witness: 422" "$T/w1.log"
ok $? "  the witness refused the fork's consistency proof (422)"
cmp -s "$T/w1.state" "$T/w1.before"
ok $? "  and its state is unchanged"

# A state file that does not verify is set aside: the witness is asked
# from 0, its 409 names its size, and the request is made again from there.
printf 'garbage\n' >"$DIR/witness/$W1ID"
c0=$(conflicts 1)
svc_start "$DIR" "${BOTH[@]}"
S14=$(wait_served "$S13")
ok "$(ge "$S14" "$S13")" "the genuine data folder still starts and is cosigned ($S14)"
# The served checkpoint may be the one kept from before the restart:
# witness 1's round (the 409, the request again) is waited for.
wait_until "the service's log to say witness 1's state file does not verify" \
	logged "witness witness.test/w1: its state file does not verify"
ok $? "  witness 1's damaged state file was set aside, and the log says so"
conflict_counted() { [ "$(metric ankang_witness_conflicts_total witness.test/w1)" = 1 ]; }
wait_until "/metrics to count witness 1's conflict" conflict_counted
is "$(($(conflicts 1) - c0))" 1 "  witness 1 answered one 409 (old 0), then cosigned"
is "$(metric ankang_witness_conflicts_total witness.test/w1)" 1 "  /metrics counts the conflict"
like "$(sed -n 2p "$DIR/witness/$W1ID")" '^[0-9]+$' "  and its state file is whole again"
svc_stop

# ---------------------------------------------------------------- a witness that hangs

# Stopped (SIGSTOP), witness 2 accepts connections and never answers: its
# requests time out while witness 1 goes on cosigning (quorum 1). Once it
# runs again it answers the requests it had queued, so it may hold a size
# the service did not hear of: a 409 sets that right.
svc_start "$DIR" "${BOTH[@]}" --witness-quorum 1
S15=$(wait_served "$(stored)")
kill -STOP "${WPID[2]}"
base=$(stored)
traffic 3
S16=$(wait_served $((base + 3)))
ok "$(ge "$S16" $((base + 3)))" "witness 2 hangs: witness 1 alone moves the served checkpoint ($S15 -> $S16)"
f=
for _ in $(seq 1 "$(patience 300)"); do
	f=$(metric ankang_witness_failures_total witness.test/w2)
	[ -n "$f" ] && [ "$f" -ge 1 ] && break
	nap 100
done
ok "$(ge "$f" 1)" "  its request timed out: /metrics counts a failure"
kill -CONT "${WPID[2]}"
up=
for _ in $(seq 1 "$(patience 300)"); do
	up=$(metric ankang_witness_up witness.test/w2)
	[ "$up" = 1 ] && break
	nap 100
done
is "$up" 1 "running again, witness 2 cosigns again"
for _ in $(seq 1 "$(patience 150)"); do
	served >/dev/null
	check_by "$W2" && break
	nap 100
done
check_by "$W1" && check_by "$W2"
ok $? "  and the served checkpoint carries both cosignatures again"
svc_stop
is "$SERVER_STATUS" 0 "  serve stops cleanly"

done_testing
