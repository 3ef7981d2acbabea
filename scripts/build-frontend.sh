#!/usr/bin/env bash
# Installs the frontend's npm packages (from the lock file) and builds it into
# frontend/dist, which the Tauri app embeds at compile time.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
