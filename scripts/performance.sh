#!/usr/bin/env bash
# Measures telemetry-forwarder and writes docs/performance.md: fake-lambda scenarios run RUNS
# times each (medians of the runs), the Google Benchmark cases of bench/, the machine and the
# exact commands.
#
# usage: scripts/performance.sh [RUNS]   (default 5)
#   LTF_PERF_BUILD=DIR       Release build of fake-lambda and ltf-bench (default build/perf)
#   LTF_PERF_EXTENSION=PATH  the extension to measure (default: the layer's static binary,
#                            build/layer/x86_64/extensions/telemetry-forwarder, when present,
#                            else the Release build's telemetry-forwarder)
#   LTF_PERF_OUT=FILE        where to write (default docs/performance.md)
#   LTF_PERF_REVISION=TEXT   the revision measured, for the report (default: git describe)
#   LTF_FLOOR_SOURCE=FILE    the C floor (default ../shared/floor/floor.c): built with gcc -O2
#                            -static and run beside the extension (scripts/perf_compare.sh);
#                            skipped when the file is not there
#   LTF_PERF_BEFORE=PATH     another build to run beside them (e.g. an older release), named in
#                            the report by LTF_PERF_BEFORE_REVISION=TEXT
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [RUNS]" >&2; exit 1; }
build="${LTF_PERF_BUILD:-build/perf}"
out="${LTF_PERF_OUT:-docs/performance.md}"

scripts/setup.sh python3 libbenchmark-dev
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLTF_BUILD_TESTS=OFF \
  -DLTF_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target telemetry-forwarder fake-lambda ltf-bench

extension="${LTF_PERF_EXTENSION:-}"
if [ -z "$extension" ]; then
  extension=build/layer/x86_64/extensions/telemetry-forwarder
  [ -x "$extension" ] || extension="$build/src/telemetry-forwarder"
fi
[ "$(basename "$extension")" = telemetry-forwarder ] ||
  { echo "performance: the extension's file must be named telemetry-forwarder" >&2; exit 1; }
fake_lambda="$build/src/fake-lambda"

work="$build/performance"
rm -rf "$work" && mkdir -p "$work"

# Scenarios: name, then fake-lambda's arguments (the extension and --report are added).
#   steady    a typical function: 100 invocations of 20 log lines of 100 B, frozen between them.
#             Called back to back, it is a busy function: the default flush strategy (auto) goes
#             periodic after 10 invocations.
#   eoi       the same, flushing at the end of every invocation (LTF_FLUSH_STRATEGY).
#   outage    1000 invocations; the destination refuses connections during invocations 200-600
#             and answers 503 to 10% of requests elsewhere.
#   firehose  1 MB Telemetry API batches (maxBytes 1 MiB, maxItems 10000): 10 invocations of
#             15000 log lines of 200 B, written at once, delivered to the sink in 1 MiB requests.
scenarios=(
  "steady|--sink --invocations 100 --lines 20 --line-bytes 100"
  "eoi|--sink --invocations 100 --lines 20 --line-bytes 100 --env LTF_FLUSH_STRATEGY=end-of-invocation"
  "outage|--sink --invocations 1000 --lines 20 --line-bytes 100 --sink-down 200-600 --sink-fail-rate 0.1"
  "firehose|--sink --invocations 10 --lines 15000 --line-bytes 200 --timeout-ms 60000 --env LTF_TELEMETRY_MAX_BYTES=1048576 --env LTF_TELEMETRY_MAX_ITEMS=10000"
)

for scenario in "${scenarios[@]}"; do
  name="${scenario%%|*}" args="${scenario#*|}"
  echo "$name: $fake_lambda --extension $extension $args" > "$work/$name.command"
  for run in $(seq 1 "$runs"); do
    echo "performance: $name, run $run of $runs"
    # The default listener port (4250) may be taken by another run on this machine.
    rm -rf "$work/spill"  # each run is a fresh sandbox
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
    # shellcheck disable=SC2086  # the arguments are words
    "$fake_lambda" --extension "$extension" $args --env "LTF_LISTENER_PORT=$port" \
      --env "LTF_SPILL_DIR=$PWD/$work/spill" \
      --report "$work/$name-$run.json" \
      > "$work/$name-$run.txt" 2>&1 || { cat "$work/$name-$run.txt" >&2; exit 1; }
  done
done

floor_source="${LTF_FLOOR_SOURCE:-../shared/floor/floor.c}"
compare=(ours="$extension")
[ -n "${LTF_PERF_BEFORE:-}" ] && compare=(before="$LTF_PERF_BEFORE" "${compare[@]}")
without_floor=("${compare[@]}")
if [ -f "$floor_source" ]; then
  mkdir -p "$work/floor"
  gcc -O2 -Wall -Wextra -static -o "$work/floor/floor" "$floor_source"
  compare+=(floor="$work/floor/floor")
fi
echo "performance: side by side (${compare[*]})"
LTF_PERF_BUILD="$build" scripts/perf_compare.sh "$runs" "${compare[@]}" > "$work/compare.md"
printf '%s\n' "${compare[@]}" > "$work/compare.labels"
printf '%s\n' "${without_floor[@]}" > "$work/compare-tls.labels"
# https and OpenSearch destinations: ours (and the other build) without the floor, which speaks
# plain http only.
for destination in https opensearch; do
  echo "performance: side by side, $destination"
  LTF_PERF_BUILD="$build" LTF_COMPARE_DESTINATION="$destination" LTF_COMPARE_SCENARIOS="steady burst" \
    scripts/perf_compare.sh "$runs" "${without_floor[@]}" > "$work/compare-$destination.md"
done
echo "performance: size per component"
scripts/size_breakdown.sh > "$work/sizes.md"

echo "performance: ltf-bench"
"$build/bench/ltf-bench" --benchmark_repetitions="$runs" --benchmark_report_aggregates_only=true \
  --benchmark_out="$work/bench.json" --benchmark_out_format=json > "$work/bench.txt"

python3 - "$work" "$runs" "$extension" "$out" "$build" <<'PY'
import json, os, platform, re, statistics, subprocess, sys, time

work, runs, extension, out, build = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def run_metrics(report):
    ext = report["extensions"][0]
    sink = report["sink"]
    lines = sink["lines"]
    if (ext["exit_status"] != 0 or not ext["exited_before_deadline"] or lines["lost"]
            or lines["duplicated"] or report["problems"]):
        sys.exit(f"performance: a run failed: exit {ext['exit_status']}, lines {lines}, "
                 f"problems {report['problems']}")
    to_extension = sum(report["events_delivered"].values())
    at_sink = sum(sink["events_by_type"].values())
    busy_ms = sum(i["duration_ms"] for i in report["invocations"]) + report["shutdown"]["duration_ms"]
    return {
        "init_ms": ext["init_ms"],
        "peak_rss_kb": ext["peak_rss_kb"],
        "peak_rss_file_kb": ext["peak_rss_file_kb"],
        "peak_rss_anon_kb": ext["peak_rss_anon_kb"],
        "cpu_ms_per_1000": 1000.0 * ext["cpu_seconds"] * 1000.0 / to_extension,
        "events": to_extension,
        "post_runtime_median": report["post_runtime"]["median_ms"],
        "post_runtime_p99": report["post_runtime"]["p99_ms"],
        "after_arrival_median": report["post_runtime_after_arrival"]["median_ms"],
        "after_arrival_p99": report["post_runtime_after_arrival"]["p99_ms"],
        "events_per_s": at_sink / (busy_ms / 1000.0),
        "sink_requests": sink["accepted_requests"],
        "mb_per_request": sink["bytes"] / max(1, sink["accepted_requests"]) / 1e6,
    }

results = {}
names = ("steady", "eoi", "outage", "firehose")
for name in names:
    per_run = [run_metrics(json.load(open(f"{work}/{name}-{i}.json"))) for i in range(1, runs + 1)]
    results[name] = {key: median([r[key] for r in per_run]) for key in per_run[0]}
    results[name]["init_fastest_ms"] = min(r["init_ms"] for r in per_run)
    results[name]["command"] = open(f"{work}/{name}.command").read().split(": ", 1)[1].strip()

def sh(command):
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout.strip()

cpu = sh("lscpu | sed -n 's/^Model name: *//p'") or platform.processor()
machine = (f"{sh('nproc')} CPUs ({cpu}), {sh('uname -sr')}, "
           f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB memory")
load = open("/proc/loadavg").read().split()[:3]
binary_kind = sh(f"file -b {extension}").split(",")
linkage = ("statically linked" if any("statically linked" in part for part in binary_kind)
           else "dynamically linked")
commit = os.environ.get("LTF_PERF_REVISION") or sh("git describe --always --dirty") or "unknown"

# Layer sizes, as layer/build.sh last wrote them ("ARCH binary=BYTES zip=BYTES" lines).
sizes = []
if os.path.exists("build/layer/sizes.txt"):
    for line in open("build/layer/sizes.txt"):
        arch, *fields = line.split()
        values = dict(field.split("=") for field in fields)
        sizes.append(f"| {arch} | {int(values['binary']):,} bytes ({int(values['binary']) / 2**20:.2f} MiB) "
                     f"| {int(values['zip']):,} bytes ({int(values['zip']) / 2**20:.2f} MiB) |")
sizes_text = ("| architecture | binary (static, stripped) | extension.zip |\n|---|---:|---:|\n"
              + "\n".join(sizes)) if sizes else "Not built: run `layer/build.sh all` first."

compare_text = open(f"{work}/compare.md").read().strip()
compare_labels = [line.strip() for line in open(f"{work}/compare.labels") if line.strip()]
before_revision = os.environ.get("LTF_PERF_BEFORE_REVISION")
if before_revision:
    compare_text = f"`before` is {before_revision}.\n\n" + compare_text
breakdown_text = open(f"{work}/sizes.md").read().strip()
tls_text = open(f"{work}/compare-https.md").read().strip()
tls_labels = [line.strip() for line in open(f"{work}/compare-tls.labels") if line.strip()]
opensearch_text = open(f"{work}/compare-opensearch.md").read().strip()

def f(value, decimals=1):
    return "-" if value is None else f"{value:,.{decimals}f}"

s, h = results["steady"], results["firehose"]
def row(label, key, scale=1.0, decimals=2, unit=" ms"):
    return (f"| {label} | " + " | ".join(f"{f(results[n][key] * scale if results[n][key] is not None else None, decimals)}{unit}" for n in names) + " |")

bench = json.load(open(f"{work}/bench.json"))
rows = []
for b in bench["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"]
    unit = b["time_unit"]
    cpu_time = b["cpu_time"]
    per_event = None
    if b.get("items_per_second"):
        per_event = 1e9 / b["items_per_second"]
    rows.append(f"| `{name}` | {b.get('events', 0):,.0f} | {cpu_time:,.1f} {unit} | "
                f"{f(per_event, 0)} ns | {b['bytes_per_second'] / 2**20:,.0f} MiB/s |"
                + (f" ratio {b['ratio']:.1f} |" if "ratio" in b else " |"))

text = f"""# Performance

Produced by `scripts/performance.sh {runs}` on {time.strftime('%Y-%m-%d', time.gmtime())} (commit
`{commit}`). Every figure is the **median of {runs} runs**; p99 figures are the median of the
runs' p99s. Run it again to reproduce: it builds what it needs and rewrites this file.

- **Machine**: {machine}; load average {' '.join(load)} when the script finished (the
  machine is shared with other builds: figures from a quiet machine are lower, latencies most).
- **Extension measured**: `{extension}` ({linkage}, {os.path.getsize(extension):,} bytes).
- **Emulator**: `fake-lambda` (Release build in `{build}`) runs the extension as a real process,
  as Lambda does: register, subscribe, invocations with SIGSTOP/SIGCONT freezes between them,
  SHUTDOWN, and a recording HTTP destination on loopback. Every run delivered every log line
  exactly once, and the extension exited 0 before the SHUTDOWN deadline (the script checks).

## The function's view

| | steady (auto) | steady, end of invocation | outage | firehose |
|---|---:|---:|---:|---:|
{row('init time (launch to first `/event/next`), median', 'init_ms')}
{row('init time, fastest run', 'init_fastest_ms')}
{row('peak RSS of the extension', 'peak_rss_kb', 1 / 1024, 1, ' MiB')}
{row('of which file-backed (the binary), largest seen', 'peak_rss_file_kb', 1 / 1024, 1, ' MiB')}
{row('of which anonymous (heap, stacks), largest seen', 'peak_rss_anon_kb', 1 / 1024, 1, ' MiB')}
{row('CPU (user + system) per 1000 events', 'cpu_ms_per_1000')}
{row('post-runtime duration, median', 'post_runtime_median')}
{row('post-runtime duration, p99', 'post_runtime_p99')}
{row('time after `runtimeDone` arrived, median', 'after_arrival_median')}
{row('time after `runtimeDone` arrived, p99', 'after_arrival_p99')}
{row('events handled per run', 'events', 1, 0, '')}
{row('requests to the destination per run', 'sink_requests', 1, 0, '')}
| end-to-end events/s | (paced by the function) | (paced by the function) | (paced by the function) | **{f(h['events_per_s'], 0)}** |

- **steady**: a typical function. 100 invocations, each writing 20 log lines of 100 bytes;
  platform, function and extension events; default settings. Invoked back to back, it counts as
  busy: the default flush strategy (`auto`) flushes at the end of the first 10 invocations, then
  periodically while the function runs, and stops waiting for `runtimeDone`: its post-runtime
  median is the time to call `/event/next`. The "time after `runtimeDone` arrived" figures then
  come from the first invocations only (in periodic mode `runtimeDone` arrives after `/next`).
- **steady, end of invocation**: the same with `LTF_FLUSH_STRATEGY=end-of-invocation`, as `auto`
  does for rarely called functions: every invocation's logs are at the destination before the
  next invocation starts, for about `LTF_TELEMETRY_TIMEOUT_MS` (25 ms) of post-runtime each.
- **outage**: 1000 invocations; the destination refuses connections during invocations 200 to 600
  and answers 503 to 10% of the requests elsewhere. Nothing may be lost or duplicated (the script
  checks); events wait on disk while the destination fails, so memory stays flat.
- **firehose**: 1 MB Telemetry API batches. The subscription asks for `maxBytes` 1 MiB and
  `maxItems` 10000 (`LTF_TELEMETRY_MAX_BYTES=1048576`, `LTF_TELEMETRY_MAX_ITEMS=10000`); each of
  10 invocations writes 15000 lines of 200 bytes at once, so Lambda's side sends full 1 MB POSTs
  as fast as the extension takes them, and the extension sends 1 MiB requests
  (`LTF_DISPATCH_MAX_BATCH_BYTES`, default) to the destination: {f(h['mb_per_request'], 2)} MB per
  request on average. Its post-runtime duration is long because every invocation's 4.5 MB of logs
  come before its `runtimeDone`: the time goes into moving them through Lambda's side, the
  extension and the destination, which is what this scenario measures.

What the rows mean:

- **post-runtime duration** is Lambda's `PostRuntimeExtensionsDuration`: from the runtime's
  response (`platform.runtimeDone` produced) to the extension's next `/event/next`, the time an
  invocation is billed for the extension. It includes waiting for `runtimeDone` to be delivered
  (the subscription's `timeoutMs`, `LTF_TELEMETRY_TIMEOUT_MS`, default 25 ms) and flushing.
- **time after `runtimeDone` arrived**: from the extension's 2xx answer to the POST carrying
  `runtimeDone` to its `/event/next`: what the extension itself adds (the flush to the
  destination).
- **end-to-end events/s**: events received by the destination divided by the time the
  invocations and SHUTDOWN took (from each INVOKE to the extension's `/next`, plus the SHUTDOWN
  phase). The emulator, which generates, serialises and posts the events and parses every
  request the destination receives, shares the 2 CPUs with the extension, so this is a lower
  bound for the extension; its own cost is the CPU row, and the row below it turns that into the
  rate one core could sustain for the extension alone.
- **init time** is from the extension's launch to its first `/event/next`: register, read the
  configuration, open the spill store, listen, subscribe. On a busy machine it mostly measures
  how soon the scheduler runs the new process; the fastest run is closest to the extension's own
  cost.

- **of which file-backed / anonymous**: `RssFile` and `RssAnon` of `/proc/PID/status`, the
  largest each reached at fake-lambda's samples (after every invocation, during SHUTDOWN); the
  kernel keeps a peak of their sum only. File-backed pages are the binary's own, mapped as they
  are executed or read. The kernel maps them in blocks (64 KiB around each page touched, and
  whole large folios of the page cache), so the figure depends on where the touched code lies
  and on the page cache: the layer's binary is linked hot-first (`layer/hot-sections.ld`,
  docs/design.md, "The layer's binary is laid out hot-first") so that what a run touches shares
  blocks. This file was made after `echo 3 > /proc/sys/vm/drop_caches`. Anonymous pages are the
  heap and stacks.

## Side by side with the C floor

`scripts/perf_compare.sh {runs} {' '.join(compare_labels)}`: the workloads of issue 13 (steady 100
invocations x 20 lines x 200 B; burst 20 x 2000 x 500 B; firehose 20 x 4000 x 500 B; default
settings, freeze on), every extension in turn under the same fake-lambda, rounds interleaved, so
that load on the machine hits them alike: read the columns against each other. The floor
(`../shared/floor/floor.c`, built with `gcc -O2 -static`) forwards raw bytes, parses nothing,
bounds nothing and never waits for `runtimeDone`, so Lambda's backlog for it overflows: its lost
lines are part of its figures. In burst and firehose ours waits, at some INVOKEs, for telemetry
that lags far behind (docs/design.md, "Catching up"): that is its post-runtime median there, and
why it loses no line where an extension that never waits does (the last row).

{compare_text}

## https and OpenSearch destinations

The same steady and burst workloads, `LTF_COMPARE_DESTINATION=https` and `=opensearch`
`scripts/perf_compare.sh {runs} {' '.join(tls_labels)}`
(the floor speaks plain http only). https: fake-lambda's recording sink behind a TLS terminator
(`scripts/https_sink.sh`, a 2048-bit RSA certificate for localhost, trusted through
`LTF_CA_FILE`: one certificate to load, where Lambda's CA bundle has about 150). OpenSearch:
fake-lambda's OpenSearch (`--opensearch`, plain http), index bootstrap included.

https:

{tls_text}

OpenSearch:

{opensearch_text}

## Layer size

From `layer/build.sh`'s last run (`build/layer/sizes.txt`); issue 13's goal is a binary of at most
4 MB (Lambda's own limit is 50 MB zipped).

{sizes_text}

**Why the binary is not within 4 MB.** OpenSSL's libcrypto is 40 % of it (below), and the
default provider that TLS needs names every algorithm it has, so `--gc-sections` keeps them all.
How far a smaller OpenSSL goes was measured at `326c302`: OpenSSL 3.0.22 (Debian's upstream
source, `apt-get source openssl`) configured with `no-shared no-legacy no-engine no-comp no-ssl3
no-tls1 no-tls1_1 no-dtls no-srp no-srtp no-ct no-ocsp no-cms no-ts no-gost no-idea no-rc2 no-rc4
no-rc5 no-md4 no-mdc2 no-rmd160 no-whirlpool no-bf no-cast no-des no-seed no-camellia no-aria
no-sm2 no-sm3 no-sm4 no-siphash no-blake2 no-dsa no-ec2m no-scrypt no-ocb no-siv no-async
no-ui-console no-cmp no-module`, built with `make build_libs`, and linked in place of Debian's
`libcrypto.a` and `libssl.a` (the layer's own link command, LTO and layout unchanged). The
binary went from 7,977,440 to 7,364,704 bytes (−612,736 B, −7.7 %), and it delivered over http
and https (`LTF_COMPARE_DESTINATION=https scripts/perf_compare.sh 1 trim=...`: 0 lines lost,
steady peak RSS 5.39 MiB over https). Trimmed so, OpenSSL still takes about 3.1 MB (the
3,798 KiB of the table below less what the trial saved) and glibc 1.1 MB: 4 MB needs a TLS library
other than OpenSSL, which the design names. Nothing of that trial is in the build.

Where the bytes go (`scripts/size_breakdown.sh`: the layer's build, unstripped and without LTO,
its link map summed per library; our modules include the Asio and Beast templates they
instantiate):

{breakdown_text}

## Hot paths (Google Benchmark)

`{build}/bench/ltf-bench --benchmark_repetitions={runs} --benchmark_report_aggregates_only=true`:
medians of {runs} repetitions, CPU time per iteration. Batches are Telemetry API bodies shaped like
Lambda's (`bench/telemetry_batches.cpp`): per invocation a `platform.start`, 8 function log lines
(text and JSON records), a `platform.runtimeDone` and a `platform.report`; an argument below 1000
is a number of events, 1048576 a 1 MiB body. (Google Benchmark prints "Library was built as
DEBUG": that is Debian's libbenchmark itself; the code measured is a Release build.)

| case | events | CPU time | per event | throughput | |
|---|---:|---:|---:|---:|---|
{chr(10).join(rows)}

- `parse_batch`: `telemetry::parse_batch` on one POST body (validate the JSON, keep each event's
  bytes as sent, read type, time and requestId).
- `event_id` / `assign_event_ids`: the deterministic SHA-256 event id, alone and for a batch.
- `http_sink_body`: `sinks::json_array_body`, the HTTP destination's request body.
- `gzip_1MB/level`: `net::gzip` on a 1 MiB body; level 1 is what `LTF_COMPRESSION=gzip` uses.

## Commands

```sh
{s['command']} --env LTF_LISTENER_PORT=FREE_PORT --report steady-N.json
{h['command']} --env LTF_LISTENER_PORT=FREE_PORT --report firehose-N.json
{build}/bench/ltf-bench --benchmark_repetitions={runs} --benchmark_report_aggregates_only=true
```
"""
open(out, "w").write(text)
print(f"performance: wrote {out}")
PY
