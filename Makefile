# Aftercare. `make run` starts everything locally; `make test` runs the tests. Both install what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.synced
PYTEST_ARGS ?=

.PHONY: help run demo test test-postgres protos protos-check lint fmt bench bench-quick clean

help:
	@echo "make run           install, then start Temporal (UI :8233) and every service; Ctrl-C stops all"
	@echo "make demo          play a scripted day against the running system (after make run, in another terminal)"
	@echo "make test          install, then run the test suite (SQLite; PostgreSQL too with AFTERCARE_TEST_DATABASE_URL)"
	@echo "make test-postgres the test suite on a scratch PostgreSQL database on 127.0.0.1:5432 (dropped after)"
	@echo "make protos        regenerate protos/gen/python from protos/aftercare"
	@echo "make protos-check  fail if the generated code is stale"
	@echo "make lint          ruff, mypy, the layout rules (tools/check_imports.py), buf lint, the deploy files"
	@echo "make fmt           format the code"
	@echo "make bench         run the benchmarks in bench/ (stop make run first: the claims bench uses its ports)"
	@echo "make bench-quick   the same benchmarks at smaller sizes, in a few minutes (BENCH_POSTGRES=URL: on PostgreSQL)"
	@echo "make clean         remove var/, caches and the virtualenv"

$(STAMP): pyproject.toml uv.lock tools/venv.sh
	@tools/venv.sh

run: $(STAMP)
	$(PY) -m cli.main dev up

demo: $(STAMP)
	$(PY) -m cli.main demo

test: $(STAMP)
	@tools/browser.sh
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@tools/browser.sh
	@url=$$($(PY) tools/ci_postgres.py create) && [ -n "$$url" ] || { echo "PostgreSQL does not answer on 127.0.0.1:5432"; exit 1; }; \
	  trap '$(PY) tools/ci_postgres.py drop "$${url##*/}"' EXIT; \
	  AFTERCARE_TEST_DATABASE_URL="$$url" $(PY) -m pytest $(PYTEST_ARGS)

protos: $(STAMP)
	$(PY) protos/generate.py

protos-check: $(STAMP)
	$(PY) protos/generate.py --check

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) tools/check_imports.py
	@tools/buf-lint.sh
	deploy/validate.sh

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) bench/register_sales.py
	$(PY) bench/claims.py
	$(PY) bench/notifications.py
	$(PY) bench/portal.py
	$(PY) bench/dispatch.py

# BENCH_POSTGRES=postgresql+asyncpg://postgres@127.0.0.1:5432 runs the database-backed ones on PostgreSQL.
bench-quick: $(STAMP)
	$(PY) bench/register_sales.py --warranties 100000 --batch 5000 --seconds 3 $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))
	$(PY) bench/claims.py --claims 10 --updates 40 --open 2000 $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))
	$(PY) bench/notifications.py --emails 100 --claims 5 $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))
	$(PY) bench/portal.py --requests 300
	$(PY) bench/dispatch.py --updates 30

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache $(VENV)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
