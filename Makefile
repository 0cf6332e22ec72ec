# vpcrouter: one command to see it work, one to test it, one to measure it. Each installs what it
# needs first.
SWIFT ?= swift
# Extra vpcrouter options for the demo and the sandbox: make demo ARGS="--health-fall 2"
ARGS ?=

.PHONY: deps build release test demo sandbox bench fuzz soak clean

deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds everything (the daemon and the plugins the tests load), then runs every test.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The ownership rules' model-based checks for longer (not part of test): consecutive seeds from
# SEED for MINUTES each, first on the planner against a simulated VPC (1,000 random steps a seed),
# then through the real daemon against moto (300 steps a seed; needs root for the routers' netns).
# A daemon failure is shrunk to a shorter step list for up to VPCROUTER_MODEL_SHRINK_SECONDS (300)
# and printed with the command that replays it.
SEED ?= 1
MINUTES ?= 5
soak:
	$(SWIFT) build --build-tests
	VPCROUTER_SOAK_SEED=$(SEED) VPCROUTER_SOAK_MINUTES=$(MINUTES) $(SWIFT) test --skip-build --filter 'ReconcilerTests.OwnershipModelTests/soak'
	VPCROUTER_SOAK_SEED=$(SEED) VPCROUTER_SOAK_MINUTES=$(MINUTES) $(SWIFT) test --skip-build --filter 'DaemonOwnershipModelTests/soak'

# libFuzzer on the route spec validator and the EC2 answer decoding, FUZZ_SECONDS each (not part of test).
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh routespec $(FUZZ_SECONDS)
	bash scripts/fuzz.sh ec2xml $(FUZZ_SECONDS)

# moto as EC2, routers in network namespaces, the release daemon: each step narrated and checked.
demo: release
	python3 scripts/demo.py -- $(ARGS)

# The demo's environment, kept up with the commands to try by hand; Ctrl-C tears it down.
sandbox: release
	python3 scripts/demo.py --sandbox -- $(ARGS)

# Every benchmark; writes bench/results.json and bench/results.md.
bench: release
	python3 scripts/bench.py

clean:
	rm -rf .build
