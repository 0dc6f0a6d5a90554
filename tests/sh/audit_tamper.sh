#!/bin/bash
# ankang-audit against a real log and the attacks of issue 3: a data folder
# made by `ankangd init`, leaves written by `ankangd issue` and planted
# through the real writer (helper audit_append), then
#   - verify on a copy (state saved), entries, prove/check-proof, report;
#   - one leaf's bytes changed with the sqlite3 shell (triggers dropped)
#     -> verify names that index;
#   - the log truncated and re-signed with the stolen log key (helper
#     resign), then grown past the old size -> only the saved state
#     catches it, on consistency;
#   - a leaf inserted in the middle, a leaf deleted -> named;
#   - every command again through --server, against a small fake server
#     (helper fake_audit_server) serving the same database, and that
#     server misbehaving (redirects, huge or slow answers, bad JSON, lying
#     proofs) -> refused;
#   - the service's own checks (issue 8, finding 7): one byte of an old
#     leaf, under the newest checkpoint -> `ankangd serve` starts, `check`
#     passes but says what it did not rehash, `check --full` fails, the
#     scrubber finds it (/metrics) and an enrolment answers 503; one byte
#     of a leaf written since the previous start -> serve refuses to start.
# Times are planted in UTC and the tool runs with TZ=UTC, so "night" is
# the same hour everywhere. No personal data appears: leaves have none,
# and the issued codes are never printed.
. tests/lib/tap.sh
export TZ=UTC
# Loopback only: a proxy from the environment must not see the test traffic.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

AUDIT=$ANKANG_BIN/ankang-audit
D=$ANKANG_BIN/ankangd
need_helpers audit_append resign fake_audit_server
command -v sqlite3 >/dev/null || skip_all "the sqlite3 shell is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

DATA=$T/data
KEY=$DATA/public/log.vkey
"$D" init --data "$DATA" --origin audit.test >/dev/null 2>&1
ok $? "ankangd init makes a data folder"
for s in green yellow red; do
	echo "Test Person" | "$D" issue --data "$DATA" --name - --status $s >/dev/null 2>&1 || break
done
ok $? "ankangd issue writes issue leaves"

# An auditor's copy, taken consistently (as sqlite3 .backup would be).
snapshot() { sqlite3 "$DATA/ankang.db" ".backup '$1'"; }
snapshot "$T/early.db"
"$AUDIT" verify --db "$T/early.db" --log-key "$KEY" --state "$T/early.state" >"$T/out" 2>&1
ok $? "verify passes on the first leaves (state saved)"
cp "$T/early.state" "$T/liar.state"

# --- planted leaves ------------------------------------------------------
# 2025-03-01 00:00:00 UTC; each line: a whole leaf without "\n".
BASE=$(date -u -d 2025-03-01 +%s)
awk -v base="$BASE" 'BEGIN {
	ms = base * 1000
	h = 3600000
	# Filler: 2400 daytime verifications by verifiers 1..4 (08:00 on, 10 s apart).
	for (i = 0; i < 2400; i++)
		printf "ankang/v1 %.0f verifier:%d verify %032x %032x valid green\n", ms + 8*h + i*10000, 1 + i % 4, i, i + 100000
	# Status changes: officers 1..5 a few each; officer 7 forty (the Henan case).
	split("2 3 4 2 3", n, " ")
	for (o = 1; o <= 5; o++)
		for (k = 0; k < n[o]; k++)
			printf "ankang/v1 %.0f officer:%d status_set %032x - ok close_contact\n", ms + 9*h + o*60000 + k*1000, o, o*100 + k
	for (k = 0; k < 40; k++)
		printf "ankang/v1 %.0f officer:7 status_set %032x - ok close_contact\n", ms + 10*h + k*1000, 7000 + k
	# Look-ups: three with a purpose, two without.
	for (k = 0; k < 3; k++)
		printf "ankang/v1 %.0f officer:1 lookup %032x - ok epidemiological_investigation\n", ms + 9*h + 30*60000 + k*1000, 500 + k
	for (k = 0; k < 2; k++)
		printf "ankang/v1 %.0f officer:3 lookup %032x - ok -\n", ms + 9*h + 40*60000 + k*1000, 600 + k
	# A burst: twelve denied log-ins by verifier 9 within 30 s at 11:00.
	for (k = 0; k < 12; k++)
		printf "ankang/v1 %.0f verifier:9 login - - denied -\n", ms + 11*h + k*2482
	# Scattered denials, ten minutes apart: no burst.
	for (k = 0; k < 6; k++)
		printf "ankang/v1 %.0f officer:2 login - - denied -\n", ms + 13*h + k*600000
	# Night scans: five offline verifications at 03:00 by verifier 2.
	for (k = 0; k < 5; k++)
		printf "ankang/v1 %.0f verifier:2 verify_offline %032x %032x valid green\n", ms + 3*h + k*60000, 900 + k, 900 + k
	# A read burst: officer 4 reads twenty residents in 570 s at 14:00
	# (ten look-ups with a purpose, then ten paper codes).
	for (k = 0; k < 20; k++)
		if (k < 10)
			printf "ankang/v1 %.0f officer:4 lookup %032x - ok epidemiological_investigation\n", ms + 14*h + k*30000, 800 + k
		else
			printf "ankang/v1 %.0f officer:4 print_code %032x %032x ok paper_code\n", ms + 14*h + k*30000, 800 + k, 8800 + k
	# Officers 5 and 6 print nineteen codes each, interleaved, at 15:00:
	# thirty-eight reads in 37 s, but each officer is below the threshold.
	for (k = 0; k < 38; k++)
		printf "ankang/v1 %.0f officer:%d print_code %032x %032x ok paper_code\n", ms + 15*h + k*1000, 5 + k % 2, 850 + k, 8850 + k
}' >"$T/plant.txt"
PLANTED=$(wc -l <"$T/plant.txt")
got=$("$H/audit_append" --data "$DATA" <"$T/plant.txt" 2>"$T/err")
is "$got" "$PLANTED" "audit_append planted $PLANTED leaves through the writer"
N=$((PLANTED + 3))
snapshot "$T/good.db"

# --- verify on a database copy ---------------------------------------------
"$AUDIT" verify --db "$T/good.db" --log-key "$KEY" --state "$T/state" >"$T/out" 2>&1
ok $? "verify --db passes"
like "$(cat "$T/out")" "size $N, root .*signature good" "verify names the checkpoint's size"
[ -s "$T/state" ]
ok $? "verify saved the newest checkpoint to --state"
head -1 "$T/state" | grep -qx "audit.test/audit"
ok $? "the state file is the signed checkpoint"
"$AUDIT" verify --db "$T/good.db" --log-key "$(cat "$KEY")" --state "$T/state" >"$T/out" 2>&1
ok $? "verify passes again against its own state (key given as text)"
cp "$T/early.state" "$T/s2"
"$AUDIT" verify --db "$T/good.db" --log-key "$KEY" --state "$T/s2" >"$T/out" 2>&1
ok $? "verify from an older state: consistency proof 3 -> $N holds"
like "$(cat "$T/out")" "consistent with the saved checkpoint \(size 3 -> $N\)" "and says so"
cmp -s "$T/s2" "$T/state"
ok $? "the state moved to the newest checkpoint"
"$AUDIT" verify --db "$T/good.db" --log-key "$KEY" --state "$T/no-such-folder/state" \
	>"$T/out" 2>"$T/err"
is $? 2 "a --state that cannot be written: exit 2"
like "$(cat "$T/err")" "could not save state .*: No such file or directory$" \
	"naming the system's reason, not a bare input/output error"

# A state signed by another log is refused outright (exit 2).
"$D" init --data "$T/other" --origin other.test >/dev/null 2>&1
"$AUDIT" verify --db "$T/good.db" --log-key "$T/other/public/log.vkey" >"$T/out" 2>&1
is $? 1 "verify with another log's key fails (exit 1)"
"$AUDIT" verify --db "$T/good.db" --log-key "$KEY" --state "$T/other/public/log.vkey" >"$T/out" 2>&1
is $? 2 "a state file that is not our checkpoint is a usage error (exit 2)"
"$AUDIT" verify --log-key "$KEY" >/dev/null 2>&1
is $? 2 "verify without a source is a usage error"

# --- entries -----------------------------------------------------------------
"$AUDIT" entries --db "$T/good.db" >"$T/entries.txt" 2>"$T/err"
ok $? "entries exits 0"
is "$(($(wc -l <"$T/entries.txt") - 1))" "$N" "entries lists every leaf under a header"
like "$(sed -n 2p "$T/entries.txt")" "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +0  admin:- +issue " "a row: local time, index, actor, action"
"$AUDIT" entries --db "$T/good.db" --json --action status_set --actor officer:7 >"$T/e7" 2>"$T/err"
is "$(wc -l <"$T/e7")" 40 "--action status_set --actor officer:7: 40 lines"
is "$(jq -r '[.actor, .action, .result, .detail] | join(" ")' "$T/e7" | sort -u)" \
	"officer:7 status_set ok close_contact" "JSON fields are the leaf's"
is "$(jq -r '.leaf' "$T/e7" | head -1 | base64 -d | cut -d' ' -f1,3,4)" "ankang/v1 officer:7 status_set" \
	"JSON leaf is the exact leaf bytes in base64"
is "$(jq -c 'keys_unsorted' "$T/e7" | sort -u)" '["index","leaf","time_ms","actor","action","subject","object","result","detail"]' \
	"JSON lines hold exactly the documented keys"
"$AUDIT" entries --db "$T/good.db" --json --since 2025-03-01T03:00Z --until "2025-03-01 04:00Z" >"$T/night" 2>&1
is "$(wc -l <"$T/night")" 5 "--since/--until (ISO 8601, UTC) select the five night scans"
"$AUDIT" entries --db "$T/good.db" --json --since $((BASE + 11 * 3600)) --until $((BASE + 11 * 3600 + 60)) --actor verifier:9 >"$T/burst" 2>&1
is "$(wc -l <"$T/burst")" 12 "--since/--until as unix seconds, with --actor"
SUBJ=$(printf '%032x' 7005)
is "$("$AUDIT" entries --db "$T/good.db" --json --subject "$SUBJ" | jq -r .index | wc -l)" 1 "--subject selects one resident's entries"
"$AUDIT" entries --db "$T/good.db" --since yesterday >/dev/null 2>&1
is $? 2 "a bad TIME is a usage error"
"$AUDIT" entries --db "$T/good.db" --action frobnicate >/dev/null 2>&1
is $? 2 "an unknown action is a usage error"

# --- prove and check-proof ---------------------------------------------------
"$AUDIT" prove --db "$T/good.db" 2482 >"$T/p2482" 2>"$T/err"
ok $? "prove 2482"
is "$(head -1 "$T/p2482")" "c2sp.org/tlog-proof@v1" "the proof is a c2sp.org/tlog-proof@v1"
is "$(sed -n 3p "$T/p2482")" "index 2482" "with its index after the extra line"
"$AUDIT" check-proof "$T/p2482" --log-key "$KEY" >"$T/out" 2>&1
ok $? "check-proof verifies it offline"
like "$(cat "$T/out")" "^OK: leaf 2482 is in audit.test/audit at size $N" "and says what it proved"
like "$(cat "$T/out")" "entry: 2025-03-01 03:0.:00 \(local\), verifier:2, verify_offline, valid, green" "and what the entry records"
LEAF=$(sed -n 2p "$T/p2482" | cut -d' ' -f2)
"$AUDIT" check-proof "$T/p2482" --log-key "$KEY" --leaf-b64 "$LEAF" >/dev/null 2>&1
ok $? "check-proof with the leaf given separately"
printf '%s' "$LEAF" | base64 -d >"$T/leaf2482"
"$AUDIT" check-proof "$T/p2482" --log-key "$KEY" --leaf "$T/leaf2482" >/dev/null 2>&1
ok $? "check-proof with the leaf as a file"
OTHER=$(jq -r .leaf "$T/e7" | head -1)
"$AUDIT" check-proof "$T/p2482" --log-key "$KEY" --leaf-b64 "$OTHER" >"$T/out" 2>&1
is $? 1 "tampered: another leaf fails the proof"
# A proof hash changed by one base64 digit (still well-formed).
awk 'NR == 5 { c = substr($0, 1, 1); $0 = (c == "A" ? "B" : "A") substr($0, 2) } { print }' "$T/p2482" >"$T/bad1"
"$AUDIT" check-proof "$T/bad1" --log-key "$KEY" >"$T/out" 2>&1
is $? 1 "tampered: a changed proof hash fails"
sed 's/^index 2482$/index 2501/' "$T/p2482" >"$T/bad2"
"$AUDIT" check-proof "$T/bad2" --log-key "$KEY" >/dev/null 2>&1
is $? 1 "tampered: a changed index fails"
NEWLEAF=$(printf '%s' "$LEAF" | base64 -d | sed 's/ valid green$/ valid red/' | base64 -w0)
sed "2s|.*|extra $NEWLEAF|" "$T/p2482" >"$T/bad3"
"$AUDIT" check-proof "$T/bad3" --log-key "$KEY" >/dev/null 2>&1
is $? 1 "tampered: a changed leaf in the extra line fails"
sed "s/^$N\$/$((N + 1))/" "$T/p2482" >"$T/bad4"
"$AUDIT" check-proof "$T/bad4" --log-key "$KEY" >"$T/out" 2>&1
is $? 1 "tampered: a changed checkpoint size fails its signature"
"$AUDIT" check-proof "$T/p2482" --log-key "$T/other/public/log.vkey" >/dev/null 2>&1
is $? 1 "another log's key does not accept the proof"
printf 'c2sp.org/tlog-proof@v1\nindex x\n' >"$T/bad5"
"$AUDIT" check-proof "$T/bad5" --log-key "$KEY" >/dev/null 2>&1
is $? 2 "a malformed proof file is a usage error"
"$AUDIT" prove --db "$T/good.db" --size 3 1 >"$T/p1" 2>"$T/err" &&
	"$AUDIT" check-proof "$T/p1" --log-key "$KEY" >"$T/out" 2>&1
ok $? "prove --size 3 uses the stored checkpoint of size 3, and it checks"
like "$(cat "$T/out")" "at size 3 " "the proof is against size 3"
"$AUDIT" prove --db "$T/good.db" "$N" >/dev/null 2>&1
is $? 2 "prove of an index beyond the checkpoint is refused"

# --- report -----------------------------------------------------------------
"$AUDIT" report --db "$T/early.db" >"$T/out" 2>&1
ok $? "report on a clean log exits 0"
like "$(cat "$T/out")" "^  none$" "and flags nothing"
"$AUDIT" report --db "$T/good.db" >"$T/report.txt" 2>&1
is $? 1 "report exits 1 when it flags something"
R=$(cat "$T/report.txt")
like "$R" "\[!\] 2 look-ups without a purpose" "flags the two look-ups without a purpose"
like "$R" "officer:7 +40 status_set" "flags officer 7's status changes"
like "$R" "median 3 over 6 officers" "against the lower median of six officers"
like "$R" "\[!\] 5 verifications outside the expected hours 06-22" "flags the five night scans"
like "$R" "verifier:9 +12 denied" "flags verifier 9's burst of denials"
like "$R" "\[!\] 1 burst of officers reading residents \(rule: 20 or more lookup or print_code within 600 s\)" \
	"flags one burst of officer reads, with its rule"
like "$R" "officer:4 +20 reads, 2025-03-01 14:00:00 to 2025-03-01 14:09:30, from index 2485" \
	"officer 4's twenty reads, first and last time, first index"
"$AUDIT" report --db "$T/good.db" --json >"$T/report.json" 2>&1
is "$(jq -r '.entries' "$T/report.json")" "$N" "JSON: every entry counted"
is "$(jq -r '.by_action.status_set' "$T/report.json")" 54 "JSON: status_set by action"
is "$(jq -r '.by_result.denied' "$T/report.json")" 18 "JSON: denied by result"
is "$(jq -r '.flags.busy_officers.officers_flagged | map(.actor) | join(",")' "$T/report.json")" "officer:7" \
	"JSON: only officer 7 is far above the others"
is "$(jq -r '.flags.lookup_without_purpose.listed | map(.actor) | unique | join(",")' "$T/report.json")" "officer:3" \
	"JSON: the look-ups without purpose are officer 3's"
is "$(jq -r '.flags.off_hours.total' "$T/report.json")" 5 "JSON: five scans off hours"
is "$(jq -r '[.flags.denied_bursts.listed[] | "\(.actor)=\(.count)"] | sort | join(",")' "$T/report.json")" \
	"all=12,verifier:9=12" "JSON: one burst overall and one for verifier 9; scattered denials are none"
is "$(jq -c '.flags.officer_read_bursts | [.n, .window_s, .total, (.listed[] | [.actor, .count, .first_index, .end_ms - .start_ms])]' "$T/report.json")" \
	'[20,600,1,["officer:4",20,2485,570000]]' "JSON: officer 4's read burst; officers 5 and 6 interleaved are none"
"$AUDIT" report --db "$T/good.db" --json --hours 02-22 >"$T/r2" 2>&1
is "$(jq -r '.flags.off_hours.total' "$T/r2")" 0 "--hours 02-22 accepts the 03:00 scans"
"$AUDIT" report --db "$T/good.db" --json --burst 20 >"$T/r3" 2>&1
is "$(jq -r '.flags.denied_bursts.total' "$T/r3")" 0 "--burst 20: twelve denials are no burst"
"$AUDIT" report --db "$T/good.db" --json --burst 5 --burst-window 3000 >"$T/r4" 2>&1
is "$(jq -r '[.flags.denied_bursts.listed[] | .actor] | sort | join(",")' "$T/r4")" "all,all,officer:2,verifier:9" \
	"--burst 5 --burst-window 3000 also catches six denials ten minutes apart"
"$AUDIT" report --db "$T/good.db" --json --busy-factor 20 >"$T/r5" 2>&1
is "$(jq -r '.flags.busy_officers.officers_flagged | length' "$T/r5")" 0 "--busy-factor 20: 40 is not above 60"
"$AUDIT" report --db "$T/good.db" --json --read-burst 21 >"$T/r7" 2>&1
is "$(jq -r '.flags.officer_read_bursts.total' "$T/r7")" 0 "--read-burst 21: twenty reads are no burst"
"$AUDIT" report --db "$T/good.db" --json --read-burst-window 569 >"$T/r8" 2>&1
is "$(jq -r '.flags.officer_read_bursts.total' "$T/r8")" 0 "--read-burst-window 569: twenty reads over 570 s are none"
"$AUDIT" report --db "$T/good.db" --json --read-burst 19 --read-burst-window 60 >"$T/r9" 2>&1
is "$(jq -r '[.flags.officer_read_bursts.listed[] | "\(.actor)=\(.count)"] | join(",")' "$T/r9")" \
	"officer:5=19,officer:6=19" "--read-burst 19 --read-burst-window 60: officers 5 and 6, not officer 4"
"$AUDIT" report --db "$T/good.db" --read-burst 0 >/dev/null 2>&1
is $? 2 "--read-burst 0 is a usage error"
"$AUDIT" report --db "$T/good.db" --json --since 2025-03-01T10:00Z --until 2025-03-01T10:01Z >"$T/r6" 2>&1
is "$(jq -r '.entries' "$T/r6")" 46 "report --since/--until restricts the range (40 changes, 6 scans)"

# --- attack 1: one leaf's bytes changed --------------------------------------
tamper_db() { # DB SQL: as an attacker would, triggers dropped first
	sqlite3 "$1" "$(sqlite3 "$1" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_master WHERE type = 'trigger'") $2"
}
attack() { # NAME SQL: a copy of the good database, rewritten
	cp "$T/good.db" "$T/$1.db"
	tamper_db "$T/$1.db" "$2"
}
attack changed "UPDATE log_leaves SET leaf = CAST(replace(CAST(leaf AS TEXT), ' valid green', ' valid red') AS BLOB) WHERE idx = 1500;"
is "$(sqlite3 "$T/changed.db" "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")" 0 "the attacker dropped the triggers"
"$AUDIT" verify --db "$T/changed.db" --log-key "$KEY" --state "$T/state" >"$T/out" 2>&1
is $? 1 "changed leaf: verify fails (exit 1)"
like "$(cat "$T/out")" "^FAIL: root mismatch at size $N: leaf 1500 is the first" "changed leaf: verify names index 1500"
like "$(cat "$T/out")" "leaf 1500 no longer hashes to the leaf hash stored for it" "and sees the bytes changed after writing"
cp "$T/state" "$T/state.before"
cmp -s "$T/state" "$T/state.before"
ok $? "a failed verify leaves the state alone"
attack garbled "UPDATE log_leaves SET leaf = CAST('ankang/v1 oops' || char(10) AS BLOB) WHERE idx = 7;"
"$AUDIT" verify --db "$T/garbled.db" --log-key "$KEY" >"$T/out" 2>&1
is $? 1 "unparsable leaf: verify fails"
like "$(cat "$T/out")" "^FAIL: leaf 7 does not parse" "unparsable leaf: named"
"$AUDIT" entries --db "$T/garbled.db" >/dev/null 2>"$T/err"
is $? 1 "entries exits 1 over an unparsable leaf"
like "$(cat "$T/err")" "leaf 7 does not parse" "and names it"
# Bytes and stored leaf hash both rewritten: bisection still finds it.
L=$(sqlite3 "$T/good.db" "SELECT CAST(leaf AS TEXT) FROM log_leaves WHERE idx = 2000")
L2=${L/ valid green/ valid red}
LH=$({ printf '\0'; printf '%s\n' "$L2"; } | sha256sum | cut -c1-64)
attack deep "UPDATE log_leaves SET leaf = CAST('$L2' || char(10) AS BLOB),
	hashes = CAST(X'$LH' || substr(hashes, 33) AS BLOB) WHERE idx = 2000;"
"$AUDIT" verify --db "$T/deep.db" --log-key "$KEY" >"$T/out" 2>&1
is $? 1 "leaf and its stored hash rewritten: verify fails"
like "$(cat "$T/out")" "leaf 2000 is the first that does not match" "bisection names leaf 2000 (another block)"
like "$(cat "$T/out")" "hashes to its stored leaf hash: the stored hashes were rewritten too" \
	"and tells that the stored hash was rewritten with it"

# --- attack 2: truncate, re-sign with the stolen key, grow again ------------
M=1000
# (Each stored hash lives in the row of the last leaf it covers, so the
# hashes of the subtrees that reach past M go with those rows.)
attack truncated "DELETE FROM log_leaves WHERE idx >= $M; DELETE FROM log_checkpoints WHERE size >= $M;"
mkdir -p "$T/stolen"
cp -r "$DATA/keys" "$DATA/public" "$DATA/ankang.conf" "$T/stolen/"
cp "$T/truncated.db" "$T/stolen/ankang.db"
chmod 600 "$T/stolen/ankang.db" # the tools refuse a database open to others
is "$("$H/resign" --data "$T/stolen" 2>"$T/err")" "$M" "the attacker re-signed a checkpoint of size $M"
cp "$T/stolen/ankang.db" "$T/trunc-copy.db"
"$AUDIT" verify --db "$T/trunc-copy.db" --log-key "$KEY" >"$T/out" 2>&1
ok $? "a fresh auditor (no state) accepts the re-signed log: the key was stolen"
cp "$T/state" "$T/s3"
"$AUDIT" verify --db "$T/trunc-copy.db" --log-key "$KEY" --state "$T/s3" >"$T/out" 2>&1
is $? 1 "truncated: verify with the saved state fails"
like "$(cat "$T/out")" "^FAIL: consistency proof from $N to $M fails" "truncated: consistency from $N to $M"
cmp -s "$T/s3" "$T/state"
ok $? "the state still holds the checkpoint of size $N"
# The attacker writes new history past the old size with the real writer.
awk -v base="$BASE" -v n=$((N - M + 50)) 'BEGIN { for (i = 0; i < n; i++)
	printf "ankang/v1 %.0f system:- verify - - valid -\n", (base + 20 * 3600) * 1000 + i }' |
	"$H/audit_append" --data "$T/stolen" >/dev/null 2>"$T/err"
ok $? "the attacker's writer appends past the old size"
sqlite3 "$T/stolen/ankang.db" ".backup '$T/regrown.db'"
"$AUDIT" verify --db "$T/regrown.db" --log-key "$KEY" >"$T/out" 2>&1
ok $? "the regrown log verifies on its own"
cp "$T/state" "$T/s4"
"$AUDIT" verify --db "$T/regrown.db" --log-key "$KEY" --state "$T/s4" >"$T/out" 2>&1
is $? 1 "regrown: verify with the saved state fails"
like "$(cat "$T/out")" "^FAIL: consistency proof from $N to $((N + 50)) fails" "regrown: consistency from $N to $((N + 50))"

# --- attack 3: a leaf inserted in the middle; a leaf deleted ------------------
K=1234
INS="ankang/v1 $(((BASE + 9 * 3600) * 1000)) officer:5 status_set $(printf '%032x' 4242) - ok data_correction"
# The leaves move up one; the stored hashes stay where they were (as the
# signed tree has them), so the new last leaf has none.
attack inserted "PRAGMA ignore_check_constraints = ON;
	CREATE TEMP TABLE kept AS SELECT idx, hashes FROM log_leaves WHERE idx >= $K;
	UPDATE log_leaves SET idx = idx + 1000000 WHERE idx >= $K;
	UPDATE log_leaves SET idx = idx - 999999 WHERE idx >= 1000000;
	UPDATE log_leaves SET hashes = coalesce((SELECT hashes FROM kept WHERE kept.idx = log_leaves.idx), x'') WHERE idx > $K;
	INSERT INTO log_leaves (idx, leaf, hashes)
	VALUES ($K, CAST('$INS' || char(10) AS BLOB), (SELECT hashes FROM kept WHERE idx = $K));"
is "$(sqlite3 "$T/inserted.db" "SELECT count(*) FROM log_leaves")" $((N + 1)) "the attacker inserted a leaf at $K"
"$AUDIT" verify --db "$T/inserted.db" --log-key "$KEY" --state "$T/state" >"$T/out" 2>&1
is $? 1 "inserted: verify fails"
like "$(cat "$T/out")" "leaf $K is the first that does not match" "inserted: verify names index $K"
attack deleted "DELETE FROM log_leaves WHERE idx = 321;"
"$AUDIT" verify --db "$T/deleted.db" --log-key "$KEY" >"$T/out" 2>&1
is $? 1 "deleted: verify fails"
like "$(cat "$T/out")" "^FAIL: leaf 321 is missing" "deleted: verify names index 321"

# --- the same through --server ----------------------------------------------
TOKEN=audit-token-$RANDOM$RANDOM
PIDS=""
stop_servers() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
at_exit stop_servers
serve() { # DB [FAULT]: starts a fake server, sets URL
	rm -f "$T/port"
	"$H/fake_audit_server" --db "$1" --token "$TOKEN" --port-file "$T/port" ${2:+--fault "$2"} 2>"$T/server.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	URL=http://127.0.0.1:$(cat "$T/port")
}
serve "$T/good.db"
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" --state "$T/hs" >"$T/out" 2>&1
ok $? "verify --server passes (three pages of entries)"
cmp -s "$T/hs" "$T/state"
ok $? "and saves the same checkpoint as --db"
cp "$T/early.state" "$T/hs2"
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" --state "$T/hs2" >"$T/out" 2>&1
ok $? "verify --server checks consistency from an older state"
"$AUDIT" entries --server "$URL" --token "$TOKEN" --json >"$T/he" 2>&1
"$AUDIT" entries --db "$T/good.db" --json >"$T/de" 2>&1
cmp -s "$T/he" "$T/de"
ok $? "entries --server gives what entries --db gives"
"$AUDIT" report --server "$URL" --token "$TOKEN" --json >"$T/hr" 2>&1
# The appeals section is not the log's (log/report_appeals.h): the fake
# server has none to give, and the tool then leaves it out. All else is
# the same.
same_report() { jq -cS 'del(.appeals)' "$1"; }
[ -s "$T/hr" ] && [ "$(same_report "$T/hr")" = "$(same_report "$T/report.json")" ]
ok $? "report --server gives what report --db gives"
"$AUDIT" prove --server "$URL" --token "$TOKEN" --log-key "$KEY" 2482 >"$T/hp" 2>&1
cmp -s "$T/hp" "$T/p2482"
ok $? "prove --server gives the same proof as --db"
"$AUDIT" prove --server "$URL" --token "$TOKEN" --size 3 1 >/dev/null 2>"$T/err"
is $? 2 "prove --server --size: a server offers only its newest checkpoint"
printf '%s\n' "$TOKEN" >"$T/token"
chmod 600 "$T/token"
"$AUDIT" entries --server "$URL" --token-file "$T/token" --action lookup --json >"$T/out" 2>&1
is "$(wc -l <"$T/out")" 15 "--token-file works"
chmod 644 "$T/token"
"$AUDIT" entries --server "$URL" --token-file "$T/token" >/dev/null 2>&1
is $? 2 "a token file readable by others is refused"
"$AUDIT" verify --server "$URL" --token wrong --log-key "$KEY" >"$T/out" 2>&1
is $? 2 "a wrong token is an error (exit 2)"
like "$(cat "$T/out")" "HTTP 401 \(unauthorized\)" "and the server's error code is shown"
"$AUDIT" verify --server "ftp://127.0.0.1/" --token "$TOKEN" --log-key "$KEY" >/dev/null 2>&1
is $? 2 "an ftp:// URL is refused"
"$AUDIT" verify --server "http://user:pw@127.0.0.1/" --token "$TOKEN" --log-key "$KEY" >/dev/null 2>&1
is $? 2 "credentials in the URL are refused"

serve "$T/changed.db"
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" --state "$T/state" >"$T/out" 2>&1
is $? 1 "changed leaf via --server: verify fails"
like "$(cat "$T/out")" "leaf 1500 is the first that does not match" "and bisection over HTTP proofs names index 1500"
serve "$T/trunc-copy.db"
cp "$T/state" "$T/s5"
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" --state "$T/s5" >"$T/out" 2>&1
is $? 1 "truncated via --server: verify with state fails"
serve "$T/regrown.db"
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" --state "$T/s5" >"$T/out" 2>&1
like "$(cat "$T/out")" "^FAIL: consistency proof from $N to $((N + 50)) fails" "regrown via --server: consistency fails"

# --- a misbehaving server ----------------------------------------------------
serve "$T/good.db" redirect-other
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" >"$T/out" 2>&1
is $? 2 "a redirect to another host is refused"
like "$(cat "$T/out")" "redirected to another host" "and said so"
serve "$T/good.db" redirect-same
"$AUDIT" verify --server "$URL/" --token "$TOKEN" --log-key "$KEY" >"$T/out" 2>&1
ok $? "a redirect on the same server is followed"
serve "$T/good.db" huge
"$AUDIT" entries --server "$URL" --token "$TOKEN" >"$T/out" 2>&1
is $? 2 "a 12 MiB entries page is refused"
like "$(cat "$T/out")" "larger than" "as too large"
serve "$T/good.db" slow
start=$(date +%s)
"$AUDIT" verify --server "$URL" --token "$TOKEN" --timeout 1 --log-key "$KEY" >"$T/out" 2>&1
rc=$?
is $rc 2 "a server slower than --timeout is an error"
if [ "$ANKANG_SLOW" = 1 ]; then
	[ $(($(date +%s) - start)) -le 3 ]
	ok $? "and the client gave up on time"
else # the exit status above already says it did not wait for the answer
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # skip the client's own speed, in a run slowed $ANKANG_SLOW times"
fi
serve "$T/good.db" badjson
"$AUDIT" entries --server "$URL" --token "$TOKEN" >"$T/out" 2>&1
is $? 2 "an entries page with a bad leaf encoding is refused"
serve "$T/good.db" disorder
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" >"$T/out" 2>&1
is $? 2 "an entries page out of order is refused"
serve "$T/good.db" small-pages
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" >"$T/out" 2>&1
ok $? "short pages are followed to the end"
serve "$T/good.db" liar
"$AUDIT" verify --server "$URL" --token "$TOKEN" --log-key "$KEY" --state "$T/liar.state" >"$T/out" 2>&1
is $? 1 "a lying consistency proof fails verify"
like "$(cat "$T/out")" "^FAIL: consistency proof from 3 to $N fails" "and is named"

# --- the service's own checks: start-up rehash and the scrubber -------------
# A data folder of the service's, with the planted leaves, started once
# with the scrubber off: that start rehashes every leaf and moves the mark
# of verified leaves to the end. Then one byte of an old leaf (below the
# mark, under the newest checkpoint) changed with the sqlite3 shell: the
# start-up check passes it and `check` without --full too, saying what it
# did not rehash; the scrubber finds it, /metrics says so and an audited
# request answers 503. One byte of a leaf written since the previous start:
# `ankangd serve` refuses to start and names it.
. tests/lib/service.sh
S=$T/svc
svc_init "$S"
ADM=$(svc_account "$S" admin operator-1)
"$H/audit_append" --data "$S" <"$T/plant.txt" >/dev/null 2>"$T/err"
ok $? "a service's data folder with the planted leaves"
svc_start "$S" --scrub-rate 0
svc_stop
NS=$(sqlite3 "$S/ankang.db" "SELECT count(*) FROM log_leaves")
is "$(sqlite3 "$S/ankang.db" "SELECT upto FROM log_verified")" "$NS" \
	"a start rehashed all $NS leaves and moved the mark of verified leaves to the end"
# One byte of leaf $1: the second digit of its time, so that it still parses.
flip() {
	echo "UPDATE log_leaves SET leaf = CAST(substr(CAST(leaf AS TEXT), 1, 11) ||
		CASE substr(CAST(leaf AS TEXT), 12, 1) WHEN '0' THEN '1' ELSE '0' END ||
		substr(CAST(leaf AS TEXT), 13) AS BLOB) WHERE idx = $1;"
}
# refuses DIR: runs serve on DIR, which must exit at once; its stderr in $T/refused.
refuses() {
	timeout 30 "$D" serve --data "$1" --listen 127.0.0.1:0 --port-file "$T/port.refused" \
		>/dev/null 2>"$T/refused"
}
# metric NAME: its value in the last /metrics answer, or "none".
metric() { awk -v k="$1" '$1 == k {print $2; f = 1} END {if (!f) print "none"}' "$T/r.body"; }

cp -a "$S" "$T/old"
tamper_db "$T/old/ankang.db" "$(flip 1500)"
is "$(sqlite3 "$T/old/ankang.db" "SELECT count(*) FROM log_leaves WHERE leaf = (SELECT leaf FROM log_leaves WHERE idx = 1500)")" 1 \
	"one byte of leaf 1500 changed (the attacker dropped the triggers)"
"$D" check --data "$T/old" >"$T/check.out" 2>&1
is $? 0 "old leaf changed: check (without --full) passes"
like "$(cat "$T/check.out")" "^leaves 0\.\.$((NS - 1)) under the newest signed checkpoint were checked against the signed root through their stored hashes but not rehashed; use --full$" \
	"and says which leaves it did not rehash"
"$D" check --data "$T/old" --full >"$T/check.out" 2>&1
is $? 1 "check --full fails"
like "$(cat "$T/check.out")" "does not match leaf 1500" "and names leaf 1500"
"$D" check --data "$S" --full >"$T/check.out" 2>&1
like "$(cat "$T/check.out")" "^every leaf was rehashed and every stored hash recomputed$" \
	"check --full on the clean folder says it rehashed everything"

svc_start "$T/old" --scrub-rate 100000
ok 0 "old leaf changed: serve starts (the start-up check rehashes only the leaves since the previous start)"
for _ in $(seq 1 200); do
	api GET /metrics "$ADM"
	[ "$(metric ankang_log_scrub_mismatch)" = 1 ] && break
	sleep 0.1
done
is "$(metric ankang_log_scrub_mismatch)" 1 "/metrics soon shows the scrubber's mismatch"
is "$(metric ankang_log_scrub_mismatch_index)" 1500 "at leaf 1500"
is "$(metric ankang_log_writes_refused)" 1 "and that writes are refused"
is "$(metric ankang_log_scrub_passes_total)" 0 "found in the first pass"
cp "$T/r.body" "$T/metrics.txt"
ENROLL=$(jq -cn --arg n "Test Scrub Person" --arg i "$(gb_id 34010219900615002)" \
	'{name: $n, id_number: $i, passphrase: "scrub test passphrase"}')
api POST /v1/enroll "" "$ENROLL"
is "$ST" 503 "an audited request (enrol) answers 503"
is_error_body
ok $? "with an error body"
api GET /healthz ""
is "$ST $(jbody .error)" "503 unavailable" \
	"the service stays up, and /healthz answers 503 so that it is taken out of service"
svc_stop
refuses "$T/old"
rc=$?
ok "$([ $rc -ne 0 ] && [ $rc -ne 124 ]; echo $?)" "restarted, serve refuses to start: the mark went down to leaf 1500"
like "$(cat "$T/refused")" "does not match leaf 1500" "and names leaf 1500"

# Leaves written since the previous start: three enrolments, scrubber off.
svc_start "$S" --scrub-rate 0
for i in 1 2 3; do
	api POST /v1/enroll "" "$(jq -cn --arg n "Test Scrub Person $(echo Ann Bea Cai | cut -d" " -f$i)" --arg i "$(gb_id 3401021990061500$i)" \
		'{name: $n, id_number: $i, passphrase: "scrub test passphrase"}')"
	[ "$ST" = 201 ] || break
done
is "$ST" 201 "three residents enrolled"
svc_stop
N2=$(sqlite3 "$S/ankang.db" "SELECT count(*) FROM log_leaves")
is "$(sqlite3 "$S/ankang.db" "SELECT upto FROM log_verified")" "$NS" \
	"with the scrubber off the mark stays where the start left it"
is "$(sqlite3 "$S/ankang.db" "SELECT max(size) FROM log_checkpoints")" "$N2" \
	"the newest checkpoint signs all $N2 leaves"
cp -a "$S" "$T/new"
tamper_db "$T/new/ankang.db" "$(flip $((N2 - 2)))"
"$D" check --data "$T/new" >"$T/check.out" 2>&1
is $? 0 "a leaf since the previous start changed: check (without --full) passes"
like "$(cat "$T/check.out")" "^leaves 0\.\.$((N2 - 1)) under .* but not rehashed; use --full$" \
	"and says it did not rehash it"
refuses "$T/new"
rc=$?
ok "$([ $rc -ne 0 ] && [ $rc -ne 124 ]; echo $?)" "serve refuses to start"
like "$(cat "$T/refused")" "does not match leaf $((N2 - 2))" "and names leaf $((N2 - 2))"
! grep -q "Test Scrub Person" "$T/serve.log" "$T/metrics.txt" "$T/check.out" "$T/refused" "$T/errors.all"
ok $? "no output of the service's holds the test's names"

# No personal data anywhere in what the tool printed.
! grep -rq "Test Person" "$T"/*.txt "$T"/out "$T"/err "$T"/*.json 2>/dev/null
ok $? "no output holds the test name"

done_testing
