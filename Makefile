# One entry point for people and CI: `make run`, `make test`, `make check`.
VENV := .venv/bin
PYTEST_ARGS ?=

.PHONY: setup run test lint typecheck check bench

setup:
	scripts/setup.sh

run: setup
	$(VENV)/brigtui pipelines

test: setup
	$(VENV)/pytest -q $(PYTEST_ARGS)

lint: setup
	$(VENV)/ruff check brigtui tests bench

typecheck: setup
	$(VENV)/mypy

check: lint typecheck test

bench: setup
	for script in bench/*.py; do $(VENV)/python "$$script" || exit 1; done
