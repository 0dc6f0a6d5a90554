#!/usr/bin/env bash
# paper_code: the paper code an officer prints for a person without a
# phone (POST /v1/residents/{handle}/paper-code, docs/API.md "Officers"),
# read back as a checkpoint and a person would:
#   - ?format=pdf: an A6 PDF card, fonts embedded, no name in its
#     metadata; rasterised by pdftoppm it scans with zbarimg to a code the
#     verify endpoint accepts (valid, the status, the person's name), and
#     pdftotext finds the status in words in both languages (绿码 Green
#     code, 黄码 Yellow code, 红码 Red code), the name, the expiry date
#     and time (the code's own exp, in the server's local time), and the
#     instruction; a long name still gives a card that scans;
#   - ?format=svg: carries width and height, and rasterised by
#     rsvg-convert at that size it scans;
#   - a bad format is 400 and writes no leaf; each card is a print_code
#     leaf; the server's log holds no name.
# Personal data is compared, never printed.
. tests/lib/tap.sh
. tests/lib/service.sh

for c in curl jq sqlite3 zbarimg pdftoppm pdftotext pdfinfo pdffonts rsvg-convert; do
	command -v $c >/dev/null 2>&1 || skip_all "$c not installed (scripts/bootstrap)"
done

DIR=$T/data
DB=$DIR/ankang.db
svc_init "$DIR" || { echo "Bail out! ankangd init failed"; exit 1; }
OFFICER=$(svc_account "$DIR" officer desk-3)
VERIFIER=$(svc_account "$DIR" verifier gate-3)
OFFICER_ID=$(svc_sql "$DB" "select id from accounts where name = 'desk-3'")
svc_start "$DIR"
at_exit svc_stop

ZBAR=(zbarimg --raw -q)
zbarimg --help 2>&1 | grep -q -- --nodbus && ZBAR+=(--nodbus)
leaf_at() { svc_sql "$DB" "select rtrim(leaf, char(10)) from log_leaves where idx = $1" | cut -d' ' -f3-; }
log_size() { svc_sql "$DB" "select count(*) from log_leaves"; }

# Made-up people: a Chinese name, and a long mixed one (the longest the
# card must still fit: it is ellipsised on the card, whole in the code).
NAME_A='测试纸码甲'
NAME_L='Test Paper-Card Longname 测试很长的名字 Alexandria Konstantinopolous-Wu'
ID_A=$(gb_id 34010219900101261)
ID_L=$(gb_id 11010519800101299)

enrol() {
	api POST /v1/enroll "" "$(jq -cn --arg n "$1" --arg i "$2" \
		'{name: $n, id_number: $i, passphrase: "paper passphrase 1"}')"
	jbody .resident
}
RES_A=$(enrol "$NAME_A" "$ID_A")
like "$RES_A" '^res_' "A enrols"
RES_L=$(enrol "$NAME_L" "$ID_L")
like "$RES_L" '^res_' "L (a long name) enrols"

paper() {
	api POST "/v1/residents/$1/paper-code$2" "$OFFICER" \
		"$(jq -cn --arg i "$3" '{purpose: "paper_code", id_number: $i, days: 14}')"
}
# scan FILE: the credential zbarimg reads from an image, or nothing.
scan() { "${ZBAR[@]}" "$1" 2>/dev/null | tr -d '\n'; }
verify() { api POST /v1/verify "$VERIFIER" "$(jq -cn --arg c "$1" '{credential: $c}')"; }

# card HANDLE ID STATUS WORDS NAME: print a PDF card and read it back.
card() {
	local res=$1 idn=$2 status=$3 words=$4 name=$5 pdf=$T/card-$3.pdf
	paper "$res" "?format=pdf" "$idn"
	cp "$T/r.body" "$pdf"
	is "$ST $(hdr Content-Type)" "200 application/pdf" "$status card: 200 application/pdf"
	is "$(hdr Content-Disposition)" 'attachment; filename="ankang-paper-code.pdf"' \
		"$status card: an attachment named for what it is, not whose"
	local idx cti exp
	idx=$(hdr X-Ankang-Log-Index)
	like "$(leaf_at "$idx")" "^officer:$OFFICER_ID print_code [0-9a-f]{32} [0-9a-f]{32} ok paper_code\$" \
		"$status card: its print_code leaf"
	cti=$(leaf_at "$idx" | cut -d' ' -f4)
	exp=$(svc_sql "$DB" "select exp from codes where lower(hex(cti)) = '$cti'")

	pdfinfo "$pdf" >"$T/info" 2>&1
	like "$(grep '^Page size:' "$T/info")" '297\.6[0-9]* x 419\.5[0-9]* pts' "$status card: one A6 page"
	is "$(grep -c '^Pages: *1$' "$T/info")" 1 "$status card: one page"
	n=$(grep -cF -- "$name" "$T/info")
	is "$n" 0 "$status card: no name in the PDF's metadata"
	pdffonts "$pdf" | tail -n +3 >"$T/fonts"
	is "$(awk '$(NF-4) != "yes"' "$T/fonts" | wc -l) $(grep -c . "$T/fonts")" "0 $(grep -c . "$T/fonts")" \
		"$status card: every font embedded"

	pdftoppm -r 150 -png -singlefile "$pdf" "$T/card-$status" 2>/dev/null
	local code
	code=$(scan "$T/card-$status.png")
	like "$code" '^AK1:' "$status card, rasterised at 150 dpi: zbarimg reads a code"
	verify "$code"
	is "$ST $(jbody .result) $(jbody .status)" "200 valid $status" \
		"$status card: the scanned code verifies: valid, $status"
	same "$(jbody .name)" "$name" "$status card: the code carries the person's name"

	pdftotext -layout "$pdf" "$T/card-$status.txt" 2>/dev/null
	tr -s ' \n' ' ' <"$T/card-$status.txt" >"$T/card-$status.flat"
	check "$status card: the status in words ($words)" grep -qF -- "$words" "$T/card-$status.flat"
	check "$status card: the expiry, $(date -d "@$exp" '+%Y-%m-%d %H:%M')" \
		grep -qF -- "$(date -d "@$exp" '+%Y-%m-%d %H:%M')" "$T/card-$status.flat"
	check "$status card: 有效期至 Valid until" grep -qF -- "有效期至 Valid until" "$T/card-$status.flat"
	check "$status card: one line of instructions" grep -qF -- "Show this card at checkpoints" \
		"$T/card-$status.flat"
}

card "$RES_A" "$ID_A" green "绿码 Green code" "$NAME_A"
check "the green card shows the name in full" grep -qF -- "$NAME_A" "$T/card-green.flat"
api PUT "/v1/residents/$RES_A/status" "$OFFICER" '{"status": "yellow", "reason": "close_contact"}'
card "$RES_A" "$ID_A" yellow "黄码 Yellow code" "$NAME_A"
api PUT "/v1/residents/$RES_A/status" "$OFFICER" '{"status": "red", "reason": "confirmed_case"}'
card "$RES_A" "$ID_A" red "红码 Red code" "$NAME_A"
for s in yellow red; do
	n=$(grep -cF -- "$(printf '%s' "$NAME_A")" "$T/card-$s.flat")
	is "$n" 1 "the $s card names its holder"
done

# A long name: ellipsised on the card, which still scans.
paper "$RES_L" "?format=pdf" "$ID_L"
cp "$T/r.body" "$T/long.pdf"
is "$ST" 200 "a long name's card: 200"
pdftoppm -r 150 -png -singlefile "$T/long.pdf" "$T/long" 2>/dev/null
verify "$(scan "$T/long.png")"
is "$(jbody .result)" valid "a long name's card scans and verifies"
same "$(jbody .name)" "$NAME_L" "with the whole name in the code"

# The SVG: sized, and it scans at that size.
paper "$RES_A" "?format=svg" "$ID_A"
cp "$T/r.body" "$T/paper.svg"
is "$ST $(hdr Content-Type)" "200 image/svg+xml" "paper code as SVG"
like "$(head -c 200 "$T/paper.svg")" '^<svg [^>]*width="[0-9]+" height="[0-9]+"' \
	"the SVG carries its width and height"
w=$(sed -n 's/^<svg [^>]*width="\([0-9]*\)".*/\1/p' "$T/paper.svg")
vb=$(sed -n 's/^<svg [^>]*viewBox="0 0 \([0-9]*\) .*/\1/p' "$T/paper.svg")
is "$((w / vb)) $((w % vb))" "8 0" "8 pixels a module, as the PNG"
rsvg-convert "$T/paper.svg" -o "$T/paper-svg.png" 2>/dev/null
is "$(file -b "$T/paper-svg.png" | grep -o "$w x $w")" "$w x $w" "rsvg-convert draws it at that size"
verify "$(scan "$T/paper-svg.png")"
is "$(jbody .result) $(jbody .status)" "valid red" "and the drawing scans to a valid code"

# Bad formats: 400, no leaf.
before=$(log_size)
for f in gif PDF 'pdf,png' ''; do
	paper "$RES_A" "?format=$f" "$ID_A"
	is "$ST $(jbody .error)" "400 bad_query" "format '$f': 400 bad_query"
done
like "$(jbody .message)" 'pdf, png or svg' "the message names the formats"
is "$(log_size)" "$before" "a refused format writes no leaf"

svc_stop
is "$SERVER_STATUS" 0 "the server stops cleanly"
for f in "$DB" "$DB-wal" "$T/serve.log" "$T/errors.all"; do
	[ -f "$f" ] || continue
	n=0
	for s in "$NAME_A" "$NAME_L" "$ID_A" "$ID_L"; do n=$((n + $(grep -caF -- "$s" "$f"))); done
	is "$n" 0 "$(basename "$f"): no name or ID number (grep -c = 0)"
done

done_testing
