# vpcrouter: one command to build, one to test. Both install what they need first.
SWIFT ?= swift

.PHONY: deps build release test fuzz clean

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

# libFuzzer on the route spec validator and the EC2 answer decoding, FUZZ_SECONDS each (not part of test).
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh routespec $(FUZZ_SECONDS)
	bash scripts/fuzz.sh ec2xml $(FUZZ_SECONDS)

clean:
	rm -rf .build
