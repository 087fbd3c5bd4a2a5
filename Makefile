# The README's commands. Each target installs what it needs first (uv, the venv).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: run test lint format deps help bench

help:
	@echo "make run    start Zapflow (API + worker) on embedded defaults"
	@echo "make test   run the test suite against a real PostgreSQL"
	@echo "make lint   ruff + mypy"
	@echo "make bench  benchmarks (results go to docs/BENCHMARKS.md)"

$(UV):
	@echo "uv not found: installing it into .tools/"
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

deps: .venv/.synced

run: deps
	$(UV) run zapflow run

test: deps
	$(UV) run pytest

lint: deps
	$(UV) run ruff check zapflow tests
	$(UV) run ruff format --check zapflow tests
	$(UV) run mypy

# Benchmarks use TEST_DATABASE_URL or DATABASE_URL when set, else an embedded PostgreSQL.
bench: deps
	$(UV) run python bench/import_contacts.py --rows 1000000 --rounds 3

format: deps
	$(UV) run ruff check --fix zapflow tests
	$(UV) run ruff format zapflow tests
