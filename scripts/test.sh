#!/usr/bin/env bash
# The whole test suite, on the real models: installs what is missing, then runs every test
# in a release build (the real-model tests are too slow unoptimised).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh --no-demo
swift test -c release "$@"
