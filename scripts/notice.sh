#!/usr/bin/env bash
# Lists what the layer binary is statically linked from, read from the build itself: the link map
# that the static build writes beside the binary (build/layer-ARCH/src/telemetry-forwarder.map,
# `-Wl,-Map`, see src/CMakeLists.txt) names every archive a member was taken from, our own
# libltf_*.a aside: Boost, OpenSSL, zlib, c-ares, and the C and C++ runtime (libc.a, libstdc++.a,
# libgcc.a, ...). A library on the command line that gave nothing (ICU, named by Boost.Regex's
# CMake files) is not in the binary and not listed. Each archive is mapped to the Debian package
# that installed it (dpkg -S) and its version (dpkg-query). Writes NOTICE from it (x86_64), or
# checks NOTICE against it.
#
# usage: scripts/notice.sh [--check] [--components FILE] [x86_64|arm64]   (default x86_64)
#   --check            compare NOTICE with what the build says; exit 1 on a difference
#   --components FILE  also write the components as JSON (scripts/release.sh's SBOM reads it)
# Needs a built layer (layer/build.sh ARCH).
set -euo pipefail
cd "$(dirname "$0")/.."
check=0 components="" arch=x86_64
while (($#)); do
  case "$1" in
    --check) check=1 ;;
    --components) components="$2"; shift ;;
    x86_64|arm64) arch="$1" ;;
    *) echo "usage: $0 [--check] [--components FILE] [x86_64|arm64]" >&2; exit 1 ;;
  esac
  shift
done
build="build/layer-$arch"
[ -f "$build/build.ninja" ] || { echo "notice: $build is not built: run layer/build.sh $arch" >&2; exit 1; }
map="$build/src/telemetry-forwarder.map"
[ -f "$map" ] || { echo "notice: no link map $map: build again (layer/build.sh $arch)" >&2; exit 1; }
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$build/CMakeCache.txt")"

# The map's first section, "Archive member included to satisfy reference by file (symbol)",
# starts each entry with ARCHIVE(MEMBER) at the start of a line.
mapfile -t files < <(sed -n '/^Archive member included/,/^\(Discarded input sections\|Memory Configuration\|Allocating common symbols\)/p' "$map" |
  sed -n 's|^\(/[^(]*\.a\)(.*|\1|p' | sort -u)
((${#files[@]})) || { echo "notice: $map names no archive" >&2; exit 1; }

# FILE -> "package<TAB>version<TAB>source<TAB>source version" (dpkg, or the unpacked .deb of the
# arm64 Boost.Log overlay, see layer/build.sh).
owner() {
  local file
  file="$(realpath "$1")"
  if [[ "$file" == "$PWD"/build/layer-arm64-overlay/* ]]; then
    local deb
    deb="$(ls build/layer-arm64-overlay/debs/*.deb | head -n 1)"
    dpkg-deb -W --showformat='${Package}:${Architecture}\t${Version}\t${source:Package}\t${source:Version}\n' "$deb"
    return
  fi
  # dpkg -S answers "pkg:arch[, pkg:arch]: path"; of a Multi-Arch: same package, this build's.
  local package owners
  owners="$(dpkg -S "$file" 2>/dev/null || dpkg -S "$1" 2>/dev/null || true)"
  owners="$(head -n 1 <<<"$owners" | sed 's/: .*//')"
  [ -n "$owners" ] || { echo "notice: no Debian package owns $1" >&2; exit 1; }
  package="$(tr ',' '\n' <<<"$owners" | tr -d ' ' | grep ":$debian_arch\$" | head -n 1 || true)"
  [ -n "$package" ] || package="$(tr ',' '\n' <<<"$owners" | tr -d ' ' | head -n 1)"
  # A package installed or upgraded after the link (dpkg rewrites its file list then) may not be
  # what the binary holds: ninja relinks by file times, and dpkg keeps the packaged, older ones.
  local list
  for list in "/var/lib/dpkg/info/$package.list" "/var/lib/dpkg/info/${package%:*}.list"; do
    if [ -f "$list" ] && [ "$list" -nt "$map" ]; then
      echo "notice: $package was installed or upgraded after $build linked telemetry-forwarder:" \
           "link it again (rm $build/src/telemetry-forwarder; layer/build.sh $arch)" >&2
      exit 1
    fi
  done
  dpkg-query -W -f='${Package}:${Architecture}\t${Version}\t${source:Package}\t${source:Version}\n' "$package"
}

debian_arch="$([ "$arch" = x86_64 ] && echo amd64 || echo arm64)"
table=""
for f in "${files[@]}"; do
  row="$(owner "$f")"  # (an assignment, so that a failure stops the script)
  table+="$row"$'\t'"$(basename "$f")"$'\n'
done
# Boost's header-only and separately compiled parts (src/boost_impl.cpp) come from its headers.
row="$(owner /usr/include/boost/version.hpp)"
table+="$row"$'\t'"headers (Asio, Beast, JSON, URL)"$'\n'
table="$(sort -u <<<"$table")"

LTF_NOTICE_TABLE="$table" python3 - "$arch" "$version" "$check" "$components" <<'PY'
import os
import json, re, sys
arch, version, check, components_file = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
rows = [line.split("\t") for line in os.environ["LTF_NOTICE_TABLE"].splitlines() if line]

# Debian source package -> the component, its licence (SPDX) and where its source is.
KNOWN = {
    "boost1.81": ("Boost", "BSL-1.0", "https://www.boost.org/"),
    "openssl": ("OpenSSL", "Apache-2.0", "https://www.openssl.org/"),
    "zlib": ("zlib", "Zlib", "https://zlib.net/"),
    "c-ares": ("c-ares", "MIT", "https://c-ares.org/"),
    "glibc": ("GNU C Library (glibc)", "LGPL-2.1-or-later", "https://www.gnu.org/software/libc/"),
    "cross-toolchain-base": ("GNU C Library (glibc)", "LGPL-2.1-or-later", "https://www.gnu.org/software/libc/"),
    "gcc-12": ("GCC runtime libraries (libstdc++, libgcc)", "GPL-3.0-or-later WITH GCC-exception-3.1", "https://gcc.gnu.org/"),
    "gcc-12-cross": ("GCC runtime libraries (libstdc++, libgcc)", "GPL-3.0-or-later WITH GCC-exception-3.1", "https://gcc.gnu.org/"),
}

def upstream(debian_version):
    v = re.sub(r"^\d+:", "", debian_version)
    v = v.rsplit("-", 1)[0] if "-" in v else v
    return re.sub(r"([.+~]dfsg.*|[+~]ds.*)$", "", v)

components = {}
for package, pversion, source, sversion, library in rows:
    if source not in KNOWN:
        sys.exit(f"notice: {library} comes from {package} (source {source}), which NOTICE does not know: "
                 "add its licence to scripts/notice.sh")
    name, licence, home = KNOWN[source]
    # Cross packages (libc6-dev-arm64-cross, ...) carry the upstream version in their own.
    cross = source.endswith("-cross") or source == "cross-toolchain-base"
    c = components.setdefault(name, {"name": name, "version": upstream(pversion if cross else sversion), "license": licence,
                                     "homepage": home, "debian_source": source.split(":")[0],
                                     "debian_version": sversion, "packages": {}, "libraries": []})
    c["packages"][package] = pversion
    c["libraries"].append(library)
ordered = sorted(components.values(), key=lambda c: c["name"].lower())
for c in ordered:
    c["libraries"] = sorted(set(c["libraries"]))
if components_file:
    json.dump({"arch": arch, "version": version, "components": ordered}, open(components_file, "w"), indent=1)

lines = [f"lambda-telemetry-forwarder {version}",
         "Copyright 2026 the lambda-telemetry-forwarder authors",
         "",
         "Licensed under the Apache License, Version 2.0 (see LICENSE).",
         "",
         "The layer binary (extensions/telemetry-forwarder in the layer zips,",
         "/opt/extensions/telemetry-forwarder in the container image) is statically linked.",
         "Besides this project's code it contains the components below, from the Debian 12",
         "packages named (the x86_64 build; the arm64 build links the same upstream versions from",
         "Debian's :arm64 and -arm64-cross packages). This file is generated from the build by",
         "scripts/notice.sh, which reads the link map and asks dpkg who installed each library.",
         ""]
for c in ordered:
    lines.append(f"* {c['name']} {c['version']}: {c['license']}")
    lines.append(f"  {c['homepage']}")
    lines.append(f"  Debian source package {c['debian_source']} {c['debian_version']}; linked: "
                 + ", ".join(c["libraries"]))
    lines.append("")
lines += [
  "Licence texts: each package's /usr/share/doc/<package>/copyright on Debian, and the",
  "components' own sources (apt-get source <source package>=<version>).",
  "",
  "GCC runtime libraries: the GCC Runtime Library Exception 3.1 allows them to be linked into",
  "a program under any licence.",
  "",
  "GNU C Library (LGPL-2.1-or-later), statically linked: as section 6 of the LGPL asks, you",
  "may modify glibc and relink telemetry-forwarder with your version. The complete source of",
  "telemetry-forwarder is this repository (Apache-2.0). To relink:",
  "  1. build the object files and static libraries the binary is linked from:",
  "       cmake --preset layer-x86_64 && cmake --build --preset layer-x86_64",
  "     (build/layer-x86_64/src/CMakeFiles/telemetry-forwarder.dir/main.cpp.o and",
  "     build/layer-x86_64/src/libltf_*.a; for arm64 the preset layer-arm64);",
  "  2. print the final link command:",
  "       ninja -C build/layer-x86_64 -t commands src/telemetry-forwarder | tail -n 1",
  "     and run it with your glibc's libc.a first on the library path (for example with",
  "     -nostdlib plus your crt1.o, crti.o, libc.a and crtn.o, or with --sysroot), or install",
  "     your glibc as the system's and run step 1 again. The objects are built with LTO, so",
  "     link them with the same GCC (Debian 12's g++ 12), or configure with",
  "     -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF to get plain object files.",
  "layer/build.sh does all of this and packs the result.",
]
text = "\n".join(lines) + "\n"
if check and arch != "x86_64":
    # NOTICE is written from the x86_64 build; another architecture must link the same
    # components at the same upstream versions.
    listed = sorted(l for l in open("NOTICE").read().splitlines() if l.startswith("* "))
    built = sorted(f"* {c['name']} {c['version']}: {c['license']}" for c in ordered)
    if listed != built:
        sys.exit(f"notice: the {arch} build links other components or versions than NOTICE lists:\n"
                 + "\n".join(f"  NOTICE: {l}" for l in listed if l not in built)
                 + "\n" + "\n".join(f"  {arch}: {l}" for l in built if l not in listed))
    print(f"notice: the {arch} build links the components NOTICE lists, at the same versions")
elif check:
    current = open("NOTICE").read()
    if current != text:
        import difflib
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   "NOTICE", "NOTICE (from the build)"))
        sys.exit("notice: NOTICE differs from what the build links: run scripts/notice.sh and commit it")
    print(f"notice: NOTICE matches the {arch} build ({len(ordered)} components)")
elif arch == "x86_64":
    open("NOTICE", "w").write(text)
    print(f"notice: NOTICE written ({len(ordered)} components)")
else:
    print(f"notice: {arch}: " + ", ".join(f"{c['name']} {c['version']}" for c in ordered))
PY
