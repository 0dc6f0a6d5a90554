#!/usr/bin/env bash
# verify_spool_crash: the verifier's spool survives SIGKILL (issue 10,
# "Faults survived").
#
# A stream of codes (valid, of an unknown key, badly signed, malformed) is piped
# into `ankang-verify -`, which spools each scan and fdatasyncs it before
# printing its result line. The verifier is killed with SIGKILL at a
# random moment, a dozen times over the same spool, and after each kill:
#   - no acknowledged record is lost: the spool as it was before the run
#     is still its prefix, byte for byte, and the run added one line per
#     result line printed, in order and with the same result word, plus at
#     most one batch more (spooled, killed before it was printed: codes
#     waiting on stdin together are spooled with one fdatasync, then
#     printed, at most 1024 at a time, SPOOL_BATCH_MAX);
#   - every line is whole and parses (the spool has no chain or checksum:
#     a whole line is one that ends in LF and has the strict format);
#   - a torn last line, as a crash mid-write would leave it (appended by
#     the test: a SIGKILL cannot tear one small write(2) to a file), is
#     dropped by the next start, and the lines before it are untouched.
# Then `ankang-verify sync` with the server down changes nothing (spool,
# sent offset, lists and the folders' listings) and says so on one line,
# exit 2; with the server up it uploads every line, once.
# Bounded: 12 rounds of at most 0.5 s plus checks, about 10 s.
. tests/lib/tap.sh
. tests/lib/service.sh

ROUNDS=12
VERIFY=$ANKANG_BIN/ankang-verify
need_helpers mkcred
command -v curl >/dev/null || skip_all "curl is needed to probe the server"

DATA=$T/data
V=$T/v
SP=$V/spool/scans
svc_init "$DATA" || { echo "Bail out! ankangd init failed"; exit 1; }
TOKEN=$(svc_account "$DATA" verifier checkpoint-1)
mkdir -p "$V" && chmod 700 "$V"
cp "$DATA/public/root.vkey" "$DATA/public/trust.note" "$DATA/public/revocations.note" "$V/"

# The codes of the stream: four different results (the one dated before
# the issuer key's window is unknown_key).
{
	printf 'Test Resident\n' | "$ANKANG_BIN/ankangd" issue --data "$DATA" --name - \
		--status green --ttl 86400
	printf 'Test Resident\n' | "$H/mkcred" --data "$DATA" --status yellow \
		--iat -7200 --exp -3600
	printf 'Test Resident\n' | "$H/mkcred" --data "$DATA" --status green \
		--iat +0 --exp +3600 --bad-sig
	echo 'AK1:not-a-code'
} >"$T/codes"
is "$(wc -l <"$T/codes")" 4 "four codes to stream"
"$VERIFY" --dir "$V" --no-spool - <"$T/codes" | cut -d' ' -f1 | tr '\n' ' ' >"$T/kinds"
is "$(cat "$T/kinds")" "valid unknown_key bad_signature malformed " \
	"the stream holds four different results"

LINE_RE='^[0-9a-f]{32} (- [0-9]+ [a-z_]+ -|[0-9a-f]{32} [0-9]+ [a-z_]+ [0-9a-f]{128})$'

printed=0
torn=0
: >"$T/before"
for i in $(seq 1 $ROUNDS); do
	size0=$(fsize "$SP")
	cp "$T/before" "$T/prefix" # the spool as the last run left it
	# Every third round starts on a torn tail: the first 40 bytes of a
	# line (the shortest is 58), no LF.
	if [ $((i % 3)) = 0 ] && [ "$size0" -gt 0 ]; then
		tail -1 "$SP" | head -c 40 >>"$SP"
		torn=$((torn + 1))
	fi
	# A bounded feeder: the stream's four codes every 10 ms; it ends at
	# its first write after the verifier is gone (SIGPIPE).
	(for _ in $(seq 1 "$(patience 200)"); do cat "$T/codes" || exit 0; sleep 0.01; done) |
		"$VERIFY" --dir "$V" - >"$T/out.$i" 2>"$T/err.$i" &
	pid=$!
	nap $((100 + $(rnd) % 400))
	kill -KILL $pid 2>/dev/null
	wait 2>/dev/null
	is "$(cat "$T/err.$i")" "" "round $i: the verifier ran without an error until killed"
	p=$(lines "$T/out.$i")
	printed=$((printed + p))
	cmp -s -n "$size0" "$SP" "$T/prefix"
	ok $? "round $i: the spool before the run is intact (the torn tail is dropped, no more)"
	tail -c +$((size0 + 1)) "$SP" >"$T/new.$i"
	a=$(lines "$T/new.$i")
	ok "$([ "$a" -ge "$p" ] && [ "$a" -le $((p + 1024)) ]; echo $?)" \
		"round $i: $p results printed, $a scans spooled (every printed one, at most a batch more)"
	is "$(head -n "$p" "$T/new.$i" | cut -d' ' -f4 | md5sum)" "$(cut -d' ' -f1 "$T/out.$i" | md5sum)" \
		"round $i: the spooled scans are the printed ones, in order"
	is "$(grep -Evc "$LINE_RE" "$SP")" 0 "round $i: every line of the spool is whole and parses"
	cp "$SP" "$T/before"
done
diag "$printed results printed across $ROUNDS kills, $torn torn tails dropped"
ok "$([ "$printed" -gt 0 ]; echo $?)" "the verifier made progress between kills"
total=$(lines "$SP")

"$VERIFY" status --dir "$V" >"$T/status" 2>&1
like "$(grep '^spool:' "$T/status")" "^spool: [0-9]+ bytes, $total scans? unsent" \
	"status counts every line as unsent, and nothing else"

# ------------------------------------------------- sync with the server down
snapshot() {
	{
		ls -la "$V" "$V/spool" | awk '{ print $1, $5, $NF }'
		md5sum "$SP" "$V/trust.note" "$V/revocations.note"
	} >"$1"
}
PORT=$(free_port) || { echo "Bail out! no free port"; exit 1; }
snapshot "$T/snap.before"
"$VERIFY" sync --server "http://127.0.0.1:$PORT" --token "$TOKEN" --dir "$V" \
	>"$T/out" 2>"$T/err"
is $? 2 "sync with the server down: exit 2"
is "$(wc -l <"$T/err")" 1 "one line on stderr"
like "$(cat "$T/err")" "^ankang-verify: sync: .*unchanged" "saying the held lists are unchanged"
is "$(cat "$T/out")" "" "nothing on stdout"
snapshot "$T/snap.after"
cmp -s "$T/snap.before" "$T/snap.after"
ok $? "the spool, the lists and the folders are as they were (no sent offset, no temporary file)"
grep -q "$TOKEN" "$T/err"
ok $((!$?)) "the message does not hold the token"

# ------------------------------------------------------- and with it up
svc_start "$DATA" --quiet
at_exit svc_stop
"$VERIFY" sync --server "$URL" --token "$TOKEN" --dir "$V" >"$T/out" 2>"$T/err"
ok $? "sync with the server up"
is "$(grep '^scans:' "$T/out")" "scans: $total uploaded ($total new, 0 already there)" \
	"every spooled scan is uploaded once"
is "$(cat "$T/err")" "" "no line skipped"
is "$(cat "$V/spool/sent")" "$(fsize "$SP")" "the sent offset is the end of the spool"
done_testing
