# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
TOOLS := $(CURDIR)/.tools
VENV := $(TOOLS)/venv

.PHONY: run build test test-deps fmt lint openapi openapi-check bench clean-data

## Serve the API on port 3000 with a SQLite file in ./data (no other setup).
run:
	$(CARGO) run --release -p postiz-backend --bin postiz -- serve

build:
	$(CARGO) build --release -p postiz-backend --bin postiz

## Format check, lints, and every test: on SQLite, then again on PostgreSQL and Redis when
## TEST_DATABASE_URL / TEST_REDIS_URL are set (.ci/run sets them).
test: test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL MOTO_SERVER=$(VENV)/bin/moto_server $(CARGO) nextest run --workspace --no-fail-fast
	@if [ -n "$$TEST_DATABASE_URL" ] || [ -n "$$TEST_REDIS_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL) and Redis ($$TEST_REDIS_URL)"; \
		MOTO_SERVER=$(VENV)/bin/moto_server $(CARGO) nextest run --workspace --no-fail-fast; \
	fi
	$(MAKE) openapi-check

## Local tools the tests start: an S3-compatible server (moto) and an OpenAPI validator.
test-deps: $(VENV)/.installed

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]' openapi-spec-validator
	touch $@

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Write the OpenAPI 3 specification to openapi.json.
openapi:
	$(CARGO) run -q -p postiz-backend --bin postiz -- openapi --output openapi.json

## Validate the specification with an independent validator.
openapi-check: openapi test-deps
	$(VENV)/bin/openapi-spec-validator openapi.json

## Publishing burst and calendar latency on SQLite and PostgreSQL (skipped when none answers),
## printed as a table. BENCH_ARGS passes options (`--posts 2000`, `--limits default,32`, ...).
bench:
	$(CARGO) run --release -p postiz-bench -- --backend both --limits default $(BENCH_ARGS)

clean-data:
	rm -rf data uploads
