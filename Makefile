# vpcrouter: one command to build, one to test. Both install what they need first.
SWIFT ?= swift

.PHONY: deps build release test clean

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

clean:
	rm -rf .build
