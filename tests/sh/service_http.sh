#!/bin/bash
# service_http: the HTTP transport refuses what could be read two ways, and
# does not let slow clients hold its connections (service/http/guard.h),
# tried with raw requests on 127.0.0.1:
#   - two Content-Length headers (different or the same), Transfer-Encoding
#     with Content-Length, a Transfer-Encoding other than chunked, a header
#     name with a space before its colon, %00 in the path: each answered
#     with one 400 bad_request ({"error", "message"}, Connection: close),
#     and the request smuggled behind it never answered nor run;
#   - a request head sent a byte a second is cut off after --head-timeout,
#     a body trickled after --request-timeout; an idle keep-alive
#     connection is not cut by either, and answers its next request;
#   - more connections from one address than --per-address are refused,
#     while another address is served;
#   - /metrics counts the refusals and the cuts;
#   - a second service cannot listen on the address the first one holds.
# Every wait is bounded.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq timeout; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

D=$T/d
svc_init "$D"
ADM=$(svc_account "$D" admin operator-1)
svc_start "$D" --head-timeout 2 --request-timeout 4 --per-address 6
at_exit svc_stop
PORT=$(cat "$T/port")
log_size() { svc_sql "$D/ankang.db" "select count(*) from log_leaves"; }

# raw PAYLOAD: sends PAYLOAD (printf %b) on a new connection and keeps
# what comes back until the server closes (at most 5 s) in $T/raw.
raw() {
	: >"$T/raw"
	printf '%b' "$1" >"$T/payload"
	(
		trap '' PIPE
		exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
		cat "$T/payload" >&3 # one write: the server may close after the head
		timeout 5 cat <&3 >"$T/raw"
	) 2>/dev/null
	RAW_RC=$?
}
answers() { grep -ac '^HTTP/1\.[01] ' "$T/raw"; }
body_of() { sed -n '/^\r$/,$p' "$T/raw" | tail -n +2; }

# refused LABEL PAYLOAD: one 400 bad_request, closed, nothing behind it run.
refused() {
	local before
	before=$(log_size)
	raw "$2"
	is "$(answers)" 1 "$1: one answer only"
	like "$(head -1 "$T/raw")" '^HTTP/1\.1 400 ' "$1: 400"
	is "$(body_of | jq -r .error 2>/dev/null)" bad_request "$1: error bad_request, as JSON"
	like "$(grep -ai '^connection:' "$T/raw" | tr -d '\r')" '[Cc]lose' "$1: Connection: close"
	ok "$([ "$RAW_RC" != 124 ]; echo $?)" "$1: the server closed the connection"
	is "$(log_size)" "$before" "$1: the request behind it never ran (the log did not grow)"
}

ENROLL='{"name":"Smuggled Person","id_number":"340102198001010011","passphrase":"smuggled pass"}'
SMUGGLED="POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${#ENROLL}\r\n\r\n$ENROLL"

refused "two Content-Length, 0 and more" \
	"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 200\r\n\r\n$SMUGGLED"
refused "two Content-Length, the same" \
	"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello$SMUGGLED"
refused "Transfer-Encoding with Content-Length" \
	"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused "a Transfer-Encoding other than chunked" \
	"POST /v1/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused "a space before a header's colon" \
	"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length : 200\r\n\r\n$SMUGGLED"
refused "%00 in the path" "GET /v1/trust%00/x HTTP/1.1\r\nHost: x\r\n\r\n"
refused "two Host headers" "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"

# A well-formed request on the same kind of connection is answered.
raw "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
like "$(head -1 "$T/raw")" '^HTTP/1\.1 200 ' "a plain request: 200"
raw "POST /v1/enroll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
like "$(head -1 "$T/raw")" '^HTTP/1\.1 400 ' "a chunked body alone is read (400 for its content, not its framing)"
is "$(body_of | jq -r .error 2>/dev/null)" bad_field "and reaches the handler"

# --- slow clients -----------------------------------------------------------
# drip HEAD WHAT: sends HEAD at once, then WHAT a byte a second; the
# seconds from the first byte of WHAT until the server closed the
# connection (at most 12) in CUT_AFTER.
drip() {
	local s=$2 i
	CUT_AFTER=99
	exec 4<>"/dev/tcp/127.0.0.1/$PORT" || return
	printf '%s' "$1" >&4
	for ((i = 0; i < 12 && i < ${#s}; i++)); do
		printf '%s' "${s:i:1}" >&4 2>/dev/null || { CUT_AFTER=$i; break; }
		if read -r -t 1 -u 4 _; [ $? = 1 ]; then
			CUT_AFTER=$((i + 1))
			break
		fi
	done
	exec 4>&- 4<&-
}
drip "" "GET /healthz HTTP/1.1"$'\r\n'"Host: slowly-typed-header-$(printf 'x%.0s' $(seq 1 40))"
ok "$([ "$CUT_AFTER" -ge 2 ] && [ "$CUT_AFTER" -le 6 ]; echo $?)" \
	"a head sent a byte a second is cut off after the 2 s head timeout (cut after ${CUT_AFTER} s)"
drip $'POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n' \
	'{"credential":"AK1:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}'
ok "$([ "$CUT_AFTER" -ge 4 ] && [ "$CUT_AFTER" -le 9 ]; echo $?)" \
	"a body trickled a byte a second after a whole head is cut off by the 4 s request timeout, not the head's 2 s (cut after ${CUT_AFTER} s)"

# An idle keep-alive connection is not cut, and answers its next request.
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&5
read -r -t 3 -u 5 first
like "${first%$'\r'}" '^HTTP/1\.1 200' "keep-alive: the first request is answered"
for i in $(seq 1 40); do read -r -t 0.2 -u 5 _ || break; done # the rest of it
sleep 5
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&5
read -r -t 3 -u 5 second
like "${second%$'\r'}" '^HTTP/1\.1 200' \
	"an idle 5 s (past both timeouts) is not cut: the next request is answered"
exec 5>&- 5<&-

# /metrics counts what the guard refused and cut.
api GET /metrics "$ADM"
metric() { grep -E "^$1 " "$T/r.body" | awk '{print $2}'; }
is "$(metric ankang_http_refused_total)" 7 "/metrics: the seven refusals are counted"
is "$(metric 'ankang_http_requests_total\{method="-",route="-",status="400"\}')" 7 \
	"and as requests that matched no route"
is "$(metric 'ankang_http_requests_total\{method="GET",route="/healthz",status="400"\}')" "" \
	"not as /healthz's"
is "$(metric 'ankang_http_cut_total\{deadline="head"\}')" 1 "/metrics: one connection cut for a slow head"
is "$(metric 'ankang_http_cut_total\{deadline="request"\}')" 1 "/metrics: one cut for a slow request"

# --- connections per address -----------------------------------------------
# Each of the six is answered once (so it has surely been accepted) and
# kept open.
held=0
for fd in 10 11 12 13 14 15; do
	eval "exec $fd<>/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&$fd
	read -r -t 5 -u $fd line && [[ $line == HTTP/1.1\ 200* ]] && held=$((held + 1))
done
is "$held" 6 "six keep-alive connections from one address are served"
raw "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
is "$(answers)" 0 "a seventh connection from one address (--per-address 6) is refused"
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface 127.0.0.2 "$URL/healthz")
is "$st" 200 "another address is served meanwhile"
for fd in 10 11 12 13 14 15; do eval "exec $fd>&- $fd<&-"; done
sleep 0.3
raw "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
like "$(head -1 "$T/raw")" '^HTTP/1\.1 200 ' "once they close, the address is served again"

# --- one service per address ------------------------------------------------
# A second service, on another data folder, asked to listen where the first
# does: refused (SO_REUSEPORT would have let it take half the connections).
D2=$T/d2
"$ANKANG_BIN/ankangd" init --data "$D2" --origin second.test >/dev/null
timeout 20 "$ANKANG_BIN/ankangd" serve --data "$D2" --listen "127.0.0.1:$PORT" >"$T/second.out" 2>&1
is "$?" 2 "a second service on the same address: refused (exit 2)"
like "$(cat "$T/second.out")" "cannot listen on 127.0.0.1:$PORT: the address is in use" \
	"and says the address is in use"

svc_stop
is "$SERVER_STATUS" 0 "the service stops cleanly"
done_testing
