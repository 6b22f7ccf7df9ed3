# The README's two commands: `make run` and `make test`. Each installs what is missing first.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test deps

# libxxhash-dev (through pkg-config) is the one system library RaftCheck links.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libxxhash; then \
		echo "installing libxxhash-dev and pkg-config"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y libxxhash-dev pkg-config; \
	fi

run: deps
	$(SWIFT) build -c release --product five-nodes
	.build/release/five-nodes

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
