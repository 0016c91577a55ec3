#!/bin/sh
# Installs node dependencies when they are missing or older than the lockfile, so that
# `npm start` and `npm test` work on a fresh clone without a separate install step.
set -eu
cd "$(dirname "$0")/.."
marker=node_modules/.package-lock.json
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ]; then
  echo "medallion: installing node dependencies..."
  # `npm install` rather than `npm ci`: it installs the lockfile's versions too, and it accepts a
  # lockfile that records only this platform's optional native packages, which `npm ci` refuses.
  npm install --no-audit --no-fund --loglevel=error
fi
