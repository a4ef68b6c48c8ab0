#!/usr/bin/env bash
# Builds a real llama.cpp to check our GGUF files and generation against: the llama.cpp vendored
# in the llama-cpp-python sdist (pinned version and sha256), CPU only, tuned for this machine
# (GGML_NATIVE), into ${LORASB_CACHE:-~/.cache/lorasb}/llama.cpp/<version>/. Then compiles
# scripts/llama-cpp/logits.cpp (our logits and greedy-decoding probe) against its libllama.
# Prints the bin folder (llama-bench, llama-batched-bench, lorasb-logits).
#   ./scripts/llama-cpp.sh
# Idempotent: the sdist, the build and the probe are each redone only when missing (the probe
# also when its source changed). The build is per machine: GGML_NATIVE uses this CPU's features.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# llama-cpp-python 0.3.36 vendors ggml-org/llama.cpp@0c1e57098 (its CHANGELOG).
VERSION=0.3.36
SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
LLAMA_COMMIT=0c1e57098
CACHE="${LORASB_CACHE:-$HOME/.cache/lorasb}"
HOME_DIR="$CACHE/llama.cpp/$VERSION"
SDIST="$HOME_DIR/llama_cpp_python-$VERSION.tar.gz"
SRC="$HOME_DIR/src"            # the vendored llama.cpp
BUILD="$HOME_DIR/build"
BIN="$BUILD/bin"
PROBE_SRC="$ROOT/scripts/llama-cpp/logits.cpp"
JOBS="${LLAMA_CPP_JOBS:-$(nproc)}"
log() { echo "llama-cpp: $*" >&2; }
mkdir -p "$HOME_DIR"

# CMake and a C++ compiler come from Debian.
need_apt=()
command -v cmake >/dev/null || need_apt+=(cmake)
command -v g++ >/dev/null || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

# 1. The sdist. Only llama-cpp-python itself is fetched as source: `--no-binary :all:` would also
#    build its build dependencies (cmake, ninja) from source, which takes far longer than llama.cpp.
if ! echo "$SHA256  $SDIST" | sha256sum -c --status 2>/dev/null; then
  rm -f "$SDIST"
  log "downloading the llama-cpp-python $VERSION sdist"
  python3 -m pip download -q --no-deps --no-binary llama-cpp-python \
    "llama-cpp-python==$VERSION" -d "$HOME_DIR"
  echo "$SHA256  $SDIST" | sha256sum -c --status || {
    echo "llama-cpp: $SDIST does not have the pinned sha256 $SHA256" >&2; exit 1; }
fi

# 2. Its vendored llama.cpp.
if [ ! -f "$SRC/include/llama.h" ]; then
  log "extracting vendor/llama.cpp"
  rm -rf "$SRC" "$HOME_DIR/extract"
  mkdir -p "$HOME_DIR/extract"
  tar -xzf "$SDIST" -C "$HOME_DIR/extract" "llama_cpp_python-$VERSION/vendor/llama.cpp"
  mv "$HOME_DIR/extract/llama_cpp_python-$VERSION/vendor/llama.cpp" "$SRC"
  rm -rf "$HOME_DIR/extract"
fi

# 3. Only the targets we run: libllama (with ggml), llama-bench, llama-batched-bench.
#    No tests, examples, server, web UI or HTTPS (nothing is downloaded at run time).
TARGETS=(llama llama-bench llama-batched-bench)
if [ ! -x "$BIN/llama-bench" ] || [ ! -x "$BIN/llama-batched-bench" ] || [ ! -f "$BIN/libllama.so" ]; then
  log "building llama.cpp $LLAMA_COMMIT (-j$JOBS)"
  start=$(date +%s)
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_BUILD_COMMIT="$LLAMA_COMMIT" -DLLAMA_BUILD_NUMBER=0 >"$HOME_DIR/cmake-configure.log" 2>&1 \
    || { echo "llama-cpp: cmake configure failed, see $HOME_DIR/cmake-configure.log" >&2; exit 1; }
  cmake --build "$BUILD" --target "${TARGETS[@]}" -j "$JOBS" >"$HOME_DIR/cmake-build.log" 2>&1 \
    || { echo "llama-cpp: build failed, see $HOME_DIR/cmake-build.log" >&2; exit 1; }
  log "built in $(( $(date +%s) - start )) s"
fi

# 4. Our probe, against this exact version's include/llama.h. The stamp holds the source's hash,
#    so an edited logits.cpp is recompiled.
PROBE="$BIN/lorasb-logits"
STAMP="$BIN/lorasb-logits.sha256"
probe_hash=$(sha256sum "$PROBE_SRC" | cut -d' ' -f1)
if [ ! -x "$PROBE" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$probe_hash" ]; then
  log "compiling $PROBE_SRC"
  g++ -std=c++17 -O2 -o "$PROBE" "$PROBE_SRC" \
    -I "$SRC/include" -I "$SRC/ggml/include" -I "$SRC/vendor" \
    -L "$BIN" -lllama -lggml -lggml-base -Wl,-rpath,"$BIN"
  echo "$probe_hash" > "$STAMP"
fi

echo "$BIN"
