#!/bin/bash
# verify_day: ankang-verify as a checkpoint worker uses it through a day:
#   - zbarcam's default "QR-Code:" prefix on stdin is taken off; lines
#     without it still work; any other "Type:" prefix is malformed;
#   - results: the first word is always the result; a refused code's
#     status follows "was"/"now" in parentheses, never where a pass's
#     status stands; on a terminal (a pty from script(1)), or with
#     --color=always, a coloured banner per code and a bell per refusal;
#     NO_COLOR and --color=never give lines; --json is unchanged; names
#     in a banner are still made safe;
#   - status: when the lists were last synced, and how long checks may go
#     on offline before the revocation list is stale, in words and JSON;
#   - the folder is state: $XDG_STATE_HOME/ankang-verify, else
#     ~/.local/state/ankang-verify, moved once from ~/.cache/ankang-verify
#     with every file, mode and spool record (by rename, and across file
#     systems through /dev/shm when it is one); a second run does
#     nothing; an interrupted copy or removal is finished, never at the
#     cost of a scan; --dir and $ANKANG_VERIFY_DIR move nothing;
#   - --image: JPEG as well as PNG, every code in an image (one line each),
#     and photos as a phone takes them (tests/helpers/photo: turned,
#     scaled, noisy, JPEG-compressed); a corrupt JPEG or one declaring
#     a huge image is refused with exit 2, never a crash.
# Names are compared, never printed. With ANKANG_TEST_STORE=pg the data
# folder's store (where issue writes its leaves) is on PostgreSQL.
. tests/lib/tap.sh
. tests/lib/service.sh

D=$ANKANG_BIN/ankangd
VERIFY=$ANKANG_BIN/ankang-verify
DATA=$T/data

need_helpers sign_list mkcred photo

svc_init "$DATA" || { echo "Bail out! init failed"; exit 1; }
V=$DATA/public
cred=$(printf 'Test Resident\n' | "$D" issue --data "$DATA" --name - --status green)
ok $? "a code is issued"

# ------------------------------------------------------ zbarcam's prefix
printf 'QR-Code:%s\n%s\nEAN-13:5901234123457\nQR-Code:\n' "$cred" "$cred" |
	"$VERIFY" --dir "$V" --no-spool - >"$T/out" 2>"$T/err"
is $? 1 "stdin with prefixes: exit 1 (some lines are not codes)"
is "$(cut -d' ' -f1 "$T/out" | tr '\n' ' ')" "valid valid malformed malformed " \
	"QR-Code: is taken off, a bare line still works, another type and an empty QR-Code: are malformed"
same "$(sed -n 1p "$T/out")" "valid green Test Resident" "the prefixed code shows its status and name"
printf 'qr-code:%s\n' "$cred" | "$VERIFY" --dir "$V" --no-spool - >"$T/out" 2>/dev/null
is "$(cat "$T/out")" "malformed" "the prefix is zbar's exact spelling, nothing looser"
printf 'QR-Code:QR-Code:%s\n' "$cred" | "$VERIFY" --dir "$V" --no-spool - >"$T/out" 2>/dev/null
is "$(cat "$T/out")" "malformed" "and is taken off once"
{ printf 'QR-Code:'; head -c 1100 /dev/zero | tr '\0' 'A'; printf '\n%s\n' "$cred"; } |
	"$VERIFY" --dir "$V" --no-spool - >"$T/out" 2>/dev/null
is "$(cut -d' ' -f1 "$T/out" | tr '\n' ' ')" "malformed valid " \
	"an over-long prefixed line is malformed, and the next line is read"
"$VERIFY" --dir "$V" --no-spool "QR-Code:$cred" >"$T/out" 2>/dev/null
is "$(cat "$T/out")" "malformed" "on the command line a code is given bare (the prefix is for stdin)"

# ------------------------------------------------- refused codes, in words
S=$T/spool
"$VERIFY" --dir "$V" --spool "$S" "$cred" >/dev/null 2>&1
cti=$(cut -d' ' -f2 "$S/scans")
now=$(date +%s)
R=$T/r
mkdir -p "$R"
cp "$V/root.vkey" "$V/trust.note" "$R/"
"$H/sign_list" --data "$DATA" revocations "$now" "$cti" >"$R/revocations.note"
"$VERIFY" --dir "$R" --no-spool "$cred" >"$T/out" 2>/dev/null
is $? 1 "a revoked code: exit 1"
same "$(cat "$T/out")" "revoked (was green) Test Resident" \
	"the line: the result first, the status after 'was', then the name"
is "$(cut -d' ' -f2 "$T/out")" "(was" "a refused code's second word is not a status"
"$VERIFY" --dir "$R" --no-spool --json "$cred" >"$T/out" 2>/dev/null
is "$(jq -r '.result + " " + .status' "$T/out")" "revoked green" "--json is unchanged: result and status"
is "$(jq -c keys "$T/out")" '["name","result","status"]' "--json: the same keys"
"$VERIFY" --dir "$V" --no-spool --color=never "$cred" AK1:X >"$T/out" 2>/dev/null
is "$(cut -d' ' -f1-2 "$T/out" | tr '\n' ' ')" "valid green malformed " \
	"--color=never: lines, a valid code's status second"
LC_ALL=C grep -q $'[\a\033]' "$T/out"
ok $((!$?)) "lines hold no escape and no bell"

# -------------------------------------------------------------- banners
"$VERIFY" --dir "$R" --no-spool --color=always "$cred" "$cred" AK1:X >"$T/out" 2>/dev/null
is $? 1 "--color=always: the same exit status"
# Strip the SGR sequences, the erase-to-end-of-line and the bell to read
# the words; count the raw bytes apart.
words() { LC_ALL=C sed -e $'s/\033\\[[0-9;]*[mK]//g' -e $'s/\a//g' "$1" | grep -v '^$'; }
words "$T/out" >"$T/words"
is "$(wc -l <"$T/words" | tr -d ' ')" 3 "one banner line of words per code"
same "$(sed -n 1p "$T/words")" "  REFUSED: revoked (was green)  Test Resident" \
	"a revoked code: REFUSED first, the status after 'was'"
is "$(sed -n 3p "$T/words")" "  REFUSED: malformed" "a malformed code: REFUSED and the reason"
is "$(LC_ALL=C tr -cd '\a' <"$T/out" | wc -c | tr -d ' ')" 3 "a bell per refusal"
is "$(LC_ALL=C grep -c $'\033\\[1;97;41m' "$T/out")" 9 \
	"each refusal is three lines of white on red"
LC_ALL=C grep -q $'\033\\[1;30;42m' "$T/out"
ok $((!$?)) "and never on green"
"$VERIFY" --dir "$V" --no-spool --color=always "$cred" >"$T/out" 2>/dev/null
is $? 0 "a valid code: exit 0"
same "$(words "$T/out")" "  VALID  绿码 green  Test Resident" "a valid banner: VALID, the status, the name"
is "$(LC_ALL=C grep -c $'\033\\[1;30;42m.*\033\\[K' "$T/out")" 3 \
	"three lines of black on green, each cleared to the end of the line (full width)"
is "$(LC_ALL=C tr -cd '\a' <"$T/out" | wc -c | tr -d ' ')" 0 "no bell for a pass"
yel=$(printf 'Test Resident\n' | "$D" issue --data "$DATA" --name - --status yellow)
"$VERIFY" --dir "$V" --no-spool --color=always "$yel" >"$T/out" 2>/dev/null
same "$(words "$T/out")" "  VALID  黄码 yellow  Test Resident" "a yellow code: VALID on yellow"
is "$(LC_ALL=C grep -c $'\033\\[1;30;43m' "$T/out")" 3 "in yellow"
"$VERIFY" --dir "$V" --no-spool --json --color=always "$cred" >"$T/out" 2>/dev/null
is "$(jq -r .result "$T/out")" "valid" "--json wins over --color=always"
"$VERIFY" --dir "$V" --no-spool --color=sometimes "$cred" >/dev/null 2>"$T/err"
is $? 2 "--color=sometimes: exit 2"
like "$(cat "$T/err")" "auto, always or never" "and says what it takes"

# A name with C1 and bidi controls (signed by the helper, as another
# issuer's tool might): the banner makes it safe as the line does.
printf 'Eve\xc2\x9b[31m\xe2\x80\xaeAB\n' >"$T/name"
bad=$("$H/mkcred" --data "$DATA" --status green --iat +0 --exp +300 <"$T/name")
"$VERIFY" --dir "$V" --no-spool --color=always "$bad" >"$T/out" 2>/dev/null
LC_ALL=C grep -qP '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]' "$T/out"
ok $((!$?)) "a banner's name holds no C1 or bidi control"
LC_ALL=C grep -qF $'Eve\xef\xbf\xbd[31m\xef\xbf\xbdAB' "$T/out"
ok $? "each is U+FFFD"

# On a terminal: script(1) gives the program a pty.
if command -v script >/dev/null; then
	tty_run() { script -qec "$*" /dev/null </dev/null; }
	tty_run "'$VERIFY' --dir '$R' --no-spool '$cred'" >"$T/out" 2>/dev/null
	LC_ALL=C grep -q $'\033\\[1;97;41m' "$T/out"
	ok $? "on a terminal: a banner by default"
	is "$(LC_ALL=C tr -cd '\a' <"$T/out" | wc -c | tr -d ' ')" 1 "and a bell for the refusal"
	tty_run "NO_COLOR=1 '$VERIFY' --dir '$R' --no-spool '$cred'" >"$T/out" 2>/dev/null
	LC_ALL=C grep -q $'\033' "$T/out"
	ok $((!$?)) "NO_COLOR: no colour on a terminal"
	same "$(LC_ALL=C tr -d '\a\r' <"$T/out")" "revoked (was green) Test Resident" "but the line"
	is "$(LC_ALL=C tr -cd '\a' <"$T/out" | wc -c | tr -d ' ')" 1 "and still the bell"
	tty_run "'$VERIFY' --dir '$R' --no-spool --color=never '$cred'" >"$T/out" 2>/dev/null
	LC_ALL=C grep -q $'\033' "$T/out"
	ok $((!$?)) "--color=never: no colour on a terminal"
else
	for i in 1 2 3 4 5 6; do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # SKIP script(1) is not installed"
	done
fi

# ---------------------------------------------------------------- status
"$VERIFY" status --dir "$R" --spool "$S" >"$T/out" 2>"$T/err"
is $? 0 "status with fresh lists: exit 0"
like "$(sed -n 3p "$T/out")" "^spool: " "the first three lines are as they were"
like "$(sed -n 4p "$T/out")" "^synced: [0-9T:-]+Z, [0-9]+ (s|min [0-9]+ s|min) ago$" \
	"synced: when the lists were last written"
like "$(sed -n 5p "$T/out")" \
	"^offline: [0-9]+ (s|min|min [0-9]+ s) left, until [0-9T:-]+Z \(then the revocation list is stale" \
	"offline: how long checks may go on, and until when"
"$VERIFY" status --dir "$R" --spool "$S" --json >"$T/out"
is "$(jq -c '[(.synced.time > 0), (.synced.age >= 0), (.offline.until == .revocations.issued + 600),
	(.offline.left > 0 and .offline.left <= 600)]' "$T/out")" "[true,true,true,true]" \
	"--json: synced time and age, offline left and until (issued + --stale)"
"$VERIFY" status --dir "$R" --spool "$S" --stale 86400 --json >"$T/out"
is "$(jq -c '[(.offline.until == .revocations.issued + 86400), (.offline.left > 3600)]' "$T/out")" \
	"[true,true]" "--stale moves the limit"
"$VERIFY" status --dir "$R" --spool "$S" --stale 86400 >"$T/out"
like "$(sed -n 5p "$T/out")" "^offline: (23 h [0-9]+ min|1 d) left" "in words: hours and minutes"

"$H/sign_list" --data "$DATA" revocations $((now - 7200)) >"$R/revocations.note"
touch -d @$((now - 3600)) "$R/revocations.note"
"$VERIFY" status --dir "$R" --spool "$S" >"$T/out" 2>&1
is $? 1 "a two-hour-old revocation list: exit 1"
like "$(sed -n 4p "$T/out")" "^synced: [0-9T:-]+Z, 1 h( [0-9]+ min)? ago$" \
	"synced is the file's time (an hour ago)"
like "$(sed -n 5p "$T/out")" "^offline: none left, stale since [0-9T:-]+Z \(1 h [5-9][0-9] min ago\): run ankang-verify sync$" \
	"offline: none left, and since when"
"$VERIFY" status --dir "$R" --spool "$S" --json >"$T/out"
is "$(jq -c '[.stale, .offline.left, (.synced.age >= 3600)]' "$T/out")" "[true,0,true]" \
	"--json: stale, nothing left"
rm "$R/revocations.note"
"$VERIFY" status --dir "$R" --spool "$S" >"$T/out" 2>&1
like "$(sed -n 4,5p "$T/out" | tr '\n' '|')" "^synced: never\|offline: no revocation list" \
	"without a revocation list: never synced, and no offline time"
"$VERIFY" status --dir "$R" --spool "$S" --json >"$T/out"
is "$(jq -c '[.synced, .offline]' "$T/out")" "[null,null]" "--json: both null"

# ------------------------------------------------------ state, not cache
# mkold DIR: a folder as the old default held it, with scans in its spool.
mkold() {
	mkdir -p "$(dirname "$1")" && mkdir -m 700 "$1" &&
		cp "$V/root.vkey" "$V/trust.note" "$V/revocations.note" "$1/" &&
		touch -d @$((now - 100)) "$1/revocations.note" &&
		"$VERIFY" --dir "$1" "$cred" "$cred" AK1:X >/dev/null 2>&1
	printf '0\n' >"$1/spool/sent" && chmod 600 "$1/spool/sent"
}
# snap DIR: every path, type and mode, and every file's hash (no names:
# the spool holds none).
snap() { (cd "$1" && find . -printf '%p %y %m\n' | sort && find . -type f -exec sha256sum {} + | sort -k2); }
# vrun HOME [VAR=value...] ARGS...: the verifier with the default folder.
vrun() {
	local home=$1
	shift
	env -u ANKANG_VERIFY_DIR -u XDG_STATE_HOME HOME="$home" "$@"
}

HM=$T/home
OLD=$HM/.cache/ankang-verify
NEW=$HM/.local/state/ankang-verify
mkold "$OLD"
is "$(wc -l <"$OLD/spool/scans" | tr -d ' ')" 3 "the old folder holds 3 scans"
before=$(snap "$OLD")
vrun "$HM" "$VERIFY" status >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "moved the verifier's folder from .*/\.cache/ankang-verify to .*/\.local/state/ankang-verify" \
	"the first run moves ~/.cache/ankang-verify to ~/.local/state/ankang-verify, and says so"
[ ! -e "$OLD" ] && [ ! -e "$OLD.moving" ]
ok $? "nothing is left at the old place"
is "$(snap "$NEW")" "$before" "every file, its mode and its bytes moved (the 3 scans and the sent offset)"
is "$(stat -c %a "$HM/.local/state")" 700 "a ~/.local/state it makes is 0700"
vrun "$HM" "$VERIFY" "$cred" >"$T/out" 2>"$T/err"
ok $? "a check with the default folder finds the root key and lists there"
is "$(wc -l <"$NEW/spool/scans" | tr -d ' ')" 4 "and appends its scan to the moved spool"
after=$(snap "$NEW")
vrun "$HM" "$VERIFY" status >/dev/null 2>"$T/err"
is "$(cat "$T/err")" "" "a second run says nothing"
is "$(snap "$NEW")" "$after" "and changes nothing"
[ ! -e "$OLD" ]
ok $? "and makes no old folder"
mkdir -p -m 700 "$OLD"
vrun "$HM" "$VERIFY" status >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "warning: .*\.cache/ankang-verify is no longer read" \
	"an old folder made again beside the new one: a warning"
is "$(snap "$NEW")" "$after" "and neither folder is touched"
rmdir "$OLD"

# --dir and ANKANG_VERIFY_DIR name the folder: nothing moves.
HD=$T/home-dir
mkold "$HD/.cache/ankang-verify"
vrun "$HD" "$VERIFY" status --dir "$HD/.cache/ankang-verify" >/dev/null 2>&1
vrun "$HD" ANKANG_VERIFY_DIR="$HD/elsewhere" "$VERIFY" --no-spool AK1:X >/dev/null 2>&1
[ -d "$HD/.cache/ankang-verify" ] && [ ! -e "$HD/.local" ]
ok $? "--dir and \$ANKANG_VERIFY_DIR move nothing"

# XDG_STATE_HOME, on another file system when /dev/shm is one: the copy.
HX=$T/home-x
mkold "$HX/.cache/ankang-verify"
before=$(snap "$HX/.cache/ankang-verify")
mtime=$(stat -c %Y "$HX/.cache/ankang-verify/revocations.note")
XS=
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$T")" ]; then
	XS=$(mktemp -d /dev/shm/ankang-test.XXXXXX)
	rm_xs() { rm -rf "$XS"; }
	at_exit rm_xs
	what="across file systems"
else
	XS=$T/xdg
	what="(on one file system: /dev/shm is not another)"
fi
vrun "$HX" XDG_STATE_HOME="$XS" "$VERIFY" status >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "moved the verifier's folder .* to $XS/ankang-verify" \
	"\$XDG_STATE_HOME: the folder moves to \$XDG_STATE_HOME/ankang-verify $what"
is "$(snap "$XS/ankang-verify")" "$before" "every file, mode and byte $what"
is "$(stat -c %Y "$XS/ankang-verify/revocations.note")" "$mtime" \
	"the list's time is kept (status reads it as the last sync)"
[ ! -e "$HX/.cache/ankang-verify" ] && [ ! -e "$HX/.cache/ankang-verify.moving" ] &&
	[ ! -e "$XS/ankang-verify.part" ]
ok $? "and nothing is left behind"
vrun "$HX" XDG_STATE_HOME="$XS" "$VERIFY" status >/dev/null 2>"$T/err"
is "$(cat "$T/err")" "" "a second run does nothing"
HL=$T/home-l
mkold "$HL/.cache/ankang-verify"
(cd "$T" && vrun "$HL" XDG_STATE_HOME=relative "$VERIFY" status >/dev/null 2>&1)
[ ! -e "$T/relative" ] && [ -s "$HL/.local/state/ankang-verify/spool/scans" ]
ok $? "a relative \$XDG_STATE_HOME is ignored, as the spec says: ~/.local/state"

# A crash during the copy: the old folder already renamed .moving, a
# partial .part, no new folder. The next run copies again.
HC=$T/home-c
mkold "$HC/.cache/ankang-verify"
before=$(snap "$HC/.cache/ankang-verify")
mv "$HC/.cache/ankang-verify" "$HC/.cache/ankang-verify.moving"
mkdir -p "$HC/.local/state/ankang-verify.part/spool"
head -c 50 "$HC/.cache/ankang-verify.moving/spool/scans" >"$HC/.local/state/ankang-verify.part/spool/scans"
vrun "$HC" "$VERIFY" status >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "moved the verifier's folder" "a copy cut short by a crash is done again"
is "$(snap "$HC/.local/state/ankang-verify")" "$before" "with every scan, none from the partial copy"
[ ! -e "$HC/.cache/ankang-verify.moving" ] && [ ! -e "$HC/.local/state/ankang-verify.part" ]
ok $? "and the partial copy and the old folder are gone"

# A crash after the copy's rename, before the old folder's removal; then a
# scan appended to the new spool. The next run removes .moving: every scan
# in it is in the new spool.
HR=$T/home-r
mkold "$HR/.cache/ankang-verify.moving"
mkdir -p "$HR/.local/state"
cp -a "$HR/.cache/ankang-verify.moving" "$HR/.local/state/ankang-verify"
vrun "$HR" "$VERIFY" "$cred" >/dev/null 2>"$T/err"
is "$(wc -l <"$HR/.local/state/ankang-verify/spool/scans" | tr -d ' ')" 4 \
	"a crash before the removal: the new folder is used (4 scans)"
[ ! -e "$HR/.cache/ankang-verify.moving" ]
ok $? "and the old copy, all of whose scans it holds, is removed"

# A verifier from before appended to .moving after the copy: .moving is
# kept, with a warning, and the new folder is untouched.
HK=$T/home-k
mkold "$HK/.cache/ankang-verify.moving"
mkdir -p "$HK/.local/state"
cp -a "$HK/.cache/ankang-verify.moving" "$HK/.local/state/ankang-verify"
"$VERIFY" --dir "$HK/.cache/ankang-verify.moving" "$cred" >/dev/null 2>&1
kept=$(snap "$HK/.cache/ankang-verify.moving")
newer=$(snap "$HK/.local/state/ankang-verify")
vrun "$HK" "$VERIFY" status >/dev/null 2>"$T/err"
like "$(cat "$T/err")" "warning: .*ankang-verify.moving holds scans that .* lacks" \
	"scans written to the old folder after the copy: a warning"
is "$(snap "$HK/.cache/ankang-verify.moving")" "$kept" "and the old folder is kept, every scan in it"
is "$(snap "$HK/.local/state/ankang-verify")" "$newer" "and the new one untouched"

# ---------------------------------------------------------------- --image
printf 'Test Resident\n' | "$D" issue --data "$DATA" --name - --status green --png "$T/c1.png" >/dev/null
printf 'Test Other\n' | "$D" issue --data "$DATA" --name - --status yellow --png "$T/c2.png" >/dev/null
# img ARGS...: the verifier's lines for images, sorted (zbar's order is its own).
img() { "$VERIFY" --dir "$V" --no-spool --color=never --image "$@" 2>"$T/err" | sort; }
want=$(printf 'valid green Test Resident\nvalid yellow Test Other')
"$H/photo" "$T/two.png" "$T/c1.png" "$T/c2.png"
same "$(img "$T/two.png")" "$want" "a PNG with two codes: one line for each"
"$H/photo" -q 90 "$T/one.jpg" "$T/c1.png"
is "$(head -c 3 "$T/one.jpg" | od -An -tx1 | tr -d ' ')" "ffd8ff" "the helper wrote a JPEG"
same "$(img "$T/one.jpg")" "valid green Test Resident" "a JPEG is read"
is "$(cat "$T/err")" "" "with nothing on stderr"
i=0
for args in "-r 17 -s 0.8 -n 40 -q 70" "-r 33 -s 0.6 -n 60 -q 60" "-r -8 -s 1.5 -n 30 -q 50" \
	"-r 95 -s 0.5 -n 50 -q 60"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the arguments are words on purpose
	"$H/photo" $args -S $i "$T/phone$i.jpg" "$T/c1.png" "$T/c2.png"
	same "$(img "$T/phone$i.jpg")" "$want" "a phone's photo of two codes ($args): both read"
done
"$VERIFY" --dir "$V" --spool "$T/imgspool" --image "$T/phone1.jpg" >/dev/null 2>&1
is "$?/$(wc -l <"$T/imgspool/scans" | tr -d ' ')" "0/2" "exit 0, and each code in the photo is a scan in the spool"
"$VERIFY" --dir "$V" --no-spool --image "$T/one.jpg" "$T/one.jpg" >"$T/out" 2>/dev/null
is "$(wc -l <"$T/out" | tr -d ' ')" 2 "two images, one line each"
# A JPEG cut short, one of nothing but its start marker and junk, and one
# whose frame header declares 9000 x 9000 pixels (over scan.h's 8192 a side).
head -c 600 "$T/phone1.jpg" >"$T/cut.jpg"
"$VERIFY" --dir "$V" --no-spool --image "$T/cut.jpg" >"$T/out" 2>"$T/err"
rc=$?
ok $((!(rc == 1 || rc == 2))) "a JPEG cut short: no code or an error (exit $rc), not a crash"
printf '\377\330\377junk junk junk' >"$T/junk.jpg"
"$VERIFY" --dir "$V" --no-spool --image "$T/junk.jpg" >"$T/out" 2>"$T/err"
is $? 2 "a JPEG that is junk after its start: exit 2"
like "$(cat "$T/err")" "junk.jpg: " "with one line naming the file"
sof=$(LC_ALL=C grep -obUaP '\xff\xc0' "$T/one.jpg" | head -1 | cut -d: -f1)
cp "$T/one.jpg" "$T/huge.jpg"
printf '\043\050\043\050' | dd of="$T/huge.jpg" bs=1 seek=$((sof + 5)) conv=notrunc status=none
"$VERIFY" --dir "$V" --no-spool --image "$T/huge.jpg" >"$T/out" 2>"$T/err"
is $? 2 "a JPEG declaring 9000 x 9000 pixels: exit 2"
like "$(cat "$T/err")" "huge.jpg: .*(large|limit|big)" "refused as too large, before decoding"

done_testing
