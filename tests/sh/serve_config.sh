#!/usr/bin/env bash
# serve_config: `ankangd serve --config FILE` (issue 10, "Operator"). Every
# serve setting has a key, the long option's name: a file with all of them
# starts a service that behaves as they say; flags override the file; an
# unknown key, a line without '=', a bad value or a missing file is one
# line on stderr naming the file and line, exit 2, and never echoes what
# followed '=' (a value may be personal data).
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq openssl; do command -v $c >/dev/null 2>&1 || skip_all "$c not installed"; done

A=$ANKANG_BIN/ankangd
D=$T/d
svc_init "$D"
OFF=$(svc_account "$D" officer officer-1)

openssl req -x509 -newkey ed25519 -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -nodes \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
ok $? "a self-signed certificate for 127.0.0.1"
chmod 0600 "$T/key.pem"

# The keys, in the order of `ankangd serve --help`; every one set here.
cat >"$T/all.conf" <<EOF
# ankangd.conf for the test: every key once.

data = $D
listen = 127.0.0.1:0
	threads=3
code-ttl = 120
enroll = officer
tls-cert = $T/cert.pem
tls-key = $T/key.pem
kek-file = $D/keys/kek.key
max-body = 2048
max-connections = 64
per-address = 8
head-timeout = 5
request-timeout = 20
idle-timeout = 15
officer-reads = 3
officer-window = 600
enroll-per-hour = 5
login-tries = 4
login-lock = 30
login-lock-max = 600
login-per-address = 50
trusted-proxy = 192.0.2.0/24
trusted-proxy = 2001:db8::/32
scrub-rate = 0
epoch-seconds = 0
epoch-stale = 60
appeal-deadline = 3600
# A witness no one runs (port 1): only a warning at start.
witness = witness.example/w1+ede70a45+BIMp4IfBTldVrHXNmMszJt8FM+J+lrqWqaW4N55fXWP/@http://127.0.0.1:1
witness-quorum = 1
checkpoint-interval = 500
max-queue = 1000
max-unsigned = 50000
batch-gather = 2000
port-file = $T/all.port
quiet = yes
EOF
keys=$(grep -Eo '^[[:space:]]*[a-z-]+' "$T/all.conf" | sed 's/[[:space:]]//g' | sort -u | tr '\n' ' ')
help_keys=$("$A" serve --help | grep -Eo '\-\-[a-z-]+' | sed 's/^--//' |
	grep -vx -e config -e help | sort -u | tr '\n' ' ')
is "$keys" "$help_keys" "the file sets every option serve --help lists, config aside"

"$A" serve --config "$T/all.conf" 2>"$T/all.log" &
PID=$!
for i in $(seq 1 400); do
	[ -s "$T/all.port" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.05
done
ok $([ -s "$T/all.port" ] && echo 0 || echo 1) "serve starts from the file alone"
URL=https://127.0.0.1:$(cat "$T/all.port" 2>/dev/null)
API_EXTRA=(--cacert "$T/cert.pem")
api GET /healthz ""
is "$ST" 200 "it answers HTTPS (tls-cert, tls-key)"
api POST /v1/enroll "" '{"name":"Config Test","id_number":"x","passphrase":"config pass 1"}'
is "$ST" 401 "enroll = officer: a resident may not enrol alone"
api POST /v1/scans "" "$(head -c 3000 /dev/zero | tr '\0' a)"
is "$ST" 413 "max-body = 2048: a 3000-byte body is refused"
LOOKUP=$(jq -nc --arg d "$(gb_id 11010119800101002)" '{id_number: $d, purpose: "appeal_review"}')
for i in 1 2 3 4; do api POST /v1/lookup "$OFF" "$LOOKUP"; done
is "$ST" 429 "officer-reads = 3: the fourth look-up waits"
API_EXTRA=()
kill -TERM "$PID"
wait "$PID"
is $? 0 "and stops cleanly"
if grep -q 'GET /healthz' "$T/all.log"; then ok 1 "quiet = yes: no request lines"; else
	ok 0 "quiet = yes: no request lines"
fi
like "$(grep listening "$T/all.log")" "https://127.0.0.1:[0-9]+/ \(3 threads\)" \
	"threads = 3 (a tab before the key, no spaces around '=')"

# Flags override the file: its data folder, address, port file and
# enrolment rule are all replaced.
cat >"$T/over.conf" <<EOF
data = $T/nowhere
listen = 127.0.0.1:1
port-file = $T/over.port
enroll = officer
quiet = yes
EOF
svc_start "$D" --config "$T/over.conf" --enroll open --quiet
api POST /v1/enroll "" "$(jq -nc --arg d "$(gb_id 11010119800101002)" \
	'{name: "Config Override", id_number: $d, passphrase: "config pass 1"}')"
is "$ST" 201 "flags override the file (data, listen, port-file, enroll)"
[ ! -e "$T/over.port" ]
ok $? "the file's port-file was not written"
svc_stop

# bad CONTENT WANT-REGEX DESCRIPTION: the file is refused, exit 2, one line.
bad() {
	printf '%s\n' "$1" >"$T/bad.conf"
	"$A" serve --config "$T/bad.conf" 2>"$T/bad.err" >/dev/null
	is $? 2 "$3: exit 2"
	is "$(wc -l <"$T/bad.err")" 1 "$3: one line"
	like "$(cat "$T/bad.err")" "$2" "$3: says where"
}
bad $'# a comment\n\nfrobnicate = 1' "bad.conf:3: unknown key 'frobnicate'" "an unknown key"
bad $'data = /x\nlisten 127.0.0.1:8080' "bad.conf:2: not a .key = value. line" "a line without ="
bad $'\n\n\ncode-ttl = 5' "bad.conf:4: code-ttl must be 30 to 86400" "a bad value"
bad ' = 5' "bad.conf:1: not a" "an empty key"
bad 'config = /etc/passwd' "bad.conf:1: unknown key 'config'" "config is not a key"
bad 'quiet = sometimes' "bad.conf:1: quiet must be yes or no" "quiet takes yes or no"
bad 'listen = 127.0.0.1' "bad.conf:1: listen must be" "a listen without a port"
bad $'trusted-proxy = 10.0.0.0/8\ntrusted-proxy = 10.0.0.0/33' "bad.conf:2: trusted-proxy must be" \
	"a bad range"
bad $'data = /x\nlogin-lock = 600\nlogin-lock-max = 60' "login-lock-max must be at least" \
	"a lock longer than its cap"

# Personal-looking values never come back: not in a bad value, not after
# an unknown key, not in a line without '='.
PERSONAL=$(gb_id 11010119900307123)
: >"$T/all.err"
for content in "threads = $PERSONAL" "enroll = 张三 $PERSONAL" "name = 张三 $PERSONAL" \
	"张三 $PERSONAL" "officer-reads = 13800138000" "data = $PERSONAL"$'\nthreads = x'; do
	printf '%s\n' "$content" >"$T/p.conf"
	"$A" serve --config "$T/p.conf" 2>>"$T/all.err" >/dev/null
done
is "$(wc -l <"$T/all.err")" 6 "six refusals, one line each"
if grep -Eq "张三|$PERSONAL|${PERSONAL:0:10}|13800138000" "$T/all.err"; then ok 1 "no value is echoed"; else
	ok 0 "no value is echoed"
fi
like "$(sed -n 3p "$T/all.err")" "p.conf:1: unknown key 'name'" "the unknown key is named"

"$A" serve --config "$T/none.conf" 2>"$T/none.err"
is $? 2 "--config naming a missing file: exit 2"
like "$(cat "$T/none.err")" "--config .*none.conf: " "and it says which"
is "$(wc -l <"$T/none.err")" 1 "in one line"

# The default file's place: $ANKANGD_CONFIG when set (tap.sh sets it empty,
# so that a host's /etc/ankang/ankangd.conf never reaches a test). A file
# it names is read; --config overrides it; empty reads none.
printf 'threads = 0\n' >"$T/env.conf"
ANKANGD_CONFIG=$T/env.conf "$A" serve --data "$D" 2>"$T/env.err"
is $? 2 "ANKANGD_CONFIG names the file read without --config"
like "$(cat "$T/env.err")" "env.conf:1: " "its line is named"
printf 'quiet = yes\n' >"$T/q.conf"
ANKANGD_CONFIG=$T/env.conf "$A" serve --config "$T/q.conf" --data "$D" --listen 127.0.0.1:0 \
	--port-file "$T/q.port" 2>"$T/q.err" &
QPID=$!
for _ in $(seq 200); do [ -s "$T/q.port" ] && break; sleep 0.05; done
ok "$([ -s "$T/q.port" ]; echo $?)" "--config overrides ANKANGD_CONFIG: the service starts"
kill "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
rm -f "$T/q.port"
"$A" serve --config "" --data "$D" --listen 127.0.0.1:0 --port-file "$T/q.port" --quiet \
	2>"$T/q.err" &
QPID=$!
for _ in $(seq 200); do [ -s "$T/q.port" ] && break; sleep 0.05; done
ok "$([ -s "$T/q.port" ]; echo $?)" "--config '' reads no file: the service starts"
kill "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null

done_testing
