#!/usr/bin/env bash
# The demo on the shipped sample creator (examples/creator): every rung of the ladder, for real.
#   scripts/demo.sh [WORKSPACE_DIR]      (make demo runs it after fetching models and building)
set -euo pipefail
cd "$(dirname "$0")/.."
WS=${1:-target/demo-workspace}
Q=${QUILL_BIN:-target/release/quill}
[[ -x $Q ]] || { echo "error: $Q not built; run 'make build' (or 'make demo')" >&2; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
rm -rf "$WS"

step "1. A workspace for the sample creator"
"$Q" init "$WS" --name "Maya Okafor"
export QUILL_WORKSPACE=$WS

step "2. Import her voice & example library"
"$Q" library import examples/creator/library
"$Q" library stats
