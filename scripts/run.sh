#!/usr/bin/env bash
# Starts the action server (:5055) and Rasa (:5005) with the current model; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
model=$(scripts/model_path.sh)
[[ -f "$model" ]] || { echo "no model for the current data: run 'make train'" >&2; exit 1; }
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_PORT=${WEB_PORT:-8080}
export ACTIONS_URL="http://localhost:$ACTIONS_PORT/webhook" WEB_PORT
# The chat page (web/chat/) and its socket.io: the origin Rasa accepts, the URL the page connects to.
export WEB_ORIGIN="${WEB_ORIGIN:-http://localhost:$WEB_PORT}" CHAT_SOCKET_URL="${CHAT_SOCKET_URL:-http://localhost:$RASA_PORT}"
# Credentials and endpoints come from the environment (scripts/runtime_config.py): no secret in git.
.venv/bin/python scripts/runtime_config.py .run
# Tokens for the staff console and Rasa's HTTP API: from the environment, else .run/secrets.env.
source scripts/secrets.sh

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping ..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
trap stop INT TERM EXIT

.venv/bin/rasa run actions --actions actions --port "$ACTIONS_PORT" &
pids+=($!)
.venv/bin/python -m addons.launch run --model "$model" --port "$RASA_PORT" --credentials .run/credentials.yml \
  --endpoints .run/endpoints.yml --cors "http://localhost:$WEB_PORT" \
  --enable-api --auth-token="$RASA_AUTH_TOKEN" &
pids+=($!)
.venv/bin/python -m web.server --port "$WEB_PORT" &
pids+=($!)

echo "waiting for Rasa on :$RASA_PORT ..."
for _ in $(seq 1 180); do
  if curl -fs "http://localhost:$RASA_PORT/" >/dev/null 2>&1; then
    echo "staff console: http://localhost:$WEB_PORT/staff (token: STAFF_TOKEN)"
    echo "ready: chat page http://localhost:$WEB_PORT/ ; REST: POST http://localhost:$RASA_PORT/webhooks/rest/webhook {\"sender\": \"me\", \"message\": \"AWD仓储费多少？\"}"
    break
  fi
  sleep 1
done
wait -n "${pids[@]}"
