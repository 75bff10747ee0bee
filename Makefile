# SPEKS Portal — the two commands a newcomer needs (README.md):
#
#   make run    PostgreSQL + Redis up (installed with apt when missing), build, migrate,
#               create the demo states, run serve + worker + scheduler until Ctrl-C
#   make test   the same services + Chromium, go vet, gofmt check, go test -race ./...
#
# The other targets are the building blocks. Configuration comes from SPEKS_* variables
# (docs/CONFIGURATION.md), e.g. `SPEKS_HTTP_LISTEN=:18080 make run`.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
BIN := bin/speks
# One test binary may take this long; CI gives the whole job 90 minutes.
TEST_TIMEOUT ?= 20m
# Extra go test flags, e.g. TEST_FLAGS='-run TestDemo -v'.
TEST_FLAGS ?=
BENCH ?= .
# The tests' PgBouncer (transaction mode, one server connection per database), started by
# .ci/ensure-services.sh: the isolation tests run once more through it.
SPEKS_TEST_POOLER_URL ?= postgres://postgres@127.0.0.1:6432/postgres?sslmode=disable
export SPEKS_TEST_POOLER_URL

.PHONY: help run test test-go test-charts bench bench-feeds bench-records bench-payday build vet fmt-check clean services chromium screenshots

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  make %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run: services build ## start everything locally with the demo states (Ctrl-C stops)
	.ci/run-local.sh $(BIN)

test: test-go test-charts ## everything CI checks (.ci/run)

# -count=1: the tests talk to the real PostgreSQL, Redis and Chromium, so a cached pass proves
# nothing about today's services.
test-go: services chromium vet fmt-check
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) ./...

# ---- Helm chart tests: the chart has its own Go module (charts/chartest) so that Helm and the
# Kubernetes API types stay out of the speks binary; helm itself is go-installed when missing.
test-charts: ## the Helm chart: strict render + invariants (charts/chartest), helm lint --strict
	cd charts/chartest && $(GO) vet ./... && $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	.ci/helm-lint.sh
# ---- end of the chart tests

# Every role's main pages, in both languages and on a 390 px phone, as README's tour shows
# them: the per-role browser tests over the demo data, photographing as they walk.
screenshots: services chromium ## refresh docs/screenshots (every role's main pages, BM/EN, phone)
	SPEKS_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '^TestEveryRoleWalksItsPortal$$' ./cmd/speks/

bench-feeds: services ## feed import + retention benchmark (docs/BENCHMARKS.md); SPEKS_BENCH_STAFF=2000 for a quick run
	$(GO) test ./modules/feed -run '^$$' -bench '^BenchmarkFeeds$$' -benchtime 1x -timeout 60m

bench-records: services ## JSON payslip endpoint: real server, wrk at 256 connections next to pgbench (docs/BENCHMARKS.md "Records")
	.ci/bench-records.sh

bench-payday: services ## payday mix (identify … logout) open-loop on the real server, N tenants (docs/BENCHMARKS.md "Payday"); PAYDAY_QUICK=1 for a quick run
	$(GO) run ./cmd/paydaybench

bench: services ## run every benchmark (go test -bench) against the local services
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem ./...

build: ## build bin/speks
	$(GO) build -o $(BIN) ./cmd/speks

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail when a Go file is not gofmt-formatted
	@unformatted="$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' -not -path '*/vendor/*'))"; \
	if [[ -n "$$unformatted" ]]; then \
		echo "These files are not gofmt-formatted (run gofmt -w on them):"; echo "$$unformatted"; exit 1; \
	fi

services: ## ensure PostgreSQL, the tests' PgBouncer and Redis are up (.ci/ensure-services.sh)
	.ci/ensure-services.sh

chromium: ## ensure Chromium for the browser tests (.ci/ensure-chromium.sh)
	.ci/ensure-chromium.sh

clean: ## remove build output
	rm -rf bin
