#!/usr/bin/env bash
# The main job: builds telemetry-forwarder and fake-lambda (Release), runs the extension under
# fake-lambda against a local recording sink, and prints what was delivered. Extra arguments go to
# fake-lambda (see build/release/src/fake-lambda --help), e.g.
#   scripts/demo.sh --invocations 1000 --lines 20
#   scripts/demo.sh --opensearch          # a fake OpenSearch instead of the HTTP sink
# It installs only what the build needs (scripts/setup.sh): no test tools, no services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release -DLTF_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release --target telemetry-forwarder fake-lambda
rm -rf build/demo/spill && mkdir -p build/demo  # each demo is a fresh sandbox: an empty /tmp
# The recording HTTP sink, unless the arguments choose another destination.
destination=(--sink)
for argument in "$@"; do
  case "$argument" in
    --opensearch|--sink|DISPATCH_POST_URI=*|URL=*) destination=() ;;
  esac
done
exec build/release/src/fake-lambda \
  --extension build/release/src/telemetry-forwarder \
  "${destination[@]}" --invocations 100 --lines 20 --line-bytes 120 \
  --env LTF_SPILL_DIR="$PWD/build/demo/spill" \
  --report build/demo/report.json "$@"
