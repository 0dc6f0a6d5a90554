# fault.sh: what the fault tests (fault_disk.sh, fault_io.sh) share, after
# tests/lib/service.sh. They set D (the data folder), DB ($D/ankang.db),
# OFF and AUD (officer and auditor tokens) and AUDIT (ankang-audit), start
# the service, then call
#   baseline WHEN          enrols and logs in made-up resident 1 (TOK),
#                          gets a code (CRED) and saves ankang-audit's
#                          state in $T/audit.state, passing a test each,
#                          named "WHEN: ..."
# and use
#   leaves                 the number of leaves in the log's table
#   enrol N                the officer enrols made-up resident N (ST, body)
#   login N                resident N logs in (ST, body; TOK its token)
# It skips the test when curl, jq or sqlite3 is missing. The residents'
# names and passphrases are made up, and one test greps
# the logs for them: nothing of theirs is ever printed.

# What both need besides the programs: skipped, saying why, without.
for c in curl jq sqlite3; do
	command -v $c >/dev/null 2>&1 || skip_all "$c not installed"
done

leaves() { sqlite3 "$DB" 'select count(*) from log_leaves'; }
_fault_id() { gb_id "11010519800101$(printf %03d "$1")"; }
enrol() {
	api POST /v1/enroll "$OFF" "{\"name\":\"Test Resident\",\"id_number\":\"$(_fault_id "$1")\",\"passphrase\":\"made up passphrase $1\"}"
}
login() {
	api POST /v1/login "" "{\"id_number\":\"$(_fault_id "$1")\",\"passphrase\":\"made up passphrase $1\"}"
	TOK=$(jbody .token)
}
baseline() {
	enrol 1
	is "$ST" 201 "$1: enrolment answered 201"
	login 1
	api GET /v1/me/code "$TOK"
	is "$ST" 200 "$1: the code answered 200"
	CRED=$(jbody .credential)
	"$AUDIT" verify --server "$URL" --token "$AUD" --log-key "$D/public/log.vkey" \
		--state "$T/audit.state" >/dev/null 2>&1
	ok $? "$1: ankang-audit verify passes and saves its state"
}
