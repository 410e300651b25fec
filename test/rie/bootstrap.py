#!/usr/bin/python3
"""The function runtime for test/rie/managed_instances.sh (installed as /var/task/bootstrap): it
speaks the Lambda Runtime API with AWS_LAMBDA_MAX_CONCURRENCY threads, as Managed Instances
runtimes do, and for each invocation whose payload is {"n": N} prints RIE_TEST_LINES known lines

    <RIE_TEST_TAG> invocation <N, 3 digits> line <K, 3 digits> of <RIE_TEST_LINES>

RIE_TEST_LINE_GAP_MS apart (the function's work: invocations running side by side interleave
their lines, as on Managed Instances), then answers
{"n": N, "lines": RIE_TEST_LINES, "tag": RIE_TEST_TAG}. At start it prints "<RIE_TEST_TAG> init". Python from Debian (/usr/bin/python3): the runtime runs as uid 993.
"""
import json
import os
import sys
import threading
import time
import urllib.request

api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
tag = os.environ["RIE_TEST_TAG"]
lines = int(os.environ["RIE_TEST_LINES"])
gap = int(os.environ.get("RIE_TEST_LINE_GAP_MS", "0")) / 1000
workers = int(os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY", "1"))
out = threading.Lock()


def say(text):
    with out:  # whole lines, never interleaved within one
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        answer.read()


def worker():
    while True:
        with urllib.request.urlopen(api + "next") as answer:
            request_id = answer.headers["Lambda-Runtime-Aws-Request-Id"]
            payload = answer.read()
        try:
            n = int(json.loads(payload)["n"])
        except (ValueError, KeyError, TypeError) as e:
            post(api + request_id + "/error",
                 {"errorMessage": f"bad payload {payload!r}: {e}", "errorType": "BadPayload"})
            continue
        for k in range(1, lines + 1):
            if k > 1 and gap:
                time.sleep(gap)
            say(f"{tag} invocation {n:03d} line {k:03d} of {lines}")
        post(api + request_id + "/response", {"n": n, "lines": lines, "tag": tag})


say(f"{tag} init")
threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
