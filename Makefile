# ksleuth — build: make, make test, make install PREFIX=..., make clean.
# BPF objects: clang -target bpf against a vmlinux.h generated from this
# kernel's BTF; skeletons from bpftool; everything lands in build/.

PREFIX   ?= /usr/local
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
# into the unit tests too; src/sys, src/collect and src/cmd touch the system.
PURE_SRCS := $(wildcard src/lib/*.c) $(wildcard src/engine/*.c)
APP_SRCS  := src/main.c $(wildcard src/cmd/*.c) $(wildcard src/collect/*.c) \
	     $(wildcard src/sys/*.c)
SRCS      := $(APP_SRCS) $(PURE_SRCS)
OBJS      := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRCS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(BUILD)/unit-tests
HELPER_SRCS := $(wildcard tests/system/helpers/*.c)
HELPERS   := $(patsubst tests/system/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRCS))

.DEFAULT_GOAL := all
.PHONY: all deps test-deps test unit system vm-test accuracy install clean demo
all: $(BUILD)/ksleuth

# Named outside a pattern rule, so that make neither deletes the skeletons
# as intermediates nor skips rebuilding them when they are missing.
$(OBJS): $(SKELS)
.SECONDARY: $(BPF_OBJS)

deps:
	@scripts/deps.sh
test-deps:
	@scripts/deps.sh --test

$(BUILD)/.deps-ok: scripts/deps.sh
	@mkdir -p $(BUILD)
	@scripts/deps.sh
	@touch $@

$(BUILD)/vmlinux.h: | $(BUILD)/.deps-ok
	@if [ ! -r /sys/kernel/btf/vmlinux ]; then \
		echo "error: /sys/kernel/btf/vmlinux is missing: this kernel was built without CONFIG_DEBUG_INFO_BTF=y, which ksleuth needs (CO-RE)." >&2; exit 1; fi
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: src/bpf/%.bpf.c $(wildcard src/bpf/*.h) $(BUILD)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Isrc/bpf \
		-Wall -Werror -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/ksleuth: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# Unit tests: pure code only, with AddressSanitizer and UBSan.
$(UNIT_BIN): $(UNIT_SRCS) $(PURE_SRCS) $(wildcard tests/unit/*.h) $(wildcard src/lib/*.h) $(wildcard src/engine/*.h) | $(BUILD)/.deps-ok
	$(CC) $(CFLAGS) -O1 $(SAN) -Itests/unit $(UNIT_SRCS) $(PURE_SRCS) -o $@ -lm

$(BUILD)/helpers/%: tests/system/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ -lpthread -lm

unit: $(UNIT_BIN)
	$(UNIT_BIN)

# The README's main command: the incident reproduced and explained.
demo: all
	@scripts/deps.sh --demo
	$(BUILD)/ksleuth demo

# The whole suite: installs test packages, builds, runs unit + system tests.
test: test-deps
	$(MAKE) all $(UNIT_BIN) $(HELPERS)
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

install: $(BUILD)/ksleuth
	install -D -m 0755 $(BUILD)/ksleuth $(DESTDIR)$(PREFIX)/bin/ksleuth

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d)
