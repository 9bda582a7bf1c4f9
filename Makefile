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

## demo: a local chain with EigenLayer, three operators and stake activity
demo: build
	$(BIN) devnet --activity

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./planner/

docker-build:
	docker build -t avs-sync:$(VERSION) .

clean:
	rm -rf bin
