#!/usr/bin/env bash
# Installs every system package Handset needs to build, run and test on Debian 12.
# Idempotent: packages already present are skipped by apt; safe to run before every build.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(
  # toolchain helpers and Tauri 2 / WebKitGTK 4.1 build dependencies
  build-essential pkg-config curl file ca-certificates
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev
  libxdo-dev libdbus-1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  # audio (WebRTC's echo canceller; its Rust binding runs bindgen, hence libclang)
  libasound2-dev libopus-dev libwebrtc-audio-processing-dev libclang-dev
  # SIP peers used by the tests
  kamailio kamailio-sqlite-modules kamailio-presence-modules
  kamailio-tls-modules kamailio-websocket-modules kamailio-extra-modules sqlite3
  baresip-core sip-tester linphone-cli
  # real-window tests
  xvfb webkit2gtk-driver xauth dbus-x11 gnome-keyring imagemagick
  # audio fixtures and checks
  sox espeak-ng openssl
)

missing=()
# Node.js may come from elsewhere than Debian (this machine kind ships it); only ask apt when absent.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Kamailio's package enables a system service on install; the tests start their own instances.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
  $SUDO systemctl stop kamailio || true
fi

# The WebDriver bridge for the real-window tests comes from crates.io.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "installing tauri-driver"
  cargo install tauri-driver --locked --version '^2'
fi
