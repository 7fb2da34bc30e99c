# berth: one non-recursive Makefile; each module adds its sources in its own fragment
# (installer/<module>/<module>.mk), in dependency order from the bottom up.
#
#   make                 build build/berth (warnings on; -Werror when CI=true or WERROR=1)
#   make check           install missing packages, build, run every test tier
#   make check-asan      unit and integration tiers under AddressSanitizer + UBSan, leaks on
#   make lint            clang-format, shellcheck, banned calls, module layering
#   make install         DESTDIR=... PREFIX=...: the program, man pages, bash completion
#   make deb             the Debian package (dpkg-buildpackage -b -us -uc), in ..
#   make deps            apt-get install every build, test and runtime package (idempotent)
#   make demo            the README's first command
#   make test-image      build (or reuse) the cached test OS images

VERSION := 0.1.0
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DESTDIR ?=

B ?= build
CC ?= gcc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
LDFLAGS ?=

ifneq ($(filter true 1,$(CI) $(WERROR)),)
WERROR_FLAG := -Werror
endif

WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wformat=2 -Wformat-security -Wstrict-prototypes -Wmissing-prototypes \
	-Wnull-dereference -Wundef -Wimplicit-fallthrough -Wvla -Wpointer-arith

# Libraries, each named once. A module's fragment says which of these it links with, so the
# link lines show the module dependencies (STYLE.md).
PKGS_GLIB := glib-2.0 gio-2.0
PKGS_OSTREE := ostree-1
PKGS_CURL := libcurl
PKGS_JSON := jansson
PKGS_ARCHIVE := libarchive
# ISA-L's igzip: gzip layers inflate about five times faster than with zlib (DESIGN.md 1b).
PKGS_ISAL := libisal
# nettle's SHA-256 (SHA-NI) for blob digests; mbedtls stays for what only it does here.
PKGS_NETTLE := nettle
PKGS_BLKID := blkid
PKGS_FDISK := fdisk
# mbedtls 2.28 in Debian 12 ships no pkg-config file.
LIBS_MBEDTLS := -lmbedx509 -lmbedcrypto

ALL_PKGS := $(PKGS_GLIB) $(PKGS_OSTREE) $(PKGS_CURL) $(PKGS_JSON) $(PKGS_ARCHIVE) \
	$(PKGS_ISAL) $(PKGS_NETTLE) $(PKGS_BLKID) $(PKGS_FDISK)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(ALL_PKGS) 2>/dev/null)

BERTH_CFLAGS := -std=gnu11 $(WARNINGS) $(WERROR_FLAG) -D_GNU_SOURCE \
	-DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
	-DBERTH_VERSION='"$(VERSION)"' -Iinstaller -I. $(PKG_CFLAGS) -MMD -MP

pkg_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# Filled by the fragments: <mod>_SRCS, <mod>_DEPS (the modules it uses directly), <mod>_LIBS
# (the libraries it uses itself).
MODULES :=
include installer/util/util.mk
include installer/oci/oci.mk
include installer/import/import.mk
include installer/export/export.mk
include installer/disk/disk.mk
include installer/deploy/deploy.mk
include installer/boot/boot.mk
include installer/plan/plan.mk
include kargs/kargs.mk
include kickstart/kickstart.mk
include installer/cli/cli.mk
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

objs_of = $(patsubst %.c,$(B)/%.o,$(1))
module_lib = $(if $($(1)_SRCS),$(B)/lib/lib$(1).a)

# Module archives, top of the stack first, as the linker wants them.
LINK_ORDER := plan boot deploy kickstart kargs disk export import oci util
MODULE_ARCHIVES := $(foreach m,$(LINK_ORDER),$(call module_lib,$(m)))
MODULE_LIBS := $(foreach m,$(LINK_ORDER),$($(m)_LIBS))
MODULE_LDLIBS = $(call pkg_libs,$(PKGS_GLIB) $(sort $(filter-out -l%,$(MODULE_LIBS)))) \
	$(filter -l%,$(MODULE_LIBS))

# Layering the build enforces: a module may use what its _DEPS name, and what they use in turn
# (the closure), nothing else. tools/lint checks the #includes against the closure
# (make print-layering), and each module is linked on its own, every object of it, against
# the archives of its closure and the libraries it and they declare (util's mappers are pulled
# in only as used, so they bring no library of their own): an undeclared dependency is an
# undefined symbol there.
closure = $(sort $(foreach d,$($(1)_DEPS),$(d) $(call closure,$(d))))
closure_archives = $(foreach m,$(filter $(call closure,$(1)),$(LINK_ORDER)),$(call module_lib,$(m)))
closure_pkgs = $(sort $(filter-out -l%,$(foreach m,$(1) $(filter-out util,$(call closure,$(1))),$($(m)_LIBS))))
closure_ldlibs = $(call pkg_libs,$(PKGS_GLIB) $(call closure_pkgs,$(1))) \
	$(filter -l%,$(foreach m,$(1) $(filter-out util,$(call closure,$(1))),$($(m)_LIBS)))
LAYERED_MODULES := $(filter-out cli,$(LINK_ORDER))
LAYERING_DIR ?= $(B)/layering
LAYERING_CHECKS := $(patsubst %,$(LAYERING_DIR)/%.ok,$(LAYERED_MODULES))

.PHONY: print-layering layering
print-layering:
	@$(foreach m,$(LINK_ORDER) cli,echo "$(m): $(call closure,$(m))";)
layering: $(LAYERING_CHECKS)

$(LAYERING_DIR)/stub.o:
	@mkdir -p $(@D)
	@echo 'int main (void) { return 0; }' | $(CC) -x c -c -o $@ -

define layering_rule
$(LAYERING_DIR)/$(1).ok: $(LAYERING_DIR)/stub.o $(call module_lib,$(1)) $(call closure_archives,$(1))
	@$$(if $$(Q),echo "  LAYER   $(1): $(call closure,$(1))")
	$$(Q)$$(CC) $$(LDFLAGS) -o $(LAYERING_DIR)/$(1) $(LAYERING_DIR)/stub.o -Wl,--whole-archive \
	  $(call module_lib,$(1)) -Wl,--no-whole-archive $(call closure_archives,$(1)) \
	  $(call closure_ldlibs,$(1)) || { echo "module $(1) uses something outside its declared \
	  dependencies ($(1)_DEPS: $($(1)_DEPS); $(1)_LIBS)" >&2; exit 1; }
	$$(Q)rm -f $(LAYERING_DIR)/$(1) && touch $$@
endef
$(foreach m,$(LAYERED_MODULES),$(eval $(call layering_rule,$(m))))

# Man pages: man/*.8.in with the version and the shared image options filled in.
MAN_PAGES := $(patsubst man/%.8.in,$(B)/man/%.8,$(wildcard man/*.8.in))

.PHONY: all man
all: $(B)/berth unit-tests man layering
man: $(MAN_PAGES)

$(B)/man/%.8: man/%.8.in man/image-options.inc
	@mkdir -p $(@D)
	$(Q)sed -e 's/@VERSION@/$(VERSION)/g' -e '/^@IMAGE_OPTIONS@$$/{r man/image-options.inc' -e 'd;}' $< >$@

# V=1 shows whole command lines.
Q := $(if $(filter 1,$(V)),,@)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BERTH_CFLAGS) $(CFLAGS) -c -o $@ $<

define module_archive_rule
$(B)/lib/lib$(1).a: $(call objs_of,$($(1)_SRCS))
	@mkdir -p $$(@D)
	$(Q)rm -f $$@
	$(Q)$$(AR) rcs $$@ $$^
endef
$(foreach m,$(LINK_ORDER),$(if $($(m)_SRCS),$(eval $(call module_archive_rule,$(m)))))

# The program: the cli objects against cli's closure only, so it too shows its dependencies.
$(B)/berth: $(call objs_of,$(cli_SRCS)) $(call closure_archives,cli)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(call objs_of,$(cli_SRCS)) $(call closure_archives,cli) \
	  $(call closure_ldlibs,cli)

# Unit tests and fuzz replays find tests/fixtures through BERTH_FIXTURES (set by tests/run),
# else in the source tree they were built from.
$(B)/tests/%.o: BERTH_CFLAGS += -DBERTH_FIXTURES_DEFAULT='"$(abspath $(CURDIR)/tests/fixtures)"'

.PHONY: unit-tests
# Keep the unit tests' objects: make would delete them as intermediates.
.SECONDARY:
unit-tests: $(UNIT_TESTS)

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(MODULE_ARCHIVES)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(MODULE_ARCHIVES) $(MODULE_LDLIBS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- dependencies ----------------------------------------------------------------------

.PHONY: deps deps-ensure
deps:
	tools/deps install

# Cheap when everything is there (one dpkg-query); installs only what is missing.
deps-ensure:
	@tools/deps ensure

# ---- tests -----------------------------------------------------------------------------

.PHONY: check check-asan lint test-image fuzz bench
check: deps-ensure
	$(MAKE) all
	BERTH_BUILD=$(abspath $(B)) tests/run

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
check-asan: deps-ensure
	$(MAKE) B=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all
	BERTH_BUILD=$(abspath build-asan) BERTH_SANITIZED=1 tests/run --tier unit --tier integration

lint:
	tools/lint

# Benchmarks: berth beside the tools a user would otherwise run. Reports, never asserts.
bench: deps-ensure
	$(MAKE) all
	@set -e; for b in tests/bench/*.sh; do [ "$$b" = tests/bench/lib.sh ] || BERTH_BUILD=$(abspath $(B)) $$b; done

test-image: deps-ensure
	images/test-image

# ---- demo ------------------------------------------------------------------------------

.PHONY: demo
demo: deps-ensure
	$(MAKE) all
	tools/demo

# ---- install ---------------------------------------------------------------------------

.PHONY: install
install: $(B)/berth $(MAN_PAGES)
	install -D -m 0755 $(B)/berth $(DESTDIR)$(BINDIR)/berth
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 completion/berth.bash $(DESTDIR)$(BASHCOMPDIR)/berth

.PHONY: deb
deb: deps-ensure
	dpkg-buildpackage -b -us -uc

.PHONY: clean
clean:
	rm -rf $(B) build-asan

# ---- fuzzing ---------------------------------------------------------------------------

fuzz-replays: $(FUZZ_REPLAYS)
all: fuzz-replays

$(B)/tests/fuzz/fuzz-%: $(B)/tests/fuzz/fuzz-%.o $(B)/tests/fuzz/replay-main.o $(MODULE_ARCHIVES)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(MODULE_LDLIBS)

# libFuzzer builds: the whole tree again with clang and the fuzzer instrumentation.
fuzz: deps-ensure
	$(MAKE) B=$(FUZZ_B) CC=clang CFLAGS="$(FUZZ_CFLAGS)" WERROR= $(foreach t,$(FUZZ_TARGETS),$(FUZZ_B)/tests/fuzz/fuzz-$(t).o) $(MODULE_ARCHIVES:$(B)/%=$(FUZZ_B)/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  clang -fsanitize=fuzzer,address,undefined -o $(FUZZ_B)/tests/fuzz/libfuzzer-$$t \
	    $(FUZZ_B)/tests/fuzz/fuzz-$$t.o $(MODULE_ARCHIVES:$(B)/%=$(FUZZ_B)/%) $(MODULE_LDLIBS); \
	  mkdir -p $(FUZZ_B)/corpus/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_B)/tests/fuzz/libfuzzer-$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/crash-$$t- \
	    $(FUZZ_B)/corpus/$$t tests/fuzz/corpus/$$t; \
	done
