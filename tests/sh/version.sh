#!/bin/bash
# version: every program answers --version with "NAME VERSION" and exit 0,
# the version being the VERSION file's (followed by "+g" and `git
# describe` when built from a checkout), the same in all three.
. tests/lib/tap.sh

want=$(cat VERSION)
seen=""
for p in ankangd ankang-verify ankang-audit; do
	out=$("$ANKANG_BIN/$p" --version 2>"$T/err")
	is $? 0 "$p --version exits 0"
	like "$out" "^$p ${want//./\\.}(\\+g[0-9a-f]+[-.a-z0-9]*)?\$" "$p --version prints '$p VERSION'"
	is "$(cat "$T/err")" "" "$p --version writes nothing to stderr"
	seen="$seen ${out#* }"
done
set -- $seen
[ "$1" = "$2" ] && [ "$2" = "$3" ]
ok $? "the three programs report the same version"
done_testing
