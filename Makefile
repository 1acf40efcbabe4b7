# ingot's developer entry points. `make test` is the one test command: the
# README documents it and CI (.ci/run) calls it.

GO ?= go

.PHONY: test deps check build fuzz bench

## test: install what the tests need, then gofmt check, vet, and every test with -race.
test: deps check
	$(GO) test -race -count=1 ./...

## deps: PostgreSQL server binaries (for the store and HTTP suites) and Go modules.
deps:
	@bash scripts/deps.sh

## check: formatting and vet, the cheap failures first.
check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## build: the ingot binary in ./bin.
build:
	$(GO) build -o bin/ingot ./cmd/ingot

## fuzz: run the fuzz targets longer than the seed corpus in `go test`.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseAuthorization -fuzztime 60s ./signature/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 60s ./internal/httpapi/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMatchesEncodingJSON$$' -fuzztime 60s ./internal/httpapi/

## bench: end-to-end benchmark on SQLite and PostgreSQL against each engine's raw baseline; writes BENCHMARKS.md (about 8 min on 2 cores).
## BENCH_FLAGS go to the program (internal/benchtools/suite), e.g. BENCH_FLAGS='--engines sqlite --keep /tmp/bench'.
bench:
	$(GO) run ./internal/benchtools/suite $(BENCH_FLAGS)
