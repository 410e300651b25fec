#!/usr/bin/env bash
# Cross-builds unit test executables for arm64 (Debian's aarch64 cross compiler, the :arm64
# libraries and Boost.Log overlay of layer/build.sh, GoogleTest from libgtest-dev:arm64) and runs
# them under qemu-aarch64 on this x86_64 machine. They are linked statically, like the layer's
# binary, so nothing of the build machine's is loaded at run time.
#
# usage: layer/test-arm64.sh [unit_MODULE ...]
#   default: unit_telemetry unit_pipeline unit_sinks unit_config unit_aws unit_net unit_lambda
#   build dir: build/arm64-tests. Exit status 0 when every executable passed.
set -euo pipefail
cd "$(dirname "$0")/.."

default_targets=(unit_telemetry unit_pipeline unit_sinks unit_config unit_aws unit_net unit_lambda)
targets=("$@")
((${#targets[@]})) || targets=("${default_targets[@]}")
build=build/arm64-tests

layer/build.sh arm64-deps
qemu="$(command -v qemu-aarch64 || command -v qemu-aarch64-static)"

started=$SECONDS
cmake -S . -B "$build" -G Ninja --toolchain layer/aarch64-linux-gnu.cmake \
  -DCMAKE_BUILD_TYPE=Release -DLTF_STATIC=ON -DLTF_BUILD_TESTS=ON \
  -DOPENSSL_USE_STATIC_LIBS=ON -DZLIB_USE_STATIC_LIBS=ON >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"
built=$SECONDS

passed=0 failed=0
for target in "${targets[@]}"; do
  exe="$build/test/$target"
  file "$exe" | grep -q "ARM aarch64" || { echo "arm64: $exe is not an arm64 executable" >&2; exit 1; }
  t0=$SECONDS
  # From the build directory: with CCACHE_BASEDIR set, __FILE__ (which some tests use to find
  # files beside them) is relative to it.
  if (cd "$build" && "$qemu" -L /usr/aarch64-linux-gnu "test/$target" --gtest_brief=1) \
       > "$build/$target.log" 2>&1; then
    passed=$((passed + 1)); verdict=ok
  else
    failed=$((failed + 1)); verdict=FAILED
    cat "$build/$target.log" >&2
  fi
  echo "arm64: $target under qemu: $verdict ($(grep -o '[0-9]* tests\? from [0-9]* test suites\? ran' "$build/$target.log" | head -1), $((SECONDS - t0)) s)"
done
echo "arm64: build $((built - started)) s, tests $((SECONDS - built)) s"
echo "arm64 unit tests: $passed passed, $failed failed"
((failed == 0))
