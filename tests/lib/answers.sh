# answers: the check every crash and failover test makes at its end:
# each answer a client saw 2xx has its leaf (tests/sh/service_crash.sh,
# cluster_failover.sh, cluster_pg_restart.sh), and the accounts their
# loads use. Source it after tests/lib/service.sh.
#
# The answers file has one line an answer: "ACTION INDEX WHO" (enroll,
# issue, status_set, lookup, history_read, erase: the leaf's index and
# the resident's number in the test), "verify INDEX WHO" (the code issued
# at INDEX), "login - WHO", "verify_offline COUNT -". The entries file is
# the auditor's JSON lines (all_entries).

# load_accounts DIR: the accounts of the load, made in DIR's store; sets
# their tokens VER (a verifier), OFF1 and OFF2 (officers) and AUD (an
# auditor).
load_accounts() {
	VER=$(svc_account "$1" verifier checkpoint-1)
	OFF1=$(svc_account "$1" officer officer-1)
	OFF2=$(svc_account "$1" officer officer-2)
	AUD=$(svc_account "$1" auditor inspector-1)
}

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

# answers_twins ENTRIES ANSWERS N: the checker's tampered twins. Prints
# ANSWERS and after it N (3 or 5) answers whose leaves are not in
# ENTRIES: a leaf past the end, another action's leaf, another
# resident's leaf; with 5 also two residents with one pseudonym and more
# scans accepted than verify_offline leaves. answers_missing must find
# each of them.
answers_twins() {
	local l_idx l_who e_idx e_who
	read -r _ l_idx l_who < <(grep -m1 '^lookup ' "$2")
	read -r _ e_idx e_who < <(grep '^enroll ' "$2" | grep -vm1 " $l_who\$")
	cat "$2"
	echo "issue $(lines "$1") $e_who" # past the end
	echo "erase $e_idx $e_who"        # another action
	echo "lookup $l_idx $e_who"       # another resident
	[ "$3" = 5 ] || return 0
	echo "enroll $e_idx 0.0.0"            # two with one pseudonym
	echo "verify_offline $(lines "$1") -" # more scans than leaves
}

# answers_counts ANSWERS: a diagnostic line per kind of answer, how many.
answers_counts() {
	local a
	for a in enroll login issue verify status_set lookup history_read verify_offline erase; do
		diag "$a: $(grep -c "^$a " "$1") answers"
	done
}
