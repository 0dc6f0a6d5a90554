#!/usr/bin/env bash
# The test witness (tests/helpers/test_witness.c) against checkpoints and
# consistency proofs from a real ankangd, as C2SP tlog-witness says a
# witness answers add-checkpoint:
#   - first checkpoint (old 0): 200 and a cosignature/v1 line that the
#     crypto/cosig verifier accepts, and that openssl verifies too;
#   - growth with the server's proof: 200; a stale old: 409 with the
#     witness's size as text/x.tlog.size; a bad or missing proof: 422;
#   - a rollback (smaller checkpoint): 400 or 409, never cosigned;
#   - a fork (a copy of the data folder grown differently, same key, same
#     size, other root): 409, state unchanged;
#   - an unknown origin 404, another key for a known origin 403;
#   - the state survives a restart; a state it cannot trust stops it;
#   - garbage, oversized and malformed bodies: 4xx, never a crash.
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
STATE=$T/w1.state

# ---------------------------------------------------------------- helpers

at_exit svc_stop

# wpost FILE [CURL-ARGS...]: POST FILE to add-checkpoint; WST, $T/w.body, $T/w.hdr.
wpost() {
	local f=$1
	shift
	WST=$(curl -s -o "$T/w.body" -D "$T/w.hdr" -w '%{http_code}' --max-time "$(patience 30)" \
		--data-binary "@$f" "$@" "${WURL[1]}/add-checkpoint")
	[ -n "$WST" ] || WST=000
}

# body OLD PROOF CHECKPOINT > FILE: the add-checkpoint body; PROOF is a
# file of base64 lines (or /dev/null).
body() { printf 'old %s\n' "$1"; cat "$2"; printf '\n'; cat "$3"; }

# add OLD PROOF CHECKPOINT: body then post.
add() {
	body "$1" "$2" "$3" >"$T/req"
	wpost "$T/req"
}

wtype() { grep -i '^Content-Type:' "$T/w.hdr" | head -1 | cut -d: -f2- | tr -d '\r ' ; }

# checkpoint NAME: the server's newest checkpoint into $T/NAME.cp; prints its size.
checkpoint() {
	api GET /v1/audit/checkpoint "$AUD"
	[ "$ST" = 200 ] || { echo "Bail out! no checkpoint ($ST)"; exit 1; }
	cp "$T/r.body" "$T/$1.cp"
	sed -n 2p "$T/$1.cp"
}

# proof OLD NEW FILE: the server's consistency proof, one base64 line each.
proof() {
	api GET "/v1/audit/proof/consistency?old=$1&new=$2" "$AUD"
	[ "$ST" = 200 ] || { echo "Bail out! no consistency proof ($ST)"; exit 1; }
	jq -r '.proof[]' "$T/r.body" >"$3"
}

# cosigned CHECKPOINT: the checkpoint with the last 200's lines appended,
# checked by the crypto/cosig verifier through test_witness check.
cosigned() {
	cat "$1" "$T/w.body" >"$T/cosigned.note"
	"$W" check --vkey "$WVKEY" --note "$T/cosigned.note" >"$T/check.out" 2>&1
}

# note_of DIR SIZE FILE: the checkpoint of that size as DIR's store holds it.
note_of() {
	svc_sql "$1/ankang.db" "select hex(note) from log_checkpoints where size = $2" | xxd -r -p >"$3"
}

state_size() { awk -v o="$ORIGIN" '$1 == o {print $2}' "$STATE"; }

# grow DIR N TAG: N new accounts, each an audit leaf and a checkpoint.
grow() {
	local i
	for i in $(seq 1 "$2"); do
		svc_account "$1" officer "$3-$i" >/dev/null
	done
}

# ---------------------------------------------------------------- the log

svc_init "$DIR"
AUD=$(svc_account "$DIR" auditor aud-1)
LOGVKEY=$(cat "$DIR/public/log.vkey")
ORIGIN=${LOGVKEY%%+*}
svc_start "$DIR"
S1=$(checkpoint c1)
like "$S1" '^[0-9]+$' "the log has a first checkpoint"

# ---------------------------------------------------------------- keys

WVKEY=$("$W" keygen --key "$T/w1.key" --name witness.test/w1)
ok $? "keygen writes a witness key"
is "$(stat -c %a "$T/w1.key")" 600 "the key file is private (0600)"
like "$WVKEY" '^witness\.test/w1\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$' "keygen prints a vkey"
# The name has no '+', the base64 may: strip name+ and id+ from the front.
WB64=${WVKEY#*+}
WB64=${WB64#*+}
is "$(printf '%s' "$WB64" | base64 -d | head -c1 | xxd -p)" 04 "with the cosigner type byte 0x04"
is "$("$W" vkey --key "$T/w1.key")" "$WVKEY" "vkey prints the same key again"
like "$(head -c 12 "$T/w1.key")" '^PRIVATE\+KEY\+' "the key file is an ordinary note signer key"

wit_start 1 0 --log "$LOGVKEY"

# ---------------------------------------------------------------- first checkpoint

add 0 /dev/null "$T/c1.cp"
is "$WST" 200 "old 0, no proof, the first checkpoint: 200"
like "$(wtype)" '^text/plain' "the answer is text"
is "$(wc -l <"$T/w.body" | tr -d ' ')" 1 "one signature line"
like "$(cat "$T/w.body")" "^— witness\.test/w1 [A-Za-z0-9+/]{102}==\$" "— name base64(76 bytes)"
cosigned "$T/c1.cp"
ok $? "the crypto/cosig verifier accepts the cosignature"
like "$(cat "$T/check.out")" '^cosigned [1-9][0-9]*$' "and reads a timestamp from it"
is "$(state_size)" "$S1" "the state file holds the log's size"
is "$(stat -c %a "$STATE")" 600 "the state file is private"

# The bytes, checked without ankang's code: key id, big-endian time, and
# an Ed25519 signature over cosignature/v1, time, checkpoint body.
line=$(cut -d' ' -f3 "$T/w.body")
printf '%s' "$line" | base64 -d >"$T/sig.bin"
is "$(stat -c %s "$T/sig.bin")" 76 "76 bytes: key id, timestamp, signature"
is "$(head -c 4 "$T/sig.bin" | xxd -p)" "$(echo "$WVKEY" | cut -d+ -f2)" "key id first, as the vkey names it"
t=$((16#$(head -c 12 "$T/sig.bin" | tail -c 8 | xxd -p)))
is "cosigned $t" "$(cat "$T/check.out")" "then the timestamp, big-endian"
if command -v openssl >/dev/null; then
	{
		printf '302a300506032b6570032100'
		printf '%s' "$WB64" | base64 -d | tail -c 32 | xxd -p -c 64
	} | xxd -r -p >"$T/pk.der"
	openssl pkey -pubin -inform DER -in "$T/pk.der" -out "$T/pk.pem" 2>/dev/null
	{
		printf 'cosignature/v1\ntime %s\n' "$t"
		sed '/^$/q' "$T/c1.cp" | sed '$d'
	} >"$T/msg"
	tail -c 64 "$T/sig.bin" >"$T/sig64"
	openssl pkeyutl -verify -pubin -inkey "$T/pk.pem" -rawin -in "$T/msg" -sigfile "$T/sig64" >/dev/null 2>&1
	ok $? "openssl verifies the signature over cosignature/v1, time, body"
	printf 'cosignature/v1\ntime %s\n' "$((t + 1))" >"$T/msg2"
	sed '/^$/q' "$T/c1.cp" | sed '$d' >>"$T/msg2"
	openssl pkeyutl -verify -pubin -inkey "$T/pk.pem" -rawin -in "$T/msg2" -sigfile "$T/sig64" >/dev/null 2>&1
	ok $((! $?)) "and not over another time"
else
	ok 0 "# SKIP openssl not installed"
	ok 0 "# SKIP openssl not installed"
fi

# A cosignature on another note is not this one's.
# (the root's first character made another: "A", or "B" where it was "A")
awk 'NR == 3 { c = substr($0, 1, 1); $0 = (c == "A" ? "B" : "A") substr($0, 2) } { print }' \
	"$T/cosigned.note" >"$T/tampered.note" && mv "$T/tampered.note" "$T/cosigned.note"
"$W" check --vkey "$WVKEY" --note "$T/cosigned.note" >/dev/null 2>&1
ok $((! $?)) "tampered: the cosignature fails on a changed root"

# ---------------------------------------------------------------- growth, stale, bad proofs

svc_stop
svc_copy "$DIR" "$T/fork"
grow "$DIR" 3 main
grow "$T/fork" 3 other
svc_start "$DIR"
S2=$(checkpoint c2)
ok $([ "$S2" -gt "$S1" ] && echo 0 || echo 1) "the log grew ($S1 -> $S2)"
proof "$S1" "$S2" "$T/p12"
cp "$STATE" "$T/state.before"

add 0 /dev/null "$T/c2.cp"
is "$WST $(wtype) $(cat "$T/w.body")" "409 text/x.tlog.size $S1" \
	"a stale old (0): 409, text/x.tlog.size, the witness's size"
add "$S2" /dev/null "$T/c2.cp"
is "$WST $(cat "$T/w.body")" "409 $S1" "an old the witness never saw (the new size): 409 with its size"

sed '1s/^./'"$(head -c1 "$T/p12" | tr 'A-Za-z0-9+/' 'B-Za-z0-9+/A')"'/' "$T/p12" >"$T/p12.bad"
add "$S1" "$T/p12.bad" "$T/c2.cp"
is "$WST" 422 "a proof with a changed hash: 422"
add "$S1" /dev/null "$T/c2.cp"
is "$WST" 422 "no proof at all: 422"
head -n -1 "$T/p12" >"$T/p12.short"
add "$S1" "$T/p12.short" "$T/c2.cp"
is "$WST" 422 "a proof missing its last hash: 422"
cmp -s "$STATE" "$T/state.before"
ok $? "refused requests left the state file unchanged"

add "$S1" "$T/p12" "$T/c2.cp"
is "$WST" 200 "old $S1 with the server's proof to $S2: 200"
cosigned "$T/c2.cp"
ok $? "the cosignature verifies"
is "$(state_size)" "$S2" "the state moved to $S2"
add "$S2" /dev/null "$T/c2.cp"
is "$WST" 200 "the same checkpoint again (old = size, same root): 200"

# ---------------------------------------------------------------- a fork

F2=$(svc_sql "$T/fork/ankang.db" "select max(size) from log_checkpoints")
note_of "$T/fork" "$F2" "$T/f2.cp"
is "$F2" "$S2" "the fork has the same size"
ok $(cmp -s "$T/f2.cp" "$T/c2.cp" && echo 1 || echo 0) "but another checkpoint (same log key)"
cp "$STATE" "$T/state.before"
add "$S2" /dev/null "$T/f2.cp"
is "$WST $(wtype) $(cat "$T/w.body")" "409 text/x.tlog.size $S2" "the fork at the same size: 409"
add "$S1" "$T/p12" "$T/f2.cp"
is "$WST $(cat "$T/w.body")" "409 $S2" "the fork from the old size: 409 with the size"
cmp -s "$STATE" "$T/state.before"
ok $? "the fork left the state unchanged"

# ---------------------------------------------------------------- rollback

add "$S2" /dev/null "$T/c1.cp"
is "$WST" 400 "a smaller checkpoint with old = the witness's size: 400 (old beyond size)"
add "$S1" /dev/null "$T/c1.cp"
is "$WST $(cat "$T/w.body")" "409 $S2" "a smaller checkpoint with old = its own size: 409 with the size"
add 0 /dev/null "$T/c1.cp"
is "$WST $(cat "$T/w.body")" "409 $S2" "the first checkpoint replayed as new: 409"
cmp -s "$STATE" "$T/state.before"
ok $? "no rollback reached the state"

# ---------------------------------------------------------------- restart

svc_stop
grow "$DIR" 2 more
svc_start "$DIR"
S3=$(checkpoint c3)
proof "$S2" "$S3" "$T/p23"
wit_stop 1
is "$WSTATUS" 0 "the witness stops cleanly on SIGTERM"
wit_start 1 0 --log "$LOGVKEY"
add "$S1" "$T/p12" "$T/c2.cp"
is "$WST $(cat "$T/w.body")" "409 $S2" "after a restart the witness still knows $S2"
add "$S2" "$T/p23" "$T/c3.cp"
is "$WST" 200 "and cosigns $S2 -> $S3 with the proof"
cosigned "$T/c3.cp"
ok $? "the cosignature verifies"
is "$(state_size)" "$S3" "the state moved to $S3"

# ---------------------------------------------------------------- other logs

svc_init "$T/other" other.test
note_of "$T/other" 0 "$T/o.cp"
add 0 /dev/null "$T/o.cp"
is "$WST" 404 "an origin the witness does not know: 404"
svc_init "$T/impostor"
note_of "$T/impostor" 0 "$T/i.cp"
like "$(head -1 "$T/i.cp")" "^$ORIGIN\$" "an impostor log with the same origin"
add "$S3" /dev/null "$T/i.cp"
is "$WST" 403 "signed by another key: 403"
sed '2s/.*/'"$((S3 + 1))"'/' "$T/c3.cp" >"$T/c3.size"
add "$S3" /dev/null "$T/c3.size"
is "$WST" 403 "the log's checkpoint with a changed size (signature no longer good): 403"
sed '/^—/d' "$T/c3.cp" >"$T/c3.nosig"
add "$S3" /dev/null "$T/c3.nosig"
is "$WST" 400 "a checkpoint without signature lines: 400"

# The spec's own example body parses (its origin is unknown here).
jq -r '.c2sp.add_checkpoint_body' tests/vectors/cosig.json >"$T/spec.req"
truncate -s -1 "$T/spec.req" # jq -r adds a newline
wpost "$T/spec.req"
is "$WST" 404 "the C2SP example request parses, and its log is unknown: 404"

# ---------------------------------------------------------------- bad input

cp "$STATE" "$T/state.before"
bad() { # bad WANT DESC: posts $T/req
	wpost "$T/req"
	is "$WST" "$1" "$2"
}
head -c 3000 /dev/urandom >"$T/req"; bad 400 "random bytes: 400"
: >"$T/req"; bad 400 "an empty body: 400"
printf 'old 1\n' >"$T/req"; bad 400 "no empty line, no checkpoint: 400"
body "0$S3" /dev/null "$T/c3.cp" >"$T/req"; bad 400 "old with a leading zero: 400"
body "-1" /dev/null "$T/c3.cp" >"$T/req"; bad 400 "old -1: 400"
body "99999999999999999999999" /dev/null "$T/c3.cp" >"$T/req"; bad 400 "old beyond 2^64: 400"
{ printf 'new %s\n\n' "$S3"; cat "$T/c3.cp"; } >"$T/req"; bad 400 "no old line: 400"
printf '!!!!\n' >"$T/p.bad"
body "$S3" "$T/p.bad" "$T/c3.cp" >"$T/req"; bad 400 "a proof line that is not base64: 400"
printf 'AAAA\n' >"$T/p.bad"
body "$S3" "$T/p.bad" "$T/c3.cp" >"$T/req"; bad 400 "a proof line that is not 32 bytes: 400"
for i in $(seq 1 64); do head -1 "$T/p23"; done >"$T/p.bad"
body "$S3" "$T/p.bad" "$T/c3.cp" >"$T/req"; bad 400 "64 proof lines (the spec allows 63): 400"
head -c 20000 /dev/zero | tr '\0' 'A' >"$T/req"; bad 413 "a 20 kB body: 413"
head -c 3000000 /dev/zero >"$T/req"; bad 413 "a 3 MB body: 413"
printf 'old 0\n\nabc' >"$T/req"; bad 400 "a checkpoint that is one unterminated line: 400"
WST=$(curl -s -o /dev/null -w '%{http_code}' "${WURL[1]}/add-checkpoint")
is "$WST" 405 "GET add-checkpoint: 405"
WST=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T/c3.cp" "${WURL[1]}/other")
is "$WST" 404 "another path: 404"
kill -0 "${WPID[1]}" 2>/dev/null
ok $? "the witness is still running"
cmp -s "$STATE" "$T/state.before"
ok $? "bad input left the state unchanged"

# ---------------------------------------------------------------- a state it cannot trust

wit_stop 1
"$W" serve --key "$T/w1.key" --state "$STATE" --port-file "$T/wport2" \
	--log "$(cat "$T/other/public/log.vkey")" 2>/dev/null
is $? 2 "a state naming a log it is no longer given: refuses to start"
cp "$STATE" "$T/state.good"
printf 'garbage\n' >"$STATE"
"$W" serve --key "$T/w1.key" --state "$STATE" --port-file "$T/wport2" --log "$LOGVKEY" 2>/dev/null
is $? 2 "a corrupt state file: refuses to start"
cp "$T/state.good" "$STATE"

svc_stop
done_testing
