#!/usr/bin/env bash
# Smoke test of the arm64 binary on an x86_64 machine: fake-lambda (x86_64) runs it under
# qemu-aarch64 through a wrapper named telemetry-forwarder (the extension's name is its file
# name), delivering by host name (localhost, looked up by c-ares in /etc/hosts) to the recording
# sink. Passes when every function log line arrived and the extension exited before the deadline.
#
# usage: layer/qemu_smoke_test.sh ARM64_BINARY [FAKE_LAMBDA]
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "$1")"
fake_lambda="${2:-build/layer-x86_64/src/fake-lambda}"
[ -x "$fake_lambda" ] || fake_lambda=build/release/src/fake-lambda
[ -x "$fake_lambda" ] || { echo "qemu-smoke: no fake-lambda (build x86_64 first)" >&2; exit 1; }
qemu="$(command -v qemu-aarch64 || command -v qemu-aarch64-static)"

work="$(mktemp -d "${TMPDIR:-/tmp}/ltf-qemu.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cat > "$work/telemetry-forwarder" <<WRAPPER
#!/bin/sh
DISPATCH_POST_URI="\$(echo "\$DISPATCH_POST_URI" | sed 's|//127\.0\.0\.1:|//localhost:|')"
export DISPATCH_POST_URI
exec "$qemu" "$binary"
WRAPPER
chmod 0755 "$work/telemetry-forwarder"

"$fake_lambda" --extension "$work/telemetry-forwarder" --sink --invocations 20 --lines 20 \
  --report "$work/report.json" > "$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; exit 1; }
python3 - "$work/report.json" <<'PY' || { cat "$work/out.txt" >&2; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
ext, lines = r["extensions"][0], r["sink"]["lines"]
ok = (ext["exit_status"] == 0 and ext["exited_before_deadline"] and not ext["killed"]
      and lines["produced"] > 0 and lines["received"] == lines["produced"] and lines["lost"] == 0
      and not r["problems"])
print(f"qemu-smoke: arm64 under qemu: {'ok' if ok else 'FAILED'}: lines {lines}, "
      f"exit {ext['exit_status']}, init {ext['init_ms']} ms, problems {r['problems']}")
sys.exit(0 if ok else 1)
PY
