#!/usr/bin/env bash
# Builds and runs the whole test suite. Usage: scripts/test.sh [debug|release|asan] (default debug).
# Installs what the build needs (scripts/setup.sh) and what only the tests need: GoogleTest,
# Google Benchmark, nginx (a real TLS server for the integration tests; not started as a
# service) and python3-botocore (the SigV4 differential test).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-debug}"

scripts/setup.sh libgtest-dev libgmock-dev libbenchmark-dev python3 nginx python3-botocore
cmake --preset "$preset" -DLTF_BUILD_TESTS=ON >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" --timeout 600
