#!/bin/bash
# log_tiles: the audit log served as C2SP tlog-tiles under /log/
# (docs/API.md, "The log as tiles"), read as a mirror would read it:
#   - a log of exactly 70,000 leaves, the spec's own example (273 full
#     level-0 tiles and one of 112, a full level-1 tile and one of 17, a
#     level-2 tile of 1), planted through the real writer (helper
#     audit_append);
#   - every tile the tree has, fetched with curl; the helper tiles_check
#     verifies the checkpoint with the log key, recomputes its root from
#     the tiles alone, matches every entry of every bundle to its
#     level-0 hash and proves some of them whole, each proof built from
#     tiles; a tile or a bundle with one byte changed fails;
#   - cache headers: the checkpoint and a partial tile a few seconds, a
#     full tile a year and immutable, an entry bundle never;
#   - entry bundles need an auditor's token (401 without, 403 for the
#     other roles); hash tiles and the checkpoint need none;
#   - paths the spec does not spell are 400 bad_tile, tiles no signed
#     checkpoint covers are 404, other methods 405; reading tiles writes
#     no leaf;
#   - Go's own golang.org/x/mod/sumdb/tlog (tests/go/tlogcheck.go, where
#     Go and Debian's golang-golang-x-mod-dev are installed; skipped
#     otherwise) opens the checkpoint, recomputes the root through
#     tlog.TileHashReader and checks every leaf against its tile;
#   - once the log grows, the partial tile grows a hash and keeps its
#     old ones, and full tiles are the same bytes.
# Leaves hold no personal data; tokens are never printed.
. tests/lib/tap.sh
. tests/lib/service.sh
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

need_helpers audit_append tiles_check
command -v sqlite3 >/dev/null || skip_all "the sqlite3 shell is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

DIR=$T/data
DB=$DIR/ankang.db
KEY=$DIR/public/log.vkey
SIZE=70000
svc_init "$DIR"
AUD=$(svc_account "$DIR" auditor inspector-1)
OFF=$(svc_account "$DIR" officer officer-1)
VER=$(svc_account "$DIR" verifier checkpoint-1)
VER_ID=$(svc_sql "$DB" "select id from accounts where name = 'checkpoint-1'")
at_exit svc_stop

log_size() { svc_sql "$DB" 'select count(*) from log_leaves'; }

# The log's size made exactly $SIZE: offline scans by the verifier.
have=$(log_size)
NOW_MS=$(($(date +%s) * 1000))
seq 1 $((SIZE - have)) | awk -v t="$NOW_MS" -v v="$VER_ID" \
	'{printf "ankang/v1 %.0f verifier:%s verify_offline - - malformed -\n", t + $1, v}' >"$T/plant.txt"
"$H/audit_append" --data "$DIR" <"$T/plant.txt" >/dev/null 2>"$T/err"
is "$(log_size)" "$SIZE" "the log planted to $SIZE leaves"

svc_start "$DIR"
# A checkpoint is signed within about a second of a write; bounded wait.
signed=
for _ in $(seq 1 "$(patience 100)"); do
	api GET /log/checkpoint ""
	signed=$(sed -n 2p "$T/r.body")
	[ "$signed" = "$SIZE" ] && break
	nap 100
done
is "$ST/$signed" "200/$SIZE" "GET /log/checkpoint, no token: the checkpoint of $SIZE leaves"
is "$(hdr Content-Type)" "text/plain; charset=utf-8" "  as text/plain; charset=utf-8"
is "$(hdr Cache-Control)" "public, max-age=5" "  cached a few seconds, by anyone"
cp "$T/r.body" "$T/checkpoint"
api GET /v1/audit/checkpoint "$AUD"
cmp -s "$T/r.body" "$T/checkpoint"
ok $? "  the same note as GET /v1/audit/checkpoint"

# --- a mirror of every tile ----------------------------------------------
M=$T/mirror
mkdir -p "$M"
cp "$T/checkpoint" "$M/checkpoint"
"$H/tiles_check" --list "$SIZE" >"$T/paths"
grep -v '^tile/entries/' "$T/paths" >"$T/hash.paths"
grep '^tile/entries/' "$T/paths" >"$T/entry.paths"
is "$(grep -v '^tile/0/' "$T/hash.paths" | tr '\n' ' ')" \
	"tile/1/000 tile/1/001.p/17 tile/2/000.p/1 " "the spec's 70,000: tiles above level 0 as it lists them"
is "$(lines "$T/hash.paths")/$(tail -1 "$T/entry.paths")" "277/tile/entries/273.p/112" \
	"  274 tiles at level 0 (the last of 112) and 274 bundles"
curl_cfg() { awk -v u="$URL" -v m="$M" '{printf "url = \"%s/log/%s\"\noutput = \"%s/%s\"\n", u, $1, m, $1}' "$1"; }
curl_cfg "$T/hash.paths" >"$T/hash.cfg"
curl_cfg "$T/entry.paths" >"$T/entry.cfg"
curl -s --fail --path-as-is --create-dirs --max-time "$(patience 60)" -K "$T/hash.cfg"
ok $? "every hash tile fetched without a token"
curl -s --fail --path-as-is --create-dirs --max-time "$(patience 60)" \
	-H "Authorization: Bearer $AUD" -K "$T/entry.cfg"
ok $? "every entry bundle fetched with an auditor's token"
is "$(fsize "$M/tile/0/000")/$(fsize "$M/tile/0/273.p/112")/$(fsize "$M/tile/2/000.p/1")" \
	"8192/3584/32" "a full tile is 256 hashes, a partial one W"
"$H/tiles_check" "$M" "$KEY" >"$T/out" 2>"$T/err"
ok $? "the tiles' root is the signed checkpoint's"
like "$(tr '\n' ' ' <"$T/out")" "^root ok $SIZE full tiles ok 274 entries $SIZE proved [0-9]{3,} $" \
	"  the 274 full tiles hash to the tile above, every leaf of every bundle to its tile, hundreds proven whole"
# The first leaf of the log, as the bundle holds it: what the store holds.
head -c 2 "$M/tile/entries/000" | od -An -tu1 | awk '{print $1 * 256 + $2}' >"$T/len0"
tail -c +3 "$M/tile/entries/000" | head -c "$(cat "$T/len0")" >"$T/leaf0"
svc_sql "$DB" "select hex(leaf) from log_leaves where idx = 0" >"$T/leaf0.hex"
is "$(od -An -tx1 -v "$T/leaf0" | tr -d ' \n' | tr a-f A-F)" "$(cat "$T/leaf0.hex")" \
	"an entry is its leaf's exact bytes after a 2-byte big-endian length"

# A tampered twin of each kind: one byte changed in a tile the root
# reads, in a full tile it does not, in a bundle.
tamper() { # FILE OFFSET: tiles_check must fail, saying WHY
	rm -rf "$T/bad" && cp -r "$M" "$T/bad"
	flip_byte "$T/bad/$1" "$2"
	"$H/tiles_check" "$T/bad" "$KEY" >/dev/null 2>"$T/err"
	[ $? = 1 ] && grep -q "$3" "$T/err"
}
tamper tile/2/000.p/1 7 "root is not the checkpoint's"
ok $? "a tile the root is made of, one byte changed: the root is not the checkpoint's"
tamper tile/0/100 4000 "not its parent's"
ok $? "a full tile, one byte changed: it does not hash to the tile above"
tamper tile/entries/200 40 "is not its tile's"
ok $? "a bundle, one byte changed: its leaf is not its tile's"
rm -rf "$T/bad"

# --- headers and who may read what ---------------------------------------
api GET /log/tile/0/000 ""
is "$ST/$(hdr Content-Type)/$(hdr Cache-Control)" \
	"200/application/octet-stream/public, max-age=31536000, immutable" \
	"a full tile: octet-stream, cached a year, immutable"
api GET /log/tile/1/001.p/17 ""
is "$ST/$(hdr Cache-Control)" "200/public, max-age=5" "a partial tile: cached a few seconds"
api GET /log/tile/0/273.p/5 ""
is "$ST/$(fsize "$T/r.body")" "200/160" "a narrower partial tile than the newest: its first W hashes"
cmp -s <(head -c 160 "$M/tile/0/273.p/112") "$T/r.body"
ok $? "  the same hashes"
api GET /log/tile/entries/000 "$AUD"
is "$ST/$(hdr Cache-Control)" "200/no-store" "an entry bundle is never cached"
api GET /log/tile/entries/000 ""
is "$ST/$(jbody .error)" "401/no_token" "an entry bundle without a token: 401"
for who in OFF VER; do
	api GET /log/tile/entries/000 "${!who}"
	is "$ST/$(jbody .error)" "403/wrong_role" "an entry bundle with a token of $who: 403"
done
api GET /log/tile/entries/273.p/112 "$OFF"
is "$ST" 403 "  a partial bundle too"
api GET /log/tile/0/000 "$OFF"
is "$ST" 200 "a hash tile with any token: 200"

# --- paths the spec does not spell, tiles no checkpoint covers -----------
for p in 00/000 01/000 64/000 0/5 0/0005 0/x005 0/001/000 0/x000/005 0/000.p/0 0/000.p/256 \
	0/000.p/01 0/000/ 0/000.p/5/ 0/X001/000 a/000 entries/000.p/256 entries/5 entries/x000/001; do
	api GET "/log/tile/$p" "$AUD"
	[ "$ST/$(jbody .error)" = "400/bad_tile" ] && is_error_body || break
done
is "$ST/$(jbody .error)" "400/bad_tile" "18 misspelt tile paths: 400 bad_tile (last: $p)"
for p in 0/274 0/273.p/113 0/x001/000 1/001 1/001.p/18 2/000.p/2 3/000.p/1 63/000.p/1 \
	entries/274 entries/273.p/113; do
	api GET "/log/tile/$p" "$AUD"
	[ "$ST/$(jbody .error)" = "404/not_found" ] || break
done
is "$ST/$(jbody .error)" "404/not_found" "10 tiles beyond the signed tree: 404 (last: $p)"
api POST /log/tile/0/000 "" ''
is "$ST" 405 "POST to a tile: 405"
api GET /log/tile/ ""
is "$ST" 404 "no tile path at all: 404"
is "$(log_size)" "$SIZE" "reading the log as tiles wrote no leaf"

# --- Go's tlog reads the same tiles ---------------------------------------
# golang.org/x/mod/sumdb/tlog from Debian (golang-golang-x-mod-dev), in
# GOPATH mode: nothing is downloaded. Where Go or the package is missing,
# these are skipped.
GOPATH_DEB=/usr/share/gocode
if command -v go >/dev/null && [ -d "$GOPATH_DEB/src/golang.org/x/mod/sumdb/tlog" ]; then
	GO111MODULE=off GOPATH=$GOPATH_DEB GOFLAGS= GOPROXY=off GOCACHE=$T/gocache \
		go build -o "$T/tlogcheck" tests/go/tlogcheck.go 2>"$T/err"
	ok $? "tests/go/tlogcheck builds against Debian's golang.org/x/mod, GOPATH mode"
	TLOGCHECK_TOKEN=$AUD "$T/tlogcheck" -every 61 "$URL" "$KEY" >"$T/out" 2>"$T/err"
	ok $? "Go's sumdb/note opens the checkpoint, tlog.TileHashReader reads /log/tile/ through the adapter"
	like "$(tr '\n' ' ' <"$T/out")" "^root ok $SIZE proved [0-9]{4} $" \
		"  tlog.TreeHash is the checkpoint's root; every leaf is its authenticated tile's, 1 in 61 proven by tlog.CheckRecord"
	svc_init "$T/other"
	TLOGCHECK_TOKEN=$AUD "$T/tlogcheck" "$URL" "$T/other/public/log.vkey" >/dev/null 2>"$T/err"
	ok $((!$?)) "  and refuses the checkpoint under another log's key"
else
	for d in "tlogcheck builds" "Go's tlog reads the tiles" "  its root and proofs" "  another key"; do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n - $d # SKIP go or golang-golang-x-mod-dev is not installed"
	done
fi

# --- the log grows --------------------------------------------------------
api POST /v1/verify "$VER" '{"credential":"not a code"}'
grown=
for _ in $(seq 1 "$(patience 100)"); do
	api GET /log/checkpoint ""
	grown=$(sed -n 2p "$T/r.body")
	[ "$grown" != "$SIZE" ] && break
	nap 100
done
is "$grown" "$((SIZE + 1))" "one verification later, the checkpoint has one leaf more"
api GET /log/tile/0/273.p/113 ""
is "$ST/$(fsize "$T/r.body")" "200/3616" "the partial tile has 113 hashes now"
cmp -s <(head -c 3584 "$T/r.body") "$M/tile/0/273.p/112"
ok $? "  its first 112 are the ones served before"
api GET /log/tile/1/000 ""
cmp -s "$T/r.body" "$M/tile/1/000"
ok $? "a full tile is the same bytes"
svc_stop
done_testing
