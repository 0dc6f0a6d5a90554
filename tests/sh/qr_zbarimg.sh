#!/usr/bin/env bash
# qr_zbarimg: the PNGs that service/qr.c draws, in every status colour,
# read back by an independent reader (zbar's own zbarimg, through
# ImageMagick) as exactly the credential that went in. Uses the test
# helper build/tests/helpers/qrpng. Skips when zbarimg is not installed.
. tests/lib/tap.sh

command -v zbarimg >/dev/null 2>&1 || skip_all "zbarimg not installed (zbar-tools)"

# The helper lives beside the test binaries of whichever build is tested:
# build/tests/helpers normally, build/asan/tests/helpers under check-asan.
need_helpers qrpng
QRPNG=$H/qrpng

ZBAR=(zbarimg --raw -q)
# zbarimg tries D-Bus unless told not to, and complains when it is absent.
zbarimg --help 2>&1 | grep -q -- --nodbus && ZBAR+=(--nodbus)

vector=$(sed -n 's/^ *"credential": "\(AK1:[^"]*\)",*$/\1/p' tests/vectors/credential.json | head -1)
like "$vector" '^AK1:' "vector credential found"

# 1024 characters, the longest credential: every base45 character, ending
# in spaces so that a reader which trims would fail.
alphabet='0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:'
big="AK1:$alphabet"
i=7
while [ ${#big} -lt 1022 ]; do
	i=$(((i * 1103515245 + 12345) % 2147483648))
	big+=${alphabet:$(((i >> 16) % 45)):1}
done
big+='  '
is "${#big}" 1024 "synthetic credential is 1024 characters"

# roundtrip NAME STATUS TEXT [qrpng options...]
roundtrip() {
	local name=$1 status=$2 text=$3
	shift 3
	local png="$T/$name-$status.png"
	if ! "$QRPNG" "$@" "$status" "$text" >"$png"; then
		ok 1 "$name $status: qrpng wrote a PNG"
		return
	fi
	"${ZBAR[@]}" "$png" >"$T/out" 2>"$T/err"
	local rc=$?
	printf '%s\n' "$text" >"$T/want"
	if [ $rc -eq 0 ] && cmp -s "$T/out" "$T/want"; then
		ok 0 "$name $status${*:+ $*}: zbarimg reads back the same credential"
	else
		ok 1 "$name $status${*:+ $*}: zbarimg reads back the same credential"
		diag "zbarimg exit $rc, $(wc -c <"$T/out") bytes out, want $(wc -c <"$T/want")"
		sed 's/^/#   /' "$T/err" | head -5 >&2
	fi
}

for status in green yellow red; do
	roundtrip vector "$status" "$vector"
	roundtrip vector "$status" "$vector" -s 2
	roundtrip big "$status" "$big"
	roundtrip big "$status" "$big" -s 3 -e H
	roundtrip big "$status" "$big" -s 3 -e L
done

# The PNG holds the status colour, and nothing that reads as text.
"$QRPNG" yellow "$vector" >"$T/y.png"
like "$(od -An -tx1 -v "$T/y.png" | tr -d ' \n')" '8c6a00' "yellow PNG's palette holds #8c6a00"
if grep -aq 'AK1:' "$T/y.png"; then ok 1 "PNG carries no text"; else ok 0 "PNG carries no text"; fi

# Not a credential: refused, not quietly encoded in byte mode.
"$QRPNG" green "ak1:lower case" >"$T/bad.png" 2>"$T/bad.err"
is "$?" 2 "qrpng refuses text outside the QR alphanumeric set"

done_testing
