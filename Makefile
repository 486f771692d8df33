# Mumaris — see docs/ and the report of `make run` for what runs where.
SHELL := /bin/bash
PY    := .venv/bin/python
VAR   := $(or $(MUMARIS_VAR_DIR),var)
# test directories that exist (a service without tests yet is skipped, not an error)
TEST_PATHS := $(wildcard shared/tests services/*/tests tests)
PYTEST_ARGS ?=

.PHONY: install run test lint unit integration e2e slow cluster browser staff rotate-keys revoke-key bench clean

install:
	@ops/install.sh

run: install
	$(PY) -m ops.launcher

# pytest in parallel (pytest-xdist): WORKERS processes, two per CPU by default since most tests
# wait on a broker, a database or a platform rather than compute. `--dist loadgroup` keeps the
# tests of one `xdist_group` on one worker (the e2e platform starts once). Each worker makes its
# own RabbitMQ virtual host and PostgreSQL databases.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
PYTEST := $(PY) -m pytest -n $(WORKERS) --dist loadgroup

# pytest on every test directory; "no tests collected" (exit code 5) is a failure.
define run_pytest
	rc=0; $(PYTEST) $(1) $(PYTEST_ARGS) $(TEST_PATHS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests -- that is a failure" >&2; fi; \
	exit $$rc
endef

# pytest between `infra.sh up` and `infra.sh down` (down stops only what this up started, whatever
# pytest's outcome; pytest's exit code is kept).
define with_infra
	@state="$(abspath $(VAR))/infra/make-$$$$"; \
	export INFRA_STATE_DIR="$$state"; \
	if ! ops/infra.sh up; then ops/infra.sh down; exit 1; fi; \
	( $(call run_pytest,$(1)) ); rc=$$?; \
	ops/infra.sh down || true; \
	exit $$rc
endef

# Lint, format check (ruff) and types (mypy: strict on shared/ and every domain/), with the
# settings of pyproject.toml.
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# Everything, slow tier included; the 15 slowest tests are listed at the end (the suite's budget
# is five minutes on two cores).
test: install
	$(call with_infra,--durations=15)

# No server: unit tests never touch RabbitMQ or PostgreSQL (the test plugin refuses one that does).
# In one process: they are quick and compute-bound, so workers would cost more than they save.
unit: install
	@$(call run_pytest,-m unit -n 0)

integration: install
	$(call with_infra,-m integration)

e2e: install
	$(call with_infra,-m e2e)

# The scale and replica tests alone (`make test` runs them too).
slow: install
	$(call with_infra,-m slow --durations=15)

# The broker cluster's fault tests alone (`make test` runs them too), on RABBITMQ_CLUSTER_NODES
# (3) RabbitMQ nodes of their own on free ports, started and stopped by the tests.
cluster: install
	$(call with_infra,-m cluster --durations=5)

browser: install
	$(call with_infra,-m browser)

# make staff EMAIL=… PASSWORD=… ROLE=reviewer|secretary_general NATIONAL_ID=…
# (values reach the command through the environment, so any character is safe in them)
staff: install
	@if [ -z "$$EMAIL" ] || [ -z "$$PASSWORD" ] || [ -z "$$ROLE" ] || [ -z "$$NATIONAL_ID" ]; then \
	  echo "usage: make staff EMAIL=… PASSWORD=… ROLE=reviewer|secretary_general NATIONAL_ID=…" >&2; exit 2; fi
	@$(PY) -m accounts.cli create-staff --email "$$EMAIL" --password "$$PASSWORD" --role "$$ROLE" \
	  --national-id "$$NATIONAL_ID"

# A new token signing key; the old one verifies until its last token expires (docs/security.md).
rotate-keys: install
	@$(PY) -m accounts.cli rotate-keys

# make revoke-key KID=…: the key stops verifying at once (within ACCOUNTS_JWKS_REFRESH elsewhere)
revoke-key: install
	@if [ -z "$$KID" ]; then echo "usage: make revoke-key KID=…" >&2; exit 2; fi
	@$(PY) -m accounts.cli revoke-key "$$KID"

# Benchmarks beside their baselines, as one table (bench/__main__.py; docs/performance.md); needs
# RabbitMQ and PostgreSQL like the tests. `make bench ONLY="read relay"` runs those alone.
ONLY ?=
bench: install
	@state="$(abspath $(VAR))/infra/bench-$$$$"; export INFRA_STATE_DIR="$$state"; \
	ops/infra.sh up rabbitmq postgres || exit 1; \
	rc=0; $(PY) -m bench $(ONLY) || rc=$$?; \
	ops/infra.sh down || true; exit $$rc

clean:
	rm -rf var/
