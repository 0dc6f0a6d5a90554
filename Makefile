# ankang: build, test, benchmark and install.
#
#   make run         install what is missing, build, and run the demo
#   make test        install what is missing, build, and run every test
#   make check-asan  the whole test suite under ASan + UBSan
#   make check-valgrind  the suite with the programs under valgrind memcheck
#   make lint        cppcheck and clang-tidy over the C sources (make cppcheck,
#                    make tidy: each alone)
#   make bench       benchmarks, printed as ratios to the machine's limits
#   make soak        ten minutes of fixed mixed load: does ankangd's memory
#                    or descriptor count grow? (SOAK_SECONDS=600)
#   make fuzz        every fuzz target for FUZZ_SECONDS (600) each, one after
#                    the other (clang; fuzz/README.md)
#   make install     PREFIX=/usr/local DESTDIR= (programs, man pages, systemd units)
#   make uninstall   the same settings: removes exactly what install put
#
# Every setting below can be overridden on the command line.

PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
# Where systemd looks for units and sysusers.d/tmpfiles.d entries shipped
# with software: under /usr/local/lib as well as /usr/lib.
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
SYSUSERS_DIR     ?= $(PREFIX)/lib/sysusers.d
TMPFILES_DIR     ?= $(PREFIX)/lib/tmpfiles.d
PKG_CONFIG ?= pkg-config
OPT        ?= -O2 -g -DNDEBUG
WERROR     ?= -Werror
SAN        ?=
BUILD      ?= build
BIN        ?= bin
PROVE_JOBS ?= 2
DATA       ?= ankang-data

# The version, from one place: the VERSION file, with `git describe` added
# when building from a git checkout (0.9.0+g716d374, .dirty with local
# changes), so a binary says which commit it came from. A tarball without
# .git reports the VERSION file alone.
VERSION_BASE := $(shell cat VERSION)
# safe.directory: `sudo make install` runs git as root in a checkout that
# another user owns, which git otherwise refuses to read.
GIT_DESCRIBE := $(shell git -c safe.directory="$(CURDIR)" describe --always --dirty=.dirty \
                  2>/dev/null)
VERSION      := $(VERSION_BASE)$(if $(GIT_DESCRIBE),+g$(GIT_DESCRIBE))

# nettle: the audit tree's SHA-256 (crypto/merkle.c); cairo and pangocairo lay out
# the paper code card (service/paper.c); libpq: the store on PostgreSQL, for
# several front-ends on one database (docs/MULTINODE.md; SQLite stays the
# default, and libpq is only linked, never needs a server to build or run).
PKGS := libsodium nettle libcbor jansson sqlite3 libmicrohttpd libqrencode libpng libjpeg zbar libcurl \
        cairo pangocairo libpq

HARDEN   := -fstack-protector-strong -fPIE
LDHARDEN := -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# The release build leaves assert() out (NDEBUG): an invariant broken there
# is answered, not fatal (service/http/reply.c's guard answers 500). The
# sanitizer build keeps every assert, so the test suite trips on one.
ifeq ($(SAN),)
HARDEN   += -D_FORTIFY_SOURCE=2
else
OPT      := -O1 -g
HARDEN   += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDHARDEN += -fsanitize=$(SAN)
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
              -Wno-missing-field-initializers $(WERROR) $(OPT) $(HARDEN) \
              -I. -I$(BUILD) $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(LDHARDEN) $(LDFLAGS)
# libunistring (names: NFC, character classes) has no pkg-config file.
LIBS_SYS    = $(PKG_LIBS) -lunistring -lpthread -lm

# The shared library of pure code (crypto/ and common/), linked by all three
# programs. A static archive: each program pulls in only the objects it
# references, which is how ankang-verify ends up with no signing code.
# The audit log is a library of its own (log/), linked by ankangd,
# ankang-audit and the benchmarks, never by the verifier; ankang-audit links
# nothing of service/ (tests/sh/audit_cli.sh checks its symbols).
LIB_SRC := $(wildcard common/*.c crypto/*.c)
LOG_SRC := $(wildcard log/*.c)
SVC_SRC := $(filter-out service/main.c,$(wildcard service/*.c service/http/*.c))
VER_SRC := $(filter-out verifier/main.c,$(wildcard verifier/*.c))
AUD_SRC := $(filter-out audit/main.c,$(wildcard audit/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB_A := $(BUILD)/libankang.a
LOG_A := $(BUILD)/liblog.a
SVC_A := $(BUILD)/libankangd.a
VER_A := $(BUILD)/libverify.a
AUD_A := $(BUILD)/libaudit.a

PROGS := $(BIN)/ankangd $(BIN)/ankang-verify $(BIN)/ankang-audit

# Schema migrations are compiled into the binaries (no files to ship).
SCHEMA_SQL := $(sort $(wildcard schema/*.sql))
SCHEMA_C   := $(BUILD)/gen/schema.c
# PostgreSQL's, numbered on their own (docs/MULTINODE.md).
SCHEMA_PG_SQL := $(sort $(wildcard schema/pg/*.sql))
SCHEMA_PG_C   := $(BUILD)/gen/schema_pg.c

# So are the web pages: service/web/ bundled by esbuild (npm ci fetches the
# locked packages once, when service/web/node_modules is missing).
WEB_DIR := service/web
WEB_SRC := $(shell find $(WEB_DIR)/src $(WEB_DIR)/pages $(WEB_DIR)/i18n $(WEB_DIR)/static -type f 2>/dev/null) \
           $(WEB_DIR)/build.mjs $(WEB_DIR)/package-lock.json
WEB_OUT := $(BUILD)/web
WEB_C   := $(BUILD)/gen/web.c
NODE_MODULES := $(WEB_DIR)/node_modules/.package-lock.json

TEST_SRC  := $(wildcard tests/unit/*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TEST_SH   := $(sort $(wildcard tests/sh/*.sh))
# Browser tests: Node scripts printing TAP, driving Debian's chromium.
TEST_WEB  := $(sort $(wildcard tests/browser/*.mjs))
# The integration scripts again on PostgreSQL (tests/lib/service.sh,
# ANKANG_TEST_STORE=pg): make check runs the few in tests/pg/, make
# check-pg every one that passes there (docs/MULTINODE.md lists the
# SQLite-specific rest and why). Each skips without PostgreSQL.
TEST_PG   := $(sort $(wildcard tests/pg/*.sh))
TEST_SH_PG := $(addprefix tests/sh/,admin_cli.sh appeals.sh audit_first.sh audit_tiles.sh \
	auditlog_crash.sh data_folder.sh export.sh household.sh init_if_missing.sh \
	limits_together.sh log_tiles.sh officer_actions.sh officer_verifier_api.sh paper_code.sh \
	resident_api.sh serve_config.sh serve_listen.sh serve_notify.sh serve_overload.sh \
	serve_proxy.sh service_authz.sh service_badinput.sh service_crash.sh service_day.sh \
	service_http.sh service_tls.sh store_pg_day.sh store_pg_outage.sh verify_cli.sh \
	verify_day.sh verify_spool_crash.sh verify_sync.sh verify_window.sh web_api.sh witness.sh \
	witness_log.sh)
TEST_HELPERS_SRC := $(wildcard tests/helpers/*.c)
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(TEST_HELPERS_SRC))
# An LD_PRELOAD shim that fails the database's writes and fsyncs on
# demand (tests/sh/fault_io.sh).
FAULTIO := $(BUILD)/tests/helpers/faultio.so
# Another, that makes a node believe it holds the leader lock on
# PostgreSQL (tests/sh/pg_split_brain.sh).
PGNOLOCK := $(BUILD)/tests/helpers/pgnolock.so

BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

FUZZ_SRC  := $(wildcard fuzz/fuzz_*.c)
# Fuzz targets also build with a plain driver that replays their corpus, so
# `make test` checks every seed without needing clang's libFuzzer.
FUZZ_REPLAY := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%-replay,$(FUZZ_SRC))

MAN := $(wildcard docs/man/*.1 docs/man/*.8)

.PHONY: all run demo test check check-pg check-asan bench soak fuzz fuzz-build fuzz-run install uninstall clean deps \
	tests format format-check FORCE
.PHONY: check-valgrind lint cppcheck tidy
all: $(PROGS)

deps:
	@scripts/bootstrap

# The README's two commands. Each first installs what is missing, then
# re-enters make so that pkg-config answers for the freshly installed libs.
run: deps
	@$(MAKE) --no-print-directory all
	@DATA=$(DATA) BIN=$(BIN) scripts/demo

# make test: the suite, then every integration script that is not
# SQLite-specific again on PostgreSQL (each skips where it is not
# installed; the bootstrap installs it).
test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory check-pg

check: all tests
	prove --exec '' -j$(PROVE_JOBS) $(TEST_BINS) $(FUZZ_REPLAY) $(TEST_SH) $(TEST_PG) $(TEST_WEB)

check-pg: all tests
	ANKANG_TEST_STORE=pg prove --exec '' -j$(PROVE_JOBS) $(TEST_SH_PG)

tests: $(TEST_BINS) $(TEST_HELPERS) $(FAULTIO) $(PGNOLOCK) $(FUZZ_REPLAY) $(NODE_MODULES)

# The whole suite again, rebuilt with AddressSanitizer and UBSan, in a
# separate tree so the normal build is untouched.
check-asan: deps
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 $(MAKE) --no-print-directory SAN=address,undefined \
	   BUILD=build/asan BIN=build/asan/bin ANKANG_BIN=build/asan/bin \
	   ANKANG_HELPERS=build/asan/tests/helpers check

# The suite again with ankangd, ankang-verify, ankang-audit, the unit tests
# and the fuzz replays under valgrind's memcheck, on the normal build:
# passes with no memory error and no definite leak in any process
# (scripts/check-valgrind says how, and what it leaves out).
check-valgrind: deps
	@$(MAKE) --no-print-directory all tests
	@BIN=$(BIN) BUILD=$(BUILD) PROVE_JOBS=$(PROVE_JOBS) scripts/check-valgrind

# bench/public_log.sh runs two test witnesses beside the server.
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS) $(BUILD)/tests/helpers/test_witness
	@BIN=$(BIN) BUILD=$(BUILD) scripts/bench

# Not part of bench or test: it takes SOAK_SECONDS (600) by design.
soak: deps
	@$(MAKE) --no-print-directory all
	@BIN=$(BIN) bench/soak.sh

fuzz:
	@$(MAKE) --no-print-directory -f fuzz/Makefile all
	@$(MAKE) --no-print-directory -f fuzz/Makefile run-all

fuzz-build:
	@$(MAKE) --no-print-directory -f fuzz/Makefile all

fuzz-run:
	@$(MAKE) --no-print-directory -f fuzz/Makefile run TARGET=$(TARGET) SECONDS=$(SECONDS)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(FORMAT_FILES)

# Every C file as .clang-format says (STYLE.md, habit 12).
format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo "format-check: ok"

export ANKANG_BIN ?= $(BIN)
export ANKANG_HELPERS ?= $(BUILD)/tests/helpers

# ---------------------------------------------------------------- programs

$(BIN)/ankangd: $(call obj,service/main.c) $(SVC_A) $(LOG_A) $(LIB_A) | $(BIN)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.a %.o,$^) $(LIBS_SYS)

$(BIN)/ankang-verify: $(call obj,verifier/main.c) $(VER_A) $(LIB_A) | $(BIN)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.a %.o,$^) $(LIBS_SYS)

$(BIN)/ankang-audit: $(call obj,audit/main.c) $(AUD_A) $(LOG_A) $(LIB_A) | $(BIN)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.a %.o,$^) $(LIBS_SYS)

$(LIB_A): $(call obj,$(LIB_SRC))
$(LOG_A): $(call obj,$(LOG_SRC)) $(SCHEMA_C:.c=.o) $(SCHEMA_PG_C:.c=.o)
$(SVC_A): $(call obj,$(SVC_SRC)) $(WEB_C:.c=.o)
$(VER_A): $(call obj,$(VER_SRC))
$(AUD_A): $(call obj,$(AUD_SRC))
$(LIB_A) $(LOG_A) $(SVC_A) $(VER_A) $(AUD_A):
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Rewritten only when the version changes, so that a build with nothing new
# relinks nothing; common/cli.c, which prints it, is the only includer.
VERSION_H := $(BUILD)/gen/version.h
$(call obj,common/cli.c): $(VERSION_H)
$(VERSION_H): FORCE
	@mkdir -p $(dir $@)
	@printf '#define ANKANG_VERSION "%s"\n' '$(VERSION)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

FORCE:

$(SCHEMA_C): $(SCHEMA_SQL) scripts/embed
	@mkdir -p $(dir $@)
	scripts/embed schema $(SCHEMA_SQL) > $@.tmp && mv $@.tmp $@

$(SCHEMA_PG_C): $(SCHEMA_PG_SQL) scripts/embed
	@mkdir -p $(dir $@)
	scripts/embed schema-pg $(SCHEMA_PG_SQL) > $@.tmp && mv $@.tmp $@

$(NODE_MODULES): $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_OUT)/manifest.tsv: $(WEB_SRC) $(NODE_MODULES)
	node $(WEB_DIR)/build.mjs $(WEB_OUT)

$(WEB_C): $(WEB_OUT)/manifest.tsv scripts/embed
	@mkdir -p $(dir $@)
	scripts/embed web $(WEB_OUT) > $@.tmp && mv $@.tmp $@

$(BIN):
	mkdir -p $@

# ---------------------------------------------------------------- tests

$(BUILD)/tests/%: tests/unit/%.c $(SVC_A) $(VER_A) $(AUD_A) $(LOG_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.c %.a %.o,$^) $(LIBS_SYS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c $(SVC_A) $(VER_A) $(AUD_A) $(LOG_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.c %.a %.o,$^) $(LIBS_SYS)

# Never with the sanitizers: in the ASan build the test preloads libasan
# first and this second, and a shim that needed libasan itself could not
# come first.
$(FAULTIO): tests/shim/faultio.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -g -shared -fPIC -o $@ $< -ldl

$(PGNOLOCK): tests/shim/pgnolock.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -g -shared -fPIC \
	  $(shell $(PKG_CONFIG) --cflags libpq 2>/dev/null) -o $@ $< -ldl

# Seeds made from the vectors rather than kept in fuzz/corpus (fuzz/seeds).
FUZZ_SEEDS := $(BUILD)/fuzz/seeds
$(FUZZ_SEEDS)/.made: fuzz/seeds tests/vectors/note.json tests/vectors/lists.json
	@rm -rf $(FUZZ_SEEDS)
	fuzz/seeds $(FUZZ_SEEDS)
	@touch $@

$(BUILD)/fuzz/%-replay: fuzz/%.c fuzz/replay.c $(SVC_A) $(VER_A) $(AUD_A) $(LOG_A) $(LIB_A) $(FUZZ_SEEDS)/.made
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -DFUZZ_NAME='"$*"' -DFUZZ_SEEDS='"$(FUZZ_SEEDS)"' \
	   -o $@ $(filter %.c %.a %.o,$^) $(LIBS_SYS)

$(BUILD)/bench/%: bench/%.c $(SVC_A) $(VER_A) $(AUD_A) $(LOG_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.c %.a %.o,$^) $(LIBS_SYS)

# ---------------------------------------------------------------- static checks

# `make lint` runs cppcheck and clang-tidy over every C file of the
# programs, their tests and helpers, and the fuzz targets; each fails on
# any finding. What they check, and why, is in .clang-tidy and
# .cppcheck-suppressions; a finding that is intended is silenced at its
# line, with the reason beside it. bench/ is left out: its programs
# measure, they ship nothing, and they change with every benchmark.
LINT_SRC := $(sort $(LIB_SRC) $(LOG_SRC) $(SVC_SRC) $(VER_SRC) $(AUD_SRC) \
              service/main.c verifier/main.c audit/main.c \
              $(TEST_SRC) $(TEST_HELPERS_SRC) tests/shim/faultio.c tests/shim/pgnolock.c \
              $(FUZZ_SRC) fuzz/replay.c)
LINT_DIR := $(BUILD)/lint
LINT_JOBS ?= 2
CPPCHECK  ?= cppcheck
CLANG_TIDY ?= clang-tidy
# The compile flags the build uses, plus the two the fuzz replay driver is
# given on its command line; less the .d outputs, and with assert() kept
# (no NDEBUG, as in the sanitizer build) so that the checks see the
# invariants the code states. _FORTIFY_SOURCE would hide memcpy and
# friends behind their checking twins.
LINT_CFLAGS = $(filter-out -MMD -MP -DNDEBUG -D_FORTIFY_SOURCE=2,$(ALL_CFLAGS)) \
              -DFUZZ_NAME='"lint"' -DFUZZ_SEEDS='"lint"'

lint: cppcheck tidy

# cppcheck sees the project's headers and the build's defines, not the
# system's headers (it models libc and POSIX from its own library files,
# and would otherwise trip on libpng's #error for non-8-bit chars).
cppcheck: $(VERSION_H)
	@echo "cppcheck: $(words $(LINT_SRC)) files"
	@$(CPPCHECK) --std=c11 --library=posix -j$(LINT_JOBS) --quiet --error-exitcode=1 \
	  --enable=warning,style,performance,portability --inline-suppr \
	  --suppressions-list=.cppcheck-suppressions \
	  -I. -I$(BUILD) -D_GNU_SOURCE -DFUZZ_NAME='"lint"' -DFUZZ_SEEDS='"lint"' \
	  $(LINT_SRC)
	@echo "cppcheck: ok"

# One clang-tidy per file, LINT_JOBS at a time; its configuration is
# .clang-tidy (tests/ and tests/shim/ adjust it).
tidy: $(LINT_DIR)/compile_commands.json
	@echo "clang-tidy: $(words $(LINT_SRC)) files"
	@printf '%s\n' $(LINT_SRC) | \
	  xargs -P$(LINT_JOBS) -n1 $(CLANG_TIDY) -p $(LINT_DIR) --quiet 2>$(LINT_DIR)/tidy.err || \
	  { grep -v 'warnings generated\|^Suppressed\|^Use -header-filter\|NOLINT' \
	      $(LINT_DIR)/tidy.err >&2; exit 1; }
	@echo "clang-tidy: ok"

$(LINT_DIR)/compile_commands.json: Makefile $(VERSION_H) | $(LINT_DIR)
	$(file >$@.flags,$(LINT_CFLAGS))
	$(file >$@.files,$(LINT_SRC))
	@tr ' ' '\n' < $@.files | grep . | \
	 jq -nR --arg dir '$(CURDIR)' --rawfile flags $@.flags \
	   '[inputs | {directory: $$dir, file: ., command: "cc \($$flags | rtrimstr("\n")) -c \(.)"}]' \
	   > $@.tmp && mv $@.tmp $@ && rm -f $@.flags $@.files

$(LINT_DIR):
	mkdir -p $@

# ---------------------------------------------------------------- install

# The systemd files live in service/packaging/, beside the service they run.
# The units are templates: install writes the programs' installed paths in
# place of @SBINDIR@ and @BINDIR@, so they follow PREFIX and SBINDIR.
PKG_DIR   := service/packaging
UNITS     := ankangd.service ankang-verify-sync.service ankang-verify-sync.timer
man_dest   = $(MANDIR)/man$(subst .,,$(suffix $(1)))/$(notdir $(1))
# Every file install puts, and so every file uninstall removes; never a
# folder, and never the data in /var/lib or the settings in /etc.
INSTALLED  = $(SBINDIR)/ankangd $(BINDIR)/ankang-verify $(BINDIR)/ankang-audit \
             $(foreach m,$(MAN),$(call man_dest,$(m))) \
             $(addprefix $(SYSTEMD_UNIT_DIR)/,$(UNITS)) \
             $(SYSUSERS_DIR)/ankang.conf $(TMPFILES_DIR)/ankang.conf

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	           $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
	           $(DESTDIR)$(SYSUSERS_DIR) $(DESTDIR)$(TMPFILES_DIR)
	install -m 0755 $(BIN)/ankangd $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BIN)/ankang-verify $(BIN)/ankang-audit $(DESTDIR)$(BINDIR)/
	for m in $(MAN); do \
	  sect=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$sect/; \
	done
	for u in $(UNITS); do \
	  src=$(PKG_DIR)/$$u; [ -f $$src ] || src=$$src.in; \
	  sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' $$src \
	    > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u.tmp && \
	  chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u.tmp && \
	  mv $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u.tmp $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$$u || exit 1; \
	done
	install -m 0644 $(PKG_DIR)/ankang.sysusers $(DESTDIR)$(SYSUSERS_DIR)/ankang.conf
	install -m 0644 $(PKG_DIR)/ankang.tmpfiles $(DESTDIR)$(TMPFILES_DIR)/ankang.conf

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

clean:
	rm -rf build $(BIN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
