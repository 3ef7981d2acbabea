#!/usr/bin/env bash
# Runs the end-to-end tests in the real app window: a virtual X display, the
# WebDriver bridge (tauri-driver + WebKitWebDriver), then node's test runner.
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/handset-target}"
APP="$CARGO_TARGET_DIR/debug/handset"
[ -x "$APP" ] || { echo "build the app first: cargo build -p handset"; exit 1; }
command -v tauri-driver >/dev/null || { echo "tauri-driver missing: run scripts/install-deps.sh"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DISPLAY_NUM=$(( 90 + RANDOM % 100 ))
PORT=$(free_port)
NATIVE_PORT=$(free_port)
WORK=$(mktemp -d)
cleanup() {
  [ -n "${DRIVER_PID:-}" ] && kill "$DRIVER_PID" 2>/dev/null || true
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null || true
  [ -n "${DBUS_PID:-}" ] && kill "$DBUS_PID" 2>/dev/null || true
  pkill -f "$APP" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUM"
# the app keeps its data here, never in the user's own profile
export XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config" HOME_FOR_TEST="$WORK"
export WEBKIT_DISABLE_COMPOSITING_MODE=1
# no sound card on a CI machine: calls run on the null audio backend (silence)
export HANDSET_AUDIO=null
# a session bus of its own, as a desktop session has: single-instance hand-over,
# notifications and the keyring talk over it
DBUS_INFO=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
export DBUS_SESSION_BUS_ADDRESS=$(echo "$DBUS_INFO" | sed -n 1p)
DBUS_PID=$(echo "$DBUS_INFO" | sed -n 2p)
tauri-driver --port "$PORT" --native-port "$NATIVE_PORT" >"$WORK/driver.log" 2>&1 &
DRIVER_PID=$!
for _ in $(seq 50); do
  curl -s "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break
  sleep 0.1
done

export HANDSET_WEBDRIVER="http://127.0.0.1:$PORT"
export HANDSET_APP="$APP"
export HANDSET_SCREENSHOTS="${HANDSET_SCREENSHOTS:-$CARGO_TARGET_DIR/e2e-screenshots}"
if ! node --test --test-concurrency=1 tests/e2e/*.test.mjs; then
  echo "--- tauri-driver log"; tail -50 "$WORK/driver.log"
  exit 1
fi
