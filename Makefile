# ingot's developer entry points. `make test` is the one test command: the
# README documents it and CI (.ci/run) calls it.

GO ?= go

.PHONY: test deps check lint-openapi build fuzz bench

## test: install what the tests need, then gofmt check, vet, the OpenAPI lint, and every test
## with -race, one line per package as each finishes (scripts/test.sh).
test: deps check lint-openapi
	@GO=$(GO) bash scripts/test.sh

## deps: PostgreSQL server binaries (for the store and HTTP suites) and Go modules.
deps:
	@bash scripts/deps.sh

## check: formatting and vet, the cheap failures first.
check:
	@echo "check: gofmt, then go vet (a cold vet compiles every package first)"
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## lint-openapi: Redocly CLI's recommended rules on internal/httpapi/openapi.yaml; skipped
## with a notice where Node.js or npm is missing (scripts/lint-openapi.sh).
lint-openapi:
	@bash scripts/lint-openapi.sh

## build: the ingot binary in ./bin, with the commit it was built from ("ingot version").
build:
	@echo "build: bin/ingot (the first build compiles every dependency, about 90 s; later ones take seconds)"
	$(GO) build -ldflags "-X main.commit=$$(git rev-parse HEAD 2>/dev/null)" -o bin/ingot ./cmd/ingot

## fuzz: run the fuzz targets longer than the seed corpus in `go test`.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseAuthorization -fuzztime 60s ./signature/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 60s ./internal/httpapi/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMatchesEncodingJSON$$' -fuzztime 60s ./internal/httpapi/

## bench: end-to-end benchmark on SQLite and PostgreSQL against each engine's raw baseline; writes BENCHMARKS.md, console pages included (about 35 min on 2 cores; BENCH_FLAGS=--backlog=0 skips the 100,000-top-up backlog step, about 7 of them).
## BENCH_FLAGS go to the program (internal/benchtools/suite), e.g. BENCH_FLAGS='--engines sqlite --keep /tmp/bench'.
bench:
	$(GO) run ./internal/benchtools/suite $(BENCH_FLAGS)
