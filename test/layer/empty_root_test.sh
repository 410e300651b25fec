#!/usr/bin/env bash
# The layer's binary needs nothing from the image: fake-lambda (outside) runs telemetry-forwarder
# inside an otherwise empty root directory that holds only
#   /opt/extensions/telemetry-forwarder   the static binary
#   /etc/hosts                            sink.test -> 127.0.0.1
#   /etc/resolv.conf                      a name server that is never needed
#   /etc/pki/tls/certs/ca-bundle.crt      a test CA made here (Amazon Linux's bundle path)
# and the extension must deliver every function log line to a sink addressed by host name
# (sink.test), then exit cleanly before the SHUTDOWN deadline.
#
# usage: test/layer/empty_root_test.sh TELEMETRY_FORWARDER FAKE_LAMBDA [http|https|all]
# Enters the root with chroot when run as root, else with `unshare -r chroot` (a user namespace).
# Exit status 0: passed; 77: cannot enter a root here (skipped); anything else: failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "$1")"
fake_lambda="$(realpath "$2")"
modes="${3:-all}"

# ---------------------------------------------------------------------------------------------
# Three rounds: plain HTTP to a host name; HTTPS with verification on against the CA found at the
# Amazon Linux path; HTTPS to a sink whose certificate that CA did not sign (nothing may arrive).
# LTF_EMPTY_ROOT_HTTPS=0 runs the plain-HTTP round alone.
# ---------------------------------------------------------------------------------------------
LTF_EMPTY_ROOT_HTTPS="${LTF_EMPTY_ROOT_HTTPS:-1}"
if [ "$modes" = all ]; then
  modes="http"
  if [ "$LTF_EMPTY_ROOT_HTTPS" = 1 ]; then modes="http https https-untrusted"; fi
elif [ "$modes" = https ]; then
  modes="https https-untrusted"
fi

fail() { echo "empty-root: FAIL: $*" >&2; exit 1; }

if ! file -L "$binary" | grep -q "statically linked"; then
  fail "$binary is not statically linked: $(file -L "$binary")"
fi
if ldd "$binary" >/dev/null 2>&1; then fail "ldd sees a dynamic executable: $binary"; fi

if [ "$(id -u)" -eq 0 ]; then enter=(chroot)
elif unshare -r true 2>/dev/null; then enter=(unshare -r chroot)
else echo "empty-root: SKIP: neither root nor user namespaces available" >&2; exit 77
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ltf-empty-root.XXXXXX")"
proxy_pid=""
cleanup() {
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A test CA, a certificate for sink.test signed by it, and a CA that signed nothing.
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
    -keyout "$work/$1.key" -out "$work/$1.crt" 2>/dev/null
}
make_ca ca "ltf empty-root test CA"
make_ca other "ltf unrelated CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=sink.test" \
  -keyout "$work/sink.key" -out "$work/sink.csr" 2>/dev/null
printf 'subjectAltName=DNS:sink.test\nextendedKeyUsage=serverAuth\n' > "$work/sink.ext"
openssl x509 -req -in "$work/sink.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/sink.ext" -out "$work/sink.crt" 2>/dev/null

make_root() {  # make_root BUNDLE: the empty root, trusting BUNDLE
  rm -rf "$work/root"
  mkdir -p "$work/root/opt/extensions" "$work/root/etc/pki/tls/certs"
  install -m 0755 "$binary" "$work/root/opt/extensions/telemetry-forwarder"
  printf '127.0.0.1 localhost\n127.0.0.1 sink.test\n' > "$work/root/etc/hosts"
  # A name server that does not exist: sink.test must come from /etc/hosts alone.
  printf 'nameserver 127.0.0.53\noptions timeout:1 attempts:1\n' > "$work/root/etc/resolv.conf"
  cp "$1" "$work/root/etc/pki/tls/certs/ca-bundle.crt"
}

# The extension fake-lambda launches: named telemetry-forwarder (the extension's name is its file
# name). It learns the recording sink's port from the DISPATCH_POST_URI fake-lambda gives it,
# points the extension at sink.test instead, and execs into the root (same pid, so fake-lambda's
# freezes and SIGKILL reach the extension itself).
mkdir -p "$work/ext"
cat > "$work/ext/telemetry-forwarder" <<WRAPPER
#!/bin/sh
set -e
port="\${DISPATCH_POST_URI#http://127.0.0.1:}"
port="\${port%%/*}"
echo "\$port" > "$work/upstream"
if [ -s "$work/tls-port" ]; then
  DISPATCH_POST_URI="https://sink.test:\$(cat "$work/tls-port")/"
else
  DISPATCH_POST_URI="http://sink.test:\$port/"
fi
export DISPATCH_POST_URI
unset SSL_CERT_FILE SSL_CERT_DIR LTF_CA_FILE
exec ${enter[*]} "$work/root" /opt/extensions/telemetry-forwarder
WRAPPER
chmod 0755 "$work/ext/telemetry-forwarder"

run() {  # run MODE: one fake-lambda run, then the report's verdict
  local mode="$1" report="$work/report-$1.json" invocations=20
  rm -f "$work/tls-port" "$work/upstream"
  case "$mode" in
    http) make_root "$work/ca.crt" ;;
    https) make_root "$work/ca.crt" ;;
    https-untrusted) make_root "$work/other.crt"; invocations=3 ;;
  esac
  if [ "$mode" != http ] && [ -z "$proxy_pid" ]; then
    python3 "$here/tls_proxy.py" "$work/sink.crt" "$work/sink.key" "$work/proxy-port" \
      "$work/upstream" &
    proxy_pid=$!
    for _ in $(seq 100); do [ -s "$work/proxy-port" ] && break; sleep 0.05; done
    [ -s "$work/proxy-port" ] || fail "the TLS proxy did not start"
  fi
  if [ "$mode" != http ]; then cp "$work/proxy-port" "$work/tls-port"; fi

  local status=0 started=$SECONDS
  "$fake_lambda" --extension "$work/ext/telemetry-forwarder" --sink --invocations "$invocations" \
    --lines 20 --report "$report" > "$work/out-$mode.txt" 2>&1 || status=$?
  # An untrusted sink must receive nothing, so fake-lambda reports those lines lost (exit 6).
  local expected=0
  if [ "$mode" = https-untrusted ]; then expected=6; fi
  if [ "$status" -ne "$expected" ]; then
    cat "$work/out-$mode.txt" >&2
    fail "$mode: fake-lambda exited $status (expected $expected)"
  fi
  python3 - "$report" "$mode" <<'PY' || { cat "$work/out-$mode.txt" >&2; fail "$mode: see above"; }
import json, sys
report, mode = json.load(open(sys.argv[1])), sys.argv[2]
ext = report["extensions"][0]
lines = report["sink"]["lines"]
problems = []
def expect(ok, what):
    if not ok: problems.append(what)
expect(ext["registered"], "extension did not register")
expect(ext["exited"] and ext["exited_before_deadline"] and not ext["killed"],
       "extension did not exit before the deadline")
expect(ext["exit_status"] == 0, f"exit status {ext['exit_status']}")
expect(not report["aborted"], "run aborted")
if mode == "https-untrusted":
    # Verification is on: a sink whose certificate the bundle does not vouch for gets nothing.
    expect(report["sink"]["requests"] == 0, f"{report['sink']['requests']} requests reached an untrusted sink")
else:
    expect(not report["problems"], f"problems: {report['problems']}")
    expect(lines["produced"] > 0 and lines["received"] == lines["produced"], f"lines: {lines}")
    expect(lines["lost"] == 0 and lines["duplicated"] == 0, f"lines: {lines}")
for p in problems:
    print(f"empty-root: {mode}: {p}", file=sys.stderr)
print(f"empty-root: {mode}: {'ok' if not problems else 'FAILED'}: lines {lines}, "
      f"sink requests {report['sink']['requests']}, exit {ext['exit_status']}, "
      f"peak RSS {ext['peak_rss_kb']} kB")
sys.exit(1 if problems else 0)
PY
  echo "empty-root: $mode took $((SECONDS - started)) s"
}

for mode in $modes; do run "$mode"; done
echo "empty-root: PASS ($modes)"
