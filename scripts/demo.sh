#!/usr/bin/env bash
# The demo on the shipped sample creator (examples/creator): every rung of the ladder, for real.
#   scripts/demo.sh [WORKSPACE_DIR]      (make demo runs it after fetching models and building)
set -euo pipefail
cd "$(dirname "$0")/.."
WS=${1:-target/demo-workspace}
Q=${QUILL_BIN:-target/release/quill}
OUT=$WS/out
[[ -x $Q ]] || { echo "error: $Q not built; run 'make build' (or 'make demo')" >&2; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Drafts exit 1 when a check fails (that is information, not a demo failure).
checked() { "$@" || [[ $? -eq 1 ]]; }
rm -rf "$WS"

step "1. A workspace for the sample creator"
"$Q" init "$WS" --name "Maya Okafor"
export QUILL_WORKSPACE=$WS
mkdir -p "$OUT"

step "2. Rung 1 — import her voice & example library"
"$Q" library import examples/creator/library
"$Q" library stats

step "3. Rung 3 — index her brand documents, then ask them a question"
"$Q" kb add examples/creator/docs
"$Q" kb search "what does the sprint cost and what is guaranteed?" --k 3

step "4. Rung 2 — the prompt linter on the seed's two prompts"
checked "$Q" prompt lint crates/quill-prompt/tests/fixtures/lazy.txt
"$Q" prompt lint crates/quill-prompt/tests/fixtures/structured.txt

step "5. Rung 2 — a structured prompt from a brief (examples chosen by relevance x performance, cited passages)"
"$Q" prompt --brief examples/creator/briefs/linkedin-onboarding.toml --explain > "$OUT/prompt.txt"
head -c 1500 "$OUT/prompt.txt"; echo " [...] (full prompt in $OUT/prompt.txt)"

step "6. Rung 5 — voice checks: lint generic AI posts, profile, score held-out vs generic, habits"
checked "$Q" lint examples/creator/generic/ | tail -n 15
"$Q" voice profile > /dev/null
"$Q" voice score examples/creator/heldout/*.md examples/creator/generic/*.md
checked "$Q" voice habits examples/creator/generic/

step "7. Draft with the local model (SmolLM2-135M), checked against the brief — before fine-tuning"
checked "$Q" draft --brief examples/creator/briefs/linkedin-onboarding.toml -n 1 --max-tokens 160 --seed 7

step "8. Rung 6 — a fine-tuning dataset from the library, validated"
"$Q" dataset build -o "$OUT/dataset"
"$Q" dataset validate "$OUT/dataset/openai/train.jsonl" --encoding local

step "9. Rung 6 — a short real LoRA fine-tune on CPU"
"$Q" tune --data "$OUT/dataset/openai" --name maya-demo --max-steps ${DEMO_TUNE_STEPS:-20} --batch 2 --max-seq 384
"$Q" tune list

step "10. The same brief with the adapter — after fine-tuning"
checked "$Q" draft --brief examples/creator/briefs/linkedin-onboarding.toml -n 1 --max-tokens 160 --seed 7 --adapter maya-demo

step "11. Export the adapter for PEFT, llama.cpp and Ollama"
"$Q" tune export maya-demo --format all -o "$OUT/export"
ls -l "$OUT/export"

step "12. The generation log"
"$Q" logs

printf '\nDemo finished. Workspace: %s\n' "$WS"
