#!/usr/bin/env bash
# Every test: knowledge, routing, dialogue and actions (pytest), Rasa's data validation and test
# stories, then end-to-end tests that start the servers themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
model=$(scripts/model_path.sh)

echo "== rasa data validate"
.venv/bin/rasa data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

echo "== test stories"
.venv/bin/rasa test core --model "$model" --stories tests/stories --fail-on-prediction-errors --out results/core

# Chromium: the chat page and the staff console in a browser; PostgreSQL: the staff console and the
# topology; Redis and nginx: the production topology (tests/e2e/test_topology.py, tests/stores/).
echo "== system packages: Chromium, PostgreSQL, Redis, nginx"
scripts/system_deps.sh chromium postgresql redis nginx

echo "== pytest"
.venv/bin/python -m pytest "$@"
