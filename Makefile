GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/avs-sync

.PHONY: build test test-short lint demo bench docker-build clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/avs-sync

## test: vet, then every package with the race detector (devnet tests start real in-process chains)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 12m ./...

test-short:
	$(GO) test -count=1 -short ./...

## demo: a local chain with EigenLayer, three operators, stake activity, and avs-sync watch on it
demo: build
	$(BIN) devnet --activity --watch

## bench: planner throughput, then avs-sync against the daily full sweep on devnets (staleness, gas,
## RPC load, memory, sweep scale, idle cost): tables on stdout; JSON, tables and logs in bench-results/
bench:
	@mkdir -p bench-results
	$(GO) test -run '^$$' -bench . -benchmem ./planner/ > bench-results/planner.txt; s=$$?; cat bench-results/planner.txt; exit $$s
	AVS_SYNC_BENCH=1 $(GO) test -count=1 -timeout 20m -v -run '^TestBench' ./e2e/

docker-build:
	docker build -t avs-sync:$(VERSION) .

clean:
	rm -rf bin
