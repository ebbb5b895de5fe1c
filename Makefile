# Two commands for a new user (see README.md):
#   make run    start the assistant (Rasa on :5005, action server on :5055)
#   make test   run every test
# Each installs what it needs first: a virtualenv with pinned dependencies, the knowledge build, and
# a model trained only when the training inputs changed.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast check install kb reload rollback train clean webchat echarts topology topology-test bench

run: install kb train webchat echarts
	scripts/run.sh

test: install kb train webchat echarts
	scripts/test.sh

# Every test that needs no servers, trained model or system package (pytest markers; tests/conftest.py):
# no training, no widget bundle, no Debian packages; under a minute.
test-fast: install kb
	$(BIN)/python -m pytest -q -m "not servers and not model and not system"

# Lint (ruff) and type-check (mypy) the project; settings and what each covers in pyproject.toml.
check: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The production topology on this machine (docs/deployment.md): PostgreSQL, Redis, an
# action server, two Rasa replicas and nginx in front; Ctrl-C stops all. Its load test alone:
topology: install kb train
	scripts/topology.sh

topology-test: install kb train
	scripts/system_deps.sh postgresql redis nginx
	$(BIN)/python -m pytest tests/e2e/test_topology.py tests/stores/test_lock_store.py

# Every benchmark against Rasa's stock configuration (docs/performance.md); options
# for bench/run.py in BENCH_ARGS, e.g. make bench BENCH_ARGS="--cv --seconds 10".
BENCH_ARGS ?= --seconds 20 --training
bench: install kb train
	$(BIN)/python bench/run.py $(BENCH_ARGS)

install: $(VENV)/.installed

# Rasa 3.6 declares Python <3.11: its dependencies are installed from a lock that has 3.11 wheels,
# then rasa and rasa-sdk themselves without their declared dependencies (see requirements/README.md).
# jax left the lock (requirements/README.md): a virtualenv made before that loses it here.
$(VENV)/.installed: requirements/rasa-deps.lock requirements/project.lock requirements/tools.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements/tools.lock
	$(BIN)/pip install -q --no-deps -r requirements/rasa-deps.lock -r requirements/project.lock
	$(BIN)/pip install -q --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(BIN)/pip uninstall -q -y jax jaxlib 2>/dev/null || true
	touch $@

# Check the knowledge against the document; generate the jieba dictionary and NLU lookups.
kb: install
	$(BIN)/python -m knowledge.build

# A new knowledge release into the running assistant without a restart (knowledge/release.py):
# check and build it, then the action server loads it; `make rollback` serves the one before.
reload: kb
	scripts/reload.sh

rollback: install
	scripts/reload.sh --rollback

# Train only when the inputs' fingerprint has no model yet.
train: install kb
	scripts/train.sh

# The chat page's widget (docs/web-chat.md): rasa-webchat from the npm registry, pinned by
# web/package-lock.json; `npm ci` runs only when web/node_modules is missing or older than the lock.
# Its bundle is copied to web/chat/vendor/webchat.js (served by web/server.py; not in git) without the
# Google-fonts @import, so the page asks no other host for anything.
WEBCHAT_BUNDLE := web/chat/vendor/webchat.js
webchat: $(WEBCHAT_BUNDLE)

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

$(WEBCHAT_BUNDLE): web/node_modules/.package-lock.json
	mkdir -p $(@D)
	sed -e 's#@import url(https://fonts\.googleapis\.com/[^)]*);##g' web/node_modules/rasa-webchat/lib/index.js > $@.tmp
	! grep -q 'fonts\.googleapis' $@.tmp
	mv $@.tmp $@

# The staff console's charts (docs/staff-console.md#dashboard): Apache ECharts from the npm registry,
# pinned by web/package-lock.json (installed by the rule above); its prebuilt bundle is copied to
# web/staff/vendor/echarts.min.js (served by web/server.py under /staff/static/vendor/; not in git).
ECHARTS_BUNDLE := web/staff/vendor/echarts.min.js
echarts: $(ECHARTS_BUNDLE)

$(ECHARTS_BUNDLE): web/node_modules/.package-lock.json
	mkdir -p $(@D)
	cp web/node_modules/echarts/dist/echarts.min.js $@.tmp
	mv $@.tmp $@

clean:
	rm -rf models .rasa results knowledge/generated data/nlu/generated
