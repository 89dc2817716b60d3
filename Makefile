# ccserver: `make demo` runs the product, `make test` runs the tests. See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV     := .venv
PYTHON   := $(VENV)/bin/python
CCSERVER := $(VENV)/bin/ccserver

# `make test JUNIT=artifacts/junit.xml` also writes a JUnit report; PYTEST_ARGS adds anything else.
JUNIT       ?=
PYTEST_ARGS ?=

DEMO_DB           ?= ccserver
DEMO_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/$(DEMO_DB)

.PHONY: help bootstrap sandbox prompts test lint demo

help:
	@echo "make demo       install what is missing, start PostgreSQL + the Asterisk sandbox, run the demo"
	@echo "make test       install what is missing, start PostgreSQL + the Asterisk sandbox, run pytest"
	@echo "make lint       ruff check ccserver tests"
	@echo "make bootstrap  host packages, PostgreSQL on 127.0.0.1:5432, .venv (scripts/bootstrap.sh)"
	@echo "make sandbox    ccserver sandbox up (real Asterisk 22 in a cached Debian sid chroot)"
	@echo "make prompts    render ivr_prompts/<lang>/*.txt to 8 kHz WAV in build/prompts/<lang>/ccserver/"

bootstrap:
	bash scripts/bootstrap.sh

sandbox: bootstrap
	$(CCSERVER) sandbox up

# Only what changed is rendered again; `ccserver sandbox up|reload` renders and installs them by itself.
prompts:
	@test -x $(CCSERVER) || bash scripts/bootstrap.sh
	$(CCSERVER) prompts render --src ivr_prompts --out build/prompts

test: sandbox
	$(PYTHON) -m pytest -q -p no:cacheprovider $(if $(JUNIT),--junitxml=$(JUNIT)) $(PYTEST_ARGS)

lint:
	@test -x $(VENV)/bin/ruff || bash scripts/bootstrap.sh
	$(VENV)/bin/ruff check ccserver tests

# `ccserver sandbox up` prints the sandbox's AMI URL on stdout (its progress goes to stderr).
demo: bootstrap
	@ami_url="$$($(CCSERVER) sandbox up)"; \
	if [ "$$(psql -w -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DEMO_DB)'")" != 1 ]; then \
	    echo "createdb -h 127.0.0.1 -U postgres $(DEMO_DB)"; \
	    createdb -h 127.0.0.1 -U postgres $(DEMO_DB); \
	fi; \
	export CCSERVER_DATABASE_URL='$(DEMO_DATABASE_URL)' CCSERVER_AMI_URL="$$ami_url" \
	       CCSERVER_OUTBOUND_DIAL='Local/{number}@sim-customer'; \
	echo "ccserver migrate"; \
	$(CCSERVER) migrate; \
	echo "python -m ccserver.demo"; \
	exec $(PYTHON) -m ccserver.demo
