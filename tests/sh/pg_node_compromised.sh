#!/usr/bin/env bash
# pg_node_compromised: one of three front-ends on one PostgreSQL database
# is compromised, and docs/MULTINODE.md's procedure ("A compromised
# node") is applied; then the thief's copy of its folder is tried
# (SECURITY.md, "A compromised front-end"). Skips without PostgreSQL.
#
#   Three nodes, each logging in as a role of its own (ankang_node1..3,
#   members of ankang_service), each with a copy of the keys folder. Node
#   3's folder is copied away while it runs (the theft), then:
#     1. its role is shut out: REVOKE ankang_service (at once it may no
#        longer read or write the epoch tables, even in a session still
#        open), ALTER ROLE ... NOLOGIN, its sessions ended;
#     2. nodes 1 and 2 are stopped (the downtime), `keys rotate
#        --compromised` runs on node 1's folder, and the new issuer key
#        and trust list are copied to node 2's; both start again;
#     3. `keys rotate-epoch` while they run: the leader makes a new
#        epoch, both nodes fetch it, every key is re-wrapped under it, and
#        the epochs the thief holds are destroyed.
#   After it, the copy: cannot connect (check, serve, psql); a code it
#   mints with the old issuer key, at the time it is minted or backdated
#   into the old key's window, is refused by ankang-verify and by POST
#   /v1/verify on both nodes (unknown_key), as are genuine codes of the
#   old key (a resident fetches a new one, which verifies); its epochs
#   file lacks the new epoch, and no live key is under an epoch it holds.
#   The two nodes serve, and `ankang-audit verify` passes.
#
# Made-up personal data only, compared and never printed; no key printed.
. tests/lib/tap.sh
need_cmds curl jq
export ANKANG_TEST_STORE=pg
. tests/lib/service.sh
need_helpers mkcred
MKCRED=$H/mkcred
A=$ANKANG_BIN/ankangd
VERIFY=$ANKANG_BIN/ankang-verify
STALE=4
D1=$T/n1
D2=$T/n2
D3=$T/n3
STOLEN=$T/stolen

# --- three nodes, three roles, one database ----------------------------------
pg_psql "$ANKANG_PG_SUPER_URL" "CREATE ROLE ankang_node1 LOGIN IN ROLE ankang_service;
	CREATE ROLE ankang_node2 LOGIN IN ROLE ankang_service;
	CREATE ROLE ankang_node3 LOGIN IN ROLE ankang_service" >/dev/null ||
	bail_out "could not make the nodes' roles"
_svc_newdb || bail_out "no database"
DB=ak$SVC_DBS
node_url() { pg_url "$PG_SOCK" "$DB" "ankang_node$1"; }
"$A" init --data "$D1" --origin ankang.test --store "$(node_url 1)" \
	--store-owner "$(pg_url "$PG_SOCK" "$DB" ankang_owner)" >/dev/null || bail_out "init failed"
VER=$(svc_account "$D1" verifier gate-1)
for n in 2 3; do
	cp -a "$D1" "$T/n$n"
	sed -i "s|user=ankang_node1|user=ankang_node$n|" "$T/n$n/ankang.conf"
done
SUPER=$(pg_url "$PG_SOCK" "$DB" ankang_super)
SQ() { pg_psql "$SUPER" "$1"; }
AS3() { pg_psql "$(node_url 3)" "$1" 2>&1; }

. tests/lib/nodes.sh
verify_on() { URL=$1 api POST /v1/verify "$VER" "$(jq -nc --arg c "$2" '{credential: $c}')"; }
offline() { "$VERIFY" --dir "$T/lists" --json "$1" 2>/dev/null | jq -r .result 2>/dev/null; }
lists() {
	rm -rf "$T/lists" && mkdir -p "$T/lists" &&
		cp "$1/public/trust.note" "$1/public/root.vkey" "$1/public/revocations.note" "$T/lists/"
}
mint() { echo "测试丁盗" | "$MKCRED" --data "$STOLEN" --status green --iat "$1" --exp "$2"; }

nodes_deploy 3
until_sql "select count(*) from epoch_nodes where newest = 1" 3
ok $? "three nodes, each as its own role, hold epoch 1"
is "$(SQ "select count(distinct usename) from pg_stat_activity where usename like 'ankang_node_'")" 3 \
	"pg_stat_activity names the three roles"

ID1=$(gb_id 11010519800102011)
URL=$U1 svc_enrol "测试丁一" "$ID1" "made up pass one"
is "$ST" 201 "a resident enrols through node 1"
URL=$U2 svc_login "$ID1" "made up pass one"
TOK1=$(jbody .token)
URL=$U3 api GET /v1/me/code "$TOK1"
is "$ST" 200 "and gets a code from node 3"
OLD_CODE=$(jbody .credential)
verify_on "$U2" "$OLD_CODE"
is "$(jbody .result)" valid "node 2 verifies it"

# --- the theft ----------------------------------------------------------------
cp -a "$D3" "$STOLEN"
ok $? "node 3's folder is copied away while it runs"
lists "$D1"
BEFORE=$(mint -1 +600)
is "$(offline "$BEFORE")" valid "before the procedure, a code minted with the stolen key verifies"

# --- 1. the role shut out -----------------------------------------------------
SQ "REVOKE ankang_service FROM ankang_node3" >/dev/null
ok $? "REVOKE ankang_service FROM ankang_node3"
like "$(AS3 "SELECT count(*) FROM epoch_requests")" "permission denied" \
	"revoked, the role cannot read the epoch requests"
like "$(AS3 "INSERT INTO epoch_requests (node, number, made, request)
	VALUES ('thief', 2, 0, decode(repeat('00', 64), 'hex'))")" "permission denied" \
	"nor post a request for an epoch"
like "$(AS3 "SELECT count(*) FROM residents")" "permission denied" "nor read the residents"
SQ "ALTER ROLE ankang_node3 NOLOGIN" >/dev/null &&
	SQ "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'ankang_node3'" >/dev/null
ok $? "NOLOGIN, and its sessions ended"
node_stop "$P3" KILL # the node itself is gone too (the thief keeps the copy)
until_sql "select count(*) from pg_stat_activity where usename = 'ankang_node3'" 0
ok $? "no session of node 3 is left"

# --- 2. the issuer key withdrawn (nodes 1 and 2 stopped: the downtime) -------
node_stop "$P1"
node_stop "$P2"
"$A" keys rotate --compromised --data "$D1" >"$T/rotate.out" 2>"$T/rotate.err"
ok $? "keys rotate --compromised on node 1's folder"
like "$(cat "$T/rotate.out")" "1 key\(s\) withdrawn" "it says one key was withdrawn"
ROTATED=$(date +%s)
is "$(grep -c '^issuer ' "$D1/public/trust.note")" 1 "the trust list names the new issuer key alone"
is "$(grep -c '^issuer ' "$STOLEN/public/trust.note")" 1 "(the stolen one named the old key alone)"
! grep -qF "$(grep '^issuer ' "$STOLEN/public/trust.note" | cut -d' ' -f2)" "$D1/public/trust.note"
ok $? "the old key's id is in the new list no more"
is "$(find "$D1/keys" -name 'issuer-*.key' | wc -l)" 1 "node 1 keeps only the new issuer key"
is "$(stat -c %a "$D1"/keys/issuer-*.key)" 600 "which is 0600"
rm -f "$D2"/keys/issuer-*.key
cp -p "$D1"/keys/issuer-*.key "$D2/keys/" && cp -p "$D1/public/trust.note" "$D2/public/"
ok $? "the new issuer key and trust list copied to node 2"
node_start 1 "$D1" || bail_out "node 1 did not start again"
node_start 2 "$D2" || bail_out "node 2 did not start again"
ok 0 "both nodes serve again"

# --- 3. a new epoch, the thief's destroyed ------------------------------------
"$A" keys rotate-epoch --data "$D1" >"$T/epoch.out" 2>&1
like "$(cat "$T/epoch.out")" "asked for" "keys rotate-epoch asks the running leader"
until_sql "select floor from epoch_state" 2
ok $? "the floor moves to epoch 2 (node 3, unseen, does not hold it back past --epoch-stale)"
until_sql "select count(*) from residents where wrapped_key is not null and key_epoch < 2" 0
ok $? "every live key is under epoch 2"
for i in $(seq 1 "$(patience 300)"); do
	[ "$(epochs_of "$D1")" = 2 ] && [ "$(epochs_of "$D2")" = 2 ] && break
	sleep 0.1
done
is "$(epochs_of "$D1")|$(epochs_of "$D2")" "2|2" "both nodes hold epoch 2 alone"

# --- the thief's copy, tried --------------------------------------------------
is "$(epochs_of "$STOLEN")" 1 "the stolen epochs file holds epoch 1 only"
is "$(SQ "select count(*) from residents where key_epoch in ($(epochs_of "$STOLEN" | tr ' ' ,))")" 0 \
	"no resident's key is under an epoch it holds"
like "$(AS3 "SELECT 1")" "not permitted to log in" "its role cannot log in"
"$A" check --data "$STOLEN" >"$T/out" 2>"$T/err"
st=$?
ok "$([ $st -eq 1 ] || [ $st -eq 2 ] && echo 0 || echo 1)" "check on the copy fails cleanly (status $st)"
grep -q "not permitted to log in" "$T/err"
ok $? "saying the role may not log in"
"$A" serve --data "$STOLEN" --listen 127.0.0.1:0 --port-file "$T/stolen.port" \
	--epoch-seconds 0 --epoch-stale $STALE >"$T/out" 2>"$T/err" &
pid=$!
PIDS+=("$pid")
for i in $(seq 1 "$(patience 600)"); do
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
node_stop $pid KILL
[ -s "$T/stolen.port" ]
ok "$([ $? -ne 0 ] && echo 0 || echo 1)" "serve on the copy never listens"
is "$(wc -l <"$T/err")" 1 "and says why on one line"
"$A" keys rotate-epoch --data "$STOLEN" >"$T/out" 2>"$T/err"
ok "$([ $? -ne 0 ] && echo 0 || echo 1)" "nor can it ask for (or run) a rotation"

lists "$D1"
NOW_CODE=$(mint -1 +600)
# Issued, it claims, just before the old key's window closed; valid 30
# days: what a closed window alone would still take.
BACKDATED=$(mint $((ROTATED - 2)) $((ROTATED + 30 * 86400)))
lists "$STOLEN"
is "$(offline "$BACKDATED")" valid "under the old trust list the backdated code verifies (the control)"
lists "$D1"
is "$(offline "$NOW_CODE")" unknown_key "ankang-verify refuses a code the thief mints now"
is "$(offline "$BACKDATED")" unknown_key "and one backdated into the old key's window, valid 30 days"
is "$(offline "$BEFORE")" unknown_key "and the one minted before the procedure"
is "$(offline "$OLD_CODE")" unknown_key "a genuine code of the old key is refused too"
for n in 1 2; do
	u=$(eval echo "\$U$n")
	verify_on "$u" "$NOW_CODE"
	is "$ST $(jbody .result)" "200 unknown_key" "POST /v1/verify on node $n refuses the thief's code"
	verify_on "$u" "$BACKDATED"
	is "$ST $(jbody .result)" "200 unknown_key" "and the backdated one"
	verify_on "$u" "$OLD_CODE"
	is "$(jbody .result)" unknown_key "and the genuine old code"
done

# --- the two nodes serve ------------------------------------------------------
URL=$U2 api GET /v1/me/code "$TOK1"
is "$ST" 200 "the resident gets a new code from node 2"
NEW_CODE=$(jbody .credential)
is "$(offline "$NEW_CODE")" valid "ankang-verify takes it"
verify_on "$U1" "$NEW_CODE"
is "$(jbody .result)" valid "node 1 verifies it"
ID2=$(gb_id 11010519800102028)
URL=$U1 svc_enrol "测试丁二" "$ID2" "made up pass two"
is "$ST" 201 "a new resident enrols through node 1"
is "$(SQ "select key_epoch from residents order by id desc limit 1")" 2 "under epoch 2"
URL=$U2 svc_login "$ID2" "made up pass two"
TOK2=$(jbody .token)
URL=$U2 api GET /v1/me/code "$TOK2"
is "$ST" 200 "and gets a code through node 2"

stop_all
PIDS=()
"$ANKANG_BIN/ankang-audit" verify --db "$(node_url 1)" --log-key "$D1/public/log.vkey" \
	>"$T/audit.out" 2>&1
ok $? "ankang-audit verify passes on the shared log"
n=$(SQ "select count(*) from log_leaves where convert_from(leaf, 'UTF8') like '% key_rotate %'")
ok "$([ "$n" -ge 2 ] && echo 0 || echo 1)" "the log holds the rotations ($n key_rotate entries)"
grep -qF -e "测试丁" -e "$ID1" -e "$ID2" -e "made up pass" "$T"/serve*.log "$T/errors.all" "$T/rotate.out" \
	"$T/rotate.err" "$T/epoch.out" "$T/err" 2>/dev/null
ok "$([ $? -ne 0 ] && echo 0 || echo 1)" "no resident's data in any log or error"
done_testing
