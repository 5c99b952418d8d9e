# tiercare — `make demo` serves the demo network, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed
DEMO_ENV := TIERCARE_DEBUG=true

.PHONY: demo test lint bench venv serve migrate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput

# The demo runs its own periodic work, as production does (README, "Scaling out"): one tick at start-up (deadlines
# that passed while it was stopped surface at once), then a tick every minute and the task worker beside the web
# server; stopping the server (Ctrl-C) stops all three.
demo: migrate
	$(DEMO_ENV) $(PY) manage.py load_demo --if-empty
	$(DEMO_ENV) $(PY) manage.py tick
	@echo "tiercare demo: http://127.0.0.1:$(PORT)/  (logins: ops, expert, coordinator, director, gp, health_manager, pharmacist, finance, patient, mother, auditor, admin; password tiercare-demo)"
	trap 'kill 0' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) manage.py tick --every 60 >var/demo-tick.log 2>&1 & \
	$(DEMO_ENV) $(PY) manage.py db_worker >var/demo-worker.log 2>&1 & \
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(PY) scripts/runtests.py

lint: $(STAMP)
	$(PY) -m ruff check src tests bench scripts
	$(PY) -m ruff format --check src tests bench scripts
	TIERCARE_TESTING=true $(PY) -m mypy src
	PYTHONPATH=src $(VENV)/bin/lint-imports --no-cache

bench: $(STAMP)
	$(PY) bench/roster.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
