# SPDX-License-Identifier: Apache-2.0
# bptee: build, test, install, bench, fuzz and sanitizer runs. `make help` lists the targets.

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR      ?= $(PREFIX)/share/man
# bptee run looks for the interposer next to itself or in ../lib, so it goes there whatever
# LIBDIR is (a multiarch LIBDIR included).
PRELOADDIR  ?= $(PREFIX)/lib
# and its command plugins in ../lib/bptee from it (src/cli/plugin.c)
PLUGINDIR   ?= $(PREFIX)/lib/bptee
UNITDIR     ?= $(PREFIX)/lib/systemd/system
DESTDIR     ?=

# B is the build directory; `make asan` uses its own so both builds can live side by side.
B           ?= build
CC          ?= cc
PYTHON      ?= /usr/bin/python3
PYTEST_ARGS ?= -q
FUZZ_SECONDS ?= 30
TEE         ?= sev-snp

PKGS        := openssl libsodium jansson libelf libcbor libseccomp
# Headers only: the library dlopens tpm2-tss on the azure-snp path (docs/azure.md says why).
DLOPEN_PKGS := tss2-esys tss2-tctildr tss2-rc
CLI_PKGS    := $(PKGS) fuse3 libmicrohttpd libcurl libsystemd
# Debian packages by purpose. `make deps` (and every build, test and demo, through deps-check)
# installs build, demo and test ones; `make fuzz` and `make deb` install their own on top.
DEB_BUILD   := build-essential pkg-config libelf-dev libsodium-dev libjansson-dev libssl-dev \
               libcbor-dev libfuse3-dev libmicrohttpd-dev libcurl4-openssl-dev libseccomp-dev \
               libsystemd-dev scdoc libtss2-dev
DEB_DEMO    := python3 fuse3
DEB_TEST    := python3-pytest python3-cryptography openssl man-db systemd golang-go nodejs \
               busybox-static sqlite3 bubblewrap git swtpm swtpm-tools tpm2-tools
DEB_PKGS    := $(DEB_BUILD) $(DEB_DEMO) $(DEB_TEST)
DEB_FUZZ    := clang libclang-rt-14-dev curl
DEB_DEBPKG  := debhelper dpkg-dev fakeroot lintian

OPT         ?= -O2 -g
SANITIZE    ?=
WARN        := -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wvla
HARDEN      := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
BASE_CFLAGS := $(OPT) $(WARN) $(HARDEN) $(SANITIZE) -D_GNU_SOURCE -Iinclude -Isrc \
               -DBPTEE_VERSION=\"$(VERSION)\"
PKG_CFLAGS   = $(shell pkg-config --cflags $(PKGS) $(DLOPEN_PKGS))
PKG_LIBS     = $(shell pkg-config --libs $(PKGS))
CLI_CFLAGS   = $(shell pkg-config --cflags $(CLI_PKGS))
CLI_LIBS     = $(shell pkg-config --libs $(CLI_PKGS))

# Library sources: every module folder under src/ except the programs built on top of it.
PROGRAM_DIRS := src/cli src/agentd src/fuzz src/bench
LIB_SRC     := $(sort $(filter-out $(addsuffix /%,$(PROGRAM_DIRS)),$(wildcard src/*/*.c)))
LIB_OBJ     := $(LIB_SRC:%.c=$(B)/obj/%.o)
# The CLI. Commands that alone need a library live in plugins (src/cli/plugin.h), loaded when
# they run: the agent daemon (src/agentd: libmicrohttpd, libsystemd), the owner's HTTP client
# commands (libcurl) and the configfs-tsm emulator (libfuse3). The bptee executable itself
# links libbptee and nothing more, so verify, inspect and run start without them.
PLUGINS     := agent owner tsmfs
PLUGIN_agent_SRC := $(sort $(wildcard src/agentd/*.c)) src/cli/notify.c src/cli/agent_client.c
PLUGIN_agent_ENTRIES := cmd_agent
PLUGIN_owner_SRC := $(addprefix src/cli/,cmd_provision.c cmd_revoke.c cmd_seal.c cmd_audit.c \
                    owner_client.c agent_client.c)
PLUGIN_owner_ENTRIES := cmd_provision cmd_revoke cmd_seal cmd_audit
PLUGIN_tsmfs_SRC := $(addprefix src/cli/,sim_tsmfs.c sim_tsmfs_backend.c sim_guest.c)
PLUGIN_tsmfs_ENTRIES := sim_tsmfs_main
# The CLI's own helpers, linked into each plugin as well (a plugin sees no executable symbol).
PLUGIN_COMMON := $(addprefix src/cli/,common.c guest_args.c output.c plugin.c)
CLI_SRC     := $(filter-out $(foreach p,$(PLUGINS),$(PLUGIN_$(p)_SRC)),$(sort $(wildcard src/cli/*.c))) \
               src/cli/sim_guest.c
CLI_OBJ     := $(CLI_SRC:%.c=$(B)/obj/%.o)
PLUGIN_SO   := $(PLUGINS:%=$(B)/plugins/%.so)
PRELOAD_SRC := $(sort $(wildcard interpose/*.c))
PUB_HDR     := include/bptee.h $(sort $(wildcard include/bptee/*.h))
FUZZ_SRC    := $(sort $(wildcard src/fuzz/fuzz_*.c))
BENCH_SRC   := $(sort $(wildcard src/bench/bench_*.c))
TESTC_SRC   := $(sort $(wildcard python-tests/c/*.c))

LIB_REAL    := $(B)/libbptee.so.$(VERSION)
LIB_SONAME  := libbptee.so.$(SOVERSION)
LIB         := $(B)/libbptee.so
PRELOAD     := $(B)/libbptee-preload.so
CLI         := $(B)/bptee
MAP         := $(B)/libbptee.map
PC          := $(B)/bptee.pc
MAN_SRC     := $(sort $(wildcard docs/man/*.scd))
MAN         := $(MAN_SRC:docs/man/%.scd=$(B)/man/%)

.PHONY: all deps deps-check deps-list fuzz-deps deb-deps deb man lib cli preload test \
        test-helpers asan fuzz fuzz-corpus bench demo install \
        uninstall clean help format

all: deps-check lib cli preload $(PC) man

help:
	@echo "make            build libbptee.so, libbptee-preload.so and the bptee CLI into $(B)/"
	@echo "make test       build and run the pytest suite"
	@echo "make demo       the end-to-end demo on the simulated TEE (TEE=sev-snp)"
	@echo "make deps       install the Debian packages the build, demo and tests need"
	@echo "make asan       run the test suite on an ASan+UBSan build"
	@echo "make fuzz       install clang, build the libFuzzer targets, run each FUZZ_SECONDS (30)"
	@echo "make fuzz-corpus  minimize what make fuzz found into src/fuzz/corpus (docs/fuzzing.md)"
	@echo "make bench      build and run the benchmarks (one figure per line)"
	@echo "make install    install (PREFIX, DESTDIR, LIBDIR, INCLUDEDIR honoured), man pages, unit"
	@echo "make deb        build the Debian packages into $(B)/deb/ (docs/debian/) and run lintian"

# --- dependencies -----------------------------------------------------------------------------
# $(call apt_need,PACKAGES,QUIET): install those of PACKAGES that are missing (through sudo when
# not root); one dpkg-query when all are present. Everything that compiles waits for deps-check
# (an order-only prerequisite), so `make -j` never compiles while apt-get still runs.
apt_need = @missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then $(if $(2),:,echo "deps: all Debian packages present"); exit 0; fi; \
	echo "deps: installing" $$missing; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; \
	  command -v sudo >/dev/null || { echo "deps: not root and no sudo: as root, run apt-get install" $$missing >&2; exit 1; }; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

deps:
	$(call apt_need,$(DEB_PKGS))
# NO_DEPS=1 skips the check where a package build has its own (docs/debian/rules).
deps-check:
	$(if $(NO_DEPS),@:,$(call apt_need,$(DEB_PKGS),quiet))
deps-list:
	@echo $(DEB_PKGS)
fuzz-deps: | deps-check
	$(call apt_need,$(DEB_FUZZ),quiet)
deb-deps:
	$(call apt_need,$(DEB_BUILD) $(DEB_DEBPKG),quiet)

# --- the library ------------------------------------------------------------------------------
lib: $(LIB)

# The ABI is what the public headers declare with BPTEE_API; the version script is derived from
# them so a symbol is exported if and only if a header promises it.
$(MAP): $(PUB_HDR)
	@mkdir -p $(@D)
	@{ echo "BPTEE_$(SOVERSION) {"; echo "  global:"; \
	   grep -h '^BPTEE_API' $(PUB_HDR) | grep -o 'bptee_[A-Za-z0-9_]*(' | tr -d '(' | sort -u \
	     | sed 's/.*/    &;/'; \
	   echo "  local: *;"; echo "};"; } > $@

$(B)/obj/src/%.o: src/%.c | deps-check
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -fvisibility=hidden $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_REAL): $(LIB_OBJ) $(MAP)
	$(CC) $(OPT) $(SANITIZE) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--version-script=$(MAP) \
		-Wl,-z,relro,-z,now,-z,noexecstack -Wl,--no-undefined -o $@ $(LIB_OBJ) $(PKG_LIBS) -lpthread

$(B)/$(LIB_SONAME): $(LIB_REAL)
	ln -sf $(notdir $<) $@
$(LIB): $(B)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

# --- the CLI (over the public API only) ---------------------------------------------------------
cli: $(CLI) $(PLUGIN_SO)
$(B)/obj/src/cli/%.o: src/cli/%.c | deps-check
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CLI_CFLAGS) -MMD -MP -c -o $@ $<
$(B)/obj/src/agentd/%.o: src/agentd/%.c | deps-check
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CLI_CFLAGS) -MMD -MP -c -o $@ $<
$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(OPT) $(SANITIZE) -o $@ $(CLI_OBJ) -L$(B) -lbptee -Wl,-rpath,'$$ORIGIN' \
		-Wl,-z,relro,-z,now -Wl,--as-needed $(PKG_LIBS) -ldl -lpthread

# A plugin exports its entry functions only; libbptee.so.0 is the one the executable loaded.
define plugin_rule
$(B)/plugins/$(1).map: Makefile
	@mkdir -p $$(@D)
	@echo '{ global: $(foreach e,$(PLUGIN_$(1)_ENTRIES),$(e);) local: *; };' > $$@
$(B)/plugins/$(1).so: $(sort $(PLUGIN_$(1)_SRC:%.c=$(B)/obj/%.o) $(PLUGIN_COMMON:%.c=$(B)/obj/%.o)) \
		$(B)/plugins/$(1).map $(LIB)
	$$(CC) $$(OPT) $$(SANITIZE) -shared -o $$@ $$(filter %.o,$$^) -L$$(B) -lbptee \
		-Wl,--version-script=$(B)/plugins/$(1).map -Wl,-z,relro,-z,now,-z,noexecstack,--no-undefined \
		-Wl,--as-needed $$(CLI_LIBS) -lpthread
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rule,$(p))))

# --- the interposer: libc only (DESIGN.md contract 9) -------------------------------------------
preload: $(PRELOAD)
$(PRELOAD): $(PRELOAD_SRC) $(wildcard interpose/*.h) | deps-check
	$(CC) $(OPT) $(WARN) -fPIC -fstack-protector-strong -D_GNU_SOURCE -U_FORTIFY_SOURCE \
		-U_FILE_OFFSET_BITS -fvisibility=hidden $(SANITIZE) -shared \
		-Wl,-soname,libbptee-preload.so -Wl,-z,relro,-z,now \
		-Wl,--version-script=interpose/preload.map -o $@ $(PRELOAD_SRC) -ldl -lpthread

# libdir and includedir are written relative to ${prefix} when they lie under it, so
# `pkg-config --define-prefix` can relocate a DESTDIR copy.
PC_LIBDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
gen_pc = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	-e 's|@LIBS_PRIVATE@|$(strip $(PKG_LIBS)) -lpthread|g' $(1) > $(2)
$(PC): pkgconfig/bptee.pc.in Makefile
	@mkdir -p $(@D)
	$(call gen_pc,$<,$@)

# --- man pages (scdoc; docs/man/) ---------------------------------------------------------------
man: $(MAN)
$(B)/man/%: docs/man/%.scd | deps-check
	@mkdir -p $(@D)
	scdoc < $< > $@

# --- tests ------------------------------------------------------------------------------------
# Test-only C helpers (device emulations, sample jobs) live in python-tests/c/.
TESTC_BIN := $(TESTC_SRC:python-tests/c/%.c=$(B)/testc/%)
test-helpers: $(TESTC_BIN)
# The agent's readiness call (src/cli/notify.c), driven alone (this rule beats the pattern one).
$(B)/testc/notify_ready: python-tests/c/notify_ready.c src/cli/notify.c src/cli/notify.h | deps-check
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ python-tests/c/notify_ready.c src/cli/notify.c \
		$$(pkg-config --cflags --libs libsystemd)
# The PCK certificate reader (src/tdx/leaf.c, not exported) against d2i_X509, compiled in.
$(B)/testc/pckleaf_diff: python-tests/c/pckleaf_diff.c src/tdx/leaf.c src/tdx/leaf.h \
		src/util/der.h src/fuzz/pckleaf_check.h | deps-check
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(PKG_CFLAGS) -o $@ python-tests/c/pckleaf_diff.c src/tdx/leaf.c -lcrypto
$(B)/testc/%: python-tests/c/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(PKG_CFLAGS) $(if $(findstring shim,$*),-shared -U_FORTIFY_SOURCE,) \
		-o $@$(if $(findstring shim,$*),.so,) $< -L$(B) -lbptee -Wl,-rpath,$(abspath $(B)) \
		$(PKG_LIBS) -ldl -lpthread && touch $@

test: all test-helpers
	BPTEE_BUILD=$(abspath $(B)) $(PYTHON) -m pytest $(PYTEST_ARGS) python-tests

# The whole suite on an ASan+UBSan build. Python itself is not instrumented, so libasan is
# preloaded into it; leak checking is left to the fuzzers (the interpreter's own allocations
# would drown real reports).
ASAN_LIB = $(shell $(CC) -print-file-name=libasan.so)
asan:
	$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined" all test-helpers
	BPTEE_BUILD=$(abspath build-asan) BPTEE_ASAN=1 LD_PRELOAD=$(ASAN_LIB) \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(PYTHON) -m pytest $(PYTEST_ARGS) python-tests

# --- fuzzing (clang libFuzzer) ------------------------------------------------------------------
# docs/fuzzing.md: the targets, their seeds, the corpus kept in src/fuzz/corpus and its refresh.
FUZZ_B := build-fuzz
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined
# jansson is compiled from Debian's source package with the same instrumentation, so the JSON
# targets' coverage reaches into the parser (src/fuzz/jansson.sh); the .dsc's sha256 is pinned
# here and pins the tarballs in turn.
JANSSON_DEB_VERSION := 2.14-2
JANSSON_DSC_SHA256  := 6296ddd9c0a022bd1b70074aefb171cfcdf5694a04ffd32b35fd66097621af87
JANSSON_FUZZ_DIR    := $(FUZZ_B)/jansson-$(JANSSON_DEB_VERSION)
JANSSON_FUZZ        := $(JANSSON_FUZZ_DIR)/libjansson.a
# A call that no longer matches its declaration must not build (the library's own -Werror
# build checks the rest).
FUZZ_CFLAGS := -O1 -g -std=c11 -D_GNU_SOURCE -I$(JANSSON_FUZZ_DIR)/include -Iinclude -Isrc \
	-DBPTEE_VERSION=\"$(VERSION)\" -Werror=incompatible-pointer-types \
	-Werror=implicit-function-declaration -Werror=int-conversion
FUZZ_LIBS    = $(JANSSON_FUZZ) $(filter-out -ljansson,$(CLI_LIBS)) -lpthread
FUZZ_BIN := $(FUZZ_SRC:src/fuzz/%.c=$(FUZZ_B)/%)
FUZZ_NAMES := $(FUZZ_SRC:src/fuzz/%.c=%)
# The library is compiled once with the fuzzing flags and linked into every target.
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_B)/obj/%.o)
# The agent daemon as its plugin links it, for the target that serves HTTP requests through a
# real in-process agent.
FUZZ_AGENTD_OBJ := $(sort $(PLUGIN_agent_SRC:%.c=$(FUZZ_B)/obj/%.o) \
                          $(PLUGIN_COMMON:%.c=$(FUZZ_B)/obj/%.o))
$(JANSSON_FUZZ): src/fuzz/jansson.sh | fuzz-deps
	sh src/fuzz/jansson.sh $(JANSSON_FUZZ_DIR) $(JANSSON_DEB_VERSION) $(JANSSON_DSC_SHA256) \
		clang -O1 -g $(FUZZ_SAN)
$(FUZZ_B)/obj/%.o: %.c | $(JANSSON_FUZZ) fuzz-deps
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(FUZZ_SAN) $(CLI_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_B)/fuzz_agent_api: FUZZ_EXTRA = $(FUZZ_AGENTD_OBJ)
$(FUZZ_B)/fuzz_agent_api: $(FUZZ_AGENTD_OBJ)
# The link line names every object: print the target alone.
$(FUZZ_B)/%: src/fuzz/%.c $(FUZZ_OBJ) $(JANSSON_FUZZ) $(wildcard src/fuzz/*.h)
	@mkdir -p $(@D)
	@echo "clang ... -o $@ $<"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(CLI_CFLAGS) -o $@ $< \
		$(FUZZ_EXTRA) $(FUZZ_OBJ) $(FUZZ_LIBS)
-include $(FUZZ_OBJ:.o=.d) $(FUZZ_AGENTD_OBJ:.o=.d)
# Kept between runs: without this make deletes them as intermediates and rebuilds them all.
.SECONDARY: $(FUZZ_OBJ) $(FUZZ_AGENTD_OBJ)
# Each target for FUZZ_SECONDS from its seeds and kept corpus, then a table of coverage.
fuzz: $(FUZZ_BIN)
	@sh src/fuzz/run.sh fuzz $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_NAMES)
# Minimize what `make fuzz` found into src/fuzz/corpus/ (commit the result).
fuzz-corpus: $(FUZZ_BIN)
	@sh src/fuzz/run.sh merge $(FUZZ_B) $(FUZZ_NAMES)

# --- benchmarks -------------------------------------------------------------------------------
BENCH_BIN := $(BENCH_SRC:src/bench/%.c=$(B)/bench/%)
$(B)/bench/%: src/bench/%.c $(wildcard src/bench/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(PKG_CFLAGS) -o $@ $< -L$(B) -lbptee -Wl,-rpath,$(abspath $(B)) \
		$(PKG_LIBS) -lpthread
bench: all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do BPTEE_BUILD=$(abspath $(B)) $$b || exit 1; done
	@BPTEE_BUILD=$(abspath $(B)) $(PYTHON) src/bench/bench_view.py
	@BPTEE_BUILD=$(abspath $(B)) $(PYTHON) src/bench/bench_start.py

# --- demo -------------------------------------------------------------------------------------
demo: all
	@TEE=$(TEE) BPTEE_BUILD=$(abspath $(B)) sh docs/demo.sh

# --- Debian packages (docs/debian/) -----------------------------------------------------------
# A copy of the tree with docs/debian as debian/, built with dpkg-buildpackage into $(B)/deb/:
# libbptee0, libbptee-dev and bptee, then checked with lintian.
DEB_TREE := $(B)/deb/bptee-$(VERSION)
deb: | deb-deps
	rm -rf $(B)/deb && mkdir -p $(DEB_TREE)
	cp -a Makefile README.md include src interpose pkgconfig docs $(DEB_TREE)/
	cp -a docs/debian $(DEB_TREE)/debian
	cd $(DEB_TREE) && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -b -us -uc
	lintian --fail-on error $(B)/deb/*.changes
	@ls $(B)/deb/*.deb

# --- install ----------------------------------------------------------------------------------
# Run as root without DESTDIR (a real install), ldconfig makes libbptee.so.0 loadable at once.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/bptee \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(PRELOADDIR) $(DESTDIR)$(PLUGINDIR) \
		$(DESTDIR)$(UNITDIR) $(addprefix $(DESTDIR)$(MANDIR)/man,1 3 5)
	install -m 0755 $(LIB_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf libbptee.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libbptee.so
	install -m 0644 $(PRELOAD) $(DESTDIR)$(PRELOADDIR)/
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(PLUGIN_SO) $(DESTDIR)$(PLUGINDIR)/
	install -m 0644 include/bptee.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(wildcard include/bptee/*.h) $(DESTDIR)$(INCLUDEDIR)/bptee/
	$(call gen_pc,pkgconfig/bptee.pc.in,$(DESTDIR)$(PKGCONFIGDIR)/bptee.pc)
	for m in $(MAN); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	sed 's|@BINDIR@|$(BINDIR)|g' docs/systemd/bptee-agent.service.in \
		> $(DESTDIR)$(UNITDIR)/bptee-agent.service
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		echo ldconfig; ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libbptee.so* $(DESTDIR)$(PRELOADDIR)/libbptee-preload.so \
		$(DESTDIR)$(BINDIR)/bptee $(DESTDIR)$(INCLUDEDIR)/bptee.h $(DESTDIR)$(PKGCONFIGDIR)/bptee.pc \
		$(DESTDIR)$(UNITDIR)/bptee-agent.service \
		$(foreach m,$(MAN),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	rm -rf $(DESTDIR)$(INCLUDEDIR)/bptee $(DESTDIR)$(PLUGINDIR)

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(foreach p,$(PLUGINS),$(PLUGIN_$(p)_SRC)) $(PRELOAD_SRC) $(PUB_HDR) $(wildcard src/*/*.h)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) \
	$(foreach p,$(PLUGINS),$(PLUGIN_$(p)_SRC:%.c=$(B)/obj/%.d))
