# Two commands for people: `make demo` and `make test`. Both install what is
# missing (Debian chromium, npm packages, Python packages, micropip) and are
# quick when everything is already there.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STATIC := build/static/analytics
MICROPIP := vendor/micropip-0.11.1-py3-none-any.whl
SOURCES := $(shell find src web -type f -not -name '*.pyc' 2>/dev/null) pyproject.toml
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: deps build demo test unit e2e bench clean

deps: /usr/bin/chromium node_modules/.package-lock.json $(VENV)/.installed $(MICROPIP)

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

$(MICROPIP): | $(VENV)/.installed
	$(PY) -m pip download -q --disable-pip-version-check micropip==0.11.1 --no-deps --only-binary=:all: --python-version 3.13 -d vendor

$(STATIC)/build.json: $(SOURCES) | deps
	$(PY) -m analytics_identity build $(STATIC)

build: deps $(STATIC)/build.json

demo: build
	$(PY) -m analytics_identity serve --port 8000

test: build
	$(PY) -m pytest tests

unit: deps
	$(PY) -m pytest tests/unit

e2e: build
	$(PY) -m pytest tests/e2e

bench: build
	$(PY) bench/run.py

clean:
	rm -rf build var
