#!/usr/bin/env bash
# Trains a model only when none exists for the current training inputs (scripts/model_path.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(scripts/model_path.sh)
if [[ -f "$model" ]]; then
  echo "model up to date: $model"
  exit 0
fi
mkdir -p .run/logs
echo "training $model (log: .run/logs/train.log) ..."
start=$(date +%s)
if ! .venv/bin/rasa train --config config.yml --domain domain.yml --data data \
    --out models --fixed-model-name "$(basename "$model" .tar.gz)" --quiet >.run/logs/train.log 2>&1; then
  tail -n 30 .run/logs/train.log >&2
  echo "training failed: the whole output is in .run/logs/train.log" >&2
  exit 1
fi
echo "trained in $(( $(date +%s) - start ))s: $model"
# Keep the three newest models; older ones are for data that no longer exists.
ls -1t models/zh-*.tar.gz 2>/dev/null | tail -n +4 | xargs -r rm -f
