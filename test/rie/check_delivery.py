#!/usr/bin/python3
"""Verdict on what test/rie/managed_instances.sh recorded: every invoke answered by the runtime,
and every function line the runtime printed delivered to the recording destination exactly once.

usage: check_delivery.py RECEIVED_JSONL RESPONSES_DIR TAG INVOCATIONS LINES SHUTDOWN_MS
  RECEIVED_JSONL  one POST per line, {"at": ms, "events": [...]}, from recording_sink.py
  RESPONSES_DIR   for invocation i (1..INVOCATIONS): i.code (HTTP status), i.body (response body)
  SHUTDOWN_MS     when SHUTDOWN was asked for (ms since the epoch): Managed Instances have no
                  INVOKE to flush at, so some lines must have arrived before it (flushed by time)
Prints "received=L lost=X duplicated=Y events=E before_shutdown=B" on stdout; every problem on
stderr; exit 1 when there is any.
"""
import collections
import json
import os
import sys

received_path, responses, tag = sys.argv[1], sys.argv[2], sys.argv[3]
invocations, lines, shutdown_ms = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
problems = []

# Every invoke: 200 and the runtime's own answer.
for i in range(1, invocations + 1):
    try:
        code = open(os.path.join(responses, f"{i}.code")).read().strip()
        body = open(os.path.join(responses, f"{i}.body")).read()
    except OSError as e:
        problems.append(f"invocation {i}: no answer recorded ({e})")
        continue
    want = {"n": i, "lines": lines, "tag": tag}
    try:
        got = json.loads(body)
    except ValueError:
        got = body
    if code != "200" or got != want:
        problems.append(f"invocation {i}: HTTP {code}, body {body[:300]!r} (want 200, {want})")

expected = [f"{tag} init"] + [f"{tag} invocation {n:03d} line {k:03d} of {lines}"
                               for n in range(1, invocations + 1) for k in range(1, lines + 1)]
seen = collections.Counter()
event_ids = collections.Counter()
events = 0
before_shutdown = 0
strays = []
with open(received_path, encoding="utf-8") as f:
    for number, text in enumerate(f, 1):
        post = json.loads(text)
        if "unparsable" in post:
            problems.append(f"POST {number}: body is not a JSON array: {post['unparsable'][:300]!r}")
            continue
        early = post["at"] < shutdown_ms
        for event in post["events"]:
            events += 1
            if not isinstance(event, dict):
                problems.append(f"POST {number}: an event is not an object: {str(event)[:200]}")
                continue
            if "eventId" in event:
                event_ids[event["eventId"]] += 1
            else:
                problems.append(f"POST {number}: an event without eventId: {str(event)[:200]}")
            if event.get("type") != "function":
                continue
            record = event.get("record")
            if isinstance(record, dict):  # JSON log format: {timestamp, level, message}
                record = record.get("message")
            if not isinstance(record, str):
                problems.append(f"POST {number}: function record of an unexpected shape: {event}")
                continue
            line = record.rstrip("\n")
            if line.startswith(tag):
                seen[line] += 1
                before_shutdown += early
            if line not in expected:
                strays.append(line)

expected_set = set(expected)
lost = [line for line in expected if seen[line] == 0]
duplicated = {line: n for line, n in seen.items() if n > 1 and line in expected_set}
repeated_ids = {i: n for i, n in event_ids.items() if n > 1}
if lost:
    problems.append(f"{len(lost)} of {len(expected)} function lines never arrived, e.g. {lost[:5]}")
if duplicated:
    problems.append(f"{len(duplicated)} function lines arrived more than once, e.g. "
                    f"{list(duplicated.items())[:5]}")
if repeated_ids:
    problems.append(f"{len(repeated_ids)} event ids arrived more than once, e.g. "
                    f"{list(repeated_ids.items())[:5]}")
if strays:
    problems.append(f"{len(strays)} function lines nobody printed, e.g. {strays[:5]}")
if before_shutdown == 0:
    problems.append("no function line reached the destination before SHUTDOWN: nothing was "
                    "flushed by time while the function ran")
for p in problems:
    print(f"rie-managed-instances: {p}", file=sys.stderr)
arrived = sum(1 for line in expected if seen[line] > 0)
print(f"received={arrived} lost={len(lost)} duplicated={len(duplicated)} events={events} "
      f"before_shutdown={before_shutdown}")
sys.exit(1 if problems else 0)
