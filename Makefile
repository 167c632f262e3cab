# The two commands: `make run` (try it) and `make test` (everything CI runs).
SHELL := /bin/bash
SWIFT ?= swift
# Build jobs: the machines have 2 cores; more jobs only add memory pressure.
JOBS ?= 2

.PHONY: all deps test-deps build build-debug run test unit-test integration-test chaos clean bench bench-deps

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

# The chaos suite's long form (tests-integration/chaos.py, README "Reliability"): 1000 jobs
# while workers, notifiers and Redis are killed; about 3 minutes. `make test` runs a short form
# (test_chaos.py). Uses ORCHESTRATOR_BINARY if set, else a release build. CHAOS_ARGS passes
# options, e.g. make chaos CHAOS_ARGS="--seed 7 --keep".
chaos: test-deps
	@if [ -z "$(ORCHESTRATOR_BINARY)" ]; then $(SWIFT) build -c release -j $(JOBS); fi
	ORCHESTRATOR_BINARY="$${ORCHESTRATOR_BINARY:-$(CURDIR)/.build/release/orchestrator}" ./tests-integration/chaos.sh $(CHAOS_ARGS)

# Throughput, latency and cost per job beside baselines from the same run (bench/, README
# "Performance"); about 3-5 minutes. Measures ORCHESTRATOR_BINARY if set, else a release build.
bench-deps:
	@./scripts/install-deps.sh bench

bench: bench-deps
	@if [ -z "$(ORCHESTRATOR_BINARY)" ]; then $(SWIFT) build -c release -j $(JOBS); fi
	ORCHESTRATOR_BINARY="$${ORCHESTRATOR_BINARY:-$(CURDIR)/.build/release/orchestrator}" ./bench/run.sh

clean:
	rm -rf .build .build-* .venv-it .venv-bench
