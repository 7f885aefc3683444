# SPDX-License-Identifier: Apache-2.0
# bptee: build, test, install, bench, fuzz and sanitizer runs. `make help` lists the targets.

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR     ?=

# B is the build directory; `make asan` uses its own so both builds can live side by side.
B           ?= build
CC          ?= cc
PYTHON      ?= /usr/bin/python3
PYTEST_ARGS ?= -q
FUZZ_SECONDS ?= 30
TEE         ?= sev-snp

PKGS        := openssl libsodium jansson libelf libcbor
CLI_PKGS    := $(PKGS) fuse3 libmicrohttpd libcurl
# Debian packages the build, tests, fuzzing and benchmarks need (see `make deps`).
DEB_PKGS    := build-essential pkg-config libelf-dev libsodium-dev libjansson-dev libssl-dev \
               libcbor-dev libfuse3-dev fuse3 libmicrohttpd-dev libcurl4-openssl-dev \
               python3 python3-pytest python3-cryptography clang libclang-rt-14-dev

OPT         ?= -O2 -g
SANITIZE    ?=
WARN        := -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -Wvla
HARDEN      := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
BASE_CFLAGS := $(OPT) $(WARN) $(HARDEN) $(SANITIZE) -D_GNU_SOURCE -Iinclude -Isrc \
               -DBPTEE_VERSION=\"$(VERSION)\"
PKG_CFLAGS   = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS     = $(shell pkg-config --libs $(PKGS))
CLI_CFLAGS   = $(shell pkg-config --cflags $(CLI_PKGS))
CLI_LIBS     = $(shell pkg-config --libs $(CLI_PKGS))

# Library sources: every module folder under src/ except the programs built on top of it.
PROGRAM_DIRS := src/cli src/fuzz src/bench
LIB_SRC     := $(sort $(filter-out $(addsuffix /%,$(PROGRAM_DIRS)),$(wildcard src/*/*.c)))
LIB_OBJ     := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_SRC     := $(sort $(wildcard src/cli/*.c))
CLI_OBJ     := $(CLI_SRC:%.c=$(B)/obj/%.o)
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

.PHONY: all deps deps-check lib cli preload test test-helpers asan fuzz bench demo install \
        uninstall clean help format

all: deps-check lib cli preload $(PC)

help:
	@echo "make            build libbptee.so, libbptee-preload.so and the bptee CLI into $(B)/"
	@echo "make test       build and run the pytest suite"
	@echo "make demo       the end-to-end demo on the simulated TEE (TEE=sev-snp)"
	@echo "make deps       install the Debian packages the build and tests need"
	@echo "make asan       run the test suite on an ASan+UBSan build"
	@echo "make fuzz       build the libFuzzer targets and run each FUZZ_SECONDS (default 30)"
	@echo "make bench      build and run the benchmarks (one figure per line)"
	@echo "make install    install (PREFIX, DESTDIR, LIBDIR, INCLUDEDIR honoured)"

# --- dependencies -----------------------------------------------------------------------------
# deps-check is cheap (one dpkg-query) and only installs when something is missing.
deps-check:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory deps; fi

deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing" $$missing; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

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

$(B)/obj/src/%.o: src/%.c
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
cli: $(CLI)
$(B)/obj/src/cli/%.o: src/cli/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CLI_CFLAGS) -MMD -MP -c -o $@ $<
$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(OPT) $(SANITIZE) -o $@ $(CLI_OBJ) -L$(B) -lbptee -Wl,-rpath,'$$ORIGIN' \
		-Wl,-z,relro,-z,now $(CLI_LIBS) -lpthread

# --- the interposer: libc only (DESIGN.md contract 9) -------------------------------------------
preload: $(PRELOAD)
$(PRELOAD): $(PRELOAD_SRC) $(wildcard interpose/*.h)
	$(CC) $(OPT) $(WARN) -fPIC -fstack-protector-strong -D_GNU_SOURCE -U_FORTIFY_SOURCE \
		-U_FILE_OFFSET_BITS -fvisibility=hidden $(SANITIZE) -shared -Wl,-z,relro,-z,now \
		-Wl,--version-script=interpose/preload.map -o $@ $(PRELOAD_SRC) -ldl -lpthread

# libdir and includedir are written relative to ${prefix} when they lie under it, so
# `pkg-config --define-prefix` can relocate a DESTDIR copy.
PC_LIBDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
gen_pc = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $(1) > $(2)
$(PC): pkgconfig/bptee.pc.in Makefile
	@mkdir -p $(@D)
	$(call gen_pc,$<,$@)

# --- tests ------------------------------------------------------------------------------------
# Test-only C helpers (device emulations, sample jobs) live in python-tests/c/.
TESTC_BIN := $(TESTC_SRC:python-tests/c/%.c=$(B)/testc/%)
test-helpers: $(TESTC_BIN)
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
FUZZ_B := build-fuzz
FUZZ_CFLAGS := -O1 -g -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -fsanitize=fuzzer,address,undefined \
	-DBPTEE_VERSION=\"$(VERSION)\"
FUZZ_BIN := $(FUZZ_SRC:src/fuzz/%.c=$(FUZZ_B)/%)
# The library is compiled once with the fuzzing flags and linked into every target.
FUZZ_OBJ := $(LIB_SRC:%.c=$(FUZZ_B)/obj/%.o)
$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS:-fsanitize=fuzzer,%=-fsanitize=fuzzer-no-link,%) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ_B)/%: src/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -lpthread
-include $(FUZZ_OBJ:.o=.d)
# Seeds: src/fuzz/NAME.seeds lists files (relative to the repository) copied into the corpus.
fuzz: deps-check $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); c=$(FUZZ_B)/corpus/$$n; mkdir -p $$c; \
	  if [ -f src/fuzz/$$n.seeds ]; then while read -r s; do [ -f "$$s" ] && cp "$$s" $$c/ || true; \
	  done < src/fuzz/$$n.seeds; fi; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -close_fd_mask=3 $$c 2>$(FUZZ_B)/$$n.log \
	    || { tail -40 $(FUZZ_B)/$$n.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units' $(FUZZ_B)/$$n.log | sed "s/^/  $$n /"; done

# --- benchmarks -------------------------------------------------------------------------------
BENCH_BIN := $(BENCH_SRC:src/bench/%.c=$(B)/bench/%)
$(B)/bench/%: src/bench/%.c src/bench/bench.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(PKG_CFLAGS) -o $@ $< -L$(B) -lbptee -Wl,-rpath,$(abspath $(B)) \
		$(PKG_LIBS) -lpthread
bench: all $(BENCH_BIN)
	@for b in $(BENCH_BIN); do BPTEE_BUILD=$(abspath $(B)) $$b || exit 1; done

# --- demo -------------------------------------------------------------------------------------
demo: all
	@TEE=$(TEE) BPTEE_BUILD=$(abspath $(B)) sh docs/demo.sh

# --- install ----------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/bptee \
		$(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(LIB_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf libbptee.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libbptee.so
	install -m 0755 $(PRELOAD) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/
	install -m 0644 include/bptee.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(wildcard include/bptee/*.h) $(DESTDIR)$(INCLUDEDIR)/bptee/
	$(call gen_pc,pkgconfig/bptee.pc.in,$(DESTDIR)$(PKGCONFIGDIR)/bptee.pc)

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libbptee.so* $(DESTDIR)$(LIBDIR)/libbptee-preload.so \
		$(DESTDIR)$(BINDIR)/bptee $(DESTDIR)$(INCLUDEDIR)/bptee.h $(DESTDIR)$(PKGCONFIGDIR)/bptee.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/bptee

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(PRELOAD_SRC) $(PUB_HDR) $(wildcard src/*/*.h)

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
