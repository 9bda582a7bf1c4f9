GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/avs-sync

.PHONY: build test test-e2e test-e2e-slow test-e2e-rest test-race test-rules test-short lint demo bench docker-build clean contracts contracts-deps

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/avs-sync

## test: the alert rule tests, vet and staticcheck, then every package with the race detector (devnet tests start
## real in-process chains); the end-to-end tests run the daemon binary built with the race detector
## (a report fails the run) against an uninstrumented in-process chain
test: test-rules lint
	$(MAKE) --no-print-directory -j3 --output-sync=target test-e2e-slow test-e2e-rest test-race

# The end-to-end tests mostly wait on block times, so they run as two processes side by side
# (E2E_SLOW, the longest, about half the package's time alone, and the rest), with the package
# tests, two at a time, beside them.
E2E_SLOW := ^(TestChaos|TestRateLimitStartupCheck|TestSecretsNeverServed|TestBudgetSpendsByValue|TestChurnLineKeptExact|TestMetricsIdleConnections|TestCertificateAcceptedPastStaleStakesDeadline|TestDustDepositsHeldBack|TestAllocationCheckedWhileLogsFail|TestStaleSecondsForgetsDeregistered)$$
E2E      := AVS_SYNC_E2E_RACE=1 $(GO) test -count=1 -timeout 25m

test-e2e:
	$(E2E) ./e2e/

test-e2e-slow:
	$(E2E) -run '$(E2E_SLOW)' ./e2e/

test-e2e-rest:
	$(E2E) -skip '$(E2E_SLOW)' ./e2e/

test-race:
	$(GO) test -race -count=1 -p 2 -timeout 12m $$($(GO) list ./... | grep -v /e2e$$)

## test-rules: promtool checks and unit-tests deploy/prometheus/alerts.yml (Debian package prometheus;
## .ci/run installs it, so CI never skips them)
test-rules:
	@if command -v promtool >/dev/null 2>&1; then \
		promtool check rules deploy/prometheus/alerts.yml && \
		promtool test rules deploy/prometheus/alerts_test.yml; \
	else \
		echo "test-rules: SKIPPED: promtool not found (apt-get install prometheus)"; \
	fi

test-short:
	$(GO) test -count=1 -short ./...

## lint: go vet and staticcheck (honnef.co/go/tools, the version go.mod pins as a tool)
lint:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## demo: a local chain with EigenLayer, three operators, stake activity, and avs-sync watch on it
demo: build
	$(BIN) devnet --activity --watch

## bench: planner throughput, then avs-sync against the daily full sweep on devnets (staleness, gas,
## RPC load, memory, sweep scale, idle cost, a 30-minute soak): tables on stdout; JSON, tables and logs in bench-results/
bench:
	@mkdir -p bench-results
	$(GO) test -run '^$$' -bench . -benchmem ./planner/ > bench-results/planner.txt; s=$$?; cat bench-results/planner.txt; exit $$s
	AVS_SYNC_BENCH=1 $(GO) test -count=1 -timeout 360m -v -run '^TestBench' ./e2e/

## contracts: the devnet's own ECDSAStakeRegistry compiled with the solc that contracts/ecdsa/package.json
## pins (ABI and bytecode committed beside the source), and its Go binding made with the go.mod's abigen
contracts: contracts-deps
	cd contracts/ecdsa && node build.js
	$(GO) run github.com/ethereum/go-ethereum/cmd/abigen --abi contracts/ecdsa/ECDSAStakeRegistry.abi.json \
		--bin contracts/ecdsa/ECDSAStakeRegistry.bin --pkg ecdsastakeregistry --type ECDSAStakeRegistry \
		--out bindings/ecdsastakeregistry/binding.go

## contracts-deps: the pinned solc from npm (node 20) into contracts/ecdsa/node_modules
contracts-deps:
	cd contracts/ecdsa && npm ci --no-audit --no-fund

docker-build:
	docker build -t avs-sync:$(VERSION) .

clean:
	rm -rf bin
