#!/usr/bin/env bash
# Contract test: schemathesis checks live responses of the locally served API against its
# OpenAPI document (status codes, media types, response schemas, no server errors, auth not
# ignored, resources available after creation). Needs AWS_ENDPOINT_URL (the emulator) and the
# Python environment; run by ./infra/test.sh.
#
# Every check runs, in every phase (examples, coverage, fuzzing, stateful), with a fixed seed
# (`CONTRACT_SEED`; `CONTRACT_EXAMPLES` raises the examples per operation for a longer local run,
# e.g. `CONTRACT_EXAMPLES=200 ./infra/contract-test.sh`). Before it, infra/contract_seed.py creates
# real objects through the API and hands their ids to the id-taking operations; the document's
# links chain ids in the stateful phase. infra/schemathesis.toml makes "operations answered only
# 404" and "generated bodies mostly refused" failures, and lists the few documented exceptions.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${AWS_ENDPOINT_URL:?start the emulator first}"
cargo build --quiet --locked -p local-runner --bin campaigns-local
log="$(mktemp)"
"${CARGO_TARGET_DIR:-$root/target}/debug/campaigns-local" --port 0 >"$log" 2>&1 &
runner=$!
trap 'kill $runner 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  grep -q '^Demo key:' "$log" && break
  kill -0 "$runner" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
url="$(sed -n 's/^API: *\(http[^ ]*\)\/v1 .*/\1/p' "$log")"
key="$(sed -n 's/^Demo key: *//p' "$log")"
[[ -n "$url" && -n "$key" ]] || { cat "$log" >&2; exit 1; }
config="$(mktemp)"
ids="$(mktemp)"
trap 'kill $runner 2>/dev/null || true; rm -f "$log" "$config" "$ids"' EXIT
cp infra/schemathesis.toml "$config"
"$root/.venv/bin/python" infra/contract_seed.py "$url" "$key" "$ids" >>"$config"
CONTRACT_IDS="$ids" SCHEMATHESIS_HOOKS="$root/infra/contract_hooks.py" \
"$root/.venv/bin/schemathesis" --config-file "$config" run "$url/v1/openapi.json" \
  --header "Authorization: Bearer $key" \
  --max-examples "${CONTRACT_EXAMPLES:-20}" --seed "${CONTRACT_SEED:-20261204}" --no-color
