#!/usr/bin/env bash
# Side-by-side comparison with the PyTorch reference (see BENCHMARKS.md):
#   Benchmarks/reference/compare.sh [--repetitions N] [--json FILE] [workload ...]
# Builds the Benchmarks executable in release, creates the reference virtual environment when
# missing (scripts/reference-venv.sh), then alternates ours and the reference per workload.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
swift build -c release --product Benchmarks >&2
PYTHON="$("$ROOT/scripts/reference-venv.sh")"
exec "$PYTHON" "$ROOT/Benchmarks/reference/compare.py" \
    --benchmarks "$ROOT/.build/release/Benchmarks" --python "$PYTHON" "$@"
