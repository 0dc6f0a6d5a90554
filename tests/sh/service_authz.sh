#!/usr/bin/env bash
# service_authz: the authorisation matrix of `ankangd serve` (issue 4): every
# endpoint of the route table against every kind of caller -- no token, a
# bad token, a resident, a verifier, an officer, an auditor, an admin -- in
# ONE table below, every cell checked. A cell's expected status is what the
# dispatcher answers (401 no_token or bad_token, 403 wrong_role) or, for a
# caller who may use the endpoint, what its handler answers to the row's
# request (a harmless but real request: 200, or 400 where the row's body
# is deliberately incomplete so that nothing is enrolled). Then every
# endpoint against every form of bad credentials (malformed, unknown
# account or session, a disabled account, another scheme) -> 401.
#
# Every 401/403 must be the JSON error body with the right code (401s with
# WWW-Authenticate: Bearer). Test output never shows a token or personal
# data.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

D=$T/d
svc_init "$D"
VER=$(svc_account "$D" verifier checkpoint-1)
OFF=$(svc_account "$D" officer officer.hefei.1)
AUD=$(svc_account "$D" auditor inspector-1)
ADM=$(svc_account "$D" admin operator-1)
GONE=$(svc_account "$D" verifier checkpoint-retired)
svc_start "$D" --quiet
at_exit svc_stop

# One resident (made up), logged in.
IDN=$(gb_id 34012219850606031)
api POST /v1/enroll "" "$(jq -nc --arg d "$IDN" \
	'{name: "Matrix Testresident", id_number: $d, passphrase: "matrix passphrase 1"}')"
is "$ST" 201 "a resident enrols"
RID=$(jbody .resident)
OWN_IDX=$(jbody .log_index) # a leaf whose subject is the resident
api POST /v1/login "" "$(jq -nc --arg d "$IDN" '{id_number: $d, passphrase: "matrix passphrase 1"}')"
is "$ST" 200 "and logs in"
RES=$(jbody .token)
# A checkpoint that covers the resident's own leaf (signed within a second).
SIZE=0
for n in $(seq 1 100); do
	api GET /v1/audit/checkpoint "$AUD"
	SIZE=$(sed -n 2p "$T/r.body")
	[ "${SIZE:-0}" -gt "$OWN_IDX" ] && break
	sleep 0.1
done
ok "$([ "${SIZE:-0}" -gt "$OWN_IDX" ]; echo $?)" "a signed checkpoint covers the resident's leaf"

# An appeal of the resident's, for the officers' rows.
api POST /v1/me/appeals "$RES" '{"reason": "other", "text": "matrix appeal"}'
is "$ST" 201 "the resident appeals"
APL=$(jbody .appeal)

# The resident's household: a child (active, so that the member's code and
# accesses answer 200) and an adult who never enrolled (pending, for the
# officer to confirm).
api POST /v1/me/household "$RES" "$(jq -nc --arg d "$(gb_id 34012220200606032)" \
	'{name: "Matrix Child", id_number: $d, relation: "child"}')"
is "$ST $(jbody .state)" "201 active" "the resident adds a child"
MEM=$(jbody .member)
api POST /v1/me/household "$RES" "$(jq -nc --arg d "$(gb_id 34012219600606033)" \
	'{name: "Matrix Parent", id_number: $d, relation: "parent"}')"
is "$ST $(jbody .state)" "201 pending" "and a parent, pending"
LINK=$(jbody .member)

BAD_TOKEN=aka_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
GONE_ID=$("$ANKANG_BIN/ankangd" account list --data "$D" | awk '$NF == "checkpoint-retired" {print $1}')
"$ANKANG_BIN/ankangd" account disable --data "$D" --id "$GONE_ID" >/dev/null 2>&1
ok $? "an account is disabled while the service runs"

# Request bodies, by the name the table uses.
declare -A BODY=(
	[-]=""
	[empty]='{}'
	[status]='{"status": "green", "reason": "negative_test"}'
	[paper]=$(jq -nc --arg d "$IDN" '{purpose: "paper_code", id_number: $d, days: 1}')
	[lookup]=$(jq -nc --arg d "$IDN" '{id_number: $d, purpose: "status_correction"}')
	[verify]='{"credential": "AK1:NOT-A-CODE"}'
	[scans]='{"scans": []}'
	[consent]='{"purpose": "household_consent"}'
)

# One of the pages' files, named by its hash.
api GET / ""
ASSET=$(grep -o '/assets/style-[A-Za-z0-9]*\.css' "$T/r.body" | head -1)

# The matrix. Columns: no token, bad token, resident, verifier, officer,
# auditor, admin. The log-out rows end the resident's session, so a
# RELOGIN row after each gives the resident a new one; DELETE /v1/me comes
# last: it erases the resident.
MATRIX=$(
	cat <<EOF
GET    /healthz                                    -       200 401 200 200 200 200 200
GET    /                                           -       200 401 200 200 200 200 200
GET    /check                                      -       200 401 200 200 200 200 200
GET    /audit                                      -       200 401 200 200 200 200 200
GET    $ASSET                                      -       200 401 200 200 200 200 200
GET    /sw.js                                      -       200 401 200 200 200 200 200
GET    /metrics                                    -       401 401 403 403 403 403 200
POST   /v1/enroll                                  empty   400 401 400 400 400 400 400
POST   /v1/login                                   empty   400 401 400 400 400 400 400
GET    /v1/keys                                    -       200 401 200 200 200 200 200
GET    /v1/trust                                   -       200 401 200 200 200 200 200
GET    /v1/revocations                             -       200 401 200 200 200 200 200
GET    /v1/me/code                                 -       401 401 200 403 403 403 403
GET    /v1/me/code.png                             -       401 401 200 403 403 403 403
GET    /v1/me/code.svg                             -       401 401 200 403 403 403 403
GET    /v1/me/accesses                             -       401 401 200 403 403 403 403
GET    /v1/me/history                              -       401 401 200 403 403 403 403
GET    /v1/me/sessions                             -       401 401 200 403 403 403 403
DELETE /v1/session                                 -       401 401 200 403 403 403 403
RELOGIN
DELETE /v1/sessions                                -       401 401 200 403 403 403 403
RELOGIN
PUT    /v1/residents/$RID/status                   status  401 401 403 403 200 403 403
POST   /v1/residents/$RID/paper-code               paper   401 401 403 403 200 403 403
POST   /v1/lookup                                  lookup  401 401 403 403 200 403 403
POST   /v1/verify                                  verify  401 401 403 200 403 403 403
POST   /v1/scans                                   scans   401 401 403 200 403 403 403
GET    /v1/audit/checkpoint                        -       401 401 200 403 403 200 403
GET    /v1/audit/entries?start=0&end=1             -       401 401 403 403 403 200 403
GET    /v1/audit/report                            -       401 401 403 403 403 200 403
GET    /v1/audit/proof/inclusion?index=$OWN_IDX&size=$SIZE  -  401 401 200 403 403 200 403
GET    /v1/audit/proof/consistency?old=1&new=$SIZE -       401 401 403 403 403 200 403
POST   /v1/me/appeals                              empty   401 401 400 403 403 403 403
GET    /v1/me/appeals                              -       401 401 200 403 403 403 403
GET    /v1/appeals                                 -       401 401 403 403 200 403 403
GET    /v1/appeals/$APL                            -       401 401 403 403 200 403 403
POST   /v1/appeals/$APL/answer                     empty   401 401 403 403 400 403 403
POST   /v1/me/household                            empty   401 401 400 403 403 403 403
GET    /v1/me/household                            -       401 401 200 403 403 403 403
GET    /v1/me/household/$MEM/code                  -       401 401 200 403 403 403 403
GET    /v1/me/household/$MEM/code.png              -       401 401 200 403 403 403 403
GET    /v1/me/household/$MEM/code.svg              -       401 401 200 403 403 403 403
GET    /v1/me/household/$MEM/accesses              -       401 401 200 403 403 403 403
GET    /v1/me/guardians                            -       401 401 200 403 403 403 403
DELETE /v1/me/guardians/$MEM                       -       401 401 404 403 403 403 403
GET    /v1/household/pending                       -       401 401 403 403 200 403 403
POST   /v1/household/$LINK/confirm                 consent 401 401 403 403 200 403 403
DELETE /v1/me/household/$MEM                       -       401 401 200 403 403 403 403
GET    /v1/me/export                               -       401 401 200 403 403 403 403
GET    /officer                                    -       200 401 200 200 200 200 200
GET    /v1/officer/actions                         -       401 401 403 403 200 403 403
GET    /log/checkpoint                             -       200 401 200 200 200 200 200
GET    /log/tile/0/000.p/1                         -       200 401 200 200 200 200 200
GET    /log/tile/entries/000.p/1                   -       401 401 403 403 403 200 403
DELETE /v1/me                                      -       401 401 200 403 403 403 403
EOF
)
COLS=(none bad resident verifier officer auditor admin)
TOKENS=("" "$BAD_TOKEN" "$RES" "$VER" "$OFF" "$AUD" "$ADM")

# check_cell METHOD PATH BODYNAME WANT LABEL: one request, one verdict.
check_cell() {
	local method=$1 path=$2 body=$3 want=$4 label=$5 token=$6 err=""
	if [ "$body" = - ]; then
		api "$method" "$path" "$token"
	else
		api "$method" "$path" "$token" "${BODY[$body]}"
	fi
	case $ST in
	401) [ -z "$token" ] && err=no_token || err=bad_token ;;
	403) err=wrong_role ;;
	esac
	local why=""
	[ "$ST" = "$want" ] || why="status $ST"
	if [ -z "$why" ] && [ -n "$err" ]; then
		is_error_body || why="not an error body"
		[ "$(jbody .error)" = "$err" ] || why="error $(jbody .error), not $err"
		if [ "$ST" = 401 ] && [ "$(hdr WWW-Authenticate)" != Bearer ]; then
			why="no WWW-Authenticate: Bearer"
		fi
	fi
	if [ -z "$why" ]; then
		ok 0 "$method ${path%%\?*} as $label: $want"
	else
		ok 1 "$method ${path%%\?*} as $label: $want"
		diag "$why"
	fi
}

rows=0
while read -r method path body w0 w1 w2 w3 w4 w5 w6; do
	[ -n "$method" ] || continue
	if [ "$method" = RELOGIN ]; then
		api POST /v1/login "" "$(jq -nc --arg d "$IDN" '{id_number: $d, passphrase: "matrix passphrase 1"}')"
		RES=$(jbody .token)
		TOKENS[2]=$RES
		continue
	fi
	want=("$w0" "$w1" "$w2" "$w3" "$w4" "$w5" "$w6")
	for c in 0 1 2 3 4 5 6; do
		check_cell "$method" "$path" "$body" "${want[c]}" "${COLS[c]}" "${TOKENS[c]}"
	done
	rows=$((rows + 1))
done <<<"$MATRIX"
# Every route is in the matrix: compare with the route table itself.
routes=$(sed -n 's/^[[:space:]]*{"\([A-Z]*\)",[[:space:]]*"\([^"]*\)".*/\1 \2/p' service/http/routes.c |
	sed 's/{handle}/ID/; s/{appeal}/ID/; s/{file}/FILE/; s/{member}/ID/; s/{link}/ID/; s/{tile\*}/TILE/; s/{bundle\*}/TILE/' | sort)
n_routes=$(wc -l <<<"$routes")
is "$rows" "$n_routes" "the matrix has a row for each of the $n_routes routes"
table=$(awk '$1 != "RELOGIN" {print $1, $2}' <<<"$MATRIX" |
	sed "s#/$RID/#/ID/#; s#/$APL\$#/ID#; s#/$APL/#/ID/#; s#/$MEM\(/\|\$\)#/ID\1#; s#/$LINK/#/ID/#; s/?.*//; s#/assets/.*#/assets/FILE#; s#^\(GET /log/tile/\(entries/\)\?\).*#\1TILE#" | sort)
same "$table" "$routes" "the matrix covers exactly service/http/routes.c's routes"

# The resident was erased by the last row: their session is now a bad token.
api GET /v1/me/code "$RES"
is "$ST/$(jbody .error)" 401/bad_token "after DELETE /v1/me the resident's token is refused"

# Every route against every form of bad credentials: always 401 bad_token.
UNKNOWN_SESSION=aks_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
AUTHS=(
	"Bearer $BAD_TOKEN|unknown account token"
	"Bearer $UNKNOWN_SESSION|unknown session token"
	"Bearer $GONE|disabled account's token"
	"Bearer $RES|erased resident's session"
	"Bearer not-a-token|malformed token"
	"Bearer |empty token"
	"Bearer aka_|token prefix only"
	"Bearer ${VER}x|a verifier's token with a byte more"
	"Bearer ${VER:0:${#VER}-1}|a verifier's token with a byte less"
	"Basic dXNlcjpwYXNzd29yZA==|Basic scheme"
	"$VER|no scheme"
)
n=0
fails=0
while read -r method path body rest; do
	[ -n "$method" ] && [ "$method" != RELOGIN ] || continue
	for a in "${AUTHS[@]}"; do
		API_EXTRA=(-H "Authorization: ${a%%|*}")
		if [ "$body" = - ]; then
			api "$method" "$path" ""
		else
			api "$method" "$path" "" "${BODY[$body]}"
		fi
		API_EXTRA=()
		n=$((n + 1))
		if [ "$ST" != 401 ] || [ "$(jbody .error)" != bad_token ] || ! is_error_body; then
			fails=$((fails + 1))
			diag "$method ${path%%\?*} with ${a#*|}: $ST $(jbody .error)"
		fi
	done
done <<<"$MATRIX"
is "$fails" 0 "each of $n (route x bad credential) requests: 401 bad_token"
svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
done_testing
