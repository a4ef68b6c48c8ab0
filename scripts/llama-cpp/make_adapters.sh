#!/usr/bin/env bash
# Makes the two small adapter folders the llama.cpp parity fixtures use
# (Tests/Fixtures/llamacpp/adapters/): a few steps on a GSM8K slice, at a learning rate large
# enough that the adapter clearly moves the logits (these adapters are for checking our exports,
# not for answering questions). Both target q, k and down: llama-arch GGUFs store q and k with
# their rows permuted for llama.cpp's RoPE, which an exported adapter must follow, and down is an
# FFN matrix of another shape.
#   SmolLM2-135M   LoRA-SB, r = 4 (B R A: the exporter folds R into a factor)
#   Qwen2.5-0.5B   LoRA, r = 2, alpha = 4 (a scale of 2 the exporter must carry)
# Only adapter_config.json and adapter.safetensors are kept (no metrics or checkpoints).
#   ./scripts/llama-cpp/make_adapters.sh [smollm2|qwen]   (default both)
set -euo pipefail
cd "$(dirname "$0")/../.."
LORASB=${LORASB:-.build/release/lorasb}
CACHE="${LORASB_CACHE:-$HOME/.cache/lorasb}"
MODELS="${LORASB_MODELS:-$CACHE/models}"
DATA="${LORASB_DATA:-../shared/data}/gsm8k"
OUT=Tests/Fixtures/llamacpp/adapters
[ -x "$LORASB" ] || { echo "make_adapters: $LORASB is missing: swift build -c release" >&2; exit 1; }
[ -f "$DATA/train.jsonl" ] || { echo "make_adapters: no GSM8K at $DATA (set LORASB_DATA)" >&2; exit 1; }
mkdir -p "$OUT"

train() { # name model extra-flags...
  local name=$1 model=$2; shift 2
  local run
  run=$(mktemp -d)
  "$LORASB" train --model "$model" --data "$DATA" --prompt-field question --completion-field answer \
    --train-examples 64 --val-examples 8 --max-seq-len 160 --batch-size 2 --targets q,k,down \
    --warmup-ratio 0 --lr-schedule constant --steps-per-eval 0 --val-batches 0 --save-every 0 \
    --no-base-eval --seed 0 --adapter-path "$run" "$@"
  rm -rf "${OUT:?}/$name"
  mkdir -p "$OUT/$name"
  cp "$run/adapter_config.json" "$run/adapter.safetensors" "$OUT/$name/"
  rm -rf "$run"
  du -sh "$OUT/$name"
}

which=${1:-both}
if [ "$which" = both ] || [ "$which" = smollm2 ]; then
  train smollm2-lora-sb "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" \
    --method lora-sb --rank 4 --init-samples 8 --init-lr 5e-4 --iters 8 --learning-rate 2e-3
fi
if [ "$which" = both ] || [ "$which" = qwen ]; then
  train qwen2.5-0.5b-lora "$MODELS/Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf" \
    --method lora --rank 2 --alpha 4 --iters 8 --learning-rate 3e-3
fi
