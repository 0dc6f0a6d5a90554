#!/bin/bash
# install: `make install` and `make uninstall`, into temporary folders
# (DESTDIR), as a packager would run them:
#   - every file in its place (ankangd in sbin/, the tools in bin/, man
#     pages, the systemd units, sysusers.d and tmpfiles.d entries), and no
#     other file; programs 0755, the rest 0644;
#   - the units name the installed programs (they follow PREFIX), keep the
#     hardening settings, and pass `systemd-analyze verify` and an exposure
#     of at most 2.0 in `systemd-analyze security --offline=true`;
#   - `make uninstall` with the same settings leaves no file behind, and
#     never touches data or settings in /var/lib or /etc.
# No systemd is started; nothing is installed outside $T.
. tests/lib/tap.sh

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # skip $*"
}

# The programs under test, not a fresh build: the same BIN and BUILD the
# test run uses (build/asan/... under make check-asan), and none of the
# calling make's settings or job server.
BUILD_DIR=${ANKANG_HELPERS:-build/tests/helpers}
BUILD_DIR=${BUILD_DIR%/tests/helpers}
unset MAKEFLAGS MFLAGS MAKELEVEL
mk() { make -s --no-print-directory -C "$TOP" BIN="$ANKANG_BIN" BUILD="$BUILD_DIR" "$@"; }

R=$T/root
WANT="0644 usr/lib/systemd/system/ankang-verify-sync.service
0644 usr/lib/systemd/system/ankang-verify-sync.timer
0644 usr/lib/systemd/system/ankangd.service
0644 usr/lib/sysusers.d/ankang.conf
0644 usr/lib/tmpfiles.d/ankang.conf
0644 usr/share/man/man1/ankang-audit.1
0644 usr/share/man/man1/ankang-verify.1
0644 usr/share/man/man8/ankangd.8
0755 usr/bin/ankang-audit
0755 usr/bin/ankang-verify
0755 usr/sbin/ankangd"

check "make install DESTDIR=\$T/root PREFIX=/usr" mk install DESTDIR="$R" PREFIX=/usr
files() { (cd "$1" && find . \( -type f -o -type l \) -printf '%#m %P\n' | sed 's/^0*\([0-7]\{4\}\) /\1 /' | sort); }
is "$(files "$R")" "$(printf '%s\n' "$WANT" | sort)" "every file in place with its mode, and no other"
for p in sbin/ankangd bin/ankang-verify bin/ankang-audit; do
	cmp -s "$R/usr/$p" "$ANKANG_BIN/${p#*/}"
	ok $? "usr/$p is the program under test"
done
out=$("$R/usr/sbin/ankangd" --version)
like "$out" "^ankangd $(sed 's/\./\\./g' VERSION)" "the installed ankangd tells its version"

U=$R/usr/lib/systemd/system
! grep -n '@[A-Z]*@' "$U"/* >"$T/left"
ok $? "no template placeholder left in the units"
[ -s "$T/left" ] && sed 's/^/#   /' "$T/left" >&2
grep -h '^Exec' "$U"/*.service | sed 's/^[A-Za-z]*=//; s/ .*//' | sort -u >"$T/exec"
is "$(cat "$T/exec")" "/usr/bin/ankang-verify
/usr/sbin/ankangd" "the units run the installed programs, by their PREFIX paths"
like "$(grep '^ExecStartPre=' "$U/ankangd.service")" \
	"ankangd init --if-missing --data /var/lib/ankang --origin \\$\\{ANKANG_ORIGIN\\}" \
	"the first start initialises /var/lib/ankang, origin from the settings"
like "$(grep '^ExecStart=' "$U/ankangd.service")" \
	"ankangd serve --data /var/lib/ankang \\\$ANKANGD_OPTS\$" \
	"serve runs on the state folder, its settings from /etc/ankang/ankangd.conf (read by serve)"
missing=""
for kv in Type=notify NotifyAccess=main User=ankang StateDirectory=ankang StateDirectoryMode=0700 \
	ConfigurationDirectory=ankang ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes \
	PrivateTmp=yes PrivateDevices=yes CapabilityBoundingSet= \
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" SystemCallFilter=@system-service \
	MemoryDenyWriteExecute=yes LockPersonality=yes RestrictRealtime=yes \
	RestrictNamespaces=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
	ProtectKernelLogs=yes ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes \
	UMask=0077 Restart=on-failure KillSignal=SIGTERM TimeoutStopSec=60s; do
	grep -qxF "$kv" "$U/ankangd.service" || missing="$missing [$kv]"
done
is "$missing" "" "ankangd.service keeps every hardening and lifecycle setting"
missing=""
for kv in Type=oneshot User=ankang-verify StateDirectory=ankang-verify ProtectSystem=strict \
	NoNewPrivileges=yes CapabilityBoundingSet= SystemCallFilter=@system-service; do
	grep -qxF "$kv" "$U/ankang-verify-sync.service" || missing="$missing [$kv]"
done
is "$missing" "" "ankang-verify-sync.service is a hardened oneshot with its own state"
like "$(grep -E '^(OnCalendar|Persistent)=' "$U/ankang-verify-sync.timer" | tr '\n' ' ')" \
	"^OnCalendar=\\*:0/5 Persistent=true" "the timer: every 5 minutes, catching up after downtime"
like "$(cat "$R/usr/lib/sysusers.d/ankang.conf")" "^u ankang +-" "sysusers.d makes the ankang user"

# Another PREFIX, and the unit folder moved on its own.
R2=$T/root2
check "PREFIX=/opt/ankang SYSTEMD_UNIT_DIR=/etc/systemd/system" \
	mk install DESTDIR="$R2" PREFIX=/opt/ankang SYSTEMD_UNIT_DIR=/etc/systemd/system
[ -f "$R2/etc/systemd/system/ankangd.service" ] && [ -x "$R2/opt/ankang/sbin/ankangd" ]
ok $? "the units go to SYSTEMD_UNIT_DIR, the programs under PREFIX"
like "$(grep '^ExecStart=' "$R2/etc/systemd/system/ankangd.service")" \
	"^ExecStart=/opt/ankang/sbin/ankangd serve" "and the unit names /opt/ankang/sbin/ankangd"

# systemd's own checks. They resolve the programs and man pages the units
# name on this machine, so this install has no DESTDIR: PREFIX is a folder
# of $T, where the units then find them.
P=$T/prefix
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze verify: systemd-analyze not installed (Debian package systemd)"
	skip "systemd-analyze security: systemd-analyze not installed"
else
	check "make install PREFIX=\$T/prefix" mk install PREFIX="$P"
	PU=$P/lib/systemd/system
	verify() {
		(cd "$PU" && MANPATH=$P/share/man systemd-analyze verify ankangd.service \
			ankang-verify-sync.service ankang-verify-sync.timer) >"$T/verify" 2>&1
	}
	verify
	rc=$?
	if [ $rc -ne 0 ] && grep -q "System has not been booted with systemd\|Failed to connect to bus" "$T/verify"; then
		skip "systemd-analyze verify cannot run here: $(head -1 "$T/verify")"
	else
		ok $rc "systemd-analyze verify: the units, their programs and man pages"
		sed 's/^/#   /' "$T/verify" >&2
		# Its tampered twin: a unit naming a program that is not there.
		mv "$P/sbin/ankangd" "$P/sbin/ankangd.away"
		verify
		is $? 1 "and it fails when the program a unit names is missing"
		like "$(cat "$T/verify")" "sbin/ankangd is not executable" "naming it"
		mv "$P/sbin/ankangd.away" "$P/sbin/ankangd"
	fi
	for u in ankangd.service ankang-verify-sync.service; do
		(cd "$PU" && systemd-analyze security --offline=true --threshold=20 "$u") >"$T/sec" 2>&1
		ok $? "systemd-analyze security: $u exposure at most 2.0"
		grep 'Overall exposure' "$T/sec" | sed 's/^/# /' >&2
	done
	mk uninstall PREFIX="$P"
	is "$(files "$P")" "" "make uninstall PREFIX=\$T/prefix leaves no file"
fi

# What the service and the operator made stays: uninstall is not a purge.
mkdir -p "$R/var/lib/ankang" "$R/etc/ankang"
: >"$R/var/lib/ankang/ankang.db"
echo "ANKANG_ORIGIN=ankang.test" >"$R/etc/ankang/ankangd.env"
check "make uninstall with the same DESTDIR and PREFIX" mk uninstall DESTDIR="$R" PREFIX=/usr
is "$(files "$R")" "0644 etc/ankang/ankangd.env
0644 var/lib/ankang/ankang.db" "no installed file left behind; data and settings untouched"
mk uninstall DESTDIR="$R2" PREFIX=/opt/ankang SYSTEMD_UNIT_DIR=/etc/systemd/system
is "$(files "$R2")" "" "the same for the other PREFIX"
done_testing
