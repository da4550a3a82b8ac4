#!/usr/bin/env bash
# Builds every function's Lambda artifact with `sam build` (cargo-lambda cross-compiles for
# arm64 with zig; no Docker), installing the build tools into the project's .venv first.
# Then `sam deploy --guided` (docs/operations.md, "Deploy"). Prints each artifact's size.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./infra/python-env.sh
"$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r infra/requirements-build.txt >&2
# cargo-lambda finds zig through the first python3 on PATH: the venv's.
export PATH="$root/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
sam build "$@"
echo
echo "Artifacts (.aws-sam/build):"
for dir in .aws-sam/build/*Function; do
  [[ -f "$dir/bootstrap" ]] && printf '  %-22s %s\n' "$(basename "$dir")" "$(du -h "$dir/bootstrap" | cut -f1)"
done
