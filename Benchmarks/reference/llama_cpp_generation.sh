#!/usr/bin/env bash
# Generation speed against llama.cpp on the same GGUF files (see BENCHMARKS.md, "Generation
# against llama.cpp"):
#   Benchmarks/reference/llama_cpp_generation.sh [--threads N] [--llama-threads N] [--precision fp32|q8]
#       [--repetitions N] [--batches 1,8] [--json FILE] [smollm2|qwen0.5b|qwen1.5b ...]
# Builds the Benchmarks executable in release and llama.cpp (scripts/llama-cpp.sh, once), then
# alternates ours and llama.cpp per model and batch (llama_cpp_generation.py).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
swift build -c release --product Benchmarks >&2
LLAMA_BIN="$("$ROOT/scripts/llama-cpp.sh")"
exec python3 "$ROOT/Benchmarks/reference/llama_cpp_generation.py" \
    --benchmarks "$ROOT/.build/release/Benchmarks" --llama-bin "$LLAMA_BIN" "$@"
