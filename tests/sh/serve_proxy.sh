#!/usr/bin/env bash
# serve_proxy: the client address the rate limits count (issue 10,
# "Operator"): X-Forwarded-For means something only when the TCP peer is a
# --trusted-proxy, and then the client is the right-most address in it
# that is not a trusted proxy. Seen through the enrolment limit per address
# (--enroll-per-hour) and the log-in back-off per account and address
# (--login-tries). All addresses are documentation ranges (RFC 5737).
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

D=$T/d
svc_init "$D"
SERIAL=100

# enrol [XFF]: a new made-up resident, optionally through X-Forwarded-For.
enrol() {
	local id
	SERIAL=$((SERIAL + 1))
	id=$(gb_id 11010119800101$SERIAL)
	local body
	body=$(jq -nc --arg d "$id" '{name: "Proxy Test", id_number: $d, passphrase: "proxy pass 1"}')
	if [ $# -gt 0 ]; then
		api POST /v1/enroll "" "$body" -H "X-Forwarded-For: $1"
	else
		api POST /v1/enroll "" "$body"
	fi
}

# No trusted proxy: a client rotating X-Forwarded-For is still one address.
svc_start "$D" --enroll-per-hour 2
enrol 198.51.100.1
enrol 198.51.100.2
is "$ST" 201 "no --trusted-proxy: two enrolments"
enrol 198.51.100.3
is "$ST" 429 "the third from the same peer waits, whatever X-Forwarded-For says"
svc_stop

# A peer that is not among the trusted proxies: the same.
svc_start "$D" --enroll-per-hour 2 --trusted-proxy 10.0.0.0/8 --trusted-proxy 2001:db8::/32
enrol 198.51.100.1
enrol 198.51.100.2
enrol 198.51.100.3
is "$ST" 429 "an untrusted peer's X-Forwarded-For has no effect"
svc_stop

# Behind a trusted proxy (127.0.0.1 here). The file's range is replaced
# by the flag's, so 127.0.0.1 is trusted only through the flag.
printf 'trusted-proxy = 10.0.0.0/8\nlogin-tries = 2\n' >"$T/proxy.conf"
svc_start "$D" --config "$T/proxy.conf" --enroll-per-hour 2 --trusted-proxy 127.0.0.1
enrol 198.51.100.1
is "$ST" 201 "client A behind the proxy enrols"
enrol 198.51.100.1
is "$ST" 201 "and again"
enrol 198.51.100.1
is "$ST" 429 "client A's third waits"
enrol 198.51.100.2
is "$ST" 201 "client B behind the same proxy has a limit of its own"
enrol "6.6.6.6, 198.51.100.2"
is "$ST" 201 "the right-most address counts: B's second"
enrol "198.51.100.9, 198.51.100.2"
is "$ST" 429 "a client prepending another address is still itself"
enrol "198.51.100.3, 127.0.0.1"
is "$ST" 201 "a trusted hop on the right is skipped: client C"
enrol
is "$ST" 201 "no header: the proxy's own address"
enrol "not an address"
is "$ST" 201 "a malformed header counts as the proxy: its second"
enrol "198.51.100.4:4711"
is "$ST" 429 "another malformed one: the proxy's third waits"

# The log-in back-off is per account and client address.
ID=$(gb_id 11010119800101101)
BAD=$(jq -nc --arg d "$ID" '{id_number: $d, passphrase: "not the passphrase"}')
for i in 1 2; do api POST /v1/login "" "$BAD" -H "X-Forwarded-For: 198.51.100.7"; done
is "$ST" 401 "two failed log-ins from client D"
api POST /v1/login "" "$BAD" -H "X-Forwarded-For: 198.51.100.7"
is "$ST" 429 "login-tries = 2 (from the file): D is held back"
api POST /v1/login "" "$BAD" -H "X-Forwarded-For: 198.51.100.8"
is "$ST" 401 "client E, behind the same proxy, is not"
svc_stop

done_testing
