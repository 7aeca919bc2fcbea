# One entry point. `make test` is what CI runs (.ci/run); `make run` shows the system working.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install up down run status test lint unit integration contracts clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

up: install            ## Kafka, Redis and the four services, in the background, healthy
	scripts/stack.sh up

down:                  ## stop everything `up` started
	scripts/stack.sh down

run: install           ## up, in the foreground; Ctrl-C stops everything
	scripts/stack.sh run

status:
	scripts/stack.sh status

lint: install          ## ruff, ruff format --check, mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

contracts: install     ## regenerate the committed JSON Schemas and AsyncAPI document
	$(BIN)/python scripts/generate_contracts.py

test: lint             ## lint, then every test against real Kafka and Redis (started here)
	scripts/infra.sh up
	$(BIN)/python -m shared.topic_admin
	$(BIN)/pytest

clean: down
	rm -rf .run
