#!/usr/bin/env bash
# Builds the Lambda layer: build/layer/<arch>/extension.zip holding exactly
# extensions/telemetry-forwarder (static, stripped, mode 0755), for x86_64 and/or arm64, then tests
# it and prints the binary and zip sizes.
#
# usage: layer/build.sh [x86_64|arm64|all|arm64-deps]   (default: all)
#
#   x86_64  CMake preset layer-x86_64 (build/layer-x86_64): telemetry-forwarder and fake-lambda;
#           test: test/layer/empty_root_test.sh (the binary alone in an empty root, sink by name).
#   arm64   cross-compiled with Debian's aarch64-linux-gnu g++ and multiarch :arm64 -dev packages
#           (preset layer-arm64, toolchain layer/aarch64-linux-gnu.cmake, build/layer-arm64);
#           test: the binary under qemu-aarch64, driven by the x86_64 fake-lambda.
#   arm64-deps  only installs the arm64 cross toolchain, libraries and overlay (used by
#           layer/test-arm64.sh, which runs the unit tests for arm64 under qemu).
# Installs what it needs with apt (Debian 12). Publish with e.g.
#   aws lambda publish-layer-version --layer-name telemetry-forwarder \
#     --compatible-architectures x86_64 --zip-file fileb://build/layer/x86_64/extension.zip
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
what="${1:-all}"
case "$what" in x86_64|arm64|all|arm64-deps) ;; *) echo "usage: $0 [x86_64|arm64|all|arm64-deps]" >&2; exit 1 ;; esac

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
apt_install() {  # apt_install PKG...: installs the missing ones
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  echo "layer: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

size_of() { stat -c %s "$1"; }
human() { numfmt --to=iec-i --suffix=B --format=%.2f "$1"; }

# package ARCH BINARY: strip, zip, check, report.
package() {
  local arch="$1" binary="$2" strip="$3"
  local out="build/layer/$arch"
  rm -rf "$out" && mkdir -p "$out/extensions"
  "$strip" --strip-all -o "$out/extensions/telemetry-forwarder" "$binary"
  chmod 0755 "$out/extensions/telemetry-forwarder"
  touch -d "2000-01-01 00:00:00 UTC" "$out/extensions" "$out/extensions/telemetry-forwarder"
  (cd "$out" && zip -q -X -9 extension.zip extensions/telemetry-forwarder)
  # Exactly one entry, executable. (The listing is captured first: `unzip | grep -q` under
  # pipefail fails whenever grep exits before unzip has written everything.)
  local listing
  listing="$(unzip -Z "$out/extension.zip")"
  if [ "$(unzip -Z1 "$out/extension.zip")" != extensions/telemetry-forwarder ] ||
     ! grep -q '^-rwxr-xr-x .* extensions/telemetry-forwarder$' <<<"$listing"; then
    echo "layer: $arch: unexpected zip contents:" >&2; unzip -Z "$out/extension.zip" >&2; exit 1
  fi
  file "$out/extensions/telemetry-forwarder" | grep -q "statically linked" || {
    echo "layer: $arch: not static: $(file "$out/extensions/telemetry-forwarder")" >&2; exit 1; }
  local b z
  b="$(size_of "$out/extensions/telemetry-forwarder")"; z="$(size_of "$out/extension.zip")"
  echo "layer: $arch: binary $b bytes ($(human "$b")), zip $z bytes ($(human "$z")): $out/extension.zip"
  echo "$arch binary=$b zip=$z" >> build/layer/sizes.txt
  if [ "$z" -gt $((4 * 1024 * 1024)) ]; then echo "layer: $arch: zip above the 4 MiB target" >&2; fi
}

build_x86_64() {
  scripts/setup.sh
  apt_install zip unzip file openssl libc-ares-dev python3
  cmake --preset layer-x86_64 >/dev/null
  cmake --build --preset layer-x86_64 -j2
  package x86_64 build/layer-x86_64/src/telemetry-forwarder strip
  # Laid out hot-first (layer/hot-sections.ld): its code's hot part must be there, and hold most
  # of what the script names (a script gone stale by much leaves it near empty).
  local hot
  hot="$(readelf -SW build/layer/x86_64/extensions/telemetry-forwarder |
         awk '{ for (i = 1; i < NF; i++) if ($i == ".text.ltf_hot") print $(i + 4) }')"
  [ -z "$hot" ] || hot=$((16#$hot))
  if [ -z "$hot" ] || [ "$hot" -lt $((512 * 1024)) ]; then
    echo "layer: x86_64: the hot code section is missing or below 512 KiB (${hot:-none}):" \
      "run scripts/hot_sections.sh" >&2
    exit 1
  fi
  echo "layer: x86_64: hot code $hot bytes, laid out first (layer/hot-sections.ld)"
  test/layer/empty_root_test.sh build/layer/x86_64/extensions/telemetry-forwarder \
    build/layer-x86_64/src/fake-lambda
}

arm64_packages=(
  g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user
  libboost1.81-dev:arm64 libboost-json1.81-dev:arm64 libboost-url1.81-dev:arm64
  libboost-atomic1.81-dev:arm64 libboost-date-time1.81-dev:arm64
  libboost-filesystem1.81-dev:arm64 libboost-system1.81-dev:arm64
  libboost-regex1.81-dev:arm64 libboost-thread1.81-dev:arm64
  libssl-dev:arm64 zlib1g-dev:arm64 libc-ares-dev:arm64
  libgtest-dev:arm64 libgmock-dev:arm64
)

# The cross toolchain, the :arm64 libraries and the Boost.Log overlay.
prepare_arm64() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
  fi
  # Multiarch check first: nothing of the build machine's may be removed for the arm64 packages.
  local missing=() p
  for p in "${arm64_packages[@]}"; do installed "$p" || missing+=("$p"); done
  if ((${#missing[@]})); then
    local removals
    removals="$($sudo apt-get install -s --no-install-recommends "${missing[@]}" 2>&1 | grep '^Remv' || true)"
    if [ -n "$removals" ]; then
      echo "layer: arm64: installing ${missing[*]} would remove:" >&2
      echo "$removals" >&2
      return 1
    fi
    apt_install "${arm64_packages[@]}"
  fi
  # libboost-log1.81-dev is not Multi-Arch: same in Debian 12 (its :arm64 package would remove
  # the amd64 one), so its static libraries and CMake files are unpacked beside the build instead.
  local overlay=build/layer-arm64-overlay
  if [ ! -f "$overlay/usr/lib/aarch64-linux-gnu/libboost_log.a" ]; then
    rm -rf "$overlay" && mkdir -p "$overlay/debs"
    (cd "$overlay/debs" && apt-get download libboost-log1.81-dev:arm64 2>/dev/null)
    dpkg-deb -x "$overlay"/debs/libboost-log1.81-dev_*_arm64.deb "$overlay"
  fi
  # Its CMake files name an include directory (headers come with libboost1.81-dev:arm64) and
  # include BoostDetectToolset from their parent directory.
  mkdir -p "$overlay/usr/include"
  ln -sf /usr/lib/aarch64-linux-gnu/cmake/BoostDetectToolset-1.81.0.cmake \
    "$overlay/usr/lib/aarch64-linux-gnu/cmake/"
}

build_arm64() {
  apt_install zip unzip file
  prepare_arm64
  cmake --preset layer-arm64 >/dev/null
  cmake --build --preset layer-arm64 -j2
  package arm64 build/layer-arm64/src/telemetry-forwarder aarch64-linux-gnu-strip
  layer/qemu_smoke_test.sh build/layer/arm64/extensions/telemetry-forwarder
}

if [ "$what" = arm64-deps ]; then prepare_arm64; exit 0; fi
mkdir -p build/layer && rm -f build/layer/sizes.txt
case "$what" in
  x86_64) build_x86_64 ;;
  arm64) build_arm64 ;;
  all) build_x86_64; build_arm64 ;;
esac
echo "layer: sizes (bytes)"; cat build/layer/sizes.txt
