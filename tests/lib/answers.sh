# answers: the check every crash and failover test makes at its end:
# each answer a client saw 2xx has its leaf (tests/sh/service_crash.sh,
# cluster_failover.sh).
#
# The answers file has one line an answer: "ACTION INDEX WHO" (enroll,
# issue, status_set, lookup, history_read, erase: the leaf's index and
# the resident's number in the test), "verify INDEX WHO" (the code issued
# at INDEX), "login - WHO", "verify_offline COUNT -". The entries file is
# the auditor's JSON lines (all_entries).

# answers_missing ENTRIES ANSWERS: one line per answer without its leaf,
# naming the answer's kind and the index (never a subject); nothing when
# every answer has its leaf.
answers_missing() {
	jq -rn --slurpfile E "$1" --rawfile A "$2" '
	($E | map({key: (.index | tostring), value: .}) | from_entries) as $at
	| [$A | split("\n")[] | select(length > 0) | split(" ")] as $ans
	| ([$ans[] | select(.[0] == "enroll") | {key: .[2], value: ($at[.[1]].subject // "?")}]
	   | from_entries) as $pseud
	| ([$E[] | select(.action == "verify") | "\(.object) \(.subject)"]
	   | map({key: ., value: true}) | from_entries) as $verified
	| ([$E[] | select(.action == "login" and .result == "ok") | .subject]
	   | group_by(.) | map({key: .[0], value: length}) | from_entries) as $logins
	| ([$ans[] | select(.[0] == "login") | .[2]]
	   | group_by(.) | map({key: .[0], value: length}) | from_entries) as $want_logins
	| ([$ans[] | select(.[0] == "verify_offline") | .[1] | tonumber] | add // 0) as $scans
	| ($pseud | to_entries | map(.value) | select(length != (unique | length))
	   | "two residents share a pseudonym"),
	  ($pseud | to_entries[] | select(.value | test("^[0-9a-f]{32}$") | not)
	   | "resident \(.key): its enroll leaf has no pseudonym"),
	  ($ans[] | select(.[0] | IN("enroll", "issue", "status_set", "lookup", "history_read", "erase"))
	   | . as [$act, $i, $who]
	   | if $at[$i] == null then "\($act) \($i): no leaf"
	     elif $at[$i].action != $act then "\($act) \($i): the leaf is \($at[$i].action)"
	     elif $at[$i].subject != $pseud[$who] then "\($act) \($i): another subject"
	     else empty end),
	  ($ans[] | select(.[0] == "verify") | . as [$act, $i, $who]
	   | select($verified["\($at[$i].object // "?") \($pseud[$who])"] | not)
	   | "verify of the code issued at \($i): no verify leaf for its cti and holder"),
	  ($want_logins | to_entries[] | select(($logins[$pseud[.key]] // 0) < .value)
	   | "resident \(.key): fewer login leaves than logins answered"),
	  ([$E[] | select(.action == "verify_offline")] | length | select(. < $scans)
	   | "\(.) verify_offline leaves for \($scans) scans accepted")
'
}
