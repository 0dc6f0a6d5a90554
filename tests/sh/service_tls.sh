#!/bin/bash
# ankangd serve over TLS (libmicrohttpd's GnuTLS support): "encrypt in
# transmission". A self-signed certificate for 127.0.0.1 is made for the
# test with openssl; the server answers HTTPS with it, refuses plain HTTP
# on the same port, and refuses to start with a key file others may read.
# The verifier's sync works over HTTPS when told which CA to trust.
. tests/lib/tap.sh
. tests/lib/service.sh

command -v openssl >/dev/null || skip_all "openssl is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"

openssl req -x509 -newkey ed25519 -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -nodes \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
ok $? "a self-signed certificate for 127.0.0.1"
chmod 0600 "$T/key.pem"

svc_init "$T/d"
AUDITOR=$(svc_account "$T/d" auditor auditor-1)
VERIFIER=$(svc_account "$T/d" verifier checkpoint-1)

# A key file others may read is refused before anything listens.
cp "$T/key.pem" "$T/loose.pem"
chmod 0644 "$T/loose.pem"
"$ANKANG_BIN/ankangd" serve --data "$T/d" --listen 127.0.0.1:0 --port-file "$T/p0" \
	--tls-cert "$T/cert.pem" --tls-key "$T/loose.pem" 2>"$T/loose.err"
is $? 2 "a TLS key readable by others is refused (exit 2)"
like "$(cat "$T/loose.err")" "0600" "and the message says why"
[ ! -s "$T/p0" ]
ok $? "and nothing listened"
"$ANKANG_BIN/ankangd" serve --data "$T/d" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" \
	>/dev/null 2>&1
is $? 2 "--tls-cert without --tls-key is a usage error"

svc_start "$T/d" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
HTTPS=https://127.0.0.1:$(cat "$T/port")
like "$(grep listening "$T/serve.log")" "https://127.0.0.1:" "the service says it listens on https"

got=$(curl -s --max-time 10 --cacert "$T/cert.pem" "$HTTPS/healthz")
like "$got" '^\{"status":"ok","log_size":[0-9]+\}$' "GET /healthz over TLS"
curl -s --max-time 10 "$HTTPS/healthz" >/dev/null 2>&1
ok $((! $?)) "a client that does not trust the certificate is refused"
curl -s --max-time 10 "http://127.0.0.1:$(cat "$T/port")/healthz" >/dev/null 2>&1
ok $((! $?)) "plain HTTP on the TLS port gets no answer"
st=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" \
	-H "Authorization: Bearer $AUDITOR" "$HTTPS/v1/audit/checkpoint")
is "$st" 200 "an authenticated request over TLS"
proto=$(curl -s --max-time 10 -o /dev/null -w '%{ssl_verify_result}' --cacert "$T/cert.pem" \
	"$HTTPS/healthz")
is "$proto" 0 "the certificate chain verified"

# The verifier fetches its lists over HTTPS, trusting the test CA.
mkdir -m 0700 "$T/v"
cp "$T/d/public/root.vkey" "$T/v/"
"$ANKANG_BIN/ankang-verify" sync --server "$HTTPS" --token "$VERIFIER" --cacert "$T/cert.pem" \
	--dir "$T/v" >"$T/sync.out" 2>"$T/sync.err"
ok $? "ankang-verify sync over HTTPS with --cacert"
cmp -s "$T/v/trust.note" "$T/d/public/trust.note"
ok $? "and the trust list it stored is the service's"
"$ANKANG_BIN/ankang-verify" sync --server "$HTTPS" --token "$VERIFIER" --dir "$T/v" \
	>/dev/null 2>"$T/sync2.err"
is $? 2 "without the CA, the sync is refused (exit 2)"
"$ANKANG_BIN/ankang-audit" verify --server "$HTTPS" --token "$AUDITOR" --cacert "$T/cert.pem" \
	--log-key "$T/d/public/log.vkey" >/dev/null 2>&1
ok $? "ankang-audit verify over HTTPS with --cacert"

svc_stop
is "$SERVER_STATUS" 0 "the TLS server stops cleanly"
done_testing
