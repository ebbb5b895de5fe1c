#!/usr/bin/env bash
# Serves the knowledge `make kb` just built in the running action server, without a restart:
#   scripts/reload.sh              load the new version (the one in service stays if it fails)
#   scripts/reload.sh --rollback   serve the version before the last reload again
# The action server started by scripts/run.sh writes its status to $KNOWLEDGE_STATUS
# (.run/knowledge.json); see knowledge/release.py.
set -euo pipefail
cd "$(dirname "$0")/.."
status=${KNOWLEDGE_STATUS:-.run/knowledge.json}
[[ -f "$status" ]] || { echo "no running action server ($status is missing): start it with make run" >&2; exit 1; }
field() { .venv/bin/python -c "import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print('' if v is None else v)" "$status" "$1"; }
pid=$(field pid)
kill -0 "$pid" 2>/dev/null || { echo "the action server ($pid) is not running" >&2; exit 1; }
before=$(field updated_at)
signal=HUP; [[ "${1:-}" == "--rollback" ]] && signal=USR1
kill "-$signal" "$pid"
for _ in $(seq 1 120); do
  [[ "$(field updated_at)" != "$before" ]] && break
  sleep 0.5
done
[[ "$(field updated_at)" != "$before" ]] || { echo "the action server did not answer within 60 s" >&2; exit 1; }
if [[ -n "$(field error)" ]]; then
  echo "not changed: $(field error)" >&2
  echo "in service: knowledge $(field version)" >&2
  exit 1
fi
echo "in service: knowledge $(field version) (previous: $(field previous))"
if [[ "$(field retrain_needed)" == "True" ]]; then
  echo "the NLU's inputs changed (aliases, vocabulary, data): new facts are answered now; new words are"
  echo "recognised after 'make train' and a restart of Rasa."
fi
