#!/bin/bash
# pg_cluster: the private PostgreSQL cluster of tests/lib/pg.sh starts,
# answers libpq over its Unix socket and nowhere else (no TCP socket is
# open in the server), has the roles and the database the store expects,
# runs with fsync on, and stops cleanly. Skips without PostgreSQL.
. tests/lib/tap.sh
. tests/lib/pg.sh

if ! pg_test_start; then
	ok 1 "the cluster starts"
	done_testing
fi
ok 0 "the cluster starts"

pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
like "$pid" '^[0-9]+$' "postmaster.pid names the server"
is "$(stat -c %a "$PG_DIR")" 700 "its folder is open to its user alone"
if [ "$(id -u)" -eq 0 ]; then
	is "$(stat -c %U "$PG_DIR/data")" ankang-pg-test "under root it runs as ankang-pg-test"
else
	is "$(stat -c %U "$PG_DIR/data")" "$(id -un)" "it runs as the current user"
fi
ok "$([ -S "$PG_SOCK/.s.PGSQL.5432" ] && echo 0 || echo 1)" "its socket is in its folder"

is "$(pg_psql "$ANKANG_PG_SUPER_URL" 'SELECT 1')" 1 "a libpq connection over the socket answers"
is "$(pg_psql "$ANKANG_PG_SUPER_URL" 'SHOW listen_addresses')" "" "listen_addresses is empty"
is "$(pg_psql "$ANKANG_PG_SUPER_URL" 'SHOW fsync')" on "fsync is on"
is "$(pg_psql "$ANKANG_PG_SUPER_URL" \
	"SELECT string_agg(rolname, ' ' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'ankang%'")" \
	"ankang_node ankang_owner ankang_service ankang_super" "the roles are there"
is "$(pg_psql "$ANKANG_PG_URL" 'SELECT current_user')" ankang_owner "the owner's URL connects"
is "$(pg_psql "$ANKANG_PG_SERVICE_URL" \
	"SELECT pg_has_role('ankang_service', 'member')")" t "the node's URL is in ankang_service"
is "$(pg_psql "$ANKANG_PG_SUPER_URL" \
	"SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ankang'")" \
	ankang_owner "the database is the owner's"

# No TCP socket: the server's own descriptors, against the kernel's
# tables of listening TCP sockets (state 0A).
listening=$(awk '$4 == "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
mine=$(find "/proc/$pid/fd" -maxdepth 1 -type l -printf '%l\n' 2>/dev/null |
	sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort -u)
ok "$([ -n "$mine" ] && echo 0 || echo 1)" "the server's sockets are visible"
both=$(comm -12 <(echo "$listening") <(echo "$mine") | grep -c . || true)
is "$both" 0 "none of them is a listening TCP socket"

pg_cluster_stop "$PG_DIR"
is $? 0 "pg_ctl stop succeeds"
ok "$([ ! -e "$PG_DIR/data/postmaster.pid" ] && echo 0 || echo 1)" "postmaster.pid is gone"
gone=1
for _ in $(seq 1 "$(patience 50)"); do
	kill -0 "$pid" 2>/dev/null || {
		gone=0
		break
	}
	nap 100
done
is $gone 0 "the server has exited"
ok "$([ ! -S "$PG_SOCK/.s.PGSQL.5432" ] && echo 0 || echo 1)" "its socket is gone"

# scripts/cluster: the same cluster for a demonstration, in a folder the
# caller names (inside this one, which its user may enter); its
# front-ends are tests/sh/cluster_failover.sh's.
scripts/cluster >/dev/null 2>&1
is $? 2 "scripts/cluster without a command exits 2"
demo=$PG_DIR/demo
out=$(scripts/cluster start "$demo" --front-ends 0 2>&1)
is $? 0 "scripts/cluster start --front-ends 0 starts the database alone"
owner=$(printf '%s\n' "$out" | sed -n 's/^owner: *//p')
like "$owner" "^postgresql:///ankang\\?host=$demo&user=ankang_owner\$" "it prints the owner's URL"
is "$(pg_psql "$owner" 'SELECT current_user')" ankang_owner "that URL connects"
scripts/cluster stop "$demo" >/dev/null 2>&1
is $? 0 "scripts/cluster stop stops it"
ok "$([ ! -e "$demo/data/postmaster.pid" ] && echo 0 || echo 1)" "and it is down"

done_testing
