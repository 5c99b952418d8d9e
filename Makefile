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

demo: migrate
	$(DEMO_ENV) $(PY) manage.py load_demo --if-empty
	@echo "tiercare demo: http://127.0.0.1:$(PORT)/  (logins: ops, expert, coordinator, gp, health_manager, patient, auditor, admin; password tiercare-demo)"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(PY) scripts/runtests.py

lint: $(STAMP)
	$(PY) -m ruff check src tests bench scripts
	$(PY) -m ruff format --check src tests bench scripts
	TIERCARE_TESTING=true $(PY) -m mypy src

bench: $(STAMP)
	$(PY) bench/roster.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
