#!/usr/bin/env bash
# The local AWS emulator (moto server) for tests and the local runner.
#
#   eval "$(infra/emulator.sh start)"   start on a free 127.0.0.1 port; prints the env to use
#   infra/emulator.sh provision         create template.yaml's resources; prints their env
#   infra/emulator.sh stop              stop the server this checkout started
#
# State lives in .local/emulator (git-ignored): the PID, the port and the server's log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${EMULATOR_STATE:-$root/.local/emulator}"
mkdir -p "$state"

free_port() {
  "$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  "$root/infra/python-env.sh"
  if [[ -f "$state/pid" ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    port="$(cat "$state/port")"
  else
    port="$(free_port)"
    nohup "$root/.venv/bin/python" "$root/infra/emulator/server.py" -H 127.0.0.1 -p "$port" >"$state/server.log" 2>&1 &
    echo $! >"$state/pid"
    echo "$port" >"$state/port"
  fi
  pid="$(cat "$state/pid")"
  for _ in $(seq 1 150); do
    # The port must answer AND our process must be alive: if the port was taken, moto exits
    # while the other server keeps answering.
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "moto_server exited; see $state/server.log" >&2
      tail -5 "$state/server.log" >&2 || true
      exit 1
    fi
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
      echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port"
      echo "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
      return 0
    fi
    sleep 0.2
  done
  echo "moto_server did not answer on port $port within 30 s; see $state/server.log" >&2
  exit 1
}

stop() {
  if [[ -f "$state/pid" ]]; then
    pid="$(cat "$state/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 25); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/pid" "$state/port"
  fi
}

provision() {
  : "${AWS_ENDPOINT_URL:?start the emulator first: eval \"\$(infra/emulator.sh start)\"}"
  cargo run --quiet -p emulator --bin emulator -- provision --prefix "${1:-local}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  provision) shift; provision "$@" ;;
  *) echo "usage: $0 start|stop|provision [prefix]" >&2; exit 2 ;;
esac
