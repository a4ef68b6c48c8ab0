#!/usr/bin/env bash
# Creates (once) the Python virtual environment used only to make reference fixtures and to run
# the comparison benchmarks: torch, transformers, peft, gguf, tokenizers. lorasb itself never
# needs Python. Prints the path of the environment's python.
set -euo pipefail
VENV="${LORASB_VENV:-$HOME/.cache/lorasb/venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torch, transformers, peft, gguf, tokenizers" 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q torch transformers peft gguf tokenizers safetensors numpy sentencepiece jinja2 >&2
fi
echo "$VENV/bin/python"
