#!/usr/bin/env bash
# Starts the action server (:5055), Rasa (:5005) with the current model and the chat page with the
# staff console (:8080); prints its steps and where everything is; each one's output goes to .run/logs/.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
model=$(scripts/model_path.sh)
[[ -f "$model" ]] || { echo "no model for the current data: run 'make train'" >&2; exit 1; }
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_PORT=${WEB_PORT:-8080}
export ACTIONS_URL="http://localhost:$ACTIONS_PORT/webhook" WEB_PORT
export KNOWLEDGE_STATUS="${KNOWLEDGE_STATUS:-$PWD/.run/knowledge.json}"  # scripts/reload.sh reads it
# The chat page (web/chat/) and its socket.io: the origin Rasa accepts, the URL the page connects to.
export WEB_ORIGIN="${WEB_ORIGIN:-http://localhost:$WEB_PORT}" CHAT_SOCKET_URL="${CHAT_SOCKET_URL:-http://localhost:$RASA_PORT}"
# Credentials and endpoints come from the environment (scripts/runtime_config.py): no secret in git.
.venv/bin/python scripts/runtime_config.py .run
# Tokens for the staff console and Rasa's HTTP API: from the environment, else .run/secrets.env.
source scripts/secrets.sh

logs=.run/logs
mkdir -p "$logs"
pids=()
names=()
stop() {
  trap - INT TERM EXIT
  echo "stopping ..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
trap stop INT TERM EXIT
# start NAME COMMAND...: in the background, its whole output in .run/logs/NAME.log
start() {
  local name=$1; shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=($!); names+=("$name")
}

echo "[1/3] action server on :$ACTIONS_PORT (log: $logs/actions.log)"
start actions .venv/bin/python -m addons.launch run actions --actions actions --port "$ACTIONS_PORT"
echo "[2/3] Rasa on :$RASA_PORT with $model (log: $logs/rasa.log)"
start rasa .venv/bin/python -m addons.launch run --model "$model" --port "$RASA_PORT" --credentials .run/credentials.yml \
  --endpoints .run/endpoints.yml --cors "http://localhost:$WEB_PORT" \
  --enable-api --auth-token="$RASA_AUTH_TOKEN"
echo "[3/3] chat page and staff console on :$WEB_PORT (log: $logs/web.log)"
start web .venv/bin/python -m web.server --port "$WEB_PORT"

printf "waiting for Rasa to load the model "
for _ in $(seq 1 180); do
  if curl -fs "http://localhost:$RASA_PORT/" >/dev/null 2>&1; then break; fi
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo; echo "${names[$i]} stopped; the end of $logs/${names[$i]}.log:" >&2
      tail -n 20 "$logs/${names[$i]}.log" >&2
      exit 1
    fi
  done
  printf "."; sleep 1
done
echo
cat <<EOF2

ready.
  chat page       http://localhost:$WEB_PORT/
  staff console   http://localhost:$WEB_PORT/staff   (token: STAFF_TOKEN in .run/secrets.env, or your environment)
  REST            curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
                    -d '{"sender": "me", "message": "AWD仓储费多少？"}'
  Rasa HTTP API   http://localhost:$RASA_PORT  (token: RASA_AUTH_TOKEN, same file)
  metrics         http://localhost:$RASA_PORT/metrics  :$ACTIONS_PORT/metrics  :$WEB_PORT/metrics  (docs/metrics.md)
  logs            $logs/{rasa,actions,web}.log
Ctrl-C stops everything.
EOF2
wait -n "${pids[@]}"
