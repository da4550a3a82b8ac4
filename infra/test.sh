#!/usr/bin/env bash
# Runs every check and test, from a fresh clone, installing what it needs:
#   - the Python virtualenv with the local AWS emulator (moto server, pinned);
#   - cargo-nextest if the machine lacks it;
#   - Debian's chromium and chromium-driver for the console's browser tests, if missing;
# then format check, clippy (-D warnings), the domain, ports and engine dependency checks, the size limits, the template
# linters (sam validate --lint, cfn-lint), every test (unit, property, integration and end to
# end against the emulator) with cargo nextest, and the API contract test (schemathesis).
#
# Usage: ./infra/test.sh [extra nextest args]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"

step() { printf '\n==> %s\n' "$*"; }

step "Python environment (moto server)"
./infra/python-env.sh

if ! cargo nextest --version >/dev/null 2>&1; then
  step "Installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

step "Format"
cargo fmt --all -- --check

step "Clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "The domain crate stays pure (no AWS, async runtime or network crates)"
impure="$(cargo tree -p domain -e normal --prefix none --locked | grep -E '^(aws-|tokio|hyper|reqwest|h2 |rustls|mio )' || true)"
if [[ -n "$impure" ]]; then
  echo "domain depends on: $impure" >&2
  exit 1
fi

step "The ports crate has no AWS, runtime or network crates; the engine depends on domain and ports only"
impure="$(cargo tree -p ports -e normal --prefix none --locked | grep -E '^(aws-|tokio|hyper|reqwest|h2 |rustls|mio )' || true)"
if [[ -n "$impure" ]]; then
  echo "ports depends on: $impure" >&2
  exit 1
fi
impure="$(cargo tree -p engine -e normal --prefix none --locked | grep -E '^(aws-|adapters |hyper|reqwest|h2 |rustls|serde_dynamo)' || true)"
if [[ -n "$impure" ]]; then
  echo "engine depends on: $impure" >&2
  exit 1
fi

step "Function crates reach the store through ports: DynamoStore is named only in a main.rs"
concrete="$(grep -rln 'DynamoStore' functions/*/src | grep -v '/src/main.rs$' || true)"
if [[ -n "$concrete" ]]; then
  echo "these function sources name the concrete store; take the repositories (ports) instead:" >&2
  echo "$concrete" >&2
  exit 1
fi

step "Size limits: no new file over 600 lines, no new function over 80 (infra/size_limits.py)"
python3 infra/size_limits.py

step "Template: sam validate --lint, cfn-lint with the serverless rules (offline)"
(
  export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 SAM_CLI_TELEMETRY=0
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  .venv/bin/sam validate --lint --template template.yaml
  .venv/bin/cfn-lint template.yaml -a cfn_lint_serverless.rules
)

step "Chromium and ChromeDriver for the console's browser tests (Debian's packages)"
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
  as_root=()
  [[ "$(id -u)" -eq 0 ]] || as_root=(sudo)
  "${as_root[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q chromium chromium-driver
fi
/usr/bin/chromium --version

step "Local AWS emulator"
export EMULATOR_STATE="$root/.local/emulator-test"
emulator_env="$(./infra/emulator.sh start)"
eval "$emulator_env"
trap './infra/emulator.sh stop' EXIT

step "Tests"
cargo nextest run --workspace --locked --no-fail-fast "$@"

step "API contract: live responses against the OpenAPI document (schemathesis)"
./infra/contract-test.sh
