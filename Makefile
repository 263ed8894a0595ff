# kubu: the two commands a fresh clone needs are `make run` and `make test`.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/kubu-gov/kubu/internal/buildinfo.Version=$(VERSION) -X github.com/kubu-gov/kubu/internal/buildinfo.Commit=$(COMMIT)

.PHONY: build run test vet fuzz bench clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/kubu ./cmd/kubu

# make run ADDR=127.0.0.1:18080 (or KUBU_ADDR=…) serves elsewhere; a busy
# address fails before anything is seeded. `./bin/kubu demo credentials
# --data ./kubu-data` prints new demo passwords.
ADDR ?= $(or $(KUBU_ADDR),127.0.0.1:8080)
run: build
	./bin/kubu serve --demo --addr $(ADDR) --data ./kubu-data

# The whole suite; scripts/testsummary shows what go test would and ends
# with the skipped tests and why (exit status kept).
test: vet
	$(GO) run ./scripts/testsummary -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

# Every fuzz target for FUZZTIME each (go test runs one -fuzz target at a
# time), e.g. make fuzz FUZZTIME=1m.
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# The Go benchmarks (the load generators under bench/ and their numbers are
# in docs/benchmarks.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
