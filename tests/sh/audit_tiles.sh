#!/bin/bash
# audit_tiles: ankang-audit reading the log as C2SP tlog-tiles (--log URL)
# from a real ankangd's /log/, with a mirror, and checking witnesses'
# cosignatures (--witness, --quorum):
#   - verify without a token: signature, the root recomputed from hash
#     tiles, every hash tile authenticated, "entries not read (no token)";
#     with one: every bundle, each leaf against its tile, every leaf
#     parses; the summary says how many tiles came from where;
#   - --mirror: a second run fetches nothing, a run after growth only
#     the new tiles; --state's consistency is checked from tiles; a
#     superseded partial tile leaves the mirror;
#   - prove from tiles (check-proof accepts it), entries from bundles;
#     commands that need leaves without a token: exit 2, saying so;
#   - lies: a mirror tile changed is refused and fetched again; a server
#     (the mirror served statically) with a hash tile or a bundle changed
#     fails verify (exit 1), naming the tile or leaf;
#   - witnesses: the checkpoint cosigned by test witnesses and served
#     statically: quorum met, not met, a corrupted cosignature, an
#     unknown witness's line ignored; --quorum misuse is a usage error;
#     --witness works with --db too.
# Leaves hold no personal data; tokens are never printed.
. tests/lib/tap.sh
. tests/lib/service.sh
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

need_helpers audit_append test_witness
command -v sqlite3 >/dev/null || skip_all "the sqlite3 shell is not installed"

A=$ANKANG_BIN/ankang-audit
DIR=$T/data
DB=$DIR/ankang.db
KEY=$DIR/public/log.vkey
SIZE=600
svc_init "$DIR"
AUD=$(svc_account "$DIR" auditor inspector-1)
VER=$(svc_account "$DIR" verifier checkpoint-1)
VER_ID=$(svc_sql "$DB" "select id from accounts where name = 'checkpoint-1'")
printf '%s\n' "$AUD" >"$T/aud.token"
chmod 600 "$T/aud.token"
at_exit svc_stop

have=$(svc_sql "$DB" 'select count(*) from log_leaves')
NOW_MS=$(($(date +%s) * 1000))
seq 1 $((SIZE - have)) | awk -v t="$NOW_MS" -v v="$VER_ID" \
	'{printf "ankang/v1 %.0f verifier:%s verify_offline - - malformed -\n", t + $1, v}' >"$T/plant.txt"
"$H/audit_append" --data "$DIR" <"$T/plant.txt" >/dev/null 2>"$T/err"
svc_start "$DIR"

# wait_size N: until /log/checkpoint signs N leaves (bounded).
wait_size() {
	local s= i
	for i in $(seq 1 "$(patience 100)"); do
		s=$(curl -s --max-time 5 "$URL/log/checkpoint" | sed -n 2p)
		[ "$s" = "$1" ] && return 0
		nap 100
	done
	return 1
}
wait_size "$SIZE"
ok $? "the log is planted to $SIZE leaves and signed"

M=$T/mirror
LOG=$URL/log
# run NAME ARGS...: ankang-audit, stdout in $T/NAME.out, stderr in $T/NAME.err, RC.
run() {
	local name=$1
	shift
	"$A" "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}
out() { tr '\n' ' ' <"$T/$1.out"; }

# --- verify without a token ------------------------------------------------
run v0 verify --log "$LOG" --log-key "$KEY"
is "$RC" 0 "verify --log without a token: exit 0"
like "$(out v0)" "signature good .*tiles: the root recomputed from the hash tiles is the signed root; 4 hash tile\(s\) authenticated" \
	"  the root from the tiles, all 4 hash tiles of $SIZE leaves authenticated (3 at level 0, 1 at level 1)"
like "$(out v0)" "entries not read \(no token\).*verify: OK \(entries not read: no token\)" \
	"  says the entries were not read"
like "$(out v0)" "tiles: 4 fetched, 0 from the mirror \(no --mirror\)" "  the summary: 4 fetched"

# --- with a token, a mirror and a state -------------------------------------
run v1 verify --log "$LOG" --token-file "$T/aud.token" --mirror "$M" --log-key "$KEY" --state "$T/state"
is "$RC" 0 "verify --log --token-file --mirror --state: exit 0"
like "$(out v1)" "leaves: $SIZE read, every one parses; root matches the signed root" "  every leaf read and parsed"
like "$(out v1)" "tiles: 7 fetched, 0 from the mirror" "  7 fetched: 4 hash tiles and 3 bundles"
is "$(cd "$M" && find . -type f | sort | tr '\n' ' ')" \
	"./checkpoint ./tile/0/000 ./tile/0/001 ./tile/0/002.p/88 ./tile/1/000.p/2 ./tile/entries/000 ./tile/entries/001 ./tile/entries/002.p/88 " \
	"  the mirror holds the checkpoint and every tile, under the server's paths"
is "$(stat -c %a "$M/tile/entries")/$(stat -c %a "$M/tile/entries/000")" "700/600" \
	"  bundles (pseudonyms) readable by their owner only"
cmp -s "$M/tile/0/000" <(curl -s "$LOG/tile/0/000")
ok $? "  a mirrored tile is the server's bytes"

run v2 verify --log "$LOG" --token-file "$T/aud.token" --mirror "$M" --log-key "$KEY" --state "$T/state"
is "$RC" 0 "a second run: exit 0"
like "$(out v2)" "tiles: 0 fetched, 7 from the mirror" "  nothing fetched, all 7 from the mirror"
like "$(out v2)" "state: unchanged since the saved checkpoint" "  the state is unchanged"

# The log grows by a few leaves (verifications, each one leaf).
for i in 1 2 3; do api POST /v1/verify "$VER" '{"credential":"not a code"}'; done
NEW=$(curl -s "$LOG/checkpoint" | sed -n 2p)
for i in $(seq 1 "$(patience 100)"); do
	NEW=$(curl -s "$LOG/checkpoint" | sed -n 2p)
	[ "$NEW" -ge $((SIZE + 3)) ] && break
	nap 100
done
is "$NEW" $((SIZE + 3)) "the log grew to $((SIZE + 3))"
run v3 verify --log "$LOG" --token-file "$T/aud.token" --mirror "$M" --log-key "$KEY" --state "$T/state"
is "$RC" 0 "a run after growth: exit 0"
like "$(out v3)" "state: consistent with the saved checkpoint \(size $SIZE -> $NEW\)" \
	"  consistency with the saved checkpoint, from tiles"
like "$(out v3)" "tiles: 2 fetched, 5 from the mirror" \
	"  only the grown partial tile and bundle fetched; the rest from the mirror"
is "$(ls "$M/tile/0/002.p" | tr '\n' ' ')/$(ls "$M/tile/entries/002.p" | tr '\n' ' ')" "91 /91 " \
	"  the superseded partial tile and bundle replaced by the wider ones"

# --- prove and entries -------------------------------------------------------
run p1 prove --log "$LOG" --token-file "$T/aud.token" --log-key "$KEY" 300
is "$RC" 0 "prove --log INDEX: exit 0"
cp "$T/p1.out" "$T/proof"
run cp1 check-proof "$T/proof" --log-key "$KEY"
is "$RC" 0 "  check-proof accepts the proof built from tiles"
run p3 prove --log "$LOG" --token-file "$T/aud.token" --log-key "$KEY" --index 300
cmp -s "$T/p3.out" "$T/proof"
ok $? "  prove --index 300: the same proof"
run p4 prove --log "$LOG" --token-file "$T/aud.token" --index 300 301
is "$RC" 2 "  --index and an INDEX operand both: usage error"
run p2 prove --log "$LOG" --log-key "$KEY" 300
is "$RC" 2 "prove --log without a token: exit 2"
like "$(cat "$T/p2.err")" "entry bundles need an auditor's token" "  saying a token is needed"
run e1 entries --log "$LOG" --token-file "$T/aud.token" --json
is "$RC/$(lines "$T/e1.out")" "0/$NEW" "entries --log --json: every leaf, one a line"
run e2 entries --log "$LOG"
is "$RC" 2 "entries --log without a token: exit 2"
run r1 report --log "$LOG" --token-file "$T/aud.token" --json
ok $([ "$RC" -lt 2 ] && jq -e . "$T/r1.out" >/dev/null && echo 0 || echo 1) \
	"report --log: a report from the bundles (no appeals section: tiles hold none)"
run u1 verify --mirror "$M" --db "$(svc_db "$DIR")" --log-key "$KEY"
is "$RC" 2 "--mirror without --log: usage error"
run u2 verify --log "$LOG" --db "$(svc_db "$DIR")" --log-key "$KEY"
is "$RC" 2 "--log with --db: usage error"

# --- a mirror tile that lies is refused ------------------------------------
flip_byte "$M/tile/0/001" 100
run v4 verify --log "$LOG" --token-file "$T/aud.token" --mirror "$M" --log-key "$KEY"
is "$RC" 0 "a mirror tile with one byte changed: verify still passes"
like "$(out v4)" "1 mirror copies refused" "  the copy refused and fetched again"
cmp -s "$M/tile/0/001" <(curl -s "$LOG/tile/0/001")
ok $? "  and the mirror repaired with the authenticated tile"

# --- a server that lies: the mirror served as static files ------------------
# python3's http.server stands for any static host of a tlog-tiles log.
SPID=
static_stop() {
	[ -n "$SPID" ] || return 0
	kill -TERM "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	SPID=
}
at_exit static_stop
if ! command -v python3 >/dev/null || ! python3 -c 'import http.server' 2>/dev/null; then
	for i in $(seq 1 29); do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n - static log and witnesses # SKIP python3's http.server is not installed"
	done
	done_testing
	exit 0
fi
S=$T/static
cp -r "$M" "$S"
python3 -u -m http.server --bind 127.0.0.1 --directory "$S" 0 >"$T/static.out" 2>"$T/static.err" &
SPID=$!
for i in $(seq 1 "$(patience 200)"); do
	grep -q 'port [0-9]' "$T/static.out" 2>/dev/null && break
	sleep 0.05
done
SURL=http://127.0.0.1:$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$T/static.out" | head -1)
run s0 verify --log "$SURL" --token-file "$T/aud.token" --log-key "$KEY"
is "$RC" 0 "the mirror served statically is a log too: verify passes"

# lie FILE OFFSET: one byte of the static copy changed (restored by unlie).
lie() { cp "$S/$1" "$T/saved"; flip_byte "$S/$1" "$2"; }
unlie() { cp "$T/saved" "$S/$1"; }
lie tile/0/000 1000
run s1 verify --log "$SURL" --log-key "$KEY"
is "$RC" 1 "a server with a full hash tile changed: verify fails (exit 1)"
like "$(out s1)" "FAIL: hash tile tile/0/000 does not match the signed checkpoint" "  naming the tile"
unlie tile/0/000
lie tile/1/000.p/2 40
run s2 verify --log "$SURL" --log-key "$KEY"
is "$RC" 1 "a server with a partial tile changed: verify fails"
like "$(out s2)" "FAIL: hash tile .* does not match the signed checkpoint .* do not hash to its root" \
	"  the tiles do not hash to the signed root"
run s3 prove --log "$SURL" --token-file "$T/aud.token" --log-key "$KEY" 5
is "$RC" 2 "  prove refuses to build a proof from them"
unlie tile/1/000.p/2
lie tile/entries/001 300
run s4 verify --log "$SURL" --token-file "$T/aud.token" --log-key "$KEY"
is "$RC" 1 "a server with a bundle changed: verify fails"
like "$(out s4)" "FAIL: leaf 2[0-9][0-9] is not the leaf its authenticated hash tile holds \(entry bundle 1\)" \
	"  naming the leaf"
unlie tile/entries/001

# --- witnesses ---------------------------------------------------------------
. tests/lib/witness.sh
# witness N [start]: a test witness for the log (tests/lib/witness.sh); W<N> its
# vkey, WURL<N> its URL once started.
witness() {
	local n=$1
	printf -v "W$n" '%s' "$("$H/test_witness" keygen --key "$T/w$n.key" --name "witness.test/w$n")"
	[ "${2:-}" = start ] || return 0
	wit_start "$n" 0 --log "$(cat "$KEY")"
	printf -v "WURL$n" '%s' "${WURL[$n]}"
}
witness 1 start
witness 2 start
witness 3
{ printf 'old 0\n\n'; cat "$S/checkpoint"; } >"$T/add.req"
cp "$S/checkpoint" "$T/plain.cp"
for n in 1 2; do
	u=WURL$n
	curl -s --fail --max-time "$(patience 30)" --data-binary "@$T/add.req" "${!u}/add-checkpoint" >>"$S/checkpoint"
done
is "$(grep -c '^— witness.test/w' "$S/checkpoint")" 2 "two test witnesses cosign the checkpoint (add-checkpoint, old 0)"
printf '%s\n' "$W1" >"$T/w1.vkey"

run q1 verify --log "$SURL" --log-key "$KEY" --witness "$T/w1.vkey" --witness "$W2"
is "$RC" 0 "--witness W1 (a file) --witness W2: verify passes"
like "$(out q1)" "witnesses: 2 valid cosignature\(s\), 2 needed: quorum met" "  2 valid of 2 needed"
run q2 verify --log "$SURL" --log-key "$KEY" --witness "$W1" --witness "$W3"
is "$RC" 1 "--witness W1 --witness W3 (who never cosigned), quorum all: fails (exit 1)"
like "$(out q2)" "FAIL: witnesses: 1 valid cosignature\(s\) of the 2 needed" "  saying 1 valid of 2 needed"
run q3 verify --log "$SURL" --log-key "$KEY" --witness "$W1" --witness "$W3" --quorum 1
is "$RC" 0 "  with --quorum 1: passes"
run q4 verify --log "$SURL" --log-key "$KEY" --witness "$W1"
is "$RC/$(grep -c 'quorum met' "$T/q4.out")" "0/1" "W2's line, from a witness not given, is ignored"
cp "$S/checkpoint" "$T/cosigned.cp"
# One character of W1's signature changed (late in the base64: the signature, not the key id).
awk '/^— witness.test\/w1 /{ c = substr($3, 60, 1); r = (c == "A") ? "B" : "A"; $3 = substr($3, 1, 59) r substr($3, 61) } {print}' \
	"$T/cosigned.cp" >"$S/checkpoint"
run q5 verify --log "$SURL" --log-key "$KEY" --witness "$W1" --witness "$W2" --quorum 1
is "$RC" 1 "a corrupted cosignature from a listed witness: fails even though the quorum is met"
like "$(out q5)" "FAIL: a cosignature from one of the witnesses given does not verify" "  saying so"
cp "$T/cosigned.cp" "$S/checkpoint"
run q6 verify --log "$SURL" --log-key "$KEY" --quorum 1
is "$RC" 2 "--quorum without --witness: usage error"
run q7 verify --log "$SURL" --log-key "$KEY" --witness "$W1" --quorum 2
is "$RC" 2 "--quorum larger than the witnesses given: usage error"
run q8 verify --log "$SURL" --log-key "$KEY" --witness "not a key"
is "$RC" 2 "--witness that is no key: usage error"
run q9 verify --db "$(svc_db "$DIR")" --log-key "$KEY" --witness "$W1"
is "$RC" 1 "--witness with --db: the database's checkpoint carries no cosignature, fails"
like "$(out q9)" "0 valid cosignature\(s\) of the 1 needed" "  0 of 1"
run q10 verify --server "$URL" --token-file "$T/aud.token" --log-key "$KEY" --witness "$W1"
is "$RC" 1 "--witness with --server: a checkpoint no witness cosigned fails"
like "$(out q10)" "0 valid cosignature\(s\) of the 1 needed" "  0 of 1"

# --- a live cosigning server: ankangd serve --witness ------------------------
svc_stop
svc_start "$DIR" --witness "$W1@$WURL1" --witness "$W2@$WURL2" --checkpoint-interval 200
api POST /v1/verify "$VER" '{"credential":"not a code"}'
for i in $(seq 1 "$(patience 200)"); do
	curl -s --max-time 5 "$URL/log/checkpoint" >"$T/live.cp"
	[ "$(grep -c '^— witness.test/w' "$T/live.cp")" = 2 ] && [ "$(sed -n 2p "$T/live.cp")" -gt "$NEW" ] && break
	nap 100
done
LIVE=$(sed -n 2p "$T/live.cp")
is "$(grep -c '^— witness.test/w' "$T/live.cp")" 2 \
	"ankangd serve --witness W1@.. --witness W2@..: /log/checkpoint cosigned by both (size $LIVE)"
run l1 verify --log "$URL/log" --token-file "$T/aud.token" --mirror "$M" --log-key "$KEY" \
	--state "$T/state" --witness "$W1" --witness "$W2"
is "$RC" 0 "verify --log of the live server, both witnesses required: passes"
like "$(out l1)" "witnesses: 2 valid cosignature\(s\), 2 needed: quorum met.*state: consistent with the saved checkpoint \(size $NEW -> $LIVE\)" \
	"  quorum met, and consistent with the state saved before"
run l2 verify --server "$URL" --token-file "$T/aud.token" --log-key "$KEY" --witness "$W3" --witness "$W2" --quorum 1
is "$RC" 0 "verify --server of the live server, one of W3 and W2: passes"
run l3 verify --log "$URL/log" --log-key "$KEY" --witness "$W3"
is "$RC" 1 "  requiring W3, who never cosigned: fails"
svc_stop
wit_stop_all
static_stop

done_testing
