# ksleuth — build: make, make test, make install PREFIX=... DESTDIR=...,
# make uninstall, make deb, make clean.
# BPF objects: clang -target bpf against a vmlinux.h generated from this
# kernel's BTF; skeletons from bpftool; everything lands in build/.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/ksleuth
DATADIR  ?= $(PREFIX)/share/ksleuth
DOCDIR   ?= $(PREFIX)/share/doc/ksleuth
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# systemd reads units from /usr/local/lib/systemd/system too; the Debian
# package (bookworm) puts its unit in /lib/systemd/system
UNITDIR  ?= $(PREFIX)/lib/systemd/system
BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	    -Isrc -I$(BUILD) -DKSLEUTH_VERSION='"$(VERSION)"'
LDLIBS   += -lbpf -lelf -lz -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

BPF_SRCS  := $(wildcard src/bpf/*.bpf.c)
BPF_OBJS  := $(patsubst src/bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst src/bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# Pure code (src/lib, src/engine: no BPF, no /proc, no clock) is linked
# into the unit tests too; src/sys, src/collect, src/doctor and src/cmd
# touch the system. Two programs share $(BUILD)/libks.a, each linking only
# what it calls: ksleuth, and ksleuth-hog, the tests' and the demo's hog,
# a program of its own so that the culprit it plays never carries the
# tool's name (installed in LIBEXECDIR, off PATH).
PURE_SRCS := $(wildcard src/lib/*.c) $(wildcard src/engine/*.c)
LIB_SRCS  := $(wildcard src/doctor/*.c) $(wildcard src/collect/*.c) $(wildcard src/sys/*.c) \
	     $(PURE_SRCS)
HOG_SRCS  := src/hogmain.c src/cmd/hog.c
APP_SRCS  := src/main.c $(filter-out $(HOG_SRCS),$(wildcard src/cmd/*.c))
objs       = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
OBJS      := $(call objs,$(APP_SRCS) $(HOG_SRCS) $(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(BUILD)/unit-tests
HELPER_SRCS := $(wildcard tests/system/helpers/*.c)
HELPERS   := $(patsubst tests/system/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRCS))

.DEFAULT_GOAL := all
.PHONY: FORCE all deps test-deps deb-deps test unit system vm-test accuracy install uninstall \
	clean demo deb deb-name man completion fuzz fuzz-build
all: $(BUILD)/ksleuth $(BUILD)/ksleuth-hog

# Named outside a pattern rule, so that make neither deletes the skeletons
# as intermediates nor skips rebuilding them when they are missing.
$(OBJS): $(SKELS)
.SECONDARY: $(BPF_OBJS)

deps:
	@scripts/deps.sh
test-deps:
	@scripts/deps.sh --test --deb
deb-deps:
	@scripts/deps.sh --deb

$(BUILD)/.deps-ok: scripts/deps.sh
	@mkdir -p $(BUILD)
	@scripts/deps.sh
	@touch $@

$(BUILD)/vmlinux.h: | $(BUILD)/.deps-ok
	@if [ ! -r /sys/kernel/btf/vmlinux ]; then \
		echo "error: /sys/kernel/btf/vmlinux is missing: this kernel was built without CONFIG_DEBUG_INFO_BTF=y, which ksleuth needs (CO-RE)." >&2; exit 1; fi
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: src/bpf/%.bpf.c $(wildcard src/bpf/*.h src/bpf/*/*.h src/abi/*.h) $(BUILD)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Isrc \
		-Wall -Werror -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# name -> number of this architecture's syscalls, from the kernel headers
# (count maps syscalls:sys_enter_NAME to the raw sys_enter tracepoint).
$(BUILD)/syscall_nr.h: | $(BUILD)/.deps-ok
	echo '#include <asm/unistd.h>' | $(CC) -E -dM - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/{ "\1", \2 },/p' | sort > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/src/collect/count.o: $(BUILD)/syscall_nr.h

# where the demo finds the hog when it is not beside the binary (sys/helper.c);
# the path is baked in, so helper.o is rebuilt when it changes (`make`, then
# `make install PREFIX=/opt/ksleuth`): the stamp is rewritten only then
$(BUILD)/obj/src/sys/helper.o: CPPFLAGS += -DKSLEUTH_LIBEXECDIR='"$(LIBEXECDIR)"'
$(BUILD)/obj/src/sys/helper.o: $(BUILD)/libexecdir
$(BUILD)/libexecdir: FORCE
	@mkdir -p $(BUILD)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' > $@
FORCE:

$(BUILD)/libks.a: $(call objs,$(LIB_SRCS))
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/ksleuth: $(call objs,$(APP_SRCS)) $(BUILD)/libks.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/ksleuth-hog: $(call objs,$(HOG_SRCS)) $(BUILD)/libks.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Unit tests: pure code only, with AddressSanitizer and UBSan.
$(UNIT_BIN): $(UNIT_SRCS) $(PURE_SRCS) $(wildcard tests/unit/*.h) $(wildcard src/abi/*.h) $(wildcard src/lib/*.h) $(wildcard src/engine/*.h) | $(BUILD)/.deps-ok
	$(CC) $(CFLAGS) -O1 $(SAN) -Itests/unit $(UNIT_SRCS) $(PURE_SRCS) -o $@ -lm

$(BUILD)/helpers/%: tests/system/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ -lpthread -lm

unit: $(UNIT_BIN)
	$(UNIT_BIN)

# libFuzzer harnesses (tests/fuzz/fuzz_NAME.c) for the parsers of text from
# outside, with ASan+UBSan; `make fuzz` runs each FUZZ_SECONDS on its seeds.
FUZZ_SECONDS ?= 60
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIBO := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(PURE_SRCS))
.SECONDARY: $(FUZZ_LIBO)

$(BUILD)/fuzz/obj/%.o: %.c $(wildcard src/lib/*.h) $(wildcard src/engine/*.h) | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -O1 -g -Isrc -I$(BUILD) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIBO)
	$(CLANG) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-missing-field-initializers -Isrc -I$(BUILD) \
		-fsanitize=fuzzer $(FUZZ_SAN) $< $(FUZZ_LIBO) -o $@ -lm

fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	KS_BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# The README's main command: the incident reproduced and explained.
demo: all
	@scripts/deps.sh --demo
	$(BUILD)/ksleuth demo

# The whole suite: installs test packages, builds, runs unit + system tests.
test: test-deps
	$(MAKE) all $(UNIT_BIN) $(HELPERS) fuzz-build
	KS_BUILD=$(BUILD) tests/run.sh

# The doctor's scenario corpus under every load, with the accuracy table
# (tests/scenarios, docs/accuracy.md); make test runs a part of it.
# GUESTS: kernels whose hog scenarios join the table (6.1: before 6.5).
GUESTS ?= 6.1
accuracy: test-deps
	$(MAKE) all
	KS_BUILD=$(BUILD) bash tests/scenarios/run.sh --full --guests "$(GUESTS)" --table $(BUILD)/accuracy.md

# The kernel matrix alone: make vm-test KERNELS="6.1 6.12-rt"
vm-test: test-deps
	$(MAKE) all
	KS_BUILD=$(BUILD) tests/run.sh vm "$(KERNELS)"

# The man page and the bash completion come from the binary's own option
# tables (`ksleuth manpage`, `ksleuth completion bash`), the ones --help
# prints: there is no hand-written copy to fall out of step.
man: $(BUILD)/ksleuth.8
completion: $(BUILD)/ksleuth.bash-completion
$(BUILD)/ksleuth.8: $(BUILD)/ksleuth
	@$< manpage > $@.tmp || { rm -f $@.tmp; \
		echo "error: '$< manpage' failed: this binary cannot print its man page" >&2; exit 1; }
	@mv $@.tmp $@
$(BUILD)/ksleuth.bash-completion: $(BUILD)/ksleuth
	@$< completion bash > $@.tmp || { rm -f $@.tmp; \
		echo "error: '$< completion bash' failed: this binary cannot print its completion" >&2; exit 1; }
	@mv $@.tmp $@

# What `make install` puts where; `make uninstall` removes exactly these.
DOC_FILES  := README.md $(filter-out docs/HACKING.md,$(wildcard docs/*.md))
PROM_FILES := contrib/prometheus/ksleuth.rules.yml contrib/prometheus/prometheus.yml
GRAF_FILES := $(wildcard contrib/grafana/*.json)
UNIT_SRC   := contrib/systemd/ksleuth-agent.service
INSTALLED  := $(BINDIR)/ksleuth $(LIBEXECDIR)/ksleuth-hog \
	      $(MANDIR)/man8/ksleuth.8 $(BASHCOMPDIR)/ksleuth \
	      $(UNITDIR)/ksleuth-agent.service \
	      $(addprefix $(DOCDIR)/,$(notdir $(DOC_FILES))) \
	      $(addprefix $(DATADIR)/prometheus/,$(notdir $(PROM_FILES))) \
	      $(addprefix $(DATADIR)/grafana/,$(notdir $(GRAF_FILES)))

# The unit names the installed binary and docs: its /usr/local paths
# become this PREFIX's.
install: all $(BUILD)/ksleuth.8 $(BUILD)/ksleuth.bash-completion
	install -D -m 0755 $(BUILD)/ksleuth $(DESTDIR)$(BINDIR)/ksleuth
	install -D -m 0755 $(BUILD)/ksleuth-hog $(DESTDIR)$(LIBEXECDIR)/ksleuth-hog
	install -D -m 0644 $(BUILD)/ksleuth.8 $(DESTDIR)$(MANDIR)/man8/ksleuth.8
	install -D -m 0644 $(BUILD)/ksleuth.bash-completion $(DESTDIR)$(BASHCOMPDIR)/ksleuth
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)/prometheus
	sed -e 's#/usr/local/bin/ksleuth#$(BINDIR)/ksleuth#g' \
	    -e 's#/usr/local/share/doc/ksleuth#$(DOCDIR)#g' \
	    $(UNIT_SRC) > $(DESTDIR)$(UNITDIR)/ksleuth-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ksleuth-agent.service
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(PROM_FILES) $(DESTDIR)$(DATADIR)/prometheus/
	$(if $(GRAF_FILES),install -D -m 0644 -t $(DESTDIR)$(DATADIR)/grafana $(GRAF_FILES))

# Only what install wrote, then its own directories if that left them empty.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	for d in $(addprefix $(DESTDIR),$(DATADIR)/grafana $(DATADIR)/prometheus \
		$(DATADIR) $(DOCDIR) $(LIBEXECDIR)); do \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done

# The Debian package (debian/), built by dpkg-buildpackage in a copy of
# this tree under build/deb, versioned from git (scripts/debversion.sh).
DEB_VERSION := $(shell scripts/debversion.sh 2>/dev/null)
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null)
DEB         := $(BUILD)/ksleuth_$(DEB_VERSION)_$(DEB_ARCH).deb
deb: $(DEB)
deb-name:
	@echo $(DEB)
$(DEB): $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null)) | deb-deps
	scripts/mkdeb.sh $(BUILD) $(DEB_VERSION)

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d)
