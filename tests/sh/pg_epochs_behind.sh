#!/usr/bin/env bash
# pg_epochs_behind: a front-end behind on the KEK's epochs answers 503,
# not 500 (service/record.c's read_and_unwrap, AK_EBEHIND; issue 14,
# docs/MULTINODE.md "Epoch keys on several nodes"). Skips without
# PostgreSQL.
#
#   Two `ankangd serve` on one store. Node 2 is stopped (SIGSTOP) while a
#   rotation completes (it is stale after --epoch-stale seconds), so every
#   key is then wrapped under an epoch it lacks; then the leader, node 1,
#   is stopped too, so that node 2 cannot fetch that epoch. Resumed, node 2
#   answers a code and an officer's look-up of those residents 503
#   `unavailable` with Retry-After: 1 (the request may be tried on
#   another node), never 500, and asks the leader for the epoch. Once the
#   leader resumes, node 2 fetches it and answers 200.
#
#   A node gone for good: rows of epoch_nodes for a node last seen two
#   days ago and one last seen an hour ago (both stale); the leader
#   removes the first (unseen for more than a day, EPOCHSHARE_GONE_MS),
#   keeps the second, and counts one stale node in /metrics.
#
# Made-up personal data only, never printed; no key printed.
. tests/lib/tap.sh
need_cmds curl jq
export ANKANG_TEST_STORE=pg
. tests/lib/service.sh
A=$ANKANG_BIN/ankangd
STALE=3
D1=$T/n1
D2=$T/n2

svc_init "$D1" || bail_out "init on PostgreSQL failed"
cp -a "$D1" "$D2"
SQ() { svc_sql "$D1/ankang.db" "$1"; }
OFF=$(svc_account "$D1" officer officer-1)

. tests/lib/nodes.sh

nodes_deploy 2
until_sql "select count(*) from epoch_nodes where newest = 1" 2
ok $? "both nodes hold epoch 1"
N=3
for i in $(seq 1 $N); do
	URL=$U1
	ID[i]=$(gb_id "1101051980020$((1000 + i))")
	svc_enrol "Test Resident" "${ID[i]}" "made up pass $i"
	[ "$ST" = 201 ] || diag "enrol $i: $ST"
	URL=$U2
	svc_login "${ID[i]}" "made up pass $i"
	TOK[i]=$(jbody .token)
done
URL=$U2
api GET /v1/me/code "${TOK[1]}"
is "$ST" 200 "before: node 2 answers a code"

# --- node 2 left behind ---------------------------------------------------------
kill -STOP "$P2"
"$A" keys rotate-epoch --data "$D1" >/dev/null 2>&1
until_sql "select floor from epoch_state" 2
ok $? "with node 2 stopped, a rotation completes once it is stale ($STALE s)"
is "$(SQ "select count(*) from residents where wrapped_key is not null and key_epoch <> 2")" 0 \
	"every key is under epoch 2"
kill -STOP "$P1"
kill -CONT "$P2"
is "$(epochs_of "$D2")" 1 "node 2 resumed holds epoch 1 alone: the leader that would hand it 2 is stopped"

# codes through node 2, then an officer's look-up, each 503.
st='' ra='' er='' bad=0
for i in $(seq 1 $N); do
	api GET /v1/me/code "${TOK[i]}"
	st="$st $ST"
	ra="$ra $(hdr Retry-After)"
	er="$er $(jbody .error)"
	is_error_body || bad=$((bad + 1))
done
api POST /v1/lookup "$OFF" "{\"id_number\":\"${ID[1]}\",\"purpose\":\"appeal_review\"}"
st="$st $ST"
ra="$ra $(hdr Retry-After)"
er="$er $(jbody .error)"
is "$st" " 503 503 503 503" "node 2 answers each code and an officer's look-up 503, not 500"
is "$er" " unavailable unavailable unavailable unavailable" "as unavailable"
is "$ra" " 1 1 1 1" "with Retry-After: 1"
is "$bad" 0 "in JSON"
until_sql "select count(*) from epoch_requests where node <> '' and number = 2 and answer is null" 1
ok $? "node 2 asks the leader for epoch 2"
kill -CONT "$P1"
for i in $(seq 1 "$(patience 300)"); do
	[ "$(epochs_of "$D2")" = 2 ] && break
	sleep 0.1
done
is "$(epochs_of "$D2")" 2 "once the leader resumes, node 2 fetches epoch 2 and destroys 1"
bad=0
for i in $(seq 1 $N); do
	api GET /v1/me/code "${TOK[i]}"
	[ "$ST" = 200 ] || bad=$((bad + 1))
done
is "$bad" 0 "and answers every code 200"
# --- a node gone for good --------------------------------------------------------
NOW=$(($(date +%s) * 1000))
SQ "insert into epoch_nodes (node, newest, seen) values ('gone-node', 1, $((NOW - 2 * 86400000))),
	('away-node', 1, $((NOW - 3600000)))" >/dev/null
until_sql "select count(*) from epoch_nodes where node = 'gone-node'" 0
ok $? "the leader removes the row of a node unseen for two days"
is "$(SQ "select count(*) from epoch_nodes where node = 'away-node'")" 1 \
	"and keeps that of a node unseen for an hour"
until_log "$T/serve1.log" "1 node(s) not seen for 24 hours forgotten"
ok $? "its log says one node was forgotten"
ADM=$(svc_account "$D1" admin ops)
URL=$U1
for i in $(seq 1 "$(patience 100)"); do
	api GET /metrics "$ADM"
	[ "$(sed -n 's/^ankang_epochs_stale_nodes //p' "$T/r.body")" = 1 ] && break
	sleep 0.1
done
is "$(sed -n 's/^ankang_epochs_stale_nodes //p' "$T/r.body")" 1 "/metrics counts the one stale node left"
is "$(cat "$T"/serve*.log | grep -ciE "Test Resident|${ID[1]}|${ID[2]}|${ID[3]}")" 0 "no personal data in the nodes' logs"
done_testing
