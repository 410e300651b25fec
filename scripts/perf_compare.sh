#!/usr/bin/env bash
# Compares extensions side by side on this machine: each scenario runs under the same
# fake-lambda for every extension in turn, RUNS rounds interleaved (so load hits all alike),
# and prints a Markdown table of medians. A ratio between two columns holds on a noisy machine;
# an absolute figure does not.
#
# usage: scripts/perf_compare.sh RUNS NAME=EXTENSION [NAME=EXTENSION ...]
#   e.g. scripts/perf_compare.sh 10 before=/tmp/old/telemetry-forwarder \
#          after=build/layer/x86_64/extensions/telemetry-forwarder floor=/tmp/floor/floor
#   LTF_PERF_BUILD=DIR       where fake-lambda is built (default build/perf, Release)
#   LTF_COMPARE_SCENARIOS    which of steady, burst, firehose (default all three)
#   LTF_COMPARE_DESTINATION  http (default): fake-lambda's recording sink;
#                            https: the same sink behind a TLS terminator (scripts/https_sink.sh);
#                            opensearch: fake-lambda's OpenSearch (--opensearch).
#                            The C floor speaks plain http only: compare it under http.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-}"; shift || true
[[ "$runs" =~ ^[1-9][0-9]*$ ]] && [ $# -ge 1 ] ||
  { echo "usage: $0 RUNS NAME=EXTENSION [NAME=EXTENSION ...]" >&2; exit 1; }
build="${LTF_PERF_BUILD:-build/perf}"
if [ ! -x "$build/src/fake-lambda" ]; then
  scripts/setup.sh python3
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLTF_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j2 --target fake-lambda
fi
work="$(mktemp -d)"
https_sink_pid=""
trap '[ -z "$https_sink_pid" ] || kill "$https_sink_pid" 2>/dev/null; rm -rf "$work"' EXIT
destination="${LTF_COMPARE_DESTINATION:-http}"
# shellcheck source=scripts/https_sink.sh
. scripts/https_sink.sh
case "$destination" in
  http|opensearch) ;;
  https) https_sink_start "$work" ;;
  *) echo "perf_compare: LTF_COMPARE_DESTINATION is http, https or opensearch" >&2; exit 1 ;;
esac

# The workloads of issue 13's table, default settings, freeze on:
#   steady    100 invocations x 20 lines x 200 B
#   burst     20 invocations x 2000 lines x 500 B
#   firehose  20 invocations x 4000 lines x 500 B
declare -A scenario=(
  [steady]="--sink --invocations 100 --lines 20 --line-bytes 200"
  [burst]="--sink --invocations 20 --lines 2000 --line-bytes 500 --timeout-ms 60000"
  [firehose]="--sink --invocations 20 --lines 4000 --line-bytes 500 --timeout-ms 60000"
)
read -r -a names <<<"${LTF_COMPARE_SCENARIOS:-steady burst firehose}"
for round in $(seq 1 "$runs"); do
  for name in "${names[@]}"; do
    for pair in "$@"; do
      label="${pair%%=*}" extension="${pair#*=}"
      port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
      rm -rf "$work/spill"
      # shellcheck disable=SC2206  # the scenario is words
      args=(${scenario[$name]})
      case "$destination" in
        opensearch) args=("${args[@]/#--sink/--opensearch}") ;;
        https) https_sink_args "$work"; args+=("${https_sink_args[@]}") ;;
      esac
      "$build/src/fake-lambda" --extension "$extension" "${args[@]}" \
        --env "LTF_LISTENER_PORT=$port" --env "FLOOR_PORT=$port" --env "LTF_SPILL_DIR=$work/spill" \
        --report "$work/$name-$label-$round.json" > "$work/out.txt" 2>&1 || status=$?
      # Exit 6 (lines lost) is a figure of the table, not a failure: the floor loses lines by
      # design (it bounds nothing and never waits for runtimeDone). Anything else is a failure.
      if [ "${status:-0}" != 0 ] && [ "${status:-0}" != 6 ]; then
        cat "$work/out.txt" >&2; echo "perf_compare: $label failed in $name" >&2; exit 1
      fi
      unset status
    done
  done
done

python3 - "$work" "$runs" "${names[*]}" "$@" <<'PY'
import json, statistics, sys
work, runs, names, pairs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
labels = [p.split("=", 1)[0] for p in pairs]
figures = (
    ("init (launch to first /event/next)", "ms", lambda r: r["extensions"][0]["init_ms"]),
    ("peak RSS (VmHWM)", "MiB", lambda r: r["extensions"][0]["peak_rss_kb"] / 1024),
    ("RSS file-backed, largest seen", "MiB",
     lambda r: r["extensions"][0].get("peak_rss_file_kb", 0) / 1024),
    ("RSS anonymous, largest seen", "MiB",
     lambda r: r["extensions"][0].get("peak_rss_anon_kb", 0) / 1024),
    ("CPU (user + system)", "s", lambda r: r["extensions"][0]["cpu_seconds"]),
    ("CPU per 1000 events", "ms",
     lambda r: 1e6 * r["extensions"][0]["cpu_seconds"] / sum(r["events_delivered"].values())),
    ("post-runtime, median", "ms", lambda r: r["post_runtime"]["median_ms"]),
    ("post-runtime, p99", "ms", lambda r: r["post_runtime"]["p99_ms"]),
    # fake-lambda's OpenSearch counts documents; its recording sink counts bytes and lost lines.
    ("bytes at the destination", "MB", lambda r: r["sink"]["bytes"] / 1e6 if "sink" in r else None),
    ("documents at the destination", "",
     lambda r: r["opensearch"]["documents"] if "opensearch" in r else None),
    ("function lines lost", "", lambda r: r["sink"]["lines"]["lost"] if "sink" in r else None),
)
print(f"Medians of {runs} interleaved rounds.\n")
print("| scenario | figure | " + " | ".join(labels) + " |")
print("|---|---|" + "---:|" * len(labels))
for name in names:
    for title, unit, get in figures:
        cells = []
        for label in labels:
            reports = [json.load(open(f"{work}/{name}-{label}-{i}.json")) for i in range(1, runs + 1)]
            values = [v for v in (get(r) for r in reports) if v is not None]
            digits = 3 if unit == "s" else 2
            cells.append(f"{statistics.median(values):,.{digits}f} {unit}".rstrip() if values else "")
        if any(cells):
            print(f"| {name} | {title} | " + " | ".join(cells) + " |")
PY
