# Ringmaster: the two set-up commands (README) and the benchmark.
#   make run    build (release) and run the server with config/ringmaster.json
#   make test   build and run the whole test suite (what CI runs)
# Both install liburing-dev, libnuma-dev and libssl-dev with apt when missing (Debian 12, as root).

SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
CONFIG ?= config/ringmaster.json
BENCH ?= ../shared/bench
ROUNDS ?= 3
FUZZ_SECONDS ?= 30
# The release binary links the Swift runtime statically, as deploy/Dockerfile does: one
# worker then starts at nginx's resident memory (14.7 MB against 22.8 MB with the shared
# runtime libraries; docs/benchmarks.md, issue 15) and the binary needs no toolchain to run.
RELEASE := swift build -c release --static-swift-stdlib

.PHONY: deps build release run test tls-scan fuzz deploy-check bench bench-smoke device-kit clean

deps:
	@missing=""; \
	for p in liburing-dev libnuma-dev libssl-dev; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v swift >/dev/null || { echo "swift not found (expected at /opt/swift/usr/bin)"; exit 1; }

build: deps
	swift build

release: deps
	$(RELEASE)

run: release
	.build/release/ringmaster --config $(CONFIG)

# Debug build for the tests (the allocation test counts real allocations there), plus a
# release build so optimised-only breakage is caught too. Suites run one at a time: several
# tests measure the whole process (threads left behind, worker CPU time, RSS).
test: deps
	@# The proxy pool test's upstream, and testssl.sh for scripts/tls-scan.sh.
	@command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light; }
	swift build --build-tests
	swift test --skip-build --no-parallel
	$(RELEASE)
	scripts/tls-scan.sh
	scripts/fuzz.sh $(FUZZ_SECONDS)
	$(MAKE) deploy-check

# testssl.sh against config/tls.example.json: no HIGH or CRITICAL finding about the server (docs/tls.md).
tls-scan: release
	scripts/tls-scan.sh

# deploy/: systemd-analyze verify on the unit, the Kubernetes manifests parsed and checked.
deploy-check:
	@command -v systemd-analyze >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd; }
	@python3 -c 'import yaml' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-yaml; }
	python3 Tests/DeployTests/check_deploy.py

# Fuzz the HTTP parser longer than the test suite does (docs/fuzzing.md).
fuzz:
	scripts/fuzz.sh 600

bench: release
	$(BENCH)/peers.sh install
	$(BENCH)/compare.sh --rounds $(ROUNDS) -- .build/release/ringmaster --config $(CONFIG) --port {PORT}

bench-smoke: release
	$(BENCH)/peers.sh install
	$(BENCH)/compare.sh --rounds 1 --duration 3 --scenarios keepalive,pipeline -- .build/release/ringmaster --config $(CONFIG) --port {PORT}

# A kit for a multi-core machine without packages: static ringmaster (liburing and libnuma
# shipped beside it), the static loadgen, and the scaling script (bench/README.md).
device-kit: deps
	swift build -c release --static-swift-stdlib --scratch-path .build-static
	mkdir -p .build-device/lib
	cp .build-static/release/ringmaster .build-device/ringmaster && strip .build-device/ringmaster
	cc -O2 -static -pthread -o .build-device/loadgen bench/loadgen.c
	cp /lib/x86_64-linux-gnu/liburing.so.2 /lib/x86_64-linux-gnu/libnuma.so.1 .build-device/lib/
	cp bench/device-scaling.sh .build-device/scaling.sh

clean:
	rm -rf .build
