# apoint: `make run` serves on the embedded defaults, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# Granian processes and the threads each one runs the Django app on; both
# were chosen by measurement (docs/benchmarks.md).
WEB_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
WEB_THREADS ?= 2

.PHONY: run serve serve-production setup install install-dev test lint check clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements/base.txt requirements/constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt -c requirements/constraints.txt
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt requirements/base.txt requirements/constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: requirements/bench.txt requirements/dev.txt requirements/base.txt requirements/constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/bench.txt -c requirements/constraints.txt
	touch $(VENV)/.installed $(VENV)/.installed-dev $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Demo hospitals are loaded in local mode only.
setup: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	@if [ "$${APOINT_MODE:-local}" = local ]; then $(BIN)/python manage.py load_demo; fi

run: setup serve

serve:
	@echo "API:   http://$(HOST):$(PORT)/api/apoint/  (OpenAPI: /api/apoint/docs)"
	@echo "Admin: http://$(HOST):$(PORT)/admin/  (create an account: $(BIN)/python manage.py createsuperuser)"
	@echo "Phone: http://$(HOST):$(PORT)/h5/  (booking; salespeople: /h5/staff/bind/, /h5/staff/patients/)"
	$(BIN)/granian --interface wsgi --host $(HOST) --port $(PORT) \
		--workers $(WEB_WORKERS) --blocking-threads $(WEB_THREADS) \
		--no-ws config.wsgi:application

# Production mode on granian behind a TLS proxy; settings from the
# environment, see docs/deploy.md. Refuses to start without the secrets.
serve-production: install
	scripts/serve-production

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Load-test every endpoint on SQLite and on PostgreSQL with Redis
# (docs/benchmarks.md). BENCH_ARGS adds options, e.g. "--orders 20000".
BENCH_ORDERS ?= 1000000
BENCH_ARGS ?=
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run --orders $(BENCH_ORDERS) \
		--workers $(WEB_WORKERS) --threads $(WEB_THREADS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
