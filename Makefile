# berth: build, demo, tests. `make demo` and `make test` set up everything
# they need on a Debian machine (run as root).
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
VERSION ?= 0.1.0
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Static: berth is exec'd twice per container (the runtime, then its init),
# and the dynamic loader's work is paid each time. urfave_cli_no_docs drops
# the CLI's man-page generator, whose package init alone allocates ~200 KB
# at every start; osusergo/netgo keep the static link free of glibc NSS.
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -linkmode external -extldflags -static
TAGS := urfave_cli_no_docs osusergo netgo
CACHE := $(CURDIR)/.cache

.PHONY: all berth deps deps-test deps-lint lint demo test unit fuzz-short integration integration-rootless reliability soak conformance test-cgroupv2 test-cgroupv2-rootless vm-setup test-vm test-systemd test-clients bench clean

all: berth

berth:
	CGO_ENABLED=1 $(GO) build -trimpath -tags "$(TAGS)" -ldflags "$(LDFLAGS)" -o berth .

# What the build, the demo and most tests need (Debian packages).
deps:
	./scripts/deps.sh

# What only the tests need (scripts/deps-test.sh): qemu and mmdebstrap for
# the VM guests, dbus-daemon for the systemd driver's unit tests, containerd
# 1.6, Docker and Podman from Debian (tests/clients/deps.sh), and containerd
# 2.4 and crictl, built with go install once into .cache/clients
# (tests/clients/build.sh; minutes the first time, nothing after).
deps-test: deps
	scripts/deps-test.sh
	CLIENTS_CACHE=$(CACHE)/clients GO=$(GO) tests/clients/build.sh

# What `make lint` needs: shellcheck (Debian), golangci-lint and gofumpt at
# these versions, built once from the Go module proxy into .cache/lint.
GOLANGCI_LINT_VERSION := v2.15.0
GOFUMPT_VERSION := v0.12.0
LINT_ENV := LINT_CACHE=$(CACHE)/lint GOLANGCI_LINT_VERSION=$(GOLANGCI_LINT_VERSION) GOFUMPT_VERSION=$(GOFUMPT_VERSION) GO=$(GO)
deps-lint:
	$(LINT_ENV) scripts/deps-lint.sh

# gofmt, gofumpt, go vet, golangci-lint (.golangci.yml: runc's linters), the
# comments that name files or identifiers that do not exist
# (scripts/checkcomments), and shellcheck over every shell script and, at
# warning level, the bats files (scripts/lint.sh).
lint: deps-lint
	$(LINT_ENV) scripts/lint.sh

# Build berth and run a container from the bundle in demo/ (its rootfs is
# made from Debian's busybox-static).
demo: deps berth
	rm -rf $(CACHE)/demo && mkdir -p $(CACHE)/demo
	./scripts/mkrootfs.sh $(CACHE)/demo/rootfs
	cp demo/config.json $(CACHE)/demo/config.json
	./berth run --bundle $(CACHE)/demo berth-demo-$$$$

# Every test: lint (first: it is fast), unit tests, short fuzzing runs, the integration suite (bats,
# real containers), its rootless lane, the reliability suite (bad input, fault
# injection, kill -9, concurrency, a short soak), the OCI conformance suite,
# the cgroup v2 lanes, the VM runners' self-tests, the systemd lane, and the
# real clients (containerd, its CRI, Docker, Podman, rootless Podman) driving
# berth.
test: deps deps-test lint berth unit fuzz-short integration integration-rootless reliability conformance test-cgroupv2 test-cgroupv2-rootless test-vm test-systemd test-clients

unit:
	$(GO) test ./...

# A short run of each fuzz target: the parsers of what berth reads from
# outside (config.json, state.json, the sync socket, CRIU's answers) and
# the plan decoders, Go's and the C stage's (FuzzCDecode compares the two).
# Seeds: testdata/fuzz.
# Budgets are counts of executions, not durations: with a duration, Go's
# fuzz coordinator (before Go 1.27, golang/go#75804) can report "context
# deadline exceeded" as a failure when the deadline races a busy worker.
# Each count is about 10 s on a quiet 2-core machine; state.json's target
# is slower because saveState fsyncs.
FUZZ_SCALE ?= 1
fuzz-short:
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $$((400000 * $(FUZZ_SCALE)))x ./specconv
	$(GO) test -run '^$$' -fuzz '^FuzzLoadState$$' -fuzztime $$((60000 * $(FUZZ_SCALE)))x ./libcontainer
	$(GO) test -run '^$$' -fuzz '^FuzzRecvMsg$$' -fuzztime $$((150000 * $(FUZZ_SCALE)))x ./libcontainer
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshal$$' -fuzztime $$((50000 * $(FUZZ_SCALE)))x ./internal/criurpc
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $$((300000 * $(FUZZ_SCALE)))x ./libcontainer/plan
	$(GO) test -run '^$$' -fuzz '^FuzzCDecode$$' -fuzztime $$((50000 * $(FUZZ_SCALE)))x ./libcontainer/plan

# tests/reliability (docs/reliability.md), with a soak of CI size.
reliability: berth
	BERTH=$(CURDIR)/berth bats tests/reliability

# The long soak: 1000 mixed lifecycles (SOAK_N=... to change).
SOAK_N ?= 1000
soak: deps berth
	SOAK_N=$(SOAK_N) BERTH=$(CURDIR)/berth bats tests/reliability/soak.bats

integration: berth
	BERTH=$(CURDIR)/berth bats tests/integration

# The lifecycle, exec and rootless tests as an unprivileged user (created
# by the script, with /etc/subuid and /etc/subgid ranges).
integration-rootless: berth
	BERTH=$(CURDIR)/berth GO=$(GO) tests/integration/rootless-lane.sh

conformance: berth
	tests/conformance/run.sh $(CURDIR)/berth

# The cgroup v2 lane: berth's busybox qemu VM with a pure cgroup v2 kernel
# (tests/vm/run-in-vm.sh) runs the v2 driver's kernel tests and
# tests/cgroupv2/*.bats (tests/cgroupv2/run.sh).
test-cgroupv2: berth
	GO=$(GO) tests/cgroupv2/run.sh $(CURDIR)/berth

# Rootless berth in the same VM, with a cgroup v2 subtree delegated to an
# unprivileged user (tests/vm/rootless-cgroup2.sh).
test-cgroupv2-rootless: berth
	tests/vm/rootless-cgroup2.sh $(CURDIR)/berth

# Build and cache the VM guests of tests/vm (kernel, initramfs, the Debian
# image of the systemd guest) under .cache/vm; the tests do it on first use.
vm-setup:
	tests/vm/run-in-vm.sh --setup
	tests/vm/systemd-guest.sh --setup

# The VM runners' own tests: the run protocol (arguments, exit status,
# output, /files, timeout, crash), and the Debian guest with systemd as PID 1
# (boot, cgroup v2, D-Bus, the lingering user, runc --systemd-cgroup).
test-vm:
	tests/vm/runner-selftest.sh
	tests/vm/systemd-selftest.sh

# The systemd cgroup driver (--systemd-cgroup) in a guest whose PID 1 is
# systemd, on pure cgroup v2 (tests/vm/systemd-guest.sh): as root with the
# system manager and as an unprivileged user with its own instance, against
# berth and runc 1.5.3 (scripts/runc-oracle.sh builds it). Skipped, saying
# why, without the guest runner. Ends with "N passed, N failed".
test-systemd: berth
	GO=$(GO) tests/systemd/run.sh $(CURDIR)/berth

# containerd 1.6 and 2.4 (ctr, and the CRI through crictl), Docker and
# Podman, each started in private directories, driving berth
# (tests/clients/README.md). RUNTIME=.cache/runc-1.5.3/runc runs the same
# scenarios against runc; CLIENTS="docker podman" runs only some.
test-clients: deps-test berth
	CLIENTS_CACHE=$(CACHE)/clients tests/clients/run.sh $(or $(RUNTIME),$(CURDIR)/berth)

# Benchmark berth against runc, crun and floor.c (bench/README.md): writes
# bench/results/latest.md and run-latency.png. N=50 etc. to change.
bench: deps berth
	BERTH=$(CURDIR)/berth BENCH_COMMAND="make bench" bench/run.sh

clean:
	rm -rf berth $(CACHE) tests/conformance/.build
