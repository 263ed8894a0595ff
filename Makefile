# kubu: the two commands a fresh clone needs are `make run` and `make test`.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/kubu-gov/kubu/internal/buildinfo.Version=$(VERSION) -X github.com/kubu-gov/kubu/internal/buildinfo.Commit=$(COMMIT)

.PHONY: build run test vet fuzz bench clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/kubu ./cmd/kubu

run: build
	./bin/kubu serve --demo --addr 127.0.0.1:8080 --data ./kubu-data

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

clean:
	rm -rf bin
