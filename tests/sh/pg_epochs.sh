#!/usr/bin/env bash
# pg_epochs: the KEK's epochs on two front-ends sharing one PostgreSQL
# database (service/epochshare.h; docs/MULTINODE.md, "Epoch keys on
# several nodes"; SECURITY.md). Skips without PostgreSQL.
#
#   Two `ankangd serve` on one store, each with its own copy of the keys
#   folder; residents enrolled through both; a rotation asked for with
#   `keys rotate-epoch` completes, and every resident's code is fetched
#   through either node before, during and after it; both epochs files
#   end with the same single epoch, and every key is under it.
#   A genuine request is answered; a forged one (wrong MAC) is not; a
#   forged answer (a box of a key the forger knows) is refused by the
#   node. Dumps of the database (one while a real answer sat in it, one
#   mid-rotation, one after) hold no epoch key in the clear and no blob
#   that opens with the KEK or any key the test holds, once the one-time
#   key is wiped. The floor: no key can be written under a destroyed
#   epoch, even by the node's own role.
#   A node stopped (SIGSTOP) during a rotation holds it back only for
#   --epoch-stale seconds, then fetches the new epoch and serves again; a
#   node started with a stale keys folder fetches before it serves, and
#   with no leader to answer it refuses to start, saying why.
#
# Made-up personal data only, compared and never printed; no key printed.
. tests/lib/tap.sh
need_cmds curl jq
export ANKANG_TEST_STORE=pg
. tests/lib/service.sh
A=$ANKANG_BIN/ankangd
PROBE=${ANKANG_HELPERS:-build/tests/helpers}/epoch_probe
[ -x "$PROBE" ] || PROBE=build/tests/helpers/epoch_probe
STALE=4
D1=$T/n1
D2=$T/n2
D3=$T/n3

svc_init "$D1" || bail_out "init on PostgreSQL failed"
cp -a "$D1" "$D2"
cp -a "$D1" "$D3" # a third node's folder, kept stale
SQ() { svc_sql "$D1/ankang.db" "$1"; }
SQN() { pg_psql "$(pg_url "$PG_SOCK" "ak$SVC_DBS" ankang_node)" "$1" 2>&1; }

. tests/lib/nodes.sh

# --- two nodes ----------------------------------------------------------------
nodes_deploy 2
until_sql "select count(*) from epochs where state = 'held'" 1
ok $? "the leader lists its epoch in the database (metadata only)"
until_sql "select count(*) from epoch_nodes where newest = 1" 2
ok $? "both nodes say they hold epoch 1"
is "$(SQ "select count(*) from information_schema.columns where table_name like 'epoch%'
	and data_type = 'bytea' and column_name not in ('check_value', 'request', 'answer')")" 0 \
	"the epoch tables have no other bytes than check values, requests and answers"

# Residents through both nodes: node 1 enrols the odd ones, node 2 the even.
N=6
NAMES=(- 一 二 三 四 五 六)
for i in $(seq 1 $N); do
	[ $((i % 2)) -eq 1 ] && URL=$U1 || URL=$U2
	id=$(gb_id "1101051980010$((1000 + i))")
	svc_enrol "测试乙${NAMES[i]}" "$id" "made up pass $i"
	[ "$ST" = 201 ] || diag "enrol $i: $ST"
	svc_login "$id" "made up pass $i"
	TOK[i]=$(jbody .token)
done
ok "$([ "$(SQ "select count(*) from residents where wrapped_key is not null")" = $N ] && echo 0 || echo 1)" \
	"$N residents enrolled, half through each node"
# codes_both: every resident's code through both nodes; the failures.
codes_both() {
	local bad=0 i u
	for i in $(seq 1 $N); do
		for u in "$U1" "$U2"; do
			URL=$u
			api GET /v1/me/code "${TOK[i]}"
			[ "$ST" = 200 ] || bad=$((bad + 1))
		done
	done
	echo $bad
}
is "$(codes_both)" 0 "before: every code through either node"

# --- a genuine request, a forged one ------------------------------------------
KEK=$D1/keys/kek.key
C1=$(SQ "select created from epochs where number = 1")
MADE=$(($(date +%s) * 1000))
REQ=$("$PROBE" request "$KEK" probe-node 1 $MADE "$T/probe.sk")
ok $? "the probe makes a request with the KEK"
SQ "insert into epoch_requests (node, number, made, request) values
	('probe-node', 1, $MADE, '\\x$REQ')" >/dev/null
until_sql "select count(*) from epoch_requests where node = 'probe-node' and answer is not null" 1
ok $? "the leader answers a request made with the KEK"
ANS=$(SQ "select encode(answer, 'hex') from epoch_requests where node = 'probe-node'")
"$PROBE" open "$KEK" "$T/probe.sk" "${REQ:0:64}" "$ANS" 1 "$C1"
ok $? "the answer verifies and opens with the one-time key"
# The database as a backup would hold it now, answer included.
"$PG_BIN/pg_dump" "$(pg_url "$PG_SOCK" "ak$SVC_DBS" ankang_super)" >"$T/dump1.sql"
ok $? "a dump while the answer sits in the database"
rm -f "$T/probe.sk" # the one-time key forgotten, as a node forgets it
FORGED=$(head -c 64 /dev/urandom | xxd -p -c 64)
SQ "insert into epoch_requests (node, number, made, request) values
	('dba', 1, $MADE, '\\x$FORGED')" >/dev/null
until_log "$T/serve1.log" "does not verify (not made with"
ok $? "the leader says a request does not verify"
is "$(SQ "select count(*) from epoch_requests where node = 'dba' and answer is not null")" 0 \
	"a forged request (wrong MAC) gets no answer"
SQ "delete from epoch_requests" >/dev/null

# --- a rotation, with codes fetched throughout ----------------------------------
cp "$D1/keys/epochs.key" "$T/epochs1.key"
"$A" keys rotate-epoch --data "$D1" >"$T/rot.out" 2>&1
ok $? "keys rotate-epoch while nodes run"
like "$(cat "$T/rot.out")" "asked for" "it asks the running leader"
bad=0
DUMPED=0
for r in $(seq 1 "$(patience 100)"); do
	bad=$((bad + $(codes_both)))
	if [ $DUMPED = 0 ] && [ "$(SQ "select count(*) from epochs where number = 2")" = 1 ]; then
		"$PG_BIN/pg_dump" "$(pg_url "$PG_SOCK" "ak$SVC_DBS" ankang_super)" >"$T/dump2.sql"
		DUMPED=1
		cp "$D2/keys/epochs.key" "$T/epochs2-mid.key"
	fi
	[ "$(SQ "select floor from epoch_state")" = 2 ] &&
		[ "$(epochs_of "$D1" 1-2 | wc -w)" = 2 ] && [ "$(epochs_of "$D2" 1-2 | wc -w)" = 2 ] && break
	sleep 0.1
done
is "$DUMPED" 1 "a dump taken mid-rotation (epoch 2 made)"
is "$bad" 0 "during: every code through either node, every round"
is "$(SQ "select floor from epoch_state")" 2 "the rotation completes: the floor is epoch 2"
is "$(epochs_of "$D1" 1-2)" "$(epochs_of "$D2" 1-2)" "both epochs files hold the same epochs"
like "$(epochs_of "$D1" 1-2)" "^2 [0-9]+$" "one epoch: 2"
is "$(SQ "select count(*) from residents where key_epoch <> 2")" 0 "every key is under epoch 2"
is "$(codes_both)" 0 "after: every code through either node"

# --- the floor -----------------------------------------------------------------
like "$(SQN "update residents set key_epoch = 1 where id = (select min(id) from residents)")" \
	"below the floor" "a key under a destroyed epoch is refused, the node's own role included"
is "$(SQ "select count(*) from residents where key_epoch < (select floor from epoch_state)")" 0 \
	"no row is under an epoch below the floor"
like "$(SQN "delete from epoch_state")" "permission denied" "the node's role cannot delete the floor"

# --- what a backup holds -------------------------------------------------------
"$PG_BIN/pg_dump" "$(pg_url "$PG_SOCK" "ak$SVC_DBS" ankang_super)" >"$T/dump3.sql"
cat "$T/dump1.sql" "$T/dump2.sql" "$T/dump3.sql" >"$T/dumps.sql"
# Every bytea of the epoch tables in the three dumps, and the answer seen.
{
	echo "$ANS"
	grep -ho '\\\\x[0-9a-f]*' "$T/dumps.sql" | sed 's/^\\\\x//' | sort -u
} >"$T/blobs"
out=$("$PROBE" scan "$KEK" "$T/dumps.sql" "$T/blobs" "$T/epochs1.key" "$T/epochs2-mid.key" \
	"$D1/keys/epochs.key" "$D2/keys/epochs.key")
like "$out" "^keys [2-9][0-9]* blobs [1-9][0-9]* " "the probe holds both epochs' keys and the dumps' blobs"
like "$out" " opened 0 clear 0$" \
	"no dump holds an epoch key in the clear, nor a blob the KEK or any known key opens"

# --- a node stopped during a rotation ------------------------------------------
kill -STOP "$P2"
"$A" keys rotate-epoch --data "$D1" >/dev/null 2>&1
until_sql "select floor from epoch_state" 3
ok $? "with node 2 stopped, the rotation completes once it is stale ($STALE s)"
until_log "$T/serve1.log" "not seen for"
ok $? "the leader's log names the stale node"
metric() { awk -v k="$1" '$1 == k {print $2; f = 1} END {if (!f) print "none"}' "$T/r.body"; }
ADM=$(svc_account "$D1" admin ops)
URL=$U1
for i in $(seq 1 "$(patience 100)"); do
	api GET /metrics "$ADM"
	[ "$(metric ankang_epochs_floor)" = 3 ] && [ "$(metric ankang_epochs_stale_nodes)" = 1 ] && break
	sleep 0.1
done
is "$(metric ankang_epochs_leader) $(metric ankang_epochs_floor)" "1 3" \
	"/metrics: node 1 leads, the floor is 3"
is "$(metric ankang_epochs_stale_nodes)" 1 "/metrics: the leader counts one stale node"
kill -CONT "$P2"
for i in $(seq 1 "$(patience 300)"); do
	[ "$(epochs_of "$D2" 1-2)" = "$(epochs_of "$D1" 1-2)" ] && break
	sleep 0.1
done
is "$(epochs_of "$D2" 1-2)" "$(epochs_of "$D1" 1-2)" "resumed, node 2 fetches epoch 3 and destroys 2"
is "$(codes_both)" 0 "and serves every code again"

# --- a node with a stale keys folder -------------------------------------------
node_stop "$P1"
node_stop "$P2"
PIDS=()
rm -f "$T/port3"
"$A" serve --data "$D3" --listen 127.0.0.1:0 --port-file "$T/port3" --epoch-seconds 0 \
	--epoch-stale $STALE 2>"$T/serve3.log" &
P3=$!
PIDS+=("$P3")
until_sql "select count(*) from epoch_requests where answer is null" 1
ok $? "a node with a stale epochs file asks for the epoch it lacks"
PK=$(SQ "select encode(substring(request from 1 for 32), 'hex') from epoch_requests")
C3=$(SQ "select created from epochs where number = 3")
SQ "update epoch_requests set answer = '\\x$("$PROBE" forge "$PK" 3 "$C3")'" >/dev/null
until_log "$T/serve3.log" "refused an answer that does not verify"
ok $? "a forged answer (a key the forger knows, a guessed MAC) is refused"
for i in $(seq 1 "$(patience 400)"); do
	kill -0 "$P3" 2>/dev/null || break
	sleep 0.1
done
wait "$P3"
rc=$?
[ "$rc" != 0 ]
ok $? "with no leader to answer, it does not start"
like "$(cat "$T/serve3.log")" "no leader answered" "and says why"
like "$(epochs_of "$D3" 1-2)" "^1 [0-9]+$" "its epochs file is as it was"
node_start 1 "$D1" || bail_out "node 1 did not start again"
node_start 3 "$D3"
ok $? "with the leader back, the stale node starts"
is "$(epochs_of "$D3" 1-2)" "$(epochs_of "$D1" 1-2)" "having fetched epoch 3 and destroyed epoch 1"
U2=$U3
is "$(codes_both)" 0 "every code through both nodes"

# --- an altered listing destroys nothing ----------------------------------------
CHK=$(SQ "select encode(check_value, 'hex') from epochs where number = 3")
SQ "update epochs set check_value = '\\x$(head -c 32 /dev/urandom | xxd -p -c 32)'
	where number = 3" >/dev/null
until_log "$T/serve1.log" "does not match the database's check value"
ok $? "an altered check value: the node says its copy does not match"
SQ "update epochs set check_value = '\\x$CHK' where number = 3" >/dev/null
like "$(epochs_of "$D1" 1-2)" "^3 [0-9]+$" "and keeps its epoch: the database cannot make a node destroy one"
is "$(codes_both)" 0 "every code, the listing restored"
is "$(cat "$T"/serve*.log | grep -c '测试乙')" 0 "no personal data in the nodes' logs"
done_testing
