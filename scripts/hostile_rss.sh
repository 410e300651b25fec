#!/usr/bin/env bash
# Peak RSS under every hostile-peer test: each test run alone (its own process) under
# /usr/bin/time -v, its whole-process peak ("Maximum resident set size") printed beside the figures
# the test records itself ([  FIGURE  ] lines: growth of VmHWM over the test's own work). Prints a
# Markdown table, the one in docs/hostile.md. Usage: scripts/hostile_rss.sh [build dir]
# (default build/debug, built with -DLTF_BUILD_TESTS=ON). Fails when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/debug}"

# binary:gtest filter of the hostile-peer tests (destinations, the listener's clients, answers).
suites=(
  "test/unit_net:HttpServerHostile.*:HttpServerTimeouts.*:HttpFraming.*:*HttpHostileDestination.*:HttpBodyReader.*"
  "test/unit_telemetry:SmallListenerTest.Oversized*:Listener.APostOverTheBodiesBudget*"
  "test/unit_sinks:OpenSearchAnswer.*:OpenSearchStreamedAnswer.*"
  "test/integration:*HostileDestinations.*:Faults.*:Forwarder.HangingSink*:Forwarder.SinkAnsweringGarbage*"
)

[ -x /usr/bin/time ] || { echo "hostile_rss: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
echo "| test | peak RSS of the process | figures the test recorded |"
echo "|---|---|---|"
status=0
for entry in "${suites[@]}"; do
  binary="$build/${entry%%:*}"
  filter="${entry#*:}"
  [ -x "$binary" ] || { echo "hostile_rss: $binary is not built" >&2; exit 1; }
  # --gtest_list_tests prints "Suite." lines and indented test names (parameterised ones with a
  # "# GetParam() = ..." comment after them).
  tests=$("$binary" --gtest_list_tests --gtest_filter="$filter" |
          awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}')
  for t in $tests; do
    out=$(mktemp)
    if ! /usr/bin/time -v "$binary" --gtest_filter="$t" >"$out" 2>&1; then
      echo "hostile_rss: $t failed (output in $out)" >&2
      status=1
      continue
    fi
    peak_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$out")
    figures=$(sed -n 's/^\[  FIGURE  \] //p' "$out" | paste -sd ';' - | sed 's/;/; /g')
    printf '| %s | %s MiB | %s |\n' "$t" "$(awk -v k="$peak_kb" 'BEGIN {printf "%.1f", k / 1024}')" "$figures"
    rm -f "$out"
  done
done
exit $status
