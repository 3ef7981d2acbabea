#!/usr/bin/env bash
# Installs what is missing, builds Handset and opens it on its embedded
# default: a local account that needs no PBX.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/handset-target}"

bash scripts/install-deps.sh
bash scripts/build-frontend.sh
cargo build -p handset -p handset-cli

exec "$CARGO_TARGET_DIR/debug/handset"
