#!/usr/bin/env bash
# limits_together: requests sent at the same moment cannot slip past a
# rate limit before any of them is counted (service/limits.c counts in the
# same step as it checks: ratelimit_take).
#  - An officer with three reads left sends thirty look-ups at once: three
#    are answered 200 and logged, the rest 429.
#  - Thirty log-ins with wrong passphrases for one account, at once, from
#    one address, with --login-tries 4: Argon2id takes tens of
#    milliseconds a try, so a check made before the hashing and a count
#    made after it would let all thirty be tried. At most four are tried
#    (401), the rest wait (429); then the right passphrase waits too.
#  - Look-ups refused as invalid give their count back, so a typo does
#    not cost an officer a read.
# Bounded: about 80 requests, one server.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

D=$T/d
svc_init "$D"
OFF=$(svc_account "$D" officer officer-1)
svc_start "$D" --quiet --threads 8 --officer-reads 5 --login-tries 4 --login-per-address 1000

ID=$(gb_id 11010519800101001)
api POST /v1/enroll "$OFF" "$(jq -cn --arg i "$ID" '{name: "Test Resident", id_number: $i, passphrase: "made up passphrase one"}')"
is "$ST" 201 "a made-up resident is enrolled"
log_size() { api GET /healthz ""; jbody .log_size; }

# together N METHOD PATH TOKEN BODY: N requests at once (curl --parallel);
# prints each status code on a line.
together() {
	local n=$1 method=$2 path=$3 token=$4 body=$5 args=() i
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	for i in $(seq 1 "$n"); do args+=(-o /dev/null "$URL$path"); done
	curl -s --no-progress-meter -Z --parallel-immediate --parallel-max "$n" --max-time 60 \
		-w '%{http_code}\n' -X "$method" -H 'Content-Type: application/json' \
		--data-binary "$body" "${args[@]}"
}
count() { grep -cx "$1" "$T/codes" || true; }
spread() { sort "$T/codes" | uniq -c | tr -s " \n" " "; }

# Two of the five reads used one after the other; one refused as invalid.
LOOKUP=$(jq -cn --arg i "$ID" '{id_number: $i, purpose: "epidemiological_investigation"}')
api POST /v1/lookup "$OFF" "$LOOKUP"
is "$ST" 200 "a look-up"
api POST /v1/lookup "$OFF" "$LOOKUP"
is "$ST" 200 "another"
api POST /v1/lookup "$OFF" '{"id_number": "12345", "purpose": "epidemiological_investigation"}'
is "$ST" 400 "a look-up with a malformed number is refused 400"

before=$(log_size)
together 30 POST /v1/lookup "$OFF" "$LOOKUP" >"$T/codes"
is "$(wc -l <"$T/codes")" 30 "thirty look-ups sent at once were all answered"
diag "look-ups: $(spread)"
is "$(count 200)" 3 "exactly the three reads left were answered 200 (the refused one gave its count back)"
is "$(count 429)" 27 "the other 27 were refused 429"
is "$(($(log_size) - before))" 3 "three leaves written, none for the refusals"

LOGIN=$(jq -cn --arg i "$ID" '{id_number: $i, passphrase: "not the passphrase at all"}')
together 30 POST /v1/login "" "$LOGIN" >"$T/codes"
is "$(wc -l <"$T/codes")" 30 "thirty wrong log-ins sent at once were all answered"
diag "log-ins: $(spread)"
tried=$(count 401)
ok "$([ "$tried" -ge 1 ] && [ "$tried" -le 4 ]; echo $?)" \
	"at most four were tried (401: $tried), as --login-tries says"
is "$(count 429)" "$((30 - tried))" "the others were refused 429 without hashing"
api POST /v1/login "" "$(jq -cn --arg i "$ID" '{id_number: $i, passphrase: "made up passphrase one"}')"
is "$ST" 429 "then even the right passphrase waits"

svc_stop
if grep -q "Test Resident\|made up passphrase\|not the passphrase" "$T/serve.log"; then
	ok 1 "the service's log holds no name or passphrase"
else
	ok 0 "the service's log holds no name or passphrase"
fi
done_testing
