#!/usr/bin/env bash
# Handset vs baresip benchmark (run by hand, never in CI). Prints one table and
# writes docs/benchmarks.md. Options are passed to bench.py (see --help), plus:
#   --no-build   use the handset-cli already built
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${HANDSET_BENCH_VENV:-$HOME/.cache/handset-bench-venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/handset-target-bench}"

build=1
args=()
for a in "$@"; do
  if [ "$a" = "--no-build" ]; then build=0; else args+=("$a"); fi
done

for tool in baresip espeak-ng python3.11; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed on the PATH" >&2; exit 2; }
done

if [ ! -x "$venv/bin/python" ]; then
  python3.11 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r "$here/requirements.txt"

if [ "$build" = 1 ]; then
  (cd "$repo" && cargo build --release -p handset-cli)
fi
export HANDSET_CLI="${HANDSET_CLI:-$CARGO_TARGET_DIR/release/handset-cli}"

exec "$venv/bin/python" "$here/bench.py" ${args[@]+"${args[@]}"}
