#!/usr/bin/env bash
# The production topology on this machine (docs/deployment.md): PostgreSQL (tracker store),
# Redis (lock store), one action server, `rasa run` replicas sharing them, and nginx in front
# (round-robin for REST; sticky for socket.io, with websocket upgrade, and for WeChat). Everything
# listens on 127.0.0.1 only.
# supervisord (PyPI `supervisor`) runs every component and restarts one that exits, as Kubernetes
# restarts a pod: one dead component is not a dead topology (docs/deployment.md#failures). nginx sends
# the traffic of a replica that is down to the other one. Ctrl-C (or SIGTERM) stops all of it.
#
#   scripts/topology.sh            (make topology)
#
# Environment (all optional):
#   TOPOLOGY_DIR     data, generated configs and logs (default .run/topology; PostgreSQL's data there
#                    is kept between runs — delete the directory to start over)
#   TOPOLOGY_PORT    nginx, the one URL clients use (default 5080)
#   RASA_PORTS       the replicas' ports, space-separated (default "5081 5082"; their number is the
#                    number of replicas)
#   ACTIONS_PORT     the action server (default 5085)
#   PG_PORT          PostgreSQL (default 55432)
#   REDIS_PORT       Redis (default 56379)
#   WEB_ORIGIN, ACTION_TIMEOUT_SECONDS, SANIC_WORKERS ...   passed on to Rasa as with `make run`
#   TICKET_LOCK_LIFETIME   seconds a replica may hold a conversation's lock (default here
#                    ACTION_TIMEOUT_SECONDS + 6, i.e. 10; Rasa's 60): how long the conversations of a
#                    replica that died mid-message wait
# When everything answers it prints "topology ready: http://127.0.0.1:PORT" and writes
# TOPOLOGY_DIR/topology.env (the URLs, including the tracker store's, and SUPERVISORCTL, the command
# that shows and restarts the components; mode 600).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD" RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1

model=$(scripts/model_path.sh)
[[ -f "$model" ]] || { echo "no model for the current data: run 'make train'" >&2; exit 1; }

dir=${TOPOLOGY_DIR:-.run/topology}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
LB_PORT=${TOPOLOGY_PORT:-5080}
read -r -a rasa_ports <<< "${RASA_PORTS:-5081 5082}"
ACTIONS_PORT=${ACTIONS_PORT:-5085}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
HOST=127.0.0.1

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for port in "$LB_PORT" "${rasa_ports[@]}" "$ACTIONS_PORT" "$PG_PORT" "$REDIS_PORT"; do
  if port_in_use "$port"; then echo "port $port is already in use (see the variables in $0)" >&2; exit 1; fi
done

echo "== system packages: PostgreSQL, Redis, nginx"
scripts/system_deps.sh postgresql redis nginx
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -x "$pg_bin/initdb" ]] || { echo "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin" >&2; exit 1; }

mkdir -p "$dir/logs" "$dir/redis" "$dir/nginx"
rm -f "$dir/ready" "$dir/topology.env"

# -- teardown: supervisord stops its programs, the last started first; safe to run at any point ------
sup_pid=""
pg_data=""
pg_temp=""   # a PostgreSQL directory outside TOPOLOGY_DIR (see below), deleted at exit
as_pg=()
sup_conf="$dir/supervisord.conf"
ctl() { .venv/bin/supervisorctl -c "$sup_conf" "$@"; }
stop() {
  local status=$?
  trap - INT TERM EXIT
  set +e
  echo "stopping the topology ..."
  if [[ -n $sup_pid ]] && kill -0 "$sup_pid" 2>/dev/null; then
    # nginx first (QUIT: it finishes the requests in flight), then the replicas, then what they use
    kill -TERM "$sup_pid"
    wait "$sup_pid" 2>/dev/null
  fi
  # a PostgreSQL left running (the supervisor itself was killed): stop it by its data directory
  if [[ -n $pg_data && -f $pg_data/postmaster.pid ]]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  [[ -n $pg_temp ]] && rm -rf "$pg_temp"
  rm -f "$dir/ready"
  echo "stopped."
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_http() {  # wait_http NAME URL: until URL answers, failing if the supervisor gave the program up
  local name=$1 url=$2
  for _ in $(seq 1 600); do
    curl -fs -o /dev/null "$url" && return 0
    if ctl status "$name" | grep -qE 'FATAL|EXITED|STOPPED'; then
      echo "$name did not start; see $dir/logs/$name.log" >&2; tail -n 20 "$dir/logs/$name.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "$name did not answer $url within 300s" >&2
  return 1
}

# -- PostgreSQL: the tracker store ------------------------------------------------------------------
# initdb and postgres refuse to run as root: as root they run as the `postgres` user, whose data
# directory must be reachable by it; when TOPOLOGY_DIR is not (a private home, pytest's tmp), a
# temporary directory is used for this run instead.
pg_dir="$dir/postgres"
mkdir -p "$pg_dir"
if [[ $(id -u) -eq 0 ]]; then
  as_pg=(runuser -u postgres --)
  chown postgres: "$pg_dir"
  if ! runuser -u postgres -- test -w "$pg_dir"; then
    pg_temp=$(mktemp -d -t topology-pg.XXXXXX)
    pg_dir=$pg_temp
    chown postgres: "$pg_dir"
    echo "(PostgreSQL's data for this run is in $pg_dir: the postgres user cannot reach $dir)"
  fi
fi
chmod 700 "$pg_dir"
pg_data="$pg_dir/data"
pw_file="$dir/postgres.password"
if [[ ! -f $pg_data/PG_VERSION ]]; then
  (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_hex(16))' > "$pw_file")
  cp "$pw_file" "$pg_dir/pw"
  [[ ${#as_pg[@]} -gt 0 ]] && chown postgres: "$pg_dir/pw"
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_data" -U rasa --pwfile="$pg_dir/pw" -A scram-sha-256 -E UTF8 \
    --no-locale >"$dir/logs/initdb.log" 2>&1 || { cat "$dir/logs/initdb.log" >&2; exit 1; }
  rm -f "$pg_dir/pw"
fi
PG_PASSWORD=$(cat "$pw_file")

# -- what the replicas and the action server read ----------------------------------------------------
export TRACKER_DB_URL="postgresql://rasa:$PG_PASSWORD@$HOST:$PG_PORT/rasa"
export REDIS_URL="redis://$HOST:$REDIS_PORT/0"
export ACTIONS_URL="http://$HOST:$ACTIONS_PORT/webhook"
# A replica killed while it handles a message leaves that conversation's ticket in Redis: the next
# message waits until it expires. A turn takes milliseconds, a slow action at most
# ACTION_TIMEOUT_SECONDS (default 4), so that plus 6 s (10 s by default) is ample for the holder and
# short for those waiting behind a dead one.
action_timeout=${ACTION_TIMEOUT_SECONDS:-4}
export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-$(( ${action_timeout%%.*} + 6 ))}
# Sanic waits this long for kept-alive connections when a server stops (its default, 15 s, kept a
# restarting action server refusing work for 16 s); requests in flight take milliseconds. The
# action server gets 1 s: Rasa's calls wait for it meanwhile (addons/patches/action_failures.py).
export SANIC_GRACEFUL_SHUTDOWN_TIMEOUT=${SANIC_GRACEFUL_SHUTDOWN_TIMEOUT:-3}
# Each replica's HTTP API (not behind nginx): the staff console takes conversations over through it.
RASA_AUTH_TOKEN=${RASA_AUTH_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')}
export RASA_AUTH_TOKEN

# -- the supervisor's programs ------------------------------------------------------------------------
# Started one by one below (autostart=false: PostgreSQL must take connections before a replica opens
# its tables); once running, each is restarted whenever it exits (autorestart). Priorities give the
# stopping order: the highest first.
pg_log="$dir/logs/postgres.log"
pg_user=""
[[ ${#as_pg[@]} -gt 0 ]] && pg_user="user=postgres"
program() {  # program NAME PRIORITY STOPSIGNAL STOPWAITSECS COMMAND [EXTRA-LINES]: one [program:] section
  cat <<EOF

[program:$1]
command=$5
priority=$2
autostart=false
autorestart=true
startsecs=2
startretries=5
stopsignal=$3
stopwaitsecs=$4
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$dir/logs/$1.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=2
${6:-}
EOF
}
{
  cat <<EOF
; Generated by scripts/topology.sh — edit the script, not this file.
[unix_http_server]
file=$dir/supervisor.sock
chmod=0700

[supervisord]
nodaemon=true
logfile=$dir/logs/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir/logs
$( [[ $(id -u) -eq 0 ]] && echo "user=root" )

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$dir/supervisor.sock
EOF
  program postgres 10 INT 60 "$pg_bin/postgres -D $pg_data -p $PG_PORT -c listen_addresses=$HOST -c unix_socket_directories= -c max_connections=100" "$pg_user"
  program redis 10 TERM 20 "redis-server --bind $HOST --port $REDIS_PORT --dir $dir/redis --save \"\" --appendonly no --protected-mode yes --daemonize no"
  program actions 20 TERM 20 "$PWD/.venv/bin/python -m addons.launch run actions --actions actions --port $ACTIONS_PORT" \
    "environment=SANIC_HOST=\"$HOST\",SANIC_GRACEFUL_SHUTDOWN_TIMEOUT=\"1\""$'\n'"directory=$PWD"
  upstream=""
  for i in "${!rasa_ports[@]}"; do
    n=$((i + 1)) port=${rasa_ports[$i]}
    # passive health check: after one failed connection nginx leaves the replica alone for 5 s
    upstream+="    server $HOST:$port max_fails=1 fail_timeout=5s;"$'\n'
    .venv/bin/python scripts/runtime_config.py "$dir/rasa-$n"   # credentials.yml, endpoints.yml
    chmod 600 "$dir/rasa-$n/endpoints.yml"                      # it holds the database password
    program "rasa-$n" 30 TERM 30 "$PWD/.venv/bin/python -m addons.launch run --model $model --interface $HOST --port $port --credentials $dir/rasa-$n/credentials.yml --endpoints $dir/rasa-$n/endpoints.yml --enable-api --auth-token=$RASA_AUTH_TOKEN" \
      "directory=$PWD"
  done
  program nginx 40 QUIT 30 "/usr/sbin/nginx -p $dir/nginx -e $dir/logs/nginx-error.log -c $dir/nginx/nginx.conf"
} > "$sup_conf"
chmod 600 "$sup_conf"  # the replicas' command lines hold the API token
# -- nginx: the load balancer (its configuration; the supervisor starts it last) -----------------------------------------------------------------------
echo "== nginx on $HOST:$LB_PORT"
mkdir -p "$dir/nginx/scratch"
# What every proxied webhook location sends the replica: kept-alive upstream connections and where
# the request came from.
proxied='            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
'
cat > "$dir/nginx/nginx.conf" <<EOF
# Generated by scripts/topology.sh — edit the script, not this file.
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/logs/nginx-error.log warn;
events { worker_connections 1024; }

http {
    # \$upstream_addr: which replica served the request; the message id: the client's X-Request-ID or nginx's.
    log_format topology '\$msec \$remote_addr "\$request" \$status \$upstream_addr \$request_time '
                        '\$upstream_response_time "\$message_id"';
    access_log $dir/logs/nginx-access.log topology;
    client_body_temp_path $dir/nginx/scratch/body;
    proxy_temp_path $dir/nginx/scratch/proxy;
    fastcgi_temp_path $dir/nginx/scratch/fastcgi;
    uwsgi_temp_path $dir/nginx/scratch/uwsgi;
    scgi_temp_path $dir/nginx/scratch/scgi;
    client_max_body_size 64k;
    server_tokens off;

    map \$http_x_request_id \$message_id {
        default \$http_x_request_id;
        ''      \$request_id;
    }

    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }

    # REST and the other webhooks: round-robin, no stickiness. A conversation's messages may land on
    # any replica; the Redis lock store keeps them in order.
    upstream rasa {
$upstream        keepalive 16;
    }

    # socket.io: Engine.IO keeps a session in the memory of the replica that opened it (long-polling
    # requests and the websocket upgrade must reach that replica), so this upstream is sticky by
    # client address.
    upstream rasa_socketio {
        hash \$remote_addr consistent;
$upstream    }

    # WeChat: the channel keeps retries' dedup and each user's numbered options in the replica's
    # memory (addons/channels/wechat/state.py), so a user's requests go to one replica: hash on the openid
    # WeChat puts in the query string.
    upstream rasa_wechat {
        hash \$arg_openid consistent;
$upstream    }

    server {
        listen $HOST:$LB_PORT;

        location /webhooks/ {
            proxy_pass http://rasa;
$proxied            proxy_read_timeout 120s;
            # A replica that is down or restarting refuses the connection: the next one gets the
            # request. A POST that reached a replica is never sent twice (nginx's default for
            # non-idempotent requests): the first replica may have stored the turn already.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
        }

        # REST: every message carries an id (the client's X-Request-ID, else one nginx makes), so a
        # POST whose replica died before answering is resent to the other replica: the REST channel
        # answers a message it has already stored from the store instead of handling it twice
        # (addons/channels/rest.py). Only on errors (a refused or broken connection), never on a
        # slow reply: that replica is still working on it.
        location /webhooks/rest/ {
            proxy_pass http://rasa;
$proxied            proxy_set_header X-Request-ID \$message_id;
            proxy_read_timeout 120s;
            proxy_next_upstream error non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
        }

        location /webhooks/wechat/ {
            proxy_pass http://rasa_wechat;
$proxied            proxy_read_timeout 30s;
        }

        location /socket.io/ {
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_read_timeout 3600s;
            proxy_buffering off;
        }

        # health: "Hello from Rasa" from any replica
        location = / {
            proxy_pass http://rasa;
        }

        # Everything else, /metrics included: each replica's metrics are its own (scrape them on
        # their ports), and through this proxy every client would look local to the replica.
        location / {
            return 404;
        }
    }
}
EOF
/usr/sbin/nginx -t -q -p "$dir/nginx" -e "$dir/logs/nginx-error.log" -c "$dir/nginx/nginx.conf"

# -- start: the supervisor, then each component once what it needs answers ------------------------------
rm -f "$dir/supervisor.sock"
.venv/bin/supervisord -c "$sup_conf" &
sup_pid=$!
for _ in $(seq 1 100); do ctl pid >/dev/null 2>&1 && break; sleep 0.1; done
ctl pid >/dev/null 2>&1 || { echo "supervisord did not start; see $dir/logs/supervisord.log" >&2; exit 1; }

echo "== PostgreSQL on $HOST:$PG_PORT ($pg_data)"
ctl start postgres >/dev/null || { tail -n 20 "$pg_log" >&2; exit 1; }
export PGPASSWORD=$PG_PASSWORD
for _ in $(seq 1 120); do "$pg_bin/pg_isready" -q -h "$HOST" -p "$PG_PORT" && break; sleep 0.5; done
if [[ -z $("$pg_bin/psql" -h "$HOST" -p "$PG_PORT" -U rasa -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'rasa'") ]]; then
  "$pg_bin/psql" -h "$HOST" -p "$PG_PORT" -U rasa -d postgres -qc "CREATE DATABASE rasa" >/dev/null
fi
unset PGPASSWORD

echo "== Redis on $HOST:$REDIS_PORT"
ctl start redis >/dev/null || { tail -n 20 "$dir/logs/redis.log" >&2; exit 1; }
for _ in $(seq 1 50); do redis-cli -h "$HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
redis-cli -h "$HOST" -p "$REDIS_PORT" ping >/dev/null || { echo "Redis did not start; see $dir/logs/redis.log" >&2; exit 1; }

echo "== action server on $HOST:$ACTIONS_PORT"
ctl start actions >/dev/null || { tail -n 20 "$dir/logs/actions.log" >&2; exit 1; }
for i in "${!rasa_ports[@]}"; do
  n=$((i + 1))
  echo "== Rasa replica $n on $HOST:${rasa_ports[$i]}"
  ctl start "rasa-$n" >/dev/null || { tail -n 20 "$dir/logs/rasa-$n.log" >&2; exit 1; }
  if [[ $n -eq 1 ]]; then
    # The first replica creates the tracker store's tables; the others start once they exist
    # (Rasa tolerates a race there, but logs errors for it).
    export PGPASSWORD=$PG_PASSWORD
    for _ in $(seq 1 240); do
      [[ $("$pg_bin/psql" -h "$HOST" -p "$PG_PORT" -U rasa -d rasa -Atc "SELECT to_regclass('public.events') IS NOT NULL") == t ]] && break
      ctl status rasa-1 | grep -q RUNNING || break
      sleep 0.5
    done
    unset PGPASSWORD
  fi
done
wait_http actions "http://$HOST:$ACTIONS_PORT/health"
for i in "${!rasa_ports[@]}"; do
  wait_http "rasa-$((i + 1))" "http://$HOST:${rasa_ports[$i]}/"
done

echo "== nginx on $HOST:$LB_PORT"
ctl start nginx >/dev/null || { tail -n 20 "$dir/logs/nginx-error.log" >&2; exit 1; }
wait_http nginx "http://$HOST:$LB_PORT/"

url="http://$HOST:$LB_PORT"
(umask 077 && cat > "$dir/topology.env" <<EOF
TOPOLOGY_URL=$url
RASA_URLS="$(printf "http://$HOST:%s " "${rasa_ports[@]}" | sed 's/ $//')"
METRICS_URLS="$(printf "http://$HOST:%s/metrics " "${rasa_ports[@]}" "$ACTIONS_PORT" | sed 's/ $//')"
ACTIONS_URL=$ACTIONS_URL
TRACKER_DB_URL=$TRACKER_DB_URL
REDIS_URL=$REDIS_URL
RASA_AUTH_TOKEN=$RASA_AUTH_TOKEN
NGINX_ACCESS_LOG=$dir/logs/nginx-access.log
SUPERVISORCTL="$PWD/.venv/bin/supervisorctl -c $sup_conf"
EOF
)
touch "$dir/ready"
echo "topology ready: $url"
echo "  REST:      POST $url/webhooks/rest/webhook {\"sender\": \"me\", \"message\": \"AWD仓储费多少？\"}"
echo "  socket.io: $url/socket.io/   (the chat page: make run with CHAT_SOCKET_URL=$url)"
echo "  metrics:   $(printf "http://$HOST:%s/metrics " "${rasa_ports[@]}" "$ACTIONS_PORT")(each replica its own; not through nginx)"
echo "  ${#rasa_ports[@]} Rasa replicas, action server, PostgreSQL :$PG_PORT, Redis :$REDIS_PORT; logs in $dir/logs"
echo "  components: .venv/bin/supervisorctl -c $sup_conf status   (each restarted when it exits); Ctrl-C stops all"

# Run until Ctrl-C / SIGTERM (the supervisor restarts what exits meanwhile), or until the supervisor
# itself exits.
set +e
wait "$sup_pid"
echo "the supervisor exited (status $?); see $dir/logs/supervisord.log" >&2
sup_pid=""
exit 1
