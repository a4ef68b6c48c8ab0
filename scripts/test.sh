#!/usr/bin/env bash
# The whole test suite, on the real models: installs what is missing, then runs every test
# in a release build (the real-model tests are too slow unoptimised).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh --no-demo
# The real-size tests load Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB; the 1.5B tests run only
# where that file has been fetched too).
./scripts/fetch-qwen.sh 0.5b
swift test -c release "$@"
