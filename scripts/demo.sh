#!/usr/bin/env bash
# The main job: builds the release binaries, runs telemetry-forwarder under fake-lambda against a
# local recording sink, and prints what was delivered. Extra arguments go to fake-lambda
# (see build/release/src/fake-lambda --help), e.g. scripts/demo.sh --invocations 1000 --lines 20
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target telemetry-forwarder fake-lambda
rm -rf build/demo/spill && mkdir -p build/demo  # each demo is a fresh sandbox: an empty /tmp
exec build/release/src/fake-lambda \
  --extension build/release/src/telemetry-forwarder \
  --sink --invocations 100 --lines 20 --line-bytes 120 \
  --env LTF_SPILL_DIR="$PWD/build/demo/spill" \
  --report build/demo/report.json "$@"
