#!/bin/bash
# init_if_missing: `ankangd init --if-missing`, the systemd unit's start-up
# step, creates a data folder that is missing or empty, leaves one that
# holds its database alone (exit 0, keys untouched, even with no --origin),
# and still refuses a folder with files but no database: a half-made
# folder is for a person to look at, not to be taken as initialised.
# Then the unit's two steps in a row, under its umask (0077): serve starts
# on the folder init made, answers, and stops cleanly on SIGTERM.
# With ANKANG_TEST_STORE=pg each init is given a PostgreSQL store of its
# own (--store), and a folder's database is its ankang.conf naming that
# store, the last thing init writes there.
. tests/lib/tap.sh
. tests/lib/service.sh

# made DIR: 0 when DIR holds its database (on PostgreSQL: names its store).
made() {
	if [ "${ANKANG_TEST_STORE:-}" = pg ]; then
		grep -q '^store = ' "$1/ankang.conf" 2>/dev/null
	else
		[ -f "$1/ankang.db" ]
	fi
}

A=$ANKANG_BIN/ankangd
D=$T/state
mkdir -m 0700 "$D" # what StateDirectory= hands the unit: an empty folder

svc_store_new
"$A" init --if-missing --data "$D" --origin ankang.test "${SVC_INIT_ARGS[@]}" >"$T/out" 2>&1
is $? 0 "into an empty folder: initialised (exit 0)"
made "$D" && [ -f "$D/keys/root.key" ]
ok $? "and the database and keys are there"
sum=$(cat "$D"/keys/*.key "$D/ankang.conf" | sha256sum)

"$A" init --if-missing --data "$D" --origin ankang.test "${SVC_INIT_ARGS[@]}" >"$T/out" 2>&1
is $? 0 "again: exit 0"
like "$(cat "$T/out")" "already holds a database; nothing to do" "and says it did nothing"
is "$(cat "$D"/keys/*.key "$D/ankang.conf" | sha256sum)" "$sum" "keys and settings untouched"

"$A" init --if-missing --data "$D" --origin "" >"$T/out" 2>&1
is $? 0 "an initialised folder needs no origin (the setting may be gone)"

"$A" init --data "$D" --origin ankang.test "${SVC_INIT_ARGS[@]}" >"$T/out" 2>&1
is $? 2 "without --if-missing the same folder is refused (exit 2)"
like "$(cat "$T/out")" "refusing to overwrite keys" "and says why"

H=$T/half
mkdir -m 0700 "$H" && : >"$H/stray"
svc_store_new
"$A" init --if-missing --data "$H" --origin ankang.test "${SVC_INIT_ARGS[@]}" >"$T/out" 2>&1
is $? 2 "a folder with files but no database: refused (exit 2)"
like "$(cat "$T/out")" "not an empty folder" "and says why"
is "$(ls "$H")" "stray" "and nothing was added to it"

M=$T/missing
"$A" init --if-missing --data "$M" --origin "" "${SVC_INIT_ARGS[@]}" >"$T/out" 2>&1
is $? 2 "no database and an empty origin: refused (exit 2)"
like "$(cat "$T/out")" "--origin must be" "naming the setting"
! made "$M" && [ ! -e "$M/ankang.db" ]
ok $? "and no database made"

# ExecStartPre= then ExecStart=, as ankangd.service runs them.
S=$T/unit
mkdir -m 0700 "$S"
svc_store_new
(umask 0077 && "$A" init --if-missing --data "$S" --origin ankang.test "${SVC_INIT_ARGS[@]}") >"$T/out" 2>&1
is $? 0 "the unit's first start: init --if-missing"
(umask 0077 && "$A" init --if-missing --data "$S" --origin ankang.test "${SVC_INIT_ARGS[@]}") >"$T/out" 2>&1
is $? 0 "its next start: init --if-missing again"
if command -v curl >/dev/null 2>&1; then
	umask 0077
	svc_start "$S"
	api GET /healthz ""
	is "$ST" 200 "serve answers on the folder init made"
	svc_stop
	is "$SERVER_STATUS" 0 "and stops on SIGTERM with status 0"
	like "$(cat "$T/serve.log")" "final checkpoint signed" "after signing its final checkpoint"
else
	diag "curl not installed: serve not started"
fi
done_testing
