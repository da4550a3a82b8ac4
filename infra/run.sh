#!/usr/bin/env bash
# Runs the whole system on this machine, from a fresh clone, installing what it needs:
#   - the Python virtualenv with the local AWS emulator (moto server, pinned);
#   - the local AWS emulator, on a free port with its own state (.local/emulator-run);
#   - the local runner (every handler in one process, the simulated phone network) built with cargo.
# With no arguments it runs the demo campaign and shows it live; `--provider retell|vapi` runs the
# demo with its agent on that platform (the real adapter against a local fake of its API); any other
# arguments go to the runner instead (`./infra/run.sh --help` lists them; `./infra/run.sh --port
# 8080` just serves the API).
# Ctrl-C stops everything it started, the emulator included.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./infra/python-env.sh
echo "==> Building the local runner (first time: a few minutes)" >&2
cargo build --quiet --locked -p local-runner --bin campaigns-local
export EMULATOR_STATE="$root/.local/emulator-run"
./infra/emulator.sh stop
eval "$(./infra/emulator.sh start)"
trap './infra/emulator.sh stop' EXIT
trap 'exit 130' INT TERM
if [[ $# -eq 0 || "$1" == --provider* ]]; then
  # `./infra/run.sh --provider retell|vapi`: the demo with its agent on that platform's fake.
  set -- --demo "$@"
fi
"${CARGO_TARGET_DIR:-$root/target}/debug/campaigns-local" "$@"
