#!/usr/bin/env bash
# CI test: telemetry-forwarder under AWS's own Runtime Interface Emulator (v1.30) in Lambda Managed
# Instances mode. A small Python runtime (bootstrap.py) prints known, numbered lines for each of
# N invocations (some concurrent); the extension must deliver every one of them exactly once to a
# recording destination (recording_sink.py), and exit 0 before the SHUTDOWN deadline when the
# emulator is stopped with SIGTERM.
#
# usage: test/rie/managed_instances.sh [TELEMETRY_FORWARDER]
#   Default binary: the static layer build (build/layer/x86_64/extensions/telemetry-forwarder) if it
#   exists, else build/debug/src/telemetry-forwarder. The emulator: $LTF_RIE, else
#   $LTF_SHARED_DIR/rie/aws-lambda-rie, else <repo>/../shared/rie/aws-lambda-rie.
#   RIE_TEST_INVOCATIONS (20), RIE_TEST_LINES (25 per invocation), RIE_TEST_CONCURRENCY (4);
#   RIE_TEST_KEEP=1 keeps the work folder (emulator log, POST bodies, responses).
# Needs root: it runs in private mount, network and PID namespaces (unshare) with tmpfs on /opt
# and /var, the extension bound at /opt/extensions/telemetry-forwarder and the runtime's folder at
# /var/task, so nothing on the host changes, no port can collide with another test and no process
# outlives it.
# Exit status 0: passed; anything else: failed (the emulator's output, which holds the runtime's
# and the extension's, is printed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
name=rie-managed-instances
fail() { echo "$name: FAIL: $*" >&2; exit 1; }

if [ "${1:-}" != --inside ]; then
  # ------------------------------------------------------------------ outside: prepare, enter
  [ "$(id -u)" -eq 0 ] || fail "needs root (a private mount namespace with /opt and /var)"
  "$repo/scripts/setup.sh" python3 curl iproute2 util-linux file
  binary="${1:-}"
  if [ -z "$binary" ]; then
    binary="$repo/build/layer/x86_64/extensions/telemetry-forwarder"
    [ -x "$binary" ] || binary="$repo/build/debug/src/telemetry-forwarder"
  fi
  [ -x "$binary" ] || fail "no extension binary at $binary (build it first)"
  rie="${LTF_RIE:-${LTF_SHARED_DIR:-$repo/../shared}/rie/aws-lambda-rie}"
  [ -f "$rie" ] || fail "no emulator at $rie (set LTF_RIE or LTF_SHARED_DIR)"
  work="$(mktemp -d "${TMPDIR:-/tmp}/ltf-rie.XXXXXX")"
  if [ "${RIE_TEST_KEEP:-0}" = 1 ]; then echo "$name: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
  chmod 0755 "$work"  # the runtime and the extension (uid 993) reach their folders through it
  echo "$name: extension $(realpath "$binary") ($(file -b "$binary" | grep -o '[a-z]* linked' || true))"
  echo "$name: emulator $(realpath "$rie")"
  # A copy with its own modes: shared/ may be laid without write (or execute) bits.
  install -m 0755 "$rie" "$work/aws-lambda-rie"
  status=0
  # Its own PID namespace too: whatever the emulator started dies with the test (--kill-child).
  unshare --mount --net --pid --fork --kill-child --mount-proc \
    "$here/$(basename "$0")" --inside "$(realpath "$binary")" "$work/aws-lambda-rie" "$work" ||
    status=$?
  exit "$status"
fi

# -------------------------------------------------------------------- inside the namespaces
binary="$2" rie="$3" work="$4"
invocations="${RIE_TEST_INVOCATIONS:-20}"
lines="${RIE_TEST_LINES:-25}"
concurrency="${RIE_TEST_CONCURRENCY:-4}"
tag="ltf-rie-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
started_ms=$(date +%s%3N)

mount --make-rprivate /
ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /opt
mount -t tmpfs -o mode=0755 tmpfs /var
mkdir -p /opt/extensions /var/task "$work/task" "$work/responses"
touch /opt/extensions/telemetry-forwarder
mount --bind "$binary" /opt/extensions/telemetry-forwarder
install -m 0755 "$here/bootstrap.py" "$work/task/bootstrap"
chmod 0755 "$work/task"
mount --bind "$work/task" /var/task
# Everything the extension writes (spill segments, its sandbox id and sequence) goes here.
install -d -m 0700 -o 993 -g 990 "$work/spill"

sink_pid="" rie_pid=""
cleanup() {
  for pid in $rie_pid $sink_pid; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
show_output() {
  echo "----- emulator output (runtime and extension included): $work/rie.log" >&2
  cat "$work/rie.log" >&2 || true
  echo "----- recording destination: $(wc -l < "$work/received.jsonl" 2>/dev/null || echo 0) POSTs" >&2
}
die() { echo "$name: FAIL: $*" >&2; show_output; diagnose; exit 1; }
# RIE v1.30 deadlocks when a telemetry batch is ready (its buffering timeout expired, or it is
# full) while the previous POST to the subscriber is still unanswered: it drops the batch and
# reports platform.logsDropped from the very goroutine that alone reads that channel, holding the
# relay's lock. Function logs, invokes and SHUTDOWN then hang. Say so when it happened.
diagnose() {
  if grep -q "previous batch hasn't processed yet" "$work/rie.log"; then
    echo "$name: the emulator dropped a telemetry batch because the extension's answer to the" \
      "previous POST took longer than the buffering timeoutMs, and RIE v1.30 deadlocks there" \
      "(internal/.../telemetry/internal/subscriber.go: sendCurrentBatchAsync ->" \
      "SendPlatformLogsDropped -> SendAsync on its own channel):" >&2
    grep -E "sending batch to client|telemetry HTTP request completed|previous batch" \
      "$work/rie.log" | tail -4 >&2
  fi
}

# await_file FILE SECONDS WHAT: poll for FILE (every 50 ms) up to a bounded deadline.
await_file() {
  local deadline=$((SECONDS + $2))
  until [ -s "$1" ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "$3 did not happen within $2 s"
    sleep 0.05
  done
}

: > "$work/received.jsonl"
/usr/bin/python3 "$here/recording_sink.py" "$work/received.jsonl" "$work/sink-port" \
  2> "$work/sink.log" &
sink_pid=$!
await_file "$work/sink-port" 10 "the recording destination listening"
sink_port="$(cat "$work/sink-port")"

# The emulator, in Managed Instances mode. LOG_LEVEL=debug makes it log each process's
# termination with its exit status. The extension flushes every 200 ms and subscribes with
# buffering timeoutMs 1000 (Lambda's default) instead of its own 25: the emulator deadlocks when a
# batch is ready before the extension answered the previous POST (see diagnose), and 25 ms is
# within reach of a loaded machine.
(
  cd /var/task
  exec env \
    AWS_LAMBDA_MAX_CONCURRENCY="$concurrency" \
    AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances \
    AWS_LAMBDA_FUNCTION_NAME=ltf-rie-test \
    AWS_LAMBDA_FUNCTION_TIMEOUT=10 \
    LOG_LEVEL=debug \
    RIE_TEST_TAG="$tag" RIE_TEST_LINES="$lines" RIE_TEST_LINE_GAP_MS=10 \
    DISPATCH_POST_URI="http://127.0.0.1:$sink_port/" \
    LTF_SPILL_DIR="$work/spill" \
    LTF_FLUSH_INTERVAL_MS=200 LTF_TELEMETRY_TIMEOUT_MS="${RIE_TEST_TELEMETRY_TIMEOUT_MS:-1000}" \
    "$rie" --runtime-interface-emulator-address 127.0.0.1:8080 \
      --runtime-api-address 127.0.0.1:9001 /var/task/bootstrap
) > "$work/rie.log" 2>&1 &
rie_pid=$!

# The emulator starts Init at once; its invoke port opens right away (the first invoke waits for
# Init). Poll the port every 50 ms, for at most 10 s.
deadline=$((SECONDS + 10))
until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/ || true)" != 000 ]; do
  kill -0 "$rie_pid" 2>/dev/null || die "the emulator exited at start"
  [ "$SECONDS" -lt "$deadline" ] || die "the emulator's invoke port did not open within 10 s"
  sleep 0.05
done

invoke() {  # invoke I: one invocation, its status and body kept for the checker
  curl -sS --max-time 20 \
    -o "$work/responses/$1.body" -w '%{http_code}' \
    -XPOST http://127.0.0.1:8080/2015-03-31/functions/function/invocations -d "{\"n\":$1}" \
    > "$work/responses/$1.code" 2> "$work/responses/$1.err" || true
}

# The first invocations one by one (the first waits for Init), the rest CONCURRENCY at a time.
i=1
while [ "$i" -le "$invocations" ] && [ "$i" -le 4 ]; do invoke "$i"; i=$((i + 1)); done
while [ "$i" -le "$invocations" ]; do
  pids=()
  for _ in $(seq "$concurrency"); do
    [ "$i" -le "$invocations" ] || break
    invoke "$i" & pids+=($!)
    i=$((i + 1))
  done
  wait "${pids[@]}"
done
kill -0 "$rie_pid" 2>/dev/null || die "the emulator exited during the invocations"
invoked_ms=$(date +%s%3N)

# SHUTDOWN: SIGTERM to the emulator; the extension's deadline is 2 s later. Wait up to 15 s.
term_ms=$(date +%s%3N)
kill -TERM "$rie_pid"
deadline=$((SECONDS + 15))
while kill -0 "$rie_pid" 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || die "the emulator did not exit within 15 s of SIGTERM"
  sleep 0.02
done
rie_status=0
wait "$rie_pid" || rie_status=$?
rie_pid=""
exited_ms=$(date +%s%3N)
kill -TERM "$sink_pid"
wait "$sink_pid" || true
sink_pid=""

problems=()
# The extension's own shutdown line, and its exit as the emulator saw it.
shutdown_line="$(grep -m1 'shutdown (spindown): received' "$work/rie.log" || true)"
[ -n "$shutdown_line" ] || problems+=("the extension's shutdown line is not in the emulator's output")
grep -q 'undelivered 0 (0 kept on disk)' <<<"$shutdown_line" ||
  problems+=("the extension left events undelivered: $shutdown_line")
# Quiet by default: a warning or an error (an unwritable spill folder, a refused subscription,
# a failed delivery) is a failure here.
while IFS= read -r line; do problems+=("the extension complained: $line"); done \
  < <(grep -E '^\[telemetry-forwarder\] (warning|error|fatal) ' "$work/rie.log" || true)
exit_event="$(grep -m1 'msg="Received event".*Name:extension-telemetry-forwarder' "$work/rie.log" || true)"
if [ -z "$exit_event" ]; then
  problems+=("the emulator never saw the extension exit")
elif ! grep -q 'ExitStatus:0' <<<"$exit_event"; then
  problems+=("the extension did not exit 0: $exit_event")
fi
if grep -q 'Sending SIGKILL to process.*name=extension-telemetry-forwarder' "$work/rie.log"; then
  problems+=("the emulator had to SIGKILL the extension (it missed the SHUTDOWN deadline)")
fi
# When the extension exited, from the emulator's event time (ms since the epoch, UTC).
extension_ms=""
if [[ "$exit_event" =~ \{Time:([0-9T:.-]+)Z ]]; then
  extension_ms=$(date -u -d "${BASH_REMATCH[1]/T/ } UTC" +%s%3N)
fi
shutdown_ms=$((${extension_ms:-$exited_ms} - term_ms))
[ "$shutdown_ms" -lt 2000 ] || problems+=("SHUTDOWN took $shutdown_ms ms: past the 2 s deadline")
grep -q 'msg="Received Init Success"' "$work/rie.log" ||
  problems+=("Init did not succeed: $(grep -m1 'INIT REPORT' "$work/rie.log" || echo 'no INIT REPORT')")

verdict="$(/usr/bin/python3 "$here/check_delivery.py" "$work/received.jsonl" "$work/responses" \
  "$tag" "$invocations" "$lines" "$term_ms")" || problems+=("delivery check failed (above)")
echo "$name: destination: $verdict; emulator exit status $rie_status"
echo "$name: extension: ${shutdown_line#*] info }"
# How many invocations overlapped, from the emulator's START and END lines (reported, not asserted:
# overlap depends on timing; each invocation takes about 250 ms, 10 ms between lines, so that
# the run lasts a few of the emulator's 1 s batches and some lines must be flushed by time).
overlap="$(awk '/^START RequestId:/ { n++; if (n > max) max = n } /^END RequestId:/ { n-- }
  END { print max + 0 }' "$work/rie.log")"
echo "$name: at most $overlap invocations in flight at once (AWS_LAMBDA_MAX_CONCURRENCY=$concurrency)"
echo "$name: invocations took $((invoked_ms - started_ms)) ms; SIGTERM to extension exit $shutdown_ms ms," \
  "to emulator exit $((exited_ms - term_ms)) ms"
if ((${#problems[@]})); then
  for p in "${problems[@]}"; do echo "$name: FAIL: $p" >&2; done
  for f in "$work"/responses/*.err; do [ -s "$f" ] && { echo "curl $(basename "$f"):" >&2; cat "$f" >&2; }; done
  show_output
  diagnose
  exit 1
fi
received="$(sed -E 's/.*received=([0-9]+).*/\1/' <<<"$verdict")"
echo "$name: $invocations invocations, $received lines, 0 lost, 0 duplicated, shutdown took $shutdown_ms ms"
