#!/bin/bash
# serve_notify: `ankangd serve` speaks systemd's readiness protocol
# (sd_notify(3)) to the socket NOTIFY_SOCKET names, as the unit's
# Type=notify needs; tests/helpers/notify_listen plays systemd's side.
#  - READY=1 comes from serve's own process, once, and only when its port
#    already accepts connections (the helper connects the moment it reads
#    READY=1), with a STATUS= line naming the address and the log's size;
#  - on SIGTERM, STOPPING=1 and a STATUS= line come before it exits 0;
#  - the same through an abstract socket (@name);
#  - a NOTIFY_SOCKET that is not a socket's name, or where nothing
#    listens, changes nothing but a line in the operator's log;
#  - after a failed fsync, when the audit log refuses every write, a
#    STATUS= line says so without any request asking (faultio shim).
# Bounded: four starts, each helper gives up after 60 s.
. tests/lib/tap.sh
. tests/lib/service.sh

command -v curl >/dev/null 2>&1 || skip_all "curl not installed"
HELPERS=${ANKANG_HELPERS:-build/tests/helpers}
LISTEN=$HELPERS/notify_listen
[ -x "$LISTEN" ] || { echo "Bail out! $LISTEN not built (make tests)"; exit 1; }
SHIM=$HELPERS/faultio.so
[ -f "$SHIM" ] || { echo "Bail out! $SHIM not built (make tests)"; exit 1; }

D=$T/d
svc_init "$D" || { echo "Bail out! ankangd init failed"; exit 1; }
at_exit svc_stop

# listen SOCKET [PORT_FILE]: starts the helper on SOCKET, its output in
# $T/n.out, and waits until it is bound. LISTEN_PID is the helper's.
# PORT_FILE (default serve's, $T/port) is where it looks for the port to
# connect to on READY=1.
listen() {
	local i
	: >"$T/n.out"
	case $1 in /*) rm -f "$1" ;; esac
	"$LISTEN" "$1" "${2:-$T/port}" 60 >"$T/n.out" 2>&1 &
	LISTEN_PID=$!
	for i in $(seq 1 200); do
		grep -q '^bound$' "$T/n.out" && return 0
		sleep 0.05
	done
	echo "Bail out! notify_listen did not bind $1"
	exit 1
}
# wait_for REGEX: until a line of the helper's output matches (bounded).
wait_for() {
	local i
	for i in $(seq 1 400); do
		grep -Eq "$1" "$T/n.out" && return 0
		kill -0 "$LISTEN_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -Eq "$1" "$T/n.out"
}
# said KEY: the assignments of KEY= the helper received, "PID value" each.
said() { sed -n "s/^\\([0-9-]*\\) $1=/\\1 /p" "$T/n.out"; }

# stop: SIGTERM to serve, then the helper's exit status in LISTEN_STATUS.
stop() {
	PID=$SERVER_PID
	svc_stop
	wait "$LISTEN_PID"
	LISTEN_STATUS=$?
}

# ------------------------------------------------ a socket by its path
listen "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock svc_start "$D" --quiet
wait_for '^[0-9]+ accepting='
ok $? "path: READY=1 arrives"
is "$(said READY)" "$SERVER_PID 1" "path: once, from serve's own process"
is "$(said accepting)" "$SERVER_PID yes" "path: only once its port accepts connections"
is "$(said STATUS)" "$SERVER_PID listening on $URL/, log size 0" \
	"path: with a status line naming the address and the log's size"
is "$(said STOPPING)" "" "path: no STOPPING=1 while it runs"
api GET /healthz ""
is "$ST" 200 "path: it answers as it said"
stop
is "$LISTEN_STATUS" 0 "path: STOPPING=1 arrives on SIGTERM"
is "$(said STOPPING)" "$PID 1" "path: from serve's process"
like "$(said STATUS | tail -1)" "^$PID stopping: " "path: with a status line saying it is stopping"
is "$SERVER_STATUS" 0 "path: serve then exits 0"

# Its tampered twin: the helper pointed at a port where nothing listens
# says so, so "yes" above is the port's answer, not the helper's habit.
free_port >"$T/closed.port"
listen "$T/notify.sock" "$T/closed.port"
NOTIFY_SOCKET=$T/notify.sock svc_start "$D" --quiet
wait_for '^[0-9]+ accepting='
is "$(said accepting)" "$SERVER_PID no" "twin: a port that does not accept shows as accepting=no"
stop

# ------------------------------------------- a socket in the abstract namespace
ABSTRACT=@ankang-test-$$-$(rnd)
listen "$ABSTRACT"
NOTIFY_SOCKET=$ABSTRACT svc_start "$D" --quiet
wait_for '^[0-9]+ accepting='
is "$(said accepting)" "$SERVER_PID yes" "abstract: READY=1 once the port accepts connections"
stop
is "$LISTEN_STATUS $(said STOPPING)" "0 $PID 1" "abstract: STOPPING=1 on SIGTERM"

# ---------------------------------------------- nothing to tell, or nobody there
for bad in "relative/notify.sock" "$T/nobody.sock"; do
	: >"$T/serve.log"
	NOTIFY_SOCKET=$bad svc_start "$D" --quiet
	api GET /healthz ""
	is "$ST" 200 "NOTIFY_SOCKET=${bad#"$T"/}: serve runs all the same"
	like "$(cat "$T/serve.log")" "note NOTIFY_SOCKET: cannot tell systemd" \
		"NOTIFY_SOCKET=${bad#"$T"/}: and says in its log that it could not tell systemd"
	svc_stop
	is "$SERVER_STATUS" 0 "NOTIFY_SOCKET=${bad#"$T"/}: and stops cleanly"
done

# ------------------------------------- the audit log refuses writes: STATUS says so
# The fault is injected into SQLite's own fsync: on PostgreSQL the disk
# is the server's, and its failures are the server's to report.
if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
	diag "the audit log's storage faults are SQLite's (ANKANG_TEST_STORE=pg)"
	done_testing
fi
PRELOAD=$(cd "$(dirname "$SHIM")" && pwd)/faultio.so
# Under ASan, libasan must be the first object loaded.
ASAN=$(ldd "$ANKANG_BIN/ankangd" 2>/dev/null | awk '/libasan/ {print $3; exit}')
[ -n "$ASAN" ] && PRELOAD="$ASAN $PRELOAD"
export FAULTIO_CTL=$T/fault
listen "$T/notify.sock"
LD_PRELOAD=$PRELOAD NOTIFY_SOCKET=$T/notify.sock svc_start "$D" --quiet
wait_for '^[0-9]+ accepting='
enrol() {
	api POST /v1/enroll "" "{\"name\":\"Test Resident\",\"id_number\":\"$(gb_id "1101051980010100$1")\",\"passphrase\":\"made up passphrase $1\"}"
}
enrol 1
is "$ST" 201 "fault: before it, an enrolment is answered 201"
is "$(said STATUS | grep -c refusing)" 0 "fault: and the status says nothing of refusing"
printf f >"$FAULTIO_CTL"
enrol 2
is "$ST" 503 "fsync EIO: the enrolment is refused 503"
rm -f "$FAULTIO_CTL"
wait_for ' STATUS=refusing writes'
ok $? "fsync EIO: a STATUS= line says the service refuses writes, unasked"
like "$(said STATUS | grep refusing)" "^$SERVER_PID refusing writes until a restart: the audit log's storage failed \([^;]+\); check the disk\$" \
	"fsync EIO: from serve, naming the cause and what to do"
stop
is "$LISTEN_STATUS $SERVER_STATUS" "0 0" "fsync EIO: STOPPING=1 still comes, and serve exits 0"
is "$(said STATUS | grep -c refusing)" 1 "fsync EIO: the refusal was said once"
done_testing
