# The README's two commands: `make run` and `make test`. Each installs what is missing first.
# Both build in release mode with testing enabled (one configuration, no rebuild between them):
# the explorer's tests search real state spaces and need an optimized build.
SWIFT ?= swift
# Release builds specialize the explorer's generic search across modules, skip the runtime
# exclusivity checks, and copy large values (a node) with specialized code rather than through
# value witnesses (-disable-type-layout). Kept here, not in Package.swift: SwiftPM refuses a
# dependency whose manifest has unsafe flags, and RaftCore is meant to be depended on.
OPT_FLAGS := -Xswiftc -cross-module-optimization -Xswiftc -enforce-exclusivity=unchecked \
	-Xswiftc -Xfrontend -Xswiftc -disable-type-layout
BUILD_FLAGS := -c release -Xswiftc -enable-testing $(OPT_FLAGS)
BIN := .build/release
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps test-deps build fuzz-decoders fuzzer swift-flags docs

# libxxhash-dev (through pkg-config) is the one system library RaftCheck links. The tests also
# drive the HTML pages in Debian's headless chromium and check ITF output against its JSON
# schema with Debian's python3-jsonschema.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libxxhash; then \
		echo "installing libxxhash-dev and pkg-config"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y libxxhash-dev pkg-config; \
	fi

test-deps: deps
	@if ! [ -x /usr/bin/chromium ] || ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then \
		echo "installing chromium and python3-jsonschema (for the tests)"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium python3-jsonschema; \
	fi

# The flags every release build of this repository uses (the bench scripts read them here).
swift-flags:
	@echo $(OPT_FLAGS)

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests

# Checks the default spec and prints the verdict; then the five-node example.
run: build
	$(BIN)/raftcheck check specs/ci.yaml --workers 2
	$(BIN)/five-nodes

test: test-deps build
	$(SWIFT) test $(BUILD_FLAGS) --skip-build

# The libFuzzer targets, built as ClusterFuzzLite builds them (.clusterfuzzlite/build.sh), into
# .build-fuzz/out: raftcheck-fuzzer walks the cluster model (spec: raftcheck-fuzzer.yaml beside
# it, or $$RAFTCHECK_SPEC; docs/fuzzing.md), decoders-fuzzer the spec and trace decoders.
# libFuzzer links with lld: the default gold linker fails on the fuzzer runtime.
fuzzer: deps
	.clusterfuzzlite/build.sh

# The spec and trace decoders under libFuzzer for FUZZ_SECONDS, seeded with the shipped specs
# and regression traces (its own corpus and any crash file go to .build-fuzz/decoders/).
FUZZ_SECONDS ?= 60
fuzz-decoders: fuzzer
	mkdir -p .build-fuzz/decoders/corpus
	SWIFT_BACKTRACE=enable=no .build-fuzz/out/decoders-fuzzer .build-fuzz/decoders/corpus specs corpus/regressions \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
		-artifact_prefix=.build-fuzz/decoders/ -print_final_stats=1

# RaftCore's API documentation (DocC); any warning fails.
docs:
	$(SWIFT) package generate-documentation --target RaftCore --warnings-as-errors
