# The two commands: `make run` (try it) and `make test` (everything CI runs).
SHELL := /bin/bash
SWIFT ?= swift
# Build jobs: the machines have 2 cores; more jobs only add memory pressure.
JOBS ?= 2

.PHONY: all deps test-deps build build-debug run test unit-test integration-test clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release -j $(JOBS)

build-debug: deps
	$(SWIFT) build --build-tests -j $(JOBS)

# Starts Redis (on a free local port) plus every role in one process; Ctrl-C stops it all.
run: build
	exec ./.build/release/orchestrator dev $(ARGS)

test-deps:
	@./scripts/install-deps.sh test

test: test-deps
	$(SWIFT) build --build-tests -j $(JOBS)
	$(MAKE) unit-test
	$(MAKE) integration-test

unit-test:
	$(SWIFT) test --skip-build

integration-test:
	./tests-integration/run.sh

clean:
	rm -rf .build .build-* .venv-it
