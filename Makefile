# One entry point. `make test` is what CI runs (.ci/run); `make run` shows the system working.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install up down run status test test-down lint unit integration contracts clean

# `make test` runs on a stack of its own: its own Kafka, Redis and PostgreSQL, on their own
# ports, with their data under .run/test; never the one `make run` uses (whose reports would
# otherwise carry the tests' dossiers).
TEST_RUN_DIR := $(CURDIR)/.run/test
TEST_STACK := RUN_DIR=$(TEST_RUN_DIR) KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19093 \
	REDIS_PORT=16379 POSTGRES_PORT=15432 \
	KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 REDIS_URL=redis://127.0.0.1:16379/0 \
	REPORTING_DATABASE_URL=postgresql://reporting:reporting-dev-secret@127.0.0.1:15432/reporting

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

test: lint             ## lint, then every test against its own real Kafka, Redis and PostgreSQL
	$(TEST_STACK) scripts/infra.sh up
	$(TEST_STACK) $(BIN)/python -m shared.messaging.topic_admin
	$(TEST_STACK) $(BIN)/pytest $(PYTEST_ARGS)

test-down:             ## stop the tests' Kafka, Redis and PostgreSQL
	$(TEST_STACK) scripts/infra.sh down

clean: down test-down
	rm -rf .run
