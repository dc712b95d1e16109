# The two commands of the README. Both set up everything on a fresh machine with Python 3.11:
#   make run    creates .venv, installs the requirements and Graphviz, starts the app
#   make test   the same set-up (plus Chromium for the browser tests), then lint and the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
REQUIREMENTS ?= requirements.txt
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(REQUIREMENTS)
PORT ?= 8501

.PHONY: run test setup system-deps bench doctor clean

run: setup system-deps
	$(PY) -m streamlit run explorer/app.py --server.port $(PORT)

test: setup
	./scripts/system-deps.sh --browser
	$(PY) -m ruff check .
	$(PY) -m pytest --durations=25 $(PYTEST_ARGS)
	$(PY) -m pytest -m dockerfile tests/test_dockerfile_steps.py

setup: $(STAMP)

$(STAMP): $(REQUIREMENTS) requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools>=64"
	$(PY) -m pip install --quiet -r $(REQUIREMENTS) -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

system-deps:
	./scripts/system-deps.sh

bench: setup system-deps
	$(PY) bench/render_rnn.py

doctor: setup
	$(PY) -m explorer doctor

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
