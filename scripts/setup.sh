#!/usr/bin/env bash
# Installs, on Debian 12, what building telemetry-forwarder and fake-lambda needs (and so what
# scripts/demo.sh needs), plus any packages named as arguments. Idempotent: it calls apt-get only
# when something is missing. Services that packages bring (nginx) are not started: the tests run
# their own processes.
#
# usage: scripts/setup.sh [PACKAGE...]
#   scripts/test.sh adds what only the tests need (GoogleTest, Google Benchmark, nginx,
#   python3-botocore); layer/build.sh and scripts/release.sh add their own tools.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-log1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev libc-ares-dev
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
((${#missing[@]})) || exit 0

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# No service starts during the install (invoke-rc.d asks policy-rc.d; 101 means "not now"), unless
# the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 0755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
