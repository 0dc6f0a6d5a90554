#!/usr/bin/env bash
# serve_listen: --listen takes IPv4, [IPv6] and host names, several times
# (issue 10, "Operator"): one listening socket per address, each answering,
# and the port file holds one line per socket in the order of --listen.
# Addresses that cannot be listened on are refused before anything
# listens, exit 2, one line.
. tests/lib/tap.sh
. tests/lib/service.sh

command -v curl >/dev/null 2>&1 || skip_all "curl not installed"
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"

A=$ANKANG_BIN/ankangd
D=$T/d
svc_init "$D"

healthz() { curl -s -g --max-time 10 -o /dev/null -w '%{http_code}' "$1/healthz"; }

# Two sockets on 127.0.0.1 (svc_start gives the first --listen).
svc_start "$D" --listen 127.0.0.1:0
is "$(wc -l <"$T/port")" 2 "two --listen: two lines in the port file"
P1=$(sed -n 1p "$T/port")
P2=$(sed -n 2p "$T/port")
ok $([ "$P1" != "$P2" ] && echo 0 || echo 1) "two ports"
is "$(healthz "http://127.0.0.1:$P1")" 200 "the first socket answers"
is "$(healthz "http://127.0.0.1:$P2")" 200 "the second socket answers"
is "$(grep -c 'listening on http://127.0.0.1:' "$T/serve.log")" 2 "each is logged"
svc_stop

# A host name.
svc_start "$D" --listen localhost:0
P=$(sed -n 2p "$T/port")
like "$P" '^[0-9]+$' "localhost:0 listens"
is "$(healthz "http://localhost:$P")" 200 "and answers as localhost"
svc_stop

# The file's addresses are replaced by the command line's, not added to.
printf 'listen = 127.0.0.1:0\nlisten = 127.0.0.1:0\nlisten = 127.0.0.1:0\n' >"$T/l.conf"
svc_start "$D" --config "$T/l.conf"
is "$(wc -l <"$T/port")" 1 "--listen on the command line replaces the file's three"
svc_stop
rm -f "$T/port"
"$A" serve --data "$D" --config "$T/l.conf" --port-file "$T/port" 2>>"$T/serve.log" &
PID=$!
for i in $(seq 1 400); do [ -s "$T/port" ] && break; sleep 0.05; done
is "$(wc -l <"$T/port")" 3 "the file alone: three sockets"
kill -TERM "$PID"
wait "$PID"

# IPv6, where this machine has ::1.
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	svc_start "$D" --listen '[::1]:0' --trusted-proxy ::1 --enroll-per-hour 1
	P6=$(sed -n 2p "$T/port")
	is "$(healthz "http://[::1]:$P6")" 200 "[::1]:0 listens and answers over IPv6"
	like "$(grep 'listening on' "$T/serve.log" | tail -1)" "http://\[::1\]:$P6/" \
		"logged with brackets"
	URL="http://[::1]:$P6"
	API_EXTRA=(-g)
	n=200
	for who in 198.51.100.1 198.51.100.2 2001:db8::7; do
		n=$((n + 1))
		api POST /v1/enroll "" "$(jq -nc --arg d "$(gb_id 11010119800101$n)" \
			'{name: "Listen Test", id_number: $d, passphrase: "listen pass 1"}')" \
			-H "X-Forwarded-For: $who"
		is "$ST" 201 "behind a trusted IPv6 proxy, client $who has its own limit"
	done
	api POST /v1/enroll "" "$(jq -nc --arg d "$(gb_id 11010119800101299)" \
		'{name: "Listen Test", id_number: $d, passphrase: "listen pass 1"}')" \
		-H "X-Forwarded-For: 2001:db8::7"
	is "$ST" 429 "and 2001:db8::7's second waits"
	API_EXTRA=()
	svc_stop
else
	for i in 1 2 3 4 5 6; do ok 0 "# SKIP this machine has no IPv6 ::1"; done
fi

# refused ADDR WANT DESCRIPTION: exit 2, one line, nothing listens.
refused() {
	rm -f "$T/p0"
	"$A" serve --data "$D" --listen "$1" --port-file "$T/p0" 2>"$T/err"
	is $? 2 "$3: exit 2"
	is "$(wc -l <"$T/err")" 1 "$3: one line"
	like "$(cat "$T/err")" "$2" "$3: says why"
	[ ! -e "$T/p0" ]
	ok $? "$3: nothing listened"
}
refused nosuchhost.invalid:0 "does not resolve" "a name that does not resolve"
refused 192.0.2.1:0 "not an address of this machine" "an address of another machine"
refused ::1:8080 "--listen must be HOST:PORT" "IPv6 without brackets"
refused '[::1]' "--listen must be HOST:PORT" "no port"
refused '[127.0.0.1]:80' "--listen must be HOST:PORT" "IPv4 in brackets"
refused 'a b:80' "--listen must be HOST:PORT" "a space in a name"
refused 127.0.0.1:65536 "--listen must be HOST:PORT" "a port past 65535"

done_testing
