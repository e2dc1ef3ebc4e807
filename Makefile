# The front door. `make run` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
# requirements.txt alone, as docker/Dockerfile installs it: .ci/run and .ci/smoke run from it.
RUNTIME_VENV ?= .venv-runtime
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-unit test-integration lint format check bench clean runtime-venv query-counts

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Rebuilt from scratch whenever requirements.txt changes: nothing left over may hide a gap.
$(RUNTIME_VENV)/.installed: requirements.txt
	rm -rf $(RUNTIME_VENV)
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(RUNTIME_VENV)/bin/python -m pip install --quiet -r requirements.txt
	touch $@

## The runtime venv (requirements.txt alone, as the image) for .ci/smoke.
runtime-venv: $(RUNTIME_VENV)/.installed

## Set up, migrate, load the demo, print the logins and serve the admin with a Celery worker and beat.
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py setup_schedules
	$(PY) manage.py send_reminders
	$(PY) manage.py rundev --host $(HOST) --port $(PORT)

## Set up and run the whole test suite (integration tests too when PostgreSQL/Redis are configured).
test: $(VENV)/.dev-installed
	$(PY) tests/run.py

## Store the measured query counts (tests/support/query_counts.json) for this DATABASE_URL's backend.
query-counts: $(VENV)/.dev-installed
	UPDATE_QUERY_COUNTS=1 $(PY) -m pytest -m query_counts -n 0 -q -p no:randomly

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(VENV)/.dev-installed
	$(PY) -m benchmarks.run_all

clean:
	rm -rf var .pytest_cache .ruff_cache
