#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, preset "fuzz": clang, ASan + UBSan) and runs each for a
# set time. Fails when any harness crashes, leaks, times out or runs out of memory; the input that
# did it is left in build/fuzz/crashes/. Usage: scripts/fuzz.sh [seconds per harness] [harness...]
# (default 60 s, every harness). The committed seeds in fuzz/corpus/<harness>/ are never changed:
# what a run finds goes to build/fuzz/corpus/<harness>/, kept between runs on this machine.
# FUZZ_JOBS=N runs N harnesses at once (default 1); the table gives each one's CPU seconds, which
# is what it really got when more harnesses than cores share the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
  harnesses=(parse_batch bulk_response http_response retry_after spill_segment config url headers)
fi

scripts/setup.sh
# libFuzzer comes with clang's runtime libraries on Debian 12.
fuzz_packages=(clang libclang-rt-14-dev)
missing=()
for p in "${fuzz_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake --preset fuzz >/dev/null
cmake --build build/fuzz --target "${harnesses[@]/#/fuzz_}"

mkdir -p build/fuzz/crashes build/fuzz/logs
jobs="${FUZZ_JOBS:-1}"

# Runs one harness; leaves its table row in build/fuzz/logs/<harness>.row. Fails as the harness did.
run_one() {
  local h="$1" corpus="build/fuzz/corpus/$1" log="build/fuzz/logs/$1.log" cpu="build/fuzz/logs/$1.cpu"
  local status=0
  mkdir -p "$corpus"
  echo "fuzz: $h for ${seconds}s"
  # -timeout: one input taking longer than this is a failure (a hang, or a parse past a deadline);
  # -rss_limit_mb: so is growing past this much memory.
  local TIMEFORMAT='%U %S'
  if ! { time "build/fuzz/fuzz/fuzz_$h" "$corpus" "fuzz/corpus/$h" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/crashes/$h-" >"$log" 2>&1; } 2>"$cpu"; then
    echo "fuzz: $h FAILED; its log: $log"
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5 || true
    status=1
  fi
  local execs last cov ft cpu_s
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E "^#[0-9]+" "$log" | tail -1 || true)  # none when the first input crashed
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  cpu_s=$(awk '{ printf "%.0f", $1 + $2 }' "$cpu" 2>/dev/null || true)
  printf '%-15s %12s %8s %8s %8s %8s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$(find "$corpus" -type f | wc -l)" "${cpu_s:-?}" >"build/fuzz/logs/$h.row"
  return "$status"
}

status=0
running=0
for h in "${harnesses[@]}"; do
  if ((running >= jobs)); then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_one "$h" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || status=1
  running=$((running - 1))
done

printf '%-15s %12s %8s %8s %8s %8s\n' harness execs cov ft corpus cpu_s
for h in "${harnesses[@]}"; do cat "build/fuzz/logs/$h.row"; done
exit "$status"
