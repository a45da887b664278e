# Clocher: `make run` serves the Gers demo, `make test` runs every check. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
CLOCHER := .venv/bin/clocher
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: install run test lint test-only bench chromium clean demo

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --quiet
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

locale/.compiled: $(wildcard locale/*/LC_MESSAGES/*.po) .venv/.installed
	@command -v msgfmt >/dev/null || $(call apt_install,gettext)
	@if [ -d locale ]; then $(CLOCHER) compilemessages --ignore=.venv --ignore=node_modules -v 0; fi
	@mkdir -p locale && touch $@

install: .venv/.installed node_modules/.installed locale/.compiled
	@mkdir -p var

# apt as root, or through sudo for a developer's own account.
apt_install = (if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); fi)

chromium:
	@command -v chromium >/dev/null || $(call apt_install,chromium)

demo: install
	$(CLOCHER) migrate --noinput -v 0
	$(CLOCHER) collectstatic --noinput -v 0
	$(CLOCHER) demo
	$(CLOCHER) report_categories 32 200066926 32013 32233
	$(CLOCHER) vapid >/dev/null

run: demo
	@echo "Clocher: http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@$(CLOCHER) db_worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
		$(CLOCHER) runserver --noreload $(HOST):$(PORT)

lint: install
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/lint-imports
	$(CLOCHER) makemigrations --check --dry-run -v 1

test-only:
	STATIC_MANIFEST=0 .venv/bin/pytest -n $${PYTEST_WORKERS:-auto} $(PYTEST_ARGS)

test: install chromium lint
	STATIC_MANIFEST=0 .venv/bin/pytest -n $${PYTEST_WORKERS:-auto} $(PYTEST_ARGS)

# The bench makes its own database and static files (var/bench*), so it leaves `make run`'s alone.
bench: install chromium
	@command -v wrk >/dev/null || $(call apt_install,wrk)
	.venv/bin/python -m bench

clean:
	rm -rf .venv .tools node_modules var locale/.compiled
