# berth: build, demo, tests. `make demo` and `make test` set up everything
# they need on a Debian machine (run as root).
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
VERSION ?= 0.1.0
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
CACHE := $(CURDIR)/.cache

.PHONY: all berth deps demo test unit integration conformance test-clients bench clean

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

# Every test: unit tests, the integration suite (bats, real containers), the
# OCI conformance suite, and the real clients (containerd, its CRI, Docker,
# Podman) driving berth.
test: deps berth unit integration conformance test-clients

unit:
	$(GO) test ./...

integration: berth
	BERTH=$(CURDIR)/berth bats tests/integration

conformance: berth
	tests/conformance/run.sh $(CURDIR)/berth

# containerd (ctr and CRI), Docker and Podman, each from Debian's packages
# and started in private directories, driving berth (tests/clients/README.md).
# RUNTIME=/usr/sbin/runc runs the same scenarios against runc; CLIENTS="docker
# podman" runs only some.
test-clients: deps berth
	CLIENTS_CACHE=$(CACHE)/clients tests/clients/run.sh $(or $(RUNTIME),$(CURDIR)/berth)

# Benchmark berth against runc, crun and floor.c (bench/README.md): writes
# bench/results/latest.md and run-latency.png. N=50 etc. to change.
bench: deps berth
	BERTH=$(CURDIR)/berth BENCH_COMMAND="make bench" bench/run.sh

clean:
	rm -rf berth $(CACHE) tests/conformance/.build
