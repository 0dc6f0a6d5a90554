#!/usr/bin/env bash
# service_crash: `ankangd serve` survives SIGKILL under a mixed load
# (issue 10, "Faults survived").
#
# Two load generators (bash and curl, below) live residents' lives
# against the service: an officer enrols one, who logs in and fetches a
# code; a verifier checks it online; the officer sets the status, looks
# the resident up; the resident reads their history; the verifier uploads
# an offline scan; every other resident erases themselves. Each answer
# seen 2xx is recorded, as it arrives, with the leaf it must have: the
# answer's log_index and the expected action and resident where the
# answer carries one (enroll, issue, status_set, lookup, history_read,
# erase); for the answers that carry none, what to look for (a verify
# leaf naming the code's cti and its holder; a login leaf of the
# resident's; as many verify_offline leaves as scans accepted).
#
# The service is killed with SIGKILL at a random moment, 20 times. After
# each kill `ankangd check` passes, the service starts again (it runs the
# same check first and refuses a bad log), and `ankang-audit verify`
# passes against the state it saved before the first kill: the log after
# the kill is an extension of the one the auditor saw. At the end the
# auditor reads every entry, and each recorded answer has its leaf: the
# right action, and as subject the resident's pseudonym (the subject of
# the resident's enroll leaf, the same for all of one resident's leaves;
# no two residents share one), as service_day.sh checks a calm day.
# A SIGKILL loses the process, not the page cache: this tests the order
# (no answer before its COMMIT), not the disk's honesty about fsync.
#
# The residents are made up; output never shows a name, number or token.
# Bounded: 20 rounds of at most 1 s of load plus checks, about 40 s.
. tests/lib/tap.sh
. tests/lib/service.sh
. tests/lib/answers.sh
need_cmds curl jq

ROUNDS=20
AUDIT=$ANKANG_BIN/ankang-audit
D=$T/d
svc_init "$D" || { echo "Bail out! ankangd init failed"; exit 1; }
load_accounts "$D"
SERVE_OPTS=(--quiet --officer-reads 100000)

# ---------------------------------------------------------- the load
# req W METHOD PATH TOKEN [BODY]: one request of worker W; ST and the
# body in $T/w$W.body. Fails when the service is gone (no HTTP answer).
req() {
	local w=$1 method=$2 path=$3 token=$4
	local args=(-s -o "$T/w$w.body" -w '%{http_code}' --max-time 10 -X "$method")
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ $# -ge 5 ] && args+=(-H 'Content-Type: application/json' --data-binary "$5")
	echo "$method" >>"$T/requests" # counted
	ST=$(curl "${args[@]}" "$URL$path") || ST=000
	BODY=$(cat "$T/w$w.body" 2>/dev/null)
	[ "$ST" != 000 ]
}
# field NAME: a string or number field of the last body (flat JSON).
field() {
	if [[ $BODY =~ \"$1\":\ ?\"?([^\",}]*) ]]; then
		echo "${BASH_REMATCH[1]}"
	fi
}
# rec ACTION INDEX RESIDENT: one answer seen 2xx, and the leaf it needs.
rec() { echo "$1 $2 $3" >>"$T/answers"; }

# load W ROUND: residents W.ROUND.1, W.ROUND.2, ... until the service is
# gone (or 100 of them). ID numbers: 1950+ROUND-0W-DD-NNN, never reused.
load() {
	local w=$1 r=$2 off n id pass res tok cred code rid
	off=$OFF1
	[ "$w" = 2 ] && off=$OFF2
	for n in $(seq 1 100); do
		rid=$w.$r.$n
		id=$(gb_id "110105$((1950 + r))0${w}$(printf '%02d%03d' $((n % 28 + 1)) $((n / 28)))")
		pass="made up passphrase $rid"
		req "$w" POST /v1/enroll "$off" "{\"name\":\"Test Resident\",\"id_number\":\"$id\",\"passphrase\":\"$pass\"}" || return 0
		[ "$ST" = 201 ] || continue
		res=$(field resident)
		rec enroll "$(field log_index)" "$rid"
		req "$w" POST /v1/login "" "{\"id_number\":\"$id\",\"passphrase\":\"$pass\"}" || return 0
		[ "$ST" = 200 ] || continue
		tok=$(field token)
		rec login - "$rid"
		req "$w" GET /v1/me/code "$tok" || return 0
		[ "$ST" = 200 ] || continue
		cred=$(field credential)
		code=$(field log_index)
		rec issue "$code" "$rid"
		req "$w" POST /v1/verify "$VER" "{\"credential\":\"$cred\"}" || return 0
		[ "$ST" = 200 ] && rec verify "$code" "$rid"
		req "$w" PUT "/v1/residents/$res/status" "$off" '{"status":"yellow","reason":"close_contact"}' || return 0
		[ "$ST" = 200 ] && rec status_set "$(field log_index)" "$rid"
		req "$w" POST /v1/lookup "$off" "{\"id_number\":\"$id\",\"purpose\":\"appeal_review\"}" || return 0
		[ "$ST" = 200 ] && rec lookup "$(field log_index)" "$rid"
		req "$w" GET /v1/me/history "$tok" || return 0
		[ "$ST" = 200 ] && rec history_read "$(field log_index)" "$rid"
		req "$w" POST /v1/scans "$VER" "{\"scans\":[{\"id\":\"$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')\",\"time\":$(date +%s),\"result\":\"malformed\"}]}" || return 0
		[ "$ST" = 200 ] && rec verify_offline "$(field accepted)" -
		if [ $((n % 2)) = 0 ]; then
			req "$w" DELETE /v1/me "$tok" || return 0
			[ "$ST" = 200 ] && rec erase "$(field log_index)" "$rid"
		fi
	done
}

# audit_verify ROUND: ankang-audit verify against the state saved before
# the kills (a fresh copy each time, so each round is held to it).
audit_verify() {
	cp "$T/audit.state0" "$T/audit.state"
	"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
		--state "$T/audit.state" >"$T/audit.out" 2>&1
}

# ------------------------------------------------- the state before kills
: >"$T/answers"
svc_start "$D" "${SERVE_OPTS[@]}"
at_exit svc_stop
load 1 0 &
load 2 0 &
nap 500
svc_stop # SIGTERM under load: drained, and the final checkpoint signed
wait
is "$SERVER_STATUS" 0 "SIGTERM under load: the service drains its requests and stops cleanly"
grep -q 'Fatal error' "$T/serve.log"
ok $((!$?)) "with no suspended request left behind (libmicrohttpd's abort)"
svc_start "$D" "${SERVE_OPTS[@]}"
"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
	--state "$T/audit.state0" >"$T/audit.out" 2>&1
ok $? "before the kills: ankang-audit verify passes and saves its state"
before=$(lines "$T/answers")

# -------------------------------------------------------------- the kills
checks=0
verified=0
for i in $(seq 1 $ROUNDS); do
	load 1 "$i" &
	load 2 "$i" &
	# 200-999 ms, so kills land in enrolments, group commits, erasures'
	# checkpoints of the WAL, and whatever else the load is doing.
	nap $((200 + $(rnd) % 800))
	kill -KILL "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	wait # the generators stop at their first unanswered request
	"$ANKANG_BIN/ankangd" check --data "$D" >"$T/check.out" 2>&1
	rc=$?
	ok $rc "kill $i: ankangd check passes"
	[ $rc = 0 ] && checks=$((checks + 1))
	svc_start "$D" "${SERVE_OPTS[@]}"
	audit_verify
	if [ $? = 0 ]; then
		verified=$((verified + 1))
		ok 0 "kill $i: the service starts again; ankang-audit verify passes against the saved state"
	else
		ok 1 "kill $i: the service starts again; ankang-audit verify passes against the saved state"
		grep '^FAIL' "$T/audit.out" | head -3 | sed 's/^/# /' >&2
	fi
done
is "$checks/$verified" "$ROUNDS/$ROUNDS" "every self-check and every audit passed"

# ------------------------------------------------ every answer has its leaf
all_entries "$AUD" "$T/entries.jsonl" 100
is "$(jq -s '[.[].index] == [range(0; length)]' "$T/entries.jsonl")" true \
	"the auditor reads every entry, numbered without gaps"

answers_missing "$T/entries.jsonl" "$T/answers" >"$T/missing"
ok $? "the checker ran"
total=$(lines "$T/answers")
is "$(head -5 "$T/missing")" "" "each of the $total answers seen 2xx has its leaf, action and subject"
# The checker's tampered twins: answers whose leaves are not there.
answers_twins "$T/entries.jsonl" "$T/answers" 5 >"$T/answers.bad"
is "$(answers_missing "$T/entries.jsonl" "$T/answers.bad" | wc -l)" 5 "and it finds each of five answers given a leaf they lack"
answers_counts "$T/answers"
diag "$ROUNDS kills; $(lines "$T/requests") requests, $total answers seen 2xx ($before before the kills), $(lines "$T/entries.jsonl") leaves"
ok "$([ $((total - before)) -gt $((ROUNDS * 2)) ]; echo $?)" "the load made progress between kills"
done_testing
