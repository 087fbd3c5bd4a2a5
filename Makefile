# The README's commands. Each target installs what it needs first (uv, the venv, the gateway).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: run test lint format deps help bench test-python test-gateway dashboard

help:
	@echo "make run    start Zapflow (API + worker) on embedded defaults"
	@echo "make test   run every test (Python against a real PostgreSQL, and the gateway's)"
	@echo "make lint   ruff + mypy"
	@echo "make bench  benchmarks (results go to docs/BENCHMARKS.md)"

$(UV):
	@echo "uv not found: installing it into .tools/"
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

# The Baileys sidecar; baileys is pinned exactly in gateway/package.json and package-lock.json.
gateway/node_modules/.installed: gateway/package.json gateway/package-lock.json
	cd gateway && npm ci --no-audit --no-fund
	@touch $@

# The dashboard: its TypeScript client is generated from the API's OpenAPI schema on every
# build, so the panel cannot drift from the API (a renamed field fails the build).
frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

DASHBOARD_SOURCES := $(shell find frontend/src -type f -not -name schema.d.ts) \
	frontend/index.html frontend/vite.config.ts frontend/tsconfig.json \
	$(shell find zapflow -name '*.py' -not -path '*/migrations/*')

frontend/dist/index.html: frontend/node_modules/.installed .venv/.synced $(DASHBOARD_SOURCES)
	$(UV) run zapflow openapi > frontend/openapi.json
	cd frontend && npm run build
	@touch $@

dashboard: frontend/dist/index.html

deps: .venv/.synced gateway/node_modules/.installed

run: deps dashboard
	$(UV) run zapflow run

test: test-gateway test-python

test-gateway: gateway/node_modules/.installed
	cd gateway && node --test test/

test-python: deps dashboard
	$(UV) run pytest

lint: deps
	$(UV) run ruff check zapflow tests
	$(UV) run ruff format --check zapflow tests
	$(UV) run mypy

# Benchmarks use TEST_DATABASE_URL or DATABASE_URL when set, else an embedded PostgreSQL.
bench: deps
	$(UV) run python bench/import_contacts.py --rows 1000000 --rounds 3
	$(UV) run python bench/gateway_memory.py --attempts 1000
	$(UV) run --group bench python bench/dispatch.py --messages 5000 --rounds 3 --sessions 500

format: deps
	$(UV) run ruff check --fix zapflow tests
	$(UV) run ruff format zapflow tests
