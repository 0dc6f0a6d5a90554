#!/usr/bin/env bash
# pg_tls: TLS between a front-end and its PostgreSQL database
# (SECURITY.md, "Several front-ends on one PostgreSQL database", the
# network attacker; docs/MULTINODE.md, "TLS to the database"). Skips
# without PostgreSQL or openssl.
#
#   A store URL whose host is not on this machine must say
#   sslmode=verify-full: init, migrate, serve, check, account and keys refuse one
#   that does not with one line and exit status 2, by parsing alone (the
#   refused URLs name db.example, 192.0.2.x and an address of this
#   machine's own cluster, and the cluster's log shows no connection made
#   for them). PGHOST counts; PGSSLMODE does not stand in.
#   Then a real cluster with ssl = on, a server certificate from a
#   throwaway CA, listening on 127.0.0.1 (and its socket) and taking TCP
#   only with TLS and a client certificate: init and serve with
#   host=localhost / 127.0.0.1, sslmode=verify-full, sslrootcert, sslcert
#   and sslkey work, and pg_stat_ssl shows every session of theirs
#   encrypted; a resident enrols and `check` and `ankang-audit verify`
#   pass over TLS. With another CA, a certificate for another name, no
#   client certificate, or a client key others may read, the node refuses
#   to start with one line (exit 2, no crash), which holds no key and no
#   row's value.
#
# Only loopback traffic; made-up data; no key printed.
. tests/lib/tap.sh

need_cmds openssl curl jq
TLS=$T/tls
# The roles' client certificates (CN = the role), made before the cluster.
. tests/lib/pg.sh
pg_find_bin || skip_all "PostgreSQL's initdb and pg_ctl not found (PG_BIN, pg_config)"
pg_tls_certs "$TLS" ankang_owner ankang_node ankang_super || bail_out "openssl could not make the test certificates"
pg_tls_ca "$TLS" otherca || bail_out "openssl could not make the second CA"
PG_PORT=$(free_port) || bail_out "no free port"
PG_TLS_DIR=$TLS
export PG_PORT PG_TLS_DIR
export ANKANG_TEST_STORE=pg
. tests/lib/service.sh
A=$ANKANG_BIN/ankangd
unset PGHOST PGHOSTADDR PGSSLMODE PGSERVICE

# tls_url DB USER HOST [EXTRA]: a URL over TCP with TLS, the server's
# certificate checked against the test CA, the role's client certificate.
tls_url() {
	echo "postgresql://$3:$PG_PORT/$1?user=$2&sslmode=verify-full&sslrootcert=$TLS/ca.crt&sslcert=$TLS/$2.crt&sslkey=$TLS/$2.key${4:+&$4}"
}
SUPER=$(tls_url postgres ankang_super 127.0.0.1)
# Connections the server has seen, from its log (log_connections below).
conns() { grep -c "connection received" "$PG_DIR/server.log" 2>/dev/null || echo 0; }
pg_psql "$ANKANG_PG_SUPER_URL" "ALTER SYSTEM SET log_connections = on" >/dev/null &&
	pg_psql "$ANKANG_PG_SUPER_URL" "SELECT pg_reload_conf()" >/dev/null
ok $? "the cluster logs its connections"
is "$(pg_psql "$SUPER" "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" t \
	"psql reaches the cluster over TLS on 127.0.0.1 with a client certificate"
pg_psql "$(pg_url "$PG_SOCK" postgres ankang_super)" "SELECT 1" >/dev/null
ok $? "and over its socket"

# --- refused by parsing alone -------------------------------------------------
_svc_newdb || bail_out "no database"
DB=ak$SVC_DBS
OWNER_TLS=$(tls_url "$DB" ankang_owner localhost)
NODE_TLS=$(tls_url "$DB" ankang_node 127.0.0.1)

# refused NAME CMD...: exit 2, one line naming sslmode=verify-full, no
# connection made, no folder made by init.
refused() {
	local name=$1 before st
	shift
	before=$(conns)
	"$@" >"$T/out" 2>"$T/err"
	st=$?
	is "$st" 2 "$name: exit status 2"
	ok "$([ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "sslmode=verify-full" "$T/err" && echo 0 || echo 1)" \
		"$name: one line that asks for sslmode=verify-full"
	sleep 0.2
	is "$(conns)" "$before" "$name: no connection reached the server"
}
# refused_init NAME N URL [OPTION...]: refused, `ankangd init` of the
# folder $T/rN with the store URL and the OPTIONs.
refused_init() {
	local name=$1 n=$2 url=$3
	shift 3
	refused "init, $name" "$A" init --data "$T/r$n" --origin ankang.test --store "$url" "$@"
}
refused_init "a remote host without sslmode" 1 "postgresql://db.example/$DB?user=ankang_node"
ok "$([ ! -e "$T/r1" ] && echo 0 || echo 1)" "nothing was made"
refused_init "sslmode=require" 2 \
	"postgresql://db.example:$PG_PORT/$DB?user=ankang_node&sslmode=require&sslrootcert=$TLS/ca.crt"
refused_init "sslmode=verify-ca" 3 \
	"postgresql://db.example/$DB?user=ankang_node&sslmode=verify-ca&sslrootcert=$TLS/ca.crt"
refused_init "the owner's URL remote without TLS" 4 "$NODE_TLS" \
	--store-owner "postgresql://192.0.2.10/$DB?user=ankang_owner"
refused_init "hostaddr elsewhere under host=localhost" 5 \
	"postgresql://localhost:$PG_PORT/$DB?user=ankang_node&hostaddr=192.0.2.11"
refused_init "a list of hosts with one remote" 6 "postgresql://localhost,db.example/$DB?user=ankang_node"
refused "migrate, --to remote without TLS" \
	"$A" migrate --from "$T/none" --to "postgresql://db.example/$DB?user=ankang_node"
refused "migrate, --to-owner remote with sslmode=require" \
	"$A" migrate --from "$T/none" --to "$NODE_TLS" \
	--to-owner "postgresql://192.0.2.12/$DB?user=ankang_owner&sslmode=require"
PGHOST=db.example refused_init "PGHOST remote and no host in the URL" 7 "postgresql:///$DB?user=ankang_node"
PGHOST=db.example PGSSLMODE=verify-full refused_init "PGSSLMODE does not stand in for the URL's" 8 \
	"postgresql:///$DB?user=ankang_node"

# --- a real node over TLS -----------------------------------------------------
D=$T/n1
"$A" init --data "$D" --origin ankang.test --store "$NODE_TLS" --store-owner "$OWNER_TLS" \
	>"$T/init.out" 2>"$T/init.err"
ok $? "init over TLS (localhost for the owner, 127.0.0.1 for the node, verify-full)"
[ -s "$T/init.err" ] && diag "$(head -3 "$T/init.err")"
grep -q "^store = postgresql://127.0.0.1:$PG_PORT/" "$D/ankang.conf"
ok $? "ankang.conf names the TLS URL"
"$A" check --data "$D" >"$T/check.out" 2>&1
ok $? "check over TLS"

svc_start "$D"
id=$(gb_id 11010519800101234)
svc_enrol "测试丙一" "$id" "made up pass tls"
is "$ST" 201 "a resident enrols through the node (writes over TLS)"
svc_login "$id" "made up pass tls"
is "$ST" 200 "and logs in"
TOK=$(jbody .token)
api GET /v1/me/code "$TOK"
is "$ST" 200 "and gets a code"
# Every session of the node's role: encrypted, with its certificate.
Q="SELECT count(*), count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE s.client_dn = '/CN=ankang_node')
   FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'ankang_node'"
R=$(pg_psql "$SUPER" "$Q")
N=${R%%|*}
ok "$([ "$N" -ge 2 ] && [ "$R" = "$N|$N|$N" ] && echo 0 || echo 1)" \
	"pg_stat_ssl: every session of the node is TLS with its client certificate ($R)"
is "$(pg_psql "$SUPER" "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
	WHERE a.usename = 'ankang_node' AND (NOT s.ssl OR s.version NOT IN ('TLSv1.2', 'TLSv1.3'))")" 0 \
	"no session of the node in the clear or under an old protocol"
svc_stop
is "$SERVER_STATUS" 0 "the node stops cleanly"
"$ANKANG_BIN/ankang-audit" verify --db "$NODE_TLS" --log-key "$D/public/log.vkey" >"$T/audit.out" 2>&1
ok $? "ankang-audit verify over TLS"

# --- refusals at start: one line, exit 2, no crash, nothing secret ------------
# node_refused NAME URL WANT CHECK: a copy of the folder with URL in its
# ankang.conf; serve exits 2 with one line matching WANT, check with
# status CHECK and one line.
node_refused() {
	local name=$1 url=$2 want=$3 dir=$T/bad$((++NB))
	cp -a "$D" "$dir"
	sed -i "s|^store = .*|store = ${url//&/\\&}|" "$dir/ankang.conf"
	"$A" serve --data "$dir" --listen 127.0.0.1:0 --port-file "$T/bad.port" >"$T/out" 2>"$T/err" &
	local pid=$! i
	for i in $(seq 1 "$(patience 600)"); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL $pid 2>/dev/null
	wait $pid
	is "$?" 2 "$name: serve exits 2"
	ok "$([ "$(wc -l <"$T/err")" -eq 1 ] && grep -qi -- "$want" "$T/err" && echo 0 || echo 1)" \
		"$name: one line saying why"
	[ "$(wc -l <"$T/err")" -eq 1 ] || diag "$(head -c 400 "$T/err")"
	cat "$T/err" >>"$T/errors.start"
	# check: 2 for a URL refused by its rules, 1 (the check failed)
	# for a store that did not open; one line either way.
	"$A" check --data "$dir" >"$T/out" 2>"$T/err"
	is "$?" "$4" "$name: check exits $4"
	is "$(wc -l <"$T/err")" 1 "$name: check says why on one line"
	cat "$T/err" >>"$T/errors.start"
}
NB=0
node_refused "a server certificate from another CA" \
	"$(tls_url "$DB" ankang_node 127.0.0.1 | sed "s|sslrootcert=$TLS/ca.crt|sslrootcert=$TLS/otherca.crt|")" \
	"certificate verify failed" 1
node_refused "a server certificate for another name" \
	"$(tls_url "$DB" ankang_node db.example "hostaddr=127.0.0.1")" \
	"does not match host name" 1
node_refused "no client certificate" \
	"postgresql://127.0.0.1:$PG_PORT/$DB?user=ankang_node&sslmode=verify-full&sslrootcert=$TLS/ca.crt&sslcert=/nonexistent&sslkey=/nonexistent" \
	"certificate" 1
cp "$TLS/ankang_node.key" "$TLS/loose.key"
cp "$TLS/ankang_node.crt" "$TLS/loose.crt"
chmod 0644 "$TLS/loose.key"
node_refused "a client key others may read" \
	"$(tls_url "$DB" ankang_node 127.0.0.1 | sed "s|ankang_node.crt|loose.crt|; s|ankang_node.key|loose.key|")" \
	"group or world access" 1
node_refused "a URL edited to a remote host without TLS" \
	"postgresql://db.example/$DB?user=ankang_node" "sslmode=verify-full" 2
for cmd in "account list" "keys rotate" "keys rotate-epoch"; do
	# shellcheck disable=SC2086
	"$A" $cmd --data "$T/bad5" >"$T/out" 2>"$T/err"
	st=$?
	ok "$([ $st -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "sslmode=verify-full" "$T/err" && echo 0 || echo 1)" \
		"$cmd refuses the remote URL: exit 2, one line"
done
# Nothing secret in what they said: no key file's text, no resident's data.
leak=0
for f in "$TLS"/*.key "$D"/keys/*.key; do
	k=$(sed -n '2p' "$f" | head -c 40)
	[ -n "$k" ] && grep -qF "$k" "$T/errors.start" && leak=1
done
grep -qF -e "测试丙一" -e "$id" -e "made up pass" "$T/errors.start" && leak=1
is "$leak" 0 "the refusals quote no key and no resident's data"
done_testing
