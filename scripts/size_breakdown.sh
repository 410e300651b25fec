#!/usr/bin/env bash
# Where the layer binary's bytes go: builds the layer's static binary with the layer preset's
# flags, but unstripped, without LTO (so that every section keeps the name of the library it came
# from) and with a link map, then sums the sections the linker kept per library and prints a
# Markdown table. The LTO build the layer ships is a little smaller; the shares hold.
#
# usage: scripts/size_breakdown.sh      LTF_SIZE_BUILD=DIR (default build/size)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${LTF_SIZE_BUILD:-build/size}"
map="$build/src/telemetry-forwarder.map"  # src/CMakeLists.txt has static builds write it
scripts/setup.sh python3 >/dev/null
# The layer preset's flags, but without -s and LTO.
cmake --preset layer-x86_64 -B "$build" -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--gc-sections -Wl,-O1" >/dev/null
cmake --build "$build" --target telemetry-forwarder >/dev/null
python3 - "$map" "$build/src/telemetry-forwarder" <<'PY'
import collections, os, re, subprocess, sys

sys.path.insert(0, "scripts")
from link_map import input_sections  # noqa: E402

map_path, binary = sys.argv[1], sys.argv[2]

def component(path):
    name = os.path.basename(path.split("(")[0])
    if name.startswith("libltf_boost"):
        return "Boost.Asio, Beast, JSON, URL (compiled once, src/boost/)"
    m = re.match(r"libltf_(\w+)\.a", name)
    if m:
        return f"ours: {m.group(1)}"
    if "telemetry-forwarder.dir" in path:
        return "ours: main"
    for prefix, label in (("libcrypto", "OpenSSL libcrypto"), ("libssl", "OpenSSL libssl"),
                          ("libboost_log", "Boost.Log"), ("libboost_", "Boost (other compiled)"),
                          ("libcares", "c-ares"), ("libz.", "zlib"),
                          ("libstdc++", "libstdc++ / libgcc"), ("libgcc", "libstdc++ / libgcc"),
                          ("libsupc++", "libstdc++ / libgcc")):
        if name.startswith(prefix):
            return label
    if name.startswith(("libc.", "libm.", "libpthread", "libresolv", "libdl", "librt")) or \
            name.endswith(("crt1.o", "crti.o", "crtn.o", "crtbeginT.o", "crtend.o")):
        return "glibc (static)"
    return "other: " + name

kinds = {".text": "code", ".rodata": "read-only data", ".eh_frame": "unwind tables",
         ".gcc_except_table": "unwind tables", ".data.rel.ro": "data", ".data": "data",
         ".bss": "zero-initialised", ".tbss": "zero-initialised", ".tdata": "data"}
sizes = collections.defaultdict(lambda: collections.Counter())
for start, size, output_section, _, path in input_sections(map_path):
    kind = kinds.get(output_section.removesuffix(".ltf_hot"))  # layer/hot-sections.ld's parts
    if kind:
        sizes[component(path)][kind] += size
total = sum(sum(c.values()) for c in sizes.values())
columns = ["code", "read-only data", "unwind tables", "data", "zero-initialised"]
print(f"Unstripped, no LTO: {os.path.getsize(binary):,} bytes on disk; sections kept: {total:,} bytes.\n")
print("| component | " + " | ".join(columns) + " | total | share |")
print("|---|" + "---:|" * (len(columns) + 2))
for name, counter in sorted(sizes.items(), key=lambda kv: -sum(kv[1].values())):
    t = sum(counter.values())
    if t < 8192:
        continue
    print(f"| {name} | " + " | ".join(f"{counter[c] / 1024:,.0f} KiB" for c in columns)
          + f" | {t / 1024:,.0f} KiB | {100 * t / total:.1f} % |")
small = sum(sum(c.values()) for c in sizes.values() if sum(c.values()) < 8192)
if small:
    print(f"| (components under 8 KiB each) | | | | | | {small / 1024:,.0f} KiB | {100 * small / total:.1f} % |")
PY
