#!/usr/bin/env bash
# Runs a benchmark against a fresh local AWS emulator and prints its results table.
#   ./infra/bench.sh dispatch     AWS requests per dial attempt and per tick
#   ./infra/bench.sh export       export of 100,000 leads: time and peak RSS
#   ./infra/bench.sh twilio       Twilio webhook requests per answered call, end to end
#   ./infra/bench.sh first-call   launch -> first create-call request, 20 launches at 1x
#   ./infra/bench.sh cold-start   each function's release binary against a fake Lambda Runtime API
#   ./infra/bench.sh noisy-neighbour  one tenant doing its worst beside two ordinary ones, with
#                                 and without isolation (NOISY_LEADS, ORDINARY_LEADS)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./infra/python-env.sh
export EMULATOR_STATE="$root/.local/emulator-bench"
eval "$(./infra/emulator.sh start)"
trap './infra/emulator.sh stop' EXIT
case "${1:-}" in
  dispatch) cargo run -q -p system-tests --example dispatch_requests ;;
  export) cargo bench -q -p results --bench export ;;
  twilio) cargo run -q -p system-tests --example twilio_webhooks ;;
  first-call) cargo run -q -p system-tests --example first_call ;;
  noisy-neighbour) cargo run -q -p system-tests --example noisy_neighbour ;;
  cold-start)
    # The functions and the yardstick built with the release profile (as sam build does, for
    # this machine's architecture), then measured by a (debug) benchmark driver.
    cargo build -q --release --locked -p api -p call-events -p dialer -p importer -p results \
      -p tick -p webhooks -p trivial-lambda
    cargo run -q -p system-tests --example cold_start ;;
  *) echo "usage: $0 dispatch|export|twilio|first-call|cold-start|noisy-neighbour" >&2; exit 2 ;;
esac
