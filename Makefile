# irx: one non-recursive makefile.
#   make                 build irx, its plugins and the test binaries
#   make check           install missing Debian packages, build, run every test
#                        (plain and ASan+UBSan builds, valgrind leak check)
#   make demo            install missing packages, build, run the demo
#   make install PREFIX=/usr/local DESTDIR=
#   make fuzz            run each fuzz target for FUZZ_SECONDS
#   make bench           benchmarks
# Knobs:
ifeq ($(origin CC),default)
CC = gcc
endif
PREFIX ?= /usr/local
DESTDIR ?=
SANITIZE ?=
V ?= 0
FUZZ_SECONDS ?= 30
CHECK_FUZZ_SECONDS ?= 3
VERSION := 0.1.0

ifeq ($(V),0)
Q := @
else
Q :=
endif

comma := ,
ifeq ($(origin B),undefined)
ifneq ($(SANITIZE),)
B := build/san-$(subst $(comma),-,$(SANITIZE))
else
B := build/release
endif
endif

LIBDIR := $(PREFIX)/lib
PLUGINDIR := $(LIBDIR)/irx/plugins
RUNBOOKDIR := $(PREFIX)/share/irx/runbooks
INCLUDEDIR := $(PREFIX)/include

# --- dependencies ------------------------------------------------------------
# `make check` and `make demo` install what is missing first (tools/install-deps).
ifneq ($(filter check demo deps,$(MAKECMDGOALS)),)
ifeq ($(IRX_DEPS_DONE),)
$(info irx: checking Debian packages (tools/install-deps))
DEPS_OUT := $(shell tools/install-deps >&2; echo $$?)
ifneq ($(DEPS_OUT),0)
$(error tools/install-deps failed; see the messages above)
endif
export IRX_DEPS_DONE := 1
endif
endif

# pkg-config name : Debian package
DEPS := yaml-0.1:libyaml-dev json-c:libjson-c-dev libcurl:libcurl4-openssl-dev \
	openssl:libssl-dev cunit:libcunit1-dev expat:libexpat1-dev libxml-2.0:libxml2-dev
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
ifeq ($(shell command -v pkg-config),)
$(error pkg-config not found: install the Debian package 'pkg-config' (or run tools/install-deps))
endif
$(foreach d,$(DEPS),$(if $(shell pkg-config --exists $(word 1,$(subst :, ,$(d))) && echo y),,\
	$(error missing dependency '$(word 1,$(subst :, ,$(d)))': install the Debian package '$(word 2,$(subst :, ,$(d)))' (or run tools/install-deps))))
endif
PKGS := yaml-0.1 json-c libcurl openssl expat
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libxml2 only for the unit tests: test_drill.c checks the JUnit report with a parser irx lacks
CUNIT_CFLAGS := $(shell pkg-config --cflags cunit libxml-2.0 2>/dev/null)
CUNIT_LIBS := $(shell pkg-config --libs cunit libxml-2.0 2>/dev/null)

# --- flags -------------------------------------------------------------------
# -Wno-missing-field-initializers: the plugin ABI's structs are append-only, and a positional
# action table written for an older minor ({name, summary, flags, params, execute, rollback})
# must keep compiling when a member is appended (C zero-fills the rest).
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-truncation -Wno-unused-parameter -Wno-format-nonliteral -Wvla -Wpointer-arith \
	-Wno-missing-field-initializers
CFLAGS ?= -O2 -g
SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) -Iinclude -Icore \
	$(PKG_CFLAGS) -MMD -MP \
	-DIRX_VERSION='"$(VERSION)"' -DIRX_PLUGIN_DIR='"$(PLUGINDIR)"' \
	-DIRX_RUNBOOK_DIR='"$(RUNBOOKDIR)"'
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)
LIBS := $(PKG_LIBS) -ldl -lm -lpthread

# --- sources -----------------------------------------------------------------
CORE_SRCS := $(filter-out core/main.c,$(wildcard core/*.c core/aws/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(B)/%.o)
PLUGINS := $(notdir $(patsubst %/,%,$(wildcard plugins/*/)))
PLUGIN_SOS := $(PLUGINS:%=$(B)/plugins/%.so)
TEST_PLUGINS := $(notdir $(patsubst %/,%,$(wildcard tests/plugins/*/)))
TEST_PLUGIN_SOS := $(TEST_PLUGINS:%=$(B)/tests/plugins/%.so)
TEST_SRCS := $(wildcard tests/unit/*.c)
TEST_OBJS := $(TEST_SRCS:%.c=$(B)/%.o)
$(TEST_OBJS): ALL_CFLAGS += $(CUNIT_CFLAGS)
# every plugin is also linked statically into the unit tests
STATIC_PLUGIN_OBJS := $(foreach p,$(PLUGINS),$(patsubst %.c,$(B)/static/%.o,$(wildcard plugins/$(p)/*.c)))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

IRX := $(B)/irx
UNIT := $(B)/tests/unit_tests

.PHONY: all check test demo install uninstall fuzz bench clean deps format help valgrind-check \
	install-check sim-check lambda-zip
all: $(IRX) $(PLUGIN_SOS) $(TEST_PLUGIN_SOS) $(UNIT)

deps:
	@:

# Rebuild everything when the flags change (PREFIX is compiled in as the default search path).
FLAGS_FILE := $(B)/.build-flags
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
ifneq ($(FLAGS_NOW),$(file <$(FLAGS_FILE)))
$(shell mkdir -p $(B))
$(file >$(FLAGS_FILE),$(FLAGS_NOW))
endif
endif

$(B)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libirxcore.a: $(CORE_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(IRX): $(B)/core/main.o $(B)/libirxcore.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# plugins: position-independent, one exported symbol
PLUGIN_CFLAGS := -fPIC -fvisibility=hidden
# libraries a plugin links beyond json-c (pkg-config names), per plugin
PLUGIN_PKGS_notify := libcurl openssl
.SECONDEXPANSION:
$(B)/plugins/%.so: $$(wildcard plugins/%/*.c) $$(wildcard plugins/%/*.h) $(wildcard include/irx/*.h)
	@install -d -m 0755 $(dir $@)
	@$(if $(Q),echo "  PLUGIN  $@")
	$(Q)$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(PLUGIN_CFLAGS) -shared -o $@ \
		$(filter %.c,$^) $(ALL_LDFLAGS) $(shell pkg-config --libs json-c $(PLUGIN_PKGS_$*))
	$(Q)chmod 0755 $@

$(B)/tests/plugins/%.so: $$(wildcard tests/plugins/%/*.c) $(wildcard include/irx/*.h)
	@install -d -m 0755 $(dir $@)
	@$(if $(Q),echo "  PLUGIN  $@")
	$(Q)$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(PLUGIN_CFLAGS) -shared -o $@ \
		$(filter %.c,$^) $(ALL_LDFLAGS) $(shell pkg-config --libs json-c)
	$(Q)chmod 0755 $@

$(B)/static/plugins/%.o: plugins/%.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)$(CC) $(ALL_CFLAGS) -DIRX_PLUGIN_STATIC=$(word 2,$(subst /, ,$<)) -c -o $@ $<

$(UNIT): $(TEST_OBJS) $(STATIC_PLUGIN_OBJS) $(B)/libirxcore.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CUNIT_LIBS)

# --- tests -------------------------------------------------------------------
# Run one suite: make test SUITE=selector
test: all
	$(Q)IRX_TEST_BUILD=$(B) IRX_TEST_SRC=$(CURDIR) $(UNIT) $(SUITE)

# the plain run goes last, so the closing lines are CUnit's summary
# (each build is named explicitly: `make check SANITIZE=...` must not hand valgrind an ASan binary)
check:
	$(Q)$(MAKE) --no-print-directory valgrind-check SANITIZE=
	$(Q)$(MAKE) --no-print-directory install-check SANITIZE=
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	$(Q)$(MAKE) --no-print-directory sim-check
	$(Q)$(MAKE) --no-print-directory test SANITIZE=address,undefined
	$(Q)$(MAKE) --no-print-directory test SANITIZE=

valgrind-check: all
	$(Q)tools/valgrind-check $(IRX) $(B)

# the simulator answers boto3 (AWS's own SDK) as AWS would
sim-check:
	$(Q)/usr/bin/python3 -W ignore -m unittest discover tests/sim

# installs into a scratch DESTDIR and builds a plugin outside the tree with pkg-config
install-check:
	$(Q)tools/install-check

demo: all
	$(Q)tools/demo $(B)

# the deployment package of a provided.al2023 Lambda function (README: Lambda)
lambda-zip: $(IRX) $(PLUGIN_SOS)
	$(Q)tools/lambda-zip $(B) build/irx-lambda.zip

# --- fuzzing (clang libFuzzer) -------------------------------------------------
FUZZ_B := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-Iinclude -Icore $(PKG_CFLAGS) -DIRX_VERSION='"$(VERSION)"' \
	-DIRX_PLUGIN_DIR='"$(PLUGINDIR)"' -DIRX_RUNBOOK_DIR='"$(RUNBOOKDIR)"'
FUZZ_CORE_OBJS := $(CORE_SRCS:%.c=$(FUZZ_B)/%.o)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_B)/%)

$(FUZZ_B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -c -o $@ $<

# an archive, so a target links only the objects it needs (cmd_*.o want main.c's command table)
$(FUZZ_B)/libirxcore.a: $(FUZZ_CORE_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_B)/libirxcore.a
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz: $(FUZZ_BINS)
	$(Q)tools/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)

$(B)/tests/bench/%: tests/bench/%.c $(B)/libirxcore.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

bench: all $(B)/tests/bench/bench_client $(B)/tests/bench/bench_contain \
		$(B)/tests/bench/bench_serve
	$(Q)tools/bench $(B)

# --- install -----------------------------------------------------------------
install: $(IRX) $(PLUGIN_SOS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(RUNBOOKDIR) \
		$(DESTDIR)$(INCLUDEDIR)/irx $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0755 $(IRX) $(DESTDIR)$(PREFIX)/bin/irx
	$(if $(PLUGIN_SOS),install -m 0755 $(PLUGIN_SOS) $(DESTDIR)$(PLUGINDIR)/)
	$(if $(wildcard runbooks/*.yaml),install -m 0644 $(wildcard runbooks/*.yaml) $(DESTDIR)$(RUNBOOKDIR)/)
	install -d $(DESTDIR)$(PREFIX)/share/irx/drills
	$(if $(wildcard drills/*.yaml),install -m 0644 $(wildcard drills/*.yaml) $(DESTDIR)$(PREFIX)/share/irx/drills/)
	install -m 0644 include/irx/*.h $(DESTDIR)$(INCLUDEDIR)/irx/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@PLUGINDIR@|$(PLUGINDIR)|g' tools/irx.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/irx.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/irx $(DESTDIR)$(LIBDIR)/pkgconfig/irx.pc
	rm -rf $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(RUNBOOKDIR) $(DESTDIR)$(INCLUDEDIR)/irx \
		$(DESTDIR)$(PREFIX)/share/irx/drills

format:
	clang-format -i $(wildcard core/*.[ch] core/aws/*.[ch] include/irx/*.h plugins/*/*.c tests/unit/*.[ch])

clean:
	rm -rf build

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'

-include $(CORE_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(B)/core/main.d $(STATIC_PLUGIN_OBJS:.o=.d)
