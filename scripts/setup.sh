#!/usr/bin/env bash
# Installs, on Debian 12, every package the build, the tests and the demo need. Idempotent: it
# calls apt-get only when something is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-log1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev libc-ares-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
  nginx
  python3-botocore
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
