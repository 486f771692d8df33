# Mumaris — see docs/ and the report of `make run` for what runs where.
SHELL := /bin/bash
PY    := .venv/bin/python
VAR   := $(or $(MUMARIS_VAR_DIR),var)
# test directories that exist (a service without tests yet is skipped, not an error)
TEST_PATHS := $(wildcard shared/tests services/*/tests tests)
PYTEST_ARGS ?=

.PHONY: install run test lint unit integration e2e browser staff bench clean

install:
	@ops/install.sh

run: install
	$(PY) -m ops.launcher

# Run pytest between `infra.sh up` and `infra.sh down` (down stops only what this up started,
# whatever pytest's outcome; pytest's exit code is kept; "no tests collected" (5) is a failure).
define with_infra
	@state="$(abspath $(VAR))/infra/make-$$$$"; \
	export INFRA_STATE_DIR="$$state"; \
	if ! ops/infra.sh up; then ops/infra.sh down; exit 1; fi; \
	rc=0; $(PY) -m pytest $(1) $(PYTEST_ARGS) $(TEST_PATHS) || rc=$$?; \
	ops/infra.sh down || true; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests -- that is a failure" >&2; fi; \
	exit $$rc
endef

# Lint, format check (ruff) and types (mypy: strict on shared/ and every domain/), with the
# settings of pyproject.toml.
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: install
	$(call with_infra,)

unit: install
	$(call with_infra,-m unit)

integration: install
	$(call with_infra,-m integration)

e2e: install
	$(call with_infra,-m e2e)

browser: install
	$(call with_infra,-m browser)

# make staff EMAIL=… PASSWORD=… ROLE=reviewer|secretary_general
# (values reach the command through the environment, so any character is safe in them)
staff: install
	@if [ -z "$$EMAIL" ] || [ -z "$$PASSWORD" ] || [ -z "$$ROLE" ]; then \
	  echo "usage: make staff EMAIL=… PASSWORD=… ROLE=reviewer|secretary_general" >&2; exit 2; fi
	@$(PY) -m accounts.cli create-staff --email "$$EMAIL" --password "$$PASSWORD" --role "$$ROLE"

# Benchmarks beside their baselines, in one process (bench/__main__.py); needs RabbitMQ like the tests.
bench: install
	@state="$(abspath $(VAR))/infra/bench-$$$$"; export INFRA_STATE_DIR="$$state"; \
	ops/infra.sh up rabbitmq || exit 1; \
	rc=0; $(PY) -m bench $(BENCH_ARGS) || rc=$$?; \
	ops/infra.sh down || true; exit $$rc

clean:
	rm -rf var/
