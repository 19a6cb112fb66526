# berth: build, demo, tests. `make demo` and `make test` set up everything
# they need on a Debian machine (run as root).
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
VERSION ?= 0.1.0
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
CACHE := $(CURDIR)/.cache

.PHONY: all berth deps demo test unit fuzz-short integration reliability soak conformance bench clean

all: berth

berth:
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o berth .

deps:
	./scripts/deps.sh

# Build berth and run a container from the bundle in demo/ (its rootfs is
# made from Debian's busybox-static).
demo: deps berth
	rm -rf $(CACHE)/demo && mkdir -p $(CACHE)/demo
	./scripts/mkrootfs.sh $(CACHE)/demo/rootfs
	cp demo/config.json $(CACHE)/demo/config.json
	./berth run --bundle $(CACHE)/demo berth-demo-$$$$

# Every test: unit tests, short fuzzing runs, the integration suite (bats,
# real containers), the reliability suite (bad input, fault injection, kill -9,
# concurrency, a short soak) and the OCI conformance suite.
test: deps berth unit fuzz-short integration reliability conformance

unit:
	$(GO) test ./...

# A short run of each fuzz target: the parsers of what berth reads from
# outside (config.json, state.json, the sync socket). Seeds: testdata/fuzz.
FUZZTIME ?= 10s
fuzz-short:
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./specconv
	$(GO) test -run '^$$' -fuzz '^FuzzLoadState$$' -fuzztime $(FUZZTIME) ./libcontainer
	$(GO) test -run '^$$' -fuzz '^FuzzRecvMsg$$' -fuzztime $(FUZZTIME) ./libcontainer

# tests/reliability (docs/reliability.md), with a soak of CI size.
reliability: berth
	BERTH=$(CURDIR)/berth bats tests/reliability

# The long soak: 1000 mixed lifecycles (SOAK_N=... to change).
SOAK_N ?= 1000
soak: deps berth
	SOAK_N=$(SOAK_N) BERTH=$(CURDIR)/berth bats tests/reliability/soak.bats

integration: berth
	BERTH=$(CURDIR)/berth bats tests/integration

conformance: berth
	tests/conformance/run.sh $(CURDIR)/berth

# Benchmark berth against runc, crun and floor.c (bench/README.md): writes
# bench/results/latest.md and run-latency.png. N=50 etc. to change.
bench: deps berth
	BERTH=$(CURDIR)/berth BENCH_COMMAND="make bench" bench/run.sh

clean:
	rm -rf berth $(CACHE) tests/conformance/.build
