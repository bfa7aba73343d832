# The two commands of the README, and a few helpers.
#   make run   — install what is missing, start the whole local stack, Ctrl-C stops it
#   make test  — install what is missing, start what tests need, run every test

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
CACHE := $(CURDIR)/.cache
UV_ENV := $(CACHE)/uv-env
UV := $(UV_ENV)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
export PATH := $(CACHE)/bin:$(PATH)
# The services refuse to start without ENVIRONMENT; what make starts is the local stack.
export ENVIRONMENT ?= local
RUN := $(UV) run --frozen --no-sync

NODE_PROJECTS := $(patsubst %/package-lock.json,%,$(wildcard deploy/local/oidc/package-lock.json frontends/package-lock.json frontends/*/package-lock.json))
FRONTEND_APPS := $(patsubst %/package.json,%,$(wildcard frontends/portal/package.json frontends/backoffice/package.json))

-include deploy/tools.mk

.PHONY: help
help:
	@echo "make run    start the whole stack locally (Ctrl-C stops it)"
	@echo "make test   run every test (unit, integration, end-to-end)"
	@echo "make lint   ruff and mypy only"
	@echo "make bench  benchmarks (listings, emails)"
	@echo "make bench-e2e  the submission-to-email path against a bare baseline"
	@echo "make chaos  the fault suite: Kafka, notifier, SMTP and PostgreSQL killed, stopped or frozen under load"
	@echo "make api-types  regenerate the OpenAPI documents and the web apps' API types"
	@echo "make images  build every container image (podman or docker; local stand-in bases without a registry)"
	@echo "make run-images  the product from its images: services and gateway as containers (Ctrl-C stops them)"
	@echo "make down   stop whatever the local stack left running"

# --- installation -----------------------------------------------------------------------

$(UV):
	@echo "› installing uv $(UV_VERSION) in $(UV_ENV)"
	@python3 -m venv $(UV_ENV)
	@$(UV_ENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

.PHONY: uv
uv: $(UV)
	@[ "$$($(UV) --version | cut -d' ' -f2)" = "$(UV_VERSION)" ] || $(UV_ENV)/bin/pip install -q uv==$(UV_VERSION)

.PHONY: python-env
python-env: uv
	@$(UV) sync --frozen --all-packages --quiet

.PHONY: kafka-jars
kafka-jars: python-env
	@$(RUN) python -c "from devstack.config import StackConfig as C; from devstack.install import ensure_kafka_jars as e; c=C(); c.ensure_folders(); e(c, log=c.logs/'install.log')"

# Mailpit, the local mail catcher, built once into .cache/bin with its web page (npm packages
# pinned in deploy/local/mailpit/, a warm run only reads .cache/mailpit/build.json); its version is
# pinned in deploy/local/src/devstack/install.py (deploy/compose.yaml's image is checked against it).
.PHONY: mailpit
mailpit: python-env
	@$(RUN) python -c "from devstack.config import StackConfig as C; from devstack.install import ensure_mailpit as e; c=C(); c.ensure_folders(); e(c, log=c.logs/'install.log')"

.PHONY: node-modules
node-modules:
	@for project in $(NODE_PROJECTS); do \
		if [ ! -f $$project/node_modules/.package-lock.json ] || [ $$project/package-lock.json -nt $$project/node_modules/.package-lock.json ]; then \
			echo "› npm ci in $$project"; (cd $$project && npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
		fi; \
	done

.PHONY: frontends
# A web app is rebuilt only when a file it is built from (its own, the shared package's, the
# lock file) is newer than its last build: a warm `make run` skips both builds.
frontends: node-modules
	@for app in $(FRONTEND_APPS); do \
		if [ -f $$app/dist/index.html ] && [ -z "$$(find $$app frontends/shared frontends/package-lock.json frontends/tsconfig.base.json -type f -newer $$app/dist/index.html -not -path '*/node_modules/*' -not -path '*/dist/*' -print -quit)" ]; then \
			echo "› $$app is up to date"; \
		else \
			echo "› building $$app"; (cd $$app && npm run build --silent) || exit 1; \
		fi; \
	done

# The services' OpenAPI documents (frontends/shared/api/) and the web apps' TypeScript types
# generated from them (frontends/shared/src/generated/), both committed; a pytest and a Vitest
# test fail when they are stale. Run after changing a route or a response model.
.PHONY: api-types
api-types: python-env node-modules
	@echo "› OpenAPI documents (frontends/shared/api)"
	@$(RUN) python frontends/scripts/openapi.py
	@echo "› TypeScript types (frontends/shared/src/generated)"
	@cd frontends && npm run --silent api-types

# Unit tests of the web apps (character counter, draft store, API client, generated API types), with Vitest.
.PHONY: frontend-tests
frontend-tests: node-modules
	@if [ -f frontends/package.json ]; then \
		echo "› node tests (web apps)"; (cd frontends && npm test --silent 2>&1 | tail -n 8; exit $${PIPESTATUS[0]}) || exit 1; \
	fi

# ClamAV's daemon for attachments' antivirus (Debian's clamav-daemon; its signatures are the local
# test database of deploy/local/clamav, nothing is downloaded).
.PHONY: clamd
clamd:
	@if ! command -v clamd >/dev/null 2>&1 && [ ! -x /usr/sbin/clamd ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "› installing clamav-daemon from Debian"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon >/dev/null; \
		else \
			echo "clamd is missing: run 'sudo apt-get install clamav-daemon' (attachments are scanned by it)"; exit 1; \
		fi; \
	fi

# Debian's Chromium for the browser tests (never a browser downloaded by a test tool).
.PHONY: browser
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "› installing chromium from Debian"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Chromium is missing: run 'sudo apt-get install chromium' (needed by the browser tests)"; exit 1; \
		fi; \
	fi

.PHONY: install
install: python-env kafka-jars mailpit node-modules clamd

# --- the two commands -------------------------------------------------------------------

# `make run REPLICAS=2` runs two processes each of messages and the notifier (ports 8113 and
# 8114 beside 8103 and 8104), the gateway sharing requests between them.
.PHONY: run
run: install frontends
	@$(if $(REPLICAS),DEVSTACK_REPLICAS=$(REPLICAS) ,)$(RUN) python -m devstack run

.PHONY: lint
lint: python-env
	@echo "› ruff"
	@$(RUN) ruff check .
	@$(RUN) ruff format --check --quiet .
	@echo "› mypy"
	@$(RUN) mypy

.PHONY: test
test: install frontends browser test-tools images lint frontend-tests
	@echo "› node tests (identity provider)"
	@cd deploy/local/oidc && npm test --silent 2>&1 | tail -n 12
	@echo "› pytest"
	@$(RUN) pytest

# Tools some tests need (deploy validation); provided by deploy/tools.mk when present.
.PHONY: test-tools
test-tools: $(if $(wildcard deploy/tools.mk),deploy-tools,)

.PHONY: bench
bench: install
	@for script in $(wildcard libs/*/bench/*.py services/*/bench/*.py); do echo "› $$script"; $(RUN) python $$script || exit 1; done

# The submission-to-email path end to end, against a bare baseline, in one run (about 12 min;
# `make bench-e2e ARGS=--quick` for a smoke run). Results in bench/results/.
.PHONY: bench-e2e
bench-e2e: install
	@$(RUN) python -m bench.e2e $(ARGS)

# The fault suite (about 10 min): the whole stack in .chaos/stack (ports moved by 12,000) with
# an SMTP sink, each fault under submissions through the gateway; results in bench/results/
# chaos.json and chaos.md. `make chaos ARGS=--short` runs the sizes of its make test version.
.PHONY: chaos
chaos: install
	@$(RUN) python -m bench.chaos $(ARGS)

# Every container image (the four services, the gateway, the OIDC provider) with podman or
# docker, whichever answers; without a reachable registry the public bases are replaced by
# local stand-ins (deploy/images/README.md). Prints the images' sizes.
.PHONY: images
images:
	@deploy/images/build-images

# The product from its images: the four services and the gateway as containers (read-only,
# user 10001, no capability), Kafka, PostgreSQL, Mailpit and the OIDC provider as `make run`
# runs them; each database migrated by its image's own command first. Ctrl-C stops them.
.PHONY: run-images
run-images: install images
	@RUN_IMAGES_BUILD=0 deploy/images/run-images

.PHONY: down
down: python-env
	@$(RUN) python -m devstack down

.PHONY: status
status: python-env
	@$(RUN) python -m devstack status
