#!/bin/bash
# ankang-verify and ankangd init/issue as their users run them: every
# credential vector through `ankang-verify --now`, the exit statuses, the
# output shapes, and the verifier's symbol table (no signing or sealing
# code may be linked into it). With ANKANG_TEST_STORE=pg the data folder's
# store (where issue writes its leaf) is on PostgreSQL.
. tests/lib/tap.sh
. tests/lib/service.sh

V=tests/vectors
VERIFY=$ANKANG_BIN/ankang-verify
D=$ANKANG_BIN/ankangd

# The vectors' trust and revocation lists, as a verifier would cache them.
mkdir -p "$T/lists"
jq -j .trust_list $V/lists.json >"$T/lists/trust.note"
jq -j .revocation_list $V/lists.json >"$T/lists/revocations.note"
jq -r .root_key.vkey $V/lists.json >"$T/lists/root.vkey"
# The same without a revocation list (the vectors' valid codes share the
# revoked cti, so only the revocation case is checked against it).
mkdir -p "$T/norevo"
cp "$T/lists/trust.note" "$T/lists/root.vkey" "$T/norevo/"

# --- every vector, through the real binary --------------------------------
i=0
# Fields split on U+001F: empty fields survive (a tab IFS would merge them).
while IFS=$'\x1f' read -r cred now want desc revo wname wstatus; do
	dir=$T/norevo
	[ -n "$revo" ] && dir=$T/lists
	got=$("$VERIFY" --dir "$dir" --now "$now" --json "$cred" 2>/dev/null)
	rc=$?
	result=$(printf '%s' "$got" | jq -r .result 2>/dev/null)
	is "$result" "$want" "vector $i ($desc): $want"
	keys=$(printf '%s' "$got" | jq -c 'keys' 2>/dev/null)
	if [ "$want" = valid ]; then
		ok $rc "vector $i: exit 0 for valid"
		# Compared, never printed: test output stays free of names.
		[ "$wname" = "$(printf '%s' "$got" | jq -r .name)" ]
		ok $? "vector $i: the name shown is the vector's"
		is "$(printf '%s' "$got" | jq -r .status)" "$wstatus" "vector $i: status"
		is "$keys" '["name","result","status"]' \
			"vector $i: JSON holds result, status, name and nothing else"
	else
		is "$rc" 1 "vector $i: exit 1 when not valid"
		if [ "$want" = revoked ]; then
			is "$keys" '["name","result","status"]' "vector $i: a revoked code may show name and status"
		else
			is "$keys" '["result"]' "vector $i: nothing but the result for $want"
		fi
	fi
	i=$((i + 1))
done < <(jq -r '.cases[] | [.credential, .now, .want, .desc, (.revocations // ""),
	(.name // ""), (.status // "")] | map(tostring) | join("\u001f")' $V/credential.json)
is "$i" "$(jq '.cases | length' $V/credential.json)" "every vector was run"

# --- stdin mode: one per line, blank lines (and lines of spaces) skipped, results in order -------
jq -r '.cases[0].credential, "", "   ", .cases[6].credential, .cases[9].credential' $V/credential.json |
	"$VERIFY" --dir "$T/norevo" --now 1767225660 - >"$T/stdin.out" 2>/dev/null
rc=$?
is "$(cut -d' ' -f1 "$T/stdin.out" | tr '\n' ' ')" "valid valid malformed " \
	"stdin: one result per non-blank line, in order"
is "$rc" 1 "stdin: exit 1 when any code is not valid"
# More codes than one batch (SPOOL_BATCH_MAX, 1024) waiting on stdin, the
# spool on: every one shown, in order, and every one spooled first.
mkdir -p "$T/batch"
cp "$T/norevo/"* "$T/batch/"
jq -r '.cases[0].credential, .cases[9].credential' $V/credential.json >"$T/two"
for _ in $(seq 1 550); do cat "$T/two"; done >"$T/many"
"$VERIFY" --dir "$T/batch" - <"$T/many" >"$T/batch.out" 2>"$T/batch.err"
is "$(wc -l <"$T/batch.out")" 1100 "stdin, 1100 codes waiting: 1100 results"
is "$(cut -d' ' -f1 "$T/batch.out" | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" "1 " \
	"results in order (the two codes alternate)"
is "$(wc -l <"$T/batch/spool/scans")" 1100 "and 1100 scans spooled"
is "$(cut -d' ' -f4 "$T/batch/spool/scans" | md5sum)" "$(cut -d' ' -f1 "$T/batch.out" | md5sum)" \
	"the spooled scans are the printed ones, in order"
head -c 3000 /dev/zero | tr '\0' 'A' | "$VERIFY" --dir "$T/lists" - >"$T/long.out" 2>/dev/null
is "$(cat "$T/long.out")" "malformed" "stdin: an over-long line is malformed, not a crash"

# --- usage and I/O errors exit 2 with one line ----------------------------
"$VERIFY" >/dev/null 2>"$T/err"
is $? 2 "no arguments: exit 2"
"$VERIFY" --bogus x >/dev/null 2>&1
is $? 2 "unknown option: exit 2"
"$VERIFY" --dir "$T/nowhere" "AK1:X" >/dev/null 2>"$T/err"
is $? 2 "missing trust list: exit 2"
"$VERIFY" --dir "$T/lists" --now yesterday "AK1:X" >/dev/null 2>&1
is $? 2 "bad --now: exit 2"
cp "$T/lists/trust.note" "$T/tampered.note"
sed -i 's/1798761600/1798848000/' "$T/tampered.note"
"$VERIFY" --dir "$T/lists" --trust "$T/tampered.note" "AK1:X" >/dev/null 2>"$T/err"
is $? 2 "a trust list altered after signing is refused: exit 2"
jq -r .log_key.vkey $V/lists.json >"$T/logkey.vkey"
"$VERIFY" --dir "$T/lists" --root "$T/logkey.vkey" "AK1:X" >/dev/null 2>&1
is $? 2 "a trust list checked with the wrong root key is refused"

# --- init and issue, then verify, as the demo does ------------------------
svc_init "$T/data"
ok $? "init creates a data folder"
is "$(stat -c %a "$T/data")" 700 "data folder is 0700"
bad_modes=$(find "$T/data/keys" -type f ! -perm 600 | wc -l)
is "$bad_modes" 0 "every key file is 0600"
"$D" init --data "$T/data" --origin ankang.test >/dev/null 2>&1
is $? 2 "init refuses an existing data folder"
"$D" init --data "$T/data2" --origin 'bad origin' >/dev/null 2>&1
is $? 2 "init refuses an origin with a space"
[ ! -e "$T/data2" ]
ok $? "and leaves nothing behind"

cred=$(printf 'Test Resident\n' | "$D" issue --data "$T/data" --name - --status yellow --png "$T/c.png")
ok $? "issue prints a credential"
out=$("$VERIFY" --dir "$T/data/public" "$cred")
ok $? "the verifier accepts it (exit 0)"
is "$out" "valid yellow Test Resident" "result, status and name"
out=$("$VERIFY" --dir "$T/data/public" --image "$T/c.png" 2>"$T/err")
is "$out" "valid yellow Test Resident" "--image reads the PNG and verifies it"
is "$(cat "$T/err")" "" "--image prints nothing on stderr"
"$VERIFY" --dir "$T/lists" "$cred" >"$T/out" 2>/dev/null
is "$(cat "$T/out")" "unknown_key" "another deployment's trust list: unknown_key"
"$VERIFY" --dir "$T/data/public" --now $(($(date +%s) + 3600)) "$cred" >"$T/out" 2>"$T/err"
is "$(cat "$T/out")" "expired" "an hour later: expired"
"$D" issue --data "$T/data" --name "" --status green >/dev/null 2>&1
is $? 2 "issue refuses an empty name"
"$D" issue --data "$T/data" --name "Test 3" --status green >"$T/out" 2>&1
is "$?/$(grep -c AK1: "$T/out")" "2/0" "issue holds names to enrolment's rule: a digit is refused, nothing issued"
"$D" issue --data "$T/data" --name $'Test \u202eResident' --status green >/dev/null 2>&1
is $? 2 "and so is a right-to-left override"
"$D" issue --data "$T/data" --name x --status purple >/dev/null 2>&1
is $? 2 "issue refuses an unknown status"
"$D" issue --data "$T/data" --name x --status green --ttl 99999999 >/dev/null 2>&1
is $? 2 "issue refuses a ttl over 31 days"
chmod 0644 "$T/data/keys/root.key"
chmod 0640 "$T"/data/keys/issuer-*.key
"$D" issue --data "$T/data" --name x --status green >/dev/null 2>"$T/err"
is $? 2 "issue refuses an issuer key readable by others"
like "$(cat "$T/err")" "0600" "and says why"

# --- the verifier holds no signing or sealing code -------------------------
if command -v nm >/dev/null; then
	syms=$(nm -D --undefined-only "$ANKANG_PROGS/ankang-verify" | grep -E ' (crypto_sign_detached|crypto_sign_seed_keypair|crypto_sign_keypair|crypto_aead_|crypto_kdf_|crypto_pwhash)' || true)
	is "$syms" "" "ankang-verify imports no signing, sealing or password-hashing function"
	own=$(nm "$ANKANG_PROGS/ankang-verify" | grep -E ' T (key_signer_|note_sign|cred_issue|seal_)' || true)
	is "$own" "" "ankang-verify contains no signer, note-signing, issuing or sealing code"
fi

done_testing
