#!/usr/bin/env bash
# ankang-audit reads the audit log through the log library (log/) alone:
# it links no HTTP server, QR, PNG, image-reading or sealing code, and
# nothing of the service's people store. An auditor's tool that carried
# the service's code could be made to read personal data; this one cannot,
# because the code is not there.
. tests/lib/tap.sh

AUDIT=$ANKANG_PROGS/ankang-audit # read, not run

command -v nm >/dev/null && command -v readelf >/dev/null || skip_all "nm and readelf (binutils) are needed"

needed=$(readelf -d "$AUDIT" | awk '/NEEDED/ {print $5}' | tr -d '[]')
for lib in libmicrohttpd libqrencode libpng libzbar libcbor; do
	bad=$(printf '%s\n' "$needed" | grep -F "$lib" || true)
	is "$bad" "" "ankang-audit does not load $lib"
done

imports=$(nm -D --undefined-only "$AUDIT" | grep -E ' (MHD_|QRcode_|png_|zbar_|crypto_aead_|crypto_kdf_|crypto_pwhash|crypto_sign_detached)' || true)
is "$imports" "" "ankang-audit imports no server, image, sealing, password or signing function"

own=$(nm "$AUDIT" | grep -E ' [TtDdBbRr] (seal_|qr_|resident_|record_|store_resident|store_session|store_account|passphrase_|h_[a-z]|http_start|dispatch_|auditlog_submit|key_signer_)' || true)
is "$own" "" "ankang-audit contains no sealing, QR, resident, session, handler or log-writing code"

# The log library is what it reads with.
log=$(nm "$AUDIT" | grep -cE ' T (store_log_|proof_|logcheck_)' || true)
ok $([ "$log" -gt 0 ] && echo 0 || echo 1) "it reads through the log library (store_log_, proof_, logcheck_)"

done_testing
