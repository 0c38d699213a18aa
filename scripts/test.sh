#!/usr/bin/env bash
# The whole test suite, as CI runs it. Model-dependent tests need the default models
# (scripts/fetch-models.sh, which `make test` runs first) and fail — not skip — without them.
set -euo pipefail
cd "$(dirname "$0")/.."
export QUILL_REFERENCE=${QUILL_REFERENCE:-$(cd .. && pwd)/shared/reference}
# Two cores: build with both, run test binaries two at a time.
cargo test --workspace --locked --no-fail-fast -- --test-threads=2
