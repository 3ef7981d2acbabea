#!/usr/bin/env bash
# Runs every test of Handset: Rust unit and integration tests (SIP core,
# transports, engine, interop against real Kamailio/baresip/SIPp peers), the
# frontend component tests, and the end-to-end tests of the real app window.
# Works on a fresh Debian 12 machine: installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/handset-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# the parser fuzz properties run this many cases each (bounded for CI)
export PROPTEST_CASES="${PROPTEST_CASES:-20000}"
# tests that need a peer must fail, not skip, when it is missing
export HANDSET_REQUIRE_PEERS=1

bash scripts/install-deps.sh
bash scripts/build-frontend.sh

echo "== build handset-cli (the interop tests drive it as a user would) and the app"
cargo build -p handset-cli -p handset

echo "== cargo test (workspace)"
cargo test --workspace --no-fail-fast

echo "== frontend component tests"
(cd frontend && npm test --silent)

echo "== end-to-end tests in the real app window"
bash tests/e2e/run.sh
