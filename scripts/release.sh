#!/usr/bin/env bash
# Makes a release in build/release/ from a clean tree, for x86_64 and arm64 (or one of them):
#   telemetry-forwarder-<version>-<arch>.zip   the layer zips (layer/build.sh, renamed)
#   telemetry-forwarder-<version>.spdx.json    SPDX 2.3 SBOM: the zips, the binary in each and the
#                                              components statically linked into it (NOTICE's)
#   oci/ and telemetry-forwarder-<version>-oci.tar   an OCI image layout holding an image index
#                                              (tag <version>) with one image per architecture,
#                                              each holding only /opt/extensions/telemetry-forwarder
#                                              (built with umoci, checked with skopeo inspect)
#   SHA256SUMS                                 of all of the above files
# <version> is project()'s in CMakeLists.txt. The binary must print it for --version, and NOTICE
# must match what the build links (scripts/notice.sh --check).
#
# usage: scripts/release.sh [--allow-dirty] [all|x86_64|arm64]   (default all)
#   --allow-dirty   build from a tree with uncommitted changes (not for a real release)
# Installs what it needs with apt (Debian 12): umoci, skopeo, zip, python3 (and layer/build.sh's).
set -euo pipefail
cd "$(dirname "$0")/.."
allow_dirty=0 what=all
for argument in "$@"; do
  case "$argument" in
    --allow-dirty) allow_dirty=1 ;;
    all|x86_64|arm64) what="$argument" ;;
    *) echo "usage: $0 [--allow-dirty] [all|x86_64|arm64]" >&2; exit 1 ;;
  esac
done
arches=(x86_64 arm64)
[ "$what" = all ] || arches=("$what")

if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
  if ((allow_dirty)); then
    echo "release: WARNING: the tree has uncommitted changes (--allow-dirty)" >&2
  else
    echo "release: the tree has uncommitted changes; commit or stash them (or --allow-dirty):" >&2
    git status --short >&2
    exit 1
  fi
fi
scripts/setup.sh umoci skopeo zip unzip python3
version="$(sed -n 's/^project([a-z-]* VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "release: no version in CMakeLists.txt" >&2; exit 1; }
commit="$(git rev-parse HEAD)"
# Timestamps in the image and the SBOM are the commit's, so a rebuild of it gives the same image.
epoch="$(git log -1 --format=%ct)"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
out=build/release
rm -rf "$out" && mkdir -p "$out"
echo "release: telemetry-forwarder $version at $commit, for ${arches[*]}"

oci_arch() { case "$1" in x86_64) echo amd64 ;; arm64) echo arm64 ;; esac; }

# Packages first: the arm64 :arm64 libraries are Multi-Arch: same, so installing them can upgrade
# the amd64 ones too (libssl-dev, zlib1g-dev), and every link below must see the final set.
if [[ " ${arches[*]} " == *" arm64 "* ]]; then layer/build.sh arm64-deps; fi

# The layer zips, their binaries checked for the version, NOTICE checked against the link.
for arch in "${arches[@]}"; do
  # ninja relinks by file times, and dpkg installs libraries with their packaged, older times:
  # after any package change since the last link, link again.
  map="build/layer-$arch/src/telemetry-forwarder.map"
  if [ ! -f "$map" ] || [ -n "$(find /var/lib/dpkg/info -name '*.list' -newer "$map" -print -quit)" ]; then
    rm -f "build/layer-$arch/src/telemetry-forwarder"
  fi
  layer/build.sh "$arch"
  binary="build/layer/$arch/extensions/telemetry-forwarder"
  runner=()
  [ "$arch" = arm64 ] && runner=("$(command -v qemu-aarch64 || command -v qemu-aarch64-static)")
  said="$("${runner[@]}" "$binary" --version)"
  [ "$said" = "telemetry-forwarder $version" ] ||
    { echo "release: $arch: --version says '$said', not $version" >&2; exit 1; }
  cp "build/layer/$arch/extension.zip" "$out/telemetry-forwarder-$version-$arch.zip"
  scripts/notice.sh --check --components "$out/components-$arch.json" "$arch"
done

# The OCI images, one per architecture, then an index over them (umoci makes one tag per image;
# the index is written here, as the OCI image spec lays it out).
layout="$out/oci"
umoci init --layout "$layout"
for arch in "${arches[@]}"; do
  # The layer: exactly opt/, opt/extensions/ and the binary (mode 0755, owner 0), timestamps the
  # commit's, in a fixed order, so the same commit gives the same layer.
  stage="$out/stage-$arch"
  mkdir -p "$stage/opt/extensions"
  cp "build/layer/$arch/extensions/telemetry-forwarder" "$stage/opt/extensions/telemetry-forwarder"
  chmod 0755 "$stage/opt" "$stage/opt/extensions" "$stage/opt/extensions/telemetry-forwarder"
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=ustar \
    -C "$stage" -cf "$stage.tar" opt
  umoci new --image "$layout:$arch"
  umoci config --image "$layout:$arch" --os linux --architecture "$(oci_arch "$arch")" \
    --created "$created" --author "lambda-telemetry-forwarder" --no-history \
    --config.label "org.opencontainers.image.title=telemetry-forwarder" \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label "org.opencontainers.image.revision=$commit" \
    --config.label "org.opencontainers.image.licenses=Apache-2.0"
  umoci raw add-layer --image "$layout:$arch" --history.created "$created" \
    --history.created_by "scripts/release.sh: /opt/extensions/telemetry-forwarder" "$stage.tar"
  rm -rf "$stage" "$stage.tar"
done
python3 scripts/release_oci_index.py "$layout" "$version" "$created" "${arches[@]}"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
  -C "$layout" -cf "$out/telemetry-forwarder-$version-oci.tar" .

# Checks: skopeo reads the index and each image; each image's one layer holds exactly the binary
# of that architecture's zip.
echo "release: skopeo inspect --raw oci:$layout:$version"
skopeo inspect --raw "oci:$layout:$version" | python3 -m json.tool
for arch in "${arches[@]}"; do
  echo "release: skopeo inspect --override-arch $(oci_arch "$arch") oci:$layout:$version"
  skopeo inspect --override-os linux --override-arch "$(oci_arch "$arch")" "oci:$layout:$version" |
    tee "$out/inspect-$arch.json"
  python3 scripts/release_oci_index.py --check-layer "$layout" "$version" "$arch" \
    "build/layer/$arch/extensions/telemetry-forwarder"
done
skopeo inspect "oci-archive:$out/telemetry-forwarder-$version-oci.tar:$version" \
  --override-os linux --override-arch "$(oci_arch "${arches[0]}")" >/dev/null

python3 scripts/release_sbom.py "$out" "$version" "$commit" "$created" "${arches[@]}"
rm -f "$out"/components-*.json "$out"/inspect-*.json
(cd "$out" && sha256sum -- *.zip *.spdx.json *-oci.tar > SHA256SUMS && sha256sum -c --quiet SHA256SUMS)

echo "release: $out"
(cd "$out" && for f in *.zip *.spdx.json *-oci.tar SHA256SUMS; do
   printf '  %-44s %10s bytes\n' "$f" "$(stat -c %s "$f")"; done)
echo "release: SHA256SUMS"
sed 's/^/  /' "$out/SHA256SUMS"
