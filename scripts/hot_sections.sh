#!/usr/bin/env bash
# Writes layer/hot-sections.ld: a GNU ld script that places together, beside .text, .rodata and
# .data.rel.ro, the input sections (functions, tables, archive members) that the layer's binary
# touches in a run, so that they share pages.
#
# Why: the kernel maps a file-backed binary in blocks (fault-around, large folios of the page
# cache), not page by page, so a steady run that executes 1 MB of code scattered over 5.6 MB of
# .text keeps nearly all of it resident. Grouped, the same run keeps about what it touches
# (docs/performance.md has the figures).
#
# How: builds the layer binary unstripped, with its link map (the layer preset's flags), runs it
# under fake-lambda and valgrind (the steady and burst workloads of scripts/perf_compare.sh for
# the code it runs, a shorter steady one for the data it reads and writes; then both with https
# and OpenSearch destinations, whose extra code goes after the rest), and maps each
# address to the input section the map puts there. Sections of our code and of
# Boost are named by their own section (-ffunction-sections -fdata-sections, also under LTO); a
# library compiled without them (glibc, OpenSSL, c-ares, zlib) by its archive member.
#
# The script is committed; rerun this after changes that move what a run touches. Sections it
# names that a later build no longer has are ignored by ld, and new code lands in the cold part:
# a stale file costs resident pages, never correctness.
#
# usage: scripts/hot_sections.sh     LTF_HOT_BUILD=DIR (default build/hot-profile)
#   Needs valgrind and perf (installed here) and the right to record page faults of a child
#   process (root, or kernel.perf_event_paranoid at most 2). Takes about three minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${LTF_HOT_BUILD:-build/hot-profile}"
perf_build="${LTF_PERF_BUILD:-build/perf}"
out="layer/hot-sections.ld"
scripts/setup.sh python3 valgrind linux-perf psmisc >/dev/null
# The layer preset's flags, unstripped and without the ordering (the section names are the same).
cmake --preset layer-x86_64 -B "$build" -DLTF_HOT_SECTIONS= \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--gc-sections -Wl,-O1" >/dev/null
cmake --build "$build" --target telemetry-forwarder >/dev/null 2>&1 ||
  cmake --build "$build" --target telemetry-forwarder
if [ ! -x "$perf_build/src/fake-lambda" ]; then
  cmake -S . -B "$perf_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLTF_BUILD_TESTS=OFF >/dev/null
  cmake --build "$perf_build" --target fake-lambda
fi
work="$(mktemp -d)"
https_sink_pid=""
trap '[ -z "$https_sink_pid" ] || kill "$https_sink_pid" 2>/dev/null; rm -rf "$work"' EXIT
# shellcheck source=scripts/https_sink.sh
. scripts/https_sink.sh
https_sink_start "$work"
binary="$PWD/$build/src/telemetry-forwarder"

# fake-lambda starts an extension by its path, and the extension registers under its file name:
# the wrappers that run it under valgrind must be called telemetry-forwarder.
#   code: callgrind, with the address of every instruction run (fast enough for whole workloads);
#   data: lackey, which reports every load and store, but runs the code some hundred times
#         slower: a short steady run only. Only distinct 16-byte blocks are kept.
mkdir -p "$work/code" "$work/data"
cat > "$work/code/telemetry-forwarder" <<'SH'
#!/usr/bin/env bash
exec valgrind --tool=callgrind --dump-instr=yes --compress-pos=no --compress-strings=no \
  --callgrind-out-file="$HOT_TRACE.callgrind" "$HOT_BINARY" 2>/dev/null
SH
cat > "$work/data/telemetry-forwarder" <<'SH'
#!/usr/bin/env bash
exec valgrind --tool=lackey --trace-mem=yes --log-fd=9 "$HOT_BINARY" \
  9> >(awk -F'[ ,]+' '/^ [LSM]/ { b = substr($3, 1, length($3) - 1); if (!(b in seen)) { seen[b]; print b } }' > "$HOT_TRACE.lackey")
SH
chmod +x "$work/code/telemetry-forwarder" "$work/data/telemetry-forwarder"
run() {  # run TOOL NAME fake-lambda-workload...
  local tool="$1" name="$2"; shift 2
  local port; port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
  local status=0
  "$perf_build/src/fake-lambda" --extension "$work/$tool/telemetry-forwarder" "$@" --timeout-ms 120000 \
    --env "HOT_BINARY=$binary" --env "HOT_TRACE=$work/$name" \
    --env "LTF_LISTENER_PORT=$port" --env "LTF_SPILL_DIR=$work/spill-$name" > "$work/$name.out" 2>&1 ||
    status=$?
  # Exit 6, lines lost: under valgrind the extension is too slow to keep up with a burst, and
  # Lambda's side drops what it cannot deliver. The code and data that ran are traced all the same.
  if [ "$status" != 0 ] && [ "$status" != 6 ]; then
    cat "$work/$name.out" >&2; echo "hot_sections: the $name run failed" >&2; exit 1
  fi
}
steady=(--invocations 100 --lines 20 --line-bytes 200)
burst=(--invocations 20 --lines 2000 --line-bytes 500)
# First what an http destination touches, then what https and OpenSearch add (after it, so that
# an http run does not map their pages).
run code steady --sink "${steady[@]}"
run code burst --sink "${burst[@]}"
run data steady-data --sink --invocations 10 --lines 20 --line-bytes 200
https_sink_args "$work"
run code https --sink "${steady[@]}" "${https_sink_args[@]}"
https_sink_args "$work"
run code https-burst --sink "${burst[@]}" "${https_sink_args[@]}"
run code opensearch --opensearch "${steady[@]}"
run code opensearch-burst --opensearch "${burst[@]}"
# lackey's trace is written by a process substitution that may outlive the extension a moment.
for _ in $(seq 1 100); do fuser -s "$work/steady-data.lackey" 2>/dev/null || break; sleep 0.1; done

python3 scripts/hot_sections.py trace "$build/src/telemetry-forwarder.map" "$out" \
  "$(git rev-parse --short HEAD)" "$work"/steady.callgrind "$work"/burst.callgrind \
  "$work"/steady-data.lackey -- "$work"/https.callgrind "$work"/https-burst.callgrind \
  "$work"/opensearch.callgrind "$work"/opensearch-burst.callgrind

# valgrind's CPU is not this machine's: code and data chosen by the CPU (glibc's string
# functions, OpenSSL's) differ natively. So the layer binary, linked with the script, runs the
# same workloads natively under perf, which records the address of every page fault; a fault
# outside the hot parts names a section still missing from them (the first one touched in each
# block the kernel maps). Rounds until none is left, at most eight.
layer_build=build/layer-x86_64
cmake --preset layer-x86_64 >/dev/null
mkdir -p "$work/faults"
cat > "$work/faults/telemetry-forwarder" <<'SH'
#!/usr/bin/env bash
exec perf record -q -e page-faults -c 1 -d -o "$HOT_TRACE.perf" -- "$HOT_BINARY" 2>/dev/null
SH
chmod +x "$work/faults/telemetry-forwarder"
binary="$PWD/$layer_build/src/telemetry-forwarder"
for round in 1 2 3 4 5 6 7 8; do
  cmake --build "$layer_build" --target telemetry-forwarder >/dev/null 2>&1 ||
    cmake --build "$layer_build" --target telemetry-forwarder
  run faults "steady-$round" --sink "${steady[@]}"
  run faults "burst-$round" --sink "${burst[@]}"
  https_sink_args "$work"
  run faults "https-$round" --sink "${steady[@]}" "${https_sink_args[@]}"
  https_sink_args "$work"
  run faults "https-burst-$round" --sink "${burst[@]}" "${https_sink_args[@]}"
  run faults "opensearch-$round" --opensearch "${steady[@]}"
  for name in steady burst https https-burst opensearch; do
    perf script -i "$work/$name-$round.perf" -F addr 2>/dev/null > "$work/$name-$round.faults"
  done
  echo -n "round $round: "
  status=0
  python3 scripts/hot_sections.py faults "$layer_build/src/telemetry-forwarder.map" "$out" \
    "$work"/*-"$round".faults || status=$?
  [ "$status" != 3 ] || break  # no fault left outside the hot parts
  [ "$status" = 0 ] || exit "$status"
done
echo "hot_sections: wrote $out"
