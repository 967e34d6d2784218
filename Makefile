# Osk's tasks. `make run` starts Osk with a private PostgreSQL and demo data;
# `make test` runs the whole suite. Both install the PostgreSQL server
# binaries first when the machine lacks them.

GO      ?= go
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Packages and test flags can be narrowed: make test PKG=./internal/audit/...
PKG     ?= ./...
TESTFLAGS ?= -race -count=1 -timeout 30m

.PHONY: run test fuzz soak bench lint build migrate postgres-binaries

run: build postgres-binaries
	APP_ENV=development ./bin/osk serve --demo

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/osk ./cmd/osk
	$(GO) build -o bin/pgtemp ./cmd/pgtemp

test: build postgres-binaries
	./bin/pgtemp -- $(GO) test $(TESTFLAGS) $(PKG)
	./bin/pgtemp -- $(MAKE) --no-print-directory fuzz

# Short, bounded runs of every fuzz target, from their committed corpora:
# a set number of inputs each, about five seconds' worth here. A count, not
# a duration, because Go 1.26's fuzzing coordinator can fail a run bounded
# by time with "context deadline exceeded" as the time runs out
# (go.dev/issue/75804). Longer runs: make fuzz FUZZTIME=5m
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzCanonical$$' -fuzztime=$(or $(FUZZTIME),40000x) -fuzzminimizetime=3s ./internal/audit
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeJSON$$' -fuzztime=$(or $(FUZZTIME),40000x) -fuzzminimizetime=3s ./internal/web
	$(GO) test -run='^$$' -fuzz='^FuzzCSVCell$$' -fuzztime=$(or $(FUZZTIME),7500x) -fuzzminimizetime=3s ./internal/members
	$(GO) test -run='^$$' -fuzz='^FuzzRender$$' -fuzztime=$(or $(FUZZTIME),1000x) -fuzzminimizetime=3s ./internal/minutes

# The kill -9 test with more crashes of osk and of PostgreSQL.
soak: build postgres-binaries
	OSK_KILL_CYCLES=20 ./bin/pgtemp -- $(GO) test -count=1 -timeout 30m -run TestKill9 ./internal/faulttest

# Osk at the scale of the largest co-ops, against the cheapest durable SQL
# vote in the same run (cmd/oskbench). Figures go to standard output and to
# $(BENCH_OUT) (default .data/bench.json); more: make bench BENCHFLAGS="-members 1000000"
bench: build postgres-binaries
	$(GO) build -o bin/oskbench ./cmd/oskbench
	./bin/oskbench $(BENCHFLAGS)

lint:
	@unformatted=$$(gofmt -l cmd internal migrations public views); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

migrate: build postgres-binaries
	./bin/osk migrate

# The private PostgreSQL of `make run` and the tests needs the server
# binaries (initdb, postgres) of PostgreSQL 14 or later.
postgres-binaries:
	@if command -v initdb >/dev/null 2>&1 \
		|| ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { command -v pg_config >/dev/null 2>&1 && test -x "$$(pg_config --bindir)/initdb"; } \
		|| ls /opt/homebrew/opt/postgresql@*/bin/initdb /usr/local/opt/postgresql@*/bin/initdb >/dev/null 2>&1; then \
		exit 0; \
	fi; \
	echo "PostgreSQL server binaries are missing; installing them."; \
	if command -v apt-get >/dev/null 2>&1; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
		$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q postgresql; \
	elif command -v brew >/dev/null 2>&1; then \
		brew install postgresql@16; \
	else \
		echo "Install the PostgreSQL 14+ server package of your system (it provides initdb and postgres), or set DATABASE_URL."; \
		exit 1; \
	fi
