# kafkaguard — make run (the demo), make test (every test).
GO      ?= go
BIN     := bin/kafkaguard
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null)
BUILDINFO := github.com/kafkaguard/kafkaguard/internal/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(DATE)
# The release targets: make cross builds each one (CI runs it).
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
export GOTOOLCHAIN ?= local

.PHONY: all build cross man image-context run test bench lint fmt clean fuzz

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kafkaguard

# Static binaries for every release platform into bin/<os>-<arch>/.
cross:
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  echo "build $$os/$$arch"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -ldflags "$(LDFLAGS)" -o bin/$$os-$$arch/kafkaguard$$ext ./cmd/kafkaguard; \
	done

# kafkaguard(1), generated from the commands; `man build/man/kafkaguard.1`.
man: build
	@mkdir -p build/man
	./$(BIN) man > build/man/kafkaguard.1

# The container image's build context as goreleaser lays it out, for a local
# `docker buildx build --platform linux/amd64,linux/arm64 build/image-context`.
image-context:
	@set -e; rm -rf build/image-context; mkdir -p build/image-context/build/image; \
	for arch in amd64 arm64; do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o build/image-context/linux/$$arch/kafkaguard ./cmd/kafkaguard; \
	done; \
	cp /etc/ssl/certs/ca-certificates.crt build/image-context/build/image/; \
	cp Dockerfile build/image-context/; echo "build/image-context ready"

run: build
	./$(BIN) demo

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

# Every benchmark once, then two tables (internal/tools/benchtable): each
# benchmark's metrics, and each one measured against its floor program in the
# same run (TIME/FLOOR within LIMIT). Package results and failures show as they
# come; the raw output is kept in bin/bench.txt. BENCH=regexp PKGS=./acl/...
# run a subset. -p 1: no test binary is built or run beside a benchmark.
BENCH ?= .
PKGS  ?= ./...
bench:
	@mkdir -p bin
	@{ $(GO) test -p 1 -run '^$$' -bench '$(BENCH)' -benchmem -benchtime=1x -count=1 -timeout 60m $(PKGS); echo $$? > bin/bench.rc; } \
		| tee bin/bench.txt | $(GO) run ./internal/tools/benchtable; exit $$(cat bin/bench.rc)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "unformatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin build

# Every fuzz target for FUZZTIME each (make test runs their seed corpora).
FUZZTIME ?= 30s
FUZZ_TARGETS := ./inventory:FuzzParse ./acl:FuzzParseJSON ./acl:FuzzParseJSONOnePass ./acl:FuzzNormalizeHost \
	./internal/cluster:FuzzParseProperties ./pki:FuzzParseDN ./pki:FuzzMappingRules \
	./internal/report:FuzzRenderHostileNames ./internal/textsafe:FuzzWriter ./internal/pkcs12safe:FuzzCheck
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$pkg $$fn"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; done
