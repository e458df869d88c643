#!/usr/bin/env bash
# A real ReHome cluster on loopback, as separate processes: redis-server, 3 silos (Redis clustering and
# storage) and 2 gateways (Orleans clients). See deploy/README.md.
#
#   deploy/local-cluster.sh start [--no-build]   build (Release) once, start everything, wait until ready
#   deploy/local-cluster.sh stop                 stop what `start` recorded, by PID (never by name)
#   deploy/local-cluster.sh status               PIDs and /health/ready of every process
#   deploy/local-cluster.sh smoke [args…]        run the smoke command against this cluster
#   deploy/local-cluster.sh token USER [--hours N]  print a viewer token for USER, signed with this cluster's key
#
# Ports and paths come from the environment (defaults in brackets):
#   REHOME_RUN_DIR [deploy/.run]     pid files, logs, Redis data, the generated keys (env file)
#   REHOME_REDIS_PORT [21379]
#   REHOME_SILO_PORT_BASE [21110]    silo i listens on +i (silo-to-silo)
#   REHOME_SILO_GATEWAY_PORT_BASE [21130]  silo i takes Orleans clients on +i
#   REHOME_SILO_HTTP_PORT_BASE [21180]     silo i serves /health, /metrics and /dashboard on +i
#   REHOME_GATEWAY_PORTS ["21080 21081"]   one gateway per port
#   REHOME_NGINX_PORT [21088]        nginx in front of the gateways (deploy/nginx/rehome.conf), when nginx is installed; 0: none
#   REHOME_SILOS [3]
# The defaults lie below Linux's ephemeral range (32768-60999, /proc/sys/net/ipv4/ip_local_port_range), so an
# outgoing connection never holds one of them; a port that is taken anyway is named with the variable that moves it.
#   REHOME_SIGNING_KEY, REHOME_SERVICE_KEY  generated once per run dir when unset
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run_dir="$(mkdir -p "${REHOME_RUN_DIR:-$repo/deploy/.run}" && cd "${REHOME_RUN_DIR:-$repo/deploy/.run}" && pwd)"
redis_port="${REHOME_REDIS_PORT:-21379}"
silo_port_base="${REHOME_SILO_PORT_BASE:-21110}"
silo_gateway_port_base="${REHOME_SILO_GATEWAY_PORT_BASE:-21130}"
silo_http_port_base="${REHOME_SILO_HTTP_PORT_BASE:-21180}"
read -r -a gateway_ports <<< "${REHOME_GATEWAY_PORTS:-21080 21081}"
nginx_port="${REHOME_NGINX_PORT:-21088}"
silos="${REHOME_SILOS:-3}"
configuration=Release
out() { echo "$repo/$1/bin/$configuration/net10.0/$2"; }
silo_dll="$(out Silo ReHome.Silo.dll)"
gateway_dll="$(out Gateway ReHome.Gateway.dll)"
smoke_dll="$(out deploy/Smoke ReHome.Smoke.dll)"

log() { printf '%s\n' "$*" >&2; }

# port_free PORT VARIABLE WHAT: fails with a clear message when something already listens on, or holds, PORT.
port_free() {
  local port="$1" variable="$2" what="$3" holder
  # A connection in TIME-WAIT (left by the last stop) does not keep a listener from binding the port.
  holder="$(ss -Htanp exclude time-wait "( sport = :$port )" 2>/dev/null | head -n 1)"
  [[ -z "$holder" ]] && return 0
  log "port $port ($what) is taken: $holder"
  log "stop what holds it, or move it: $variable=<another port> $0 start"
  if (( port >= 32768 && port <= 60999 )); then
    log "($port lies in Linux's ephemeral range 32768-60999, where outgoing connections take ports at random: prefer one below 32768.)"
  fi
  return 1
}

check_ports() {
  local i port ok=0
  owned_pid redis > /dev/null || port_free "$redis_port" REHOME_REDIS_PORT redis-server || ok=1
  for ((i = 1; i <= silos; i++)); do
    owned_pid "silo$i" > /dev/null && continue
    port_free $((silo_port_base + i)) REHOME_SILO_PORT_BASE "silo$i silo-to-silo" || ok=1
    port_free $((silo_gateway_port_base + i)) REHOME_SILO_GATEWAY_PORT_BASE "silo$i client gateway" || ok=1
    port_free $((silo_http_port_base + i)) REHOME_SILO_HTTP_PORT_BASE "silo$i HTTP" || ok=1
  done
  i=0
  for port in "${gateway_ports[@]}"; do
    i=$((i + 1))
    owned_pid "gateway$i" > /dev/null || port_free "$port" REHOME_GATEWAY_PORTS "gateway$i" || ok=1
  done
  if (( nginx_port > 0 )) && command -v nginx > /dev/null; then
    owned_pid nginx > /dev/null || port_free "$nginx_port" REHOME_NGINX_PORT nginx || ok=1
  fi
  return $ok
}

# The command line of a recorded PID must still name what we started, or the PID was reused: leave it alone.
owned_pid() {
  local name="$1" pid
  [[ -f "$run_dir/$name.pid" ]] || return 1
  pid="$(cat "$run_dir/$name.pid")"
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$(cat "$run_dir/$name.cmd")" || return 1
  echo "$pid"
}

# start NAME MARKER CMD… : runs CMD in the background with its output in NAME.log and records its PID.
launch() {
  local name="$1" marker="$2"; shift 2
  if pid="$(owned_pid "$name")"; then
    log "$name already runs (pid $pid)"; return
  fi
  nohup "$@" > "$run_dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$run_dir/$name.pid"
  printf '%s' "$marker" > "$run_dir/$name.cmd"
  log "started $name (pid $!), log $run_dir/$name.log"
}

wait_http() {
  local name="$1" url="$2" deadline=$((SECONDS + ${REHOME_START_TIMEOUT:-120}))
  until curl -fs -o /dev/null --max-time 2 "$url"; do
    if ! owned_pid "$name" > /dev/null; then
      log "$name exited; last lines of its log:"; tail -n 20 "$run_dir/$name.log" >&2
      if grep -qi "address already in use" "$run_dir/$name.log"; then
        log "$name lost a race for one of its ports (taken between the check and the start): see the log line above, free it or move it, then start again"
      fi
      return 1
    fi
    if (( SECONDS > deadline )); then log "$name not ready at $url in time"; return 1; fi
    sleep 0.5
  done
  log "$name ready ($url)"
}

# The env file: the keys are generated once per run dir (tokens and backends keep working across restarts); the
# Redis port and the gateways' URLs are written from this run's settings every time, so a moved port is followed.
load_env() {
  mkdir -p "$run_dir"
  local signing="${REHOME_SIGNING_KEY:-}" service="${REHOME_SERVICE_KEY:-}"
  if [[ -f "$run_dir/env" ]]; then
    # shellcheck disable=SC1091
    source "$run_dir/env"
    signing="${signing:-${Auth__SigningKey:-}}"
    service="${service:-${Auth__ServiceKeys__0:-}}"
  fi
  signing="${signing:-$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')}"
  service="${service:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
  (
    umask 077
    cat > "$run_dir/env" <<ENV
export Redis__ConnectionString='127.0.0.1:$redis_port,abortConnect=false'
export Auth__SigningKey='$signing'
export Auth__ServiceKeys__0='$service'
export REHOME_GATEWAYS='$(printf 'http://127.0.0.1:%s ' "${gateway_ports[@]}" | sed 's/ $//')'
ENV
  )
  # shellcheck disable=SC1091
  source "$run_dir/env"
}

start() {
  local build=1
  [[ "${1:-}" == "--no-build" ]] && build=0
  command -v redis-server > /dev/null || { log "redis-server is missing (apt-get install redis-server)"; exit 1; }
  if (( build )); then
    log "building (Release)…"
    # The gateway references the silo; the smoke command is built for `smoke`.
    for project in Gateway deploy/Smoke; do
      dotnet build "$repo/$project" -c "$configuration" -nologo -v quiet > "$run_dir.build.log" 2>&1 \
        || { cat "$run_dir.build.log" >&2; exit 1; }
    done
  fi
  load_env
  check_ports || exit 1
  "$repo/deploy/loopback-tcp.sh" check || true
  mkdir -p "$run_dir/redis"

  # Redis keeps membership, grain state and stream subscriptions: persist them (AOF) so a Redis restart loses nothing.
  launch redis "redis-server 127.0.0.1:$redis_port" redis-server --port "$redis_port" --bind 127.0.0.1 \
    --dir "$run_dir/redis" --appendonly yes --save "" --protected-mode yes
  local redis_deadline=$((SECONDS + ${REHOME_START_TIMEOUT:-120}))
  until redis-cli -p "$redis_port" ping > /dev/null 2>&1; do
    # Alive, not owned_pid: redis-server takes the title owned_pid looks for only once it runs.
    if ! kill -0 "$(cat "$run_dir/redis.pid")" 2> /dev/null || (( SECONDS > redis_deadline )); then
      log "redis-server is not answering on port $redis_port; last lines of its log:"; tail -n 20 "$run_dir/redis.log" >&2
      exit 1
    fi
    sleep 0.2
  done

  local i
  for ((i = 1; i <= silos; i++)); do
    Silo__Port=$((silo_port_base + i)) Silo__GatewayPort=$((silo_gateway_port_base + i)) \
      Urls="http://127.0.0.1:$((silo_http_port_base + i))" ASPNETCORE_ENVIRONMENT=Production \
      launch "silo$i" "$silo_dll" dotnet "$silo_dll"
  done
  for ((i = 1; i <= silos; i++)); do
    wait_http "silo$i" "http://127.0.0.1:$((silo_http_port_base + i))/health/ready"
  done

  i=0
  for port in "${gateway_ports[@]}"; do
    i=$((i + 1))
    (cd "$repo/Gateway" && Urls="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production \
      launch "gateway$i" "$gateway_dll" dotnet "$gateway_dll")
  done
  i=0
  for port in "${gateway_ports[@]}"; do
    i=$((i + 1))
    wait_http "gateway$i" "http://127.0.0.1:$port/health/ready"
  done

  if (( nginx_port > 0 )) && command -v nginx > /dev/null; then
    local upstreams=() conf
    for port in "${gateway_ports[@]}"; do upstreams+=("127.0.0.1:$port"); done
    conf="$("$repo/deploy/nginx/render.sh" "$run_dir/nginx" "$nginx_port" "${upstreams[@]}")"
    launch nginx "nginx -c $conf" nginx -c "$conf" -g 'daemon off;'
    wait_http nginx "http://127.0.0.1:$nginx_port/health/ready"
    log "nginx: http://127.0.0.1:$nginx_port (WebSockets to any gateway, no stickiness)"
  fi

  log ""
  log "cluster up. Gateways: $REHOME_GATEWAYS"
  log "keys and connection string: $run_dir/env (source it to use them)"
  log "smoke test: deploy/local-cluster.sh smoke    stop: deploy/local-cluster.sh stop"
}

# stop NAME: SIGTERM (graceful: silos hand off their grains), then SIGKILL after a grace period.
stop_one() {
  local name="$1" pid
  if pid="$(owned_pid "$name")"; then
    kill -TERM "$pid" 2> /dev/null || true # it may have exited since the check
    # Longer than the host's own 30 s stop deadline (.NET's shutdownTimeoutSeconds), so that deadline comes first.
    for _ in $(seq 1 "${REHOME_STOP_TIMEOUT:-35}0"); do
      [[ -d "/proc/$pid" ]] || break
      sleep 0.1
    done
    if [[ -d "/proc/$pid" ]]; then
      log "$name (pid $pid) did not stop; killing it"
      kill -KILL "$pid" 2> /dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$run_dir/$name.pid" "$run_dir/$name.cmd"
}

stop() {
  local name
  stop_one nginx
  # Clients first, then silos (one at a time, so each hands its grains to the rest), Redis last.
  for name in $(cd "$run_dir" 2>/dev/null && ls gateway*.pid 2>/dev/null | sed 's/\.pid$//'); do stop_one "$name"; done
  for name in $(cd "$run_dir" 2>/dev/null && ls silo*.pid 2>/dev/null | sed 's/\.pid$//'); do stop_one "$name"; done
  stop_one redis
}

status() {
  local name pid url
  for file in "$run_dir"/*.pid; do
    [[ -f "$file" ]] || { log "nothing recorded in $run_dir"; return; }
    name="$(basename "$file" .pid)"
    if pid="$(owned_pid "$name")"; then
      url="$(tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | sed -n 's/^Urls=//p')"
      if [[ -n "$url" ]]; then
        printf '%-10s pid %-7s %s/health/ready: %s\n' "$name" "$pid" "$url" \
          "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$url/health/ready" || true)"
      else
        printf '%-10s pid %-7s\n' "$name" "$pid"
      fi
    else
      printf '%-10s not running\n' "$name"
    fi
  done
}

smoke() {
  load_env
  # Redis__ConnectionString, Auth__SigningKey and REHOME_GATEWAYS come from the env file.
  exec dotnet "$smoke_dll" "$@"
}

token() {
  load_env
  exec dotnet "$smoke_dll" --mint-token "$@"
}

case "${1:-}" in
  start) shift; mkdir -p "$run_dir"; start "$@" ;;
  stop) stop ;;
  status) status ;;
  smoke) shift; smoke "$@" ;;
  token) shift; token "$@" ;;
  *) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
