#!/bin/sh
# Installs node dependencies when they are missing or older than the lockfile, so that
# `npm start` and `npm test` work on a fresh clone without a separate install step.
set -eu
cd "$(dirname "$0")/.."
marker=node_modules/.package-lock.json
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ]; then
  echo "medallion: installing node dependencies..."
  # `npm ci`: exactly the lockfile, which lists every platform's native packages
  # (test/production/lockfile.test.ts), so it installs the same on Linux, macOS and Windows.
  npm ci --no-audit --no-fund --loglevel=error
fi
