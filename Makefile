# kafkaguard — make run (the demo), make test (every test).
GO      ?= go
BIN     := bin/kafkaguard
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/kafkaguard/kafkaguard/internal/cli.Version=$(VERSION)
export GOTOOLCHAIN ?= local

.PHONY: all build run test bench lint fmt clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kafkaguard

run: build
	./$(BIN) demo

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

# Every benchmark once, then a table: name, ns/op, and the custom metrics.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=1x -count=1 -timeout 60m ./... | tee bin/bench.txt | $(GO) run ./internal/tools/benchtable

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "unformatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
