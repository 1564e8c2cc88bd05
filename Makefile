# Two commands for people: `make demo` and `make test`. Both install what is
# missing and are quick when everything is already there. `make dist` writes
# the release files into dist/ (make test checks them as a new user would).
# The demo needs the npm runtime packages, the server's Python packages and
# micropip; the tests
# add Debian's chromium and nginx (with its brotli module), WebKitGTK and
# Firefox ESR, analytics-next and the Python test extras.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STATIC := build/static/analytics
MICROPIP := vendor/micropip-0.11.1-py3-none-any.whl
NGINX_BROTLI := /usr/lib/nginx/modules/ngx_http_brotli_static_module.so
ANALYTICS_NEXT := node_modules/@segment/analytics-next/package.json
# WebKit's WebDriver and a virtual display, the WebKitGTK bindings of
# Debian's python3 (its browser window) and Firefox ESR.
ENGINES := /usr/bin/WebKitWebDriver /usr/bin/Xvfb /usr/share/doc/gir1.2-webkit2-4.1/copyright \
	/usr/lib/python3/dist-packages/gi/__init__.py /usr/bin/firefox-esr
SOURCES := $(shell find src web -type f -not -name '*.pyc' 2>/dev/null) pyproject.toml
DEMO_DEPS := node_modules/.package-lock.json $(VENV)/.server $(MICROPIP)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: deps demo-deps build dist demo test unit e2e bench clean

demo-deps: $(DEMO_DEPS)

deps: $(ANALYTICS_NEXT) $(DEMO_DEPS) $(VENV)/.test /usr/bin/chromium /usr/sbin/nginx $(NGINX_BROTLI) $(ENGINES)

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The end-to-end deployment test runs Debian's nginx with docs/deploy.md's configuration.
/usr/sbin/nginx $(NGINX_BROTLI):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-http-brotli-static >/dev/null

# tests/e2e/engines runs the identity walk-through in WebKit (Safari's engine) and Firefox too.
$(ENGINES) &:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq webkit2gtk-driver xvfb gir1.2-webkit2-4.1 python3-gi firefox-esr >/dev/null

# The demo needs the runtime packages only; the tests and benchmarks also
# run analytics-next (a devDependency). Either install leaves the other's
# target up to date, so switching between demo and test installs nothing.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	touch $@

$(ANALYTICS_NEXT): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@ node_modules/.package-lock.json

$(VENV)/.server: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[collector]'
	touch $@

# The test extras include the server's: one install brings both up to date.
$(VENV)/.test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.server

$(MICROPIP): | $(VENV)/.server
	$(PY) -m pip download -q --disable-pip-version-check micropip==0.11.1 --no-deps --only-binary=:all: --python-version 3.13 -d vendor

$(STATIC)/build.json: $(SOURCES) | demo-deps
	$(PY) -m analytics_identity build $(STATIC)

build: deps $(STATIC)/build.json

# The Python wheel and sdist, the npm tarball and the pure browser wheel.
dist/.made: $(SOURCES) package.json package-lock.json README.md CHANGELOG.md LICENSE | demo-deps $(VENV)/.test
	$(PY) -m analytics_identity.tooling.release dist
	touch $@

dist: dist/.made

demo: demo-deps $(STATIC)/build.json
	$(PY) -m analytics_identity serve --port 8000

test: build dist
	$(PY) -m pytest tests

unit: deps
	$(PY) -m pytest tests/unit

e2e: build
	$(PY) -m pytest tests/e2e

# `make bench BENCH_ARGS="--runs 1 --engine-runs 1 --lighthouse-runs 1"` for a quick check of the harness;
# `--engines chromium,webkit,firefox` (the default) picks the browsers (docs/benchmarks.md).
bench: build
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf build var dist
