#!/usr/bin/python3
"""Recording destination for test/rie/managed_instances.sh: an HTTP server on 127.0.0.1 that
answers every POST with 200 and appends its body (a JSON array of events) as one line to a file.

usage: recording_sink.py OUT_FILE PORT_FILE
  OUT_FILE   one line per POST: {"at": receipt time in ms since the epoch, "events": the body, a
             JSON array} (a body that is not a JSON array is kept as "unparsable": TEXT instead,
             so that the checker can fail on it)
  PORT_FILE  written once the server listens: the port it chose
Runs until SIGTERM. HTTP/1.1 with keep-alive, as the extension uses it.
"""
import http.server
import json
import os
import signal
import sys
import threading
import time

out_path, port_path = sys.argv[1], sys.argv[2]
lock = threading.Lock()
out = open(out_path, "a", encoding="utf-8")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        record = {"at": time.time_ns() // 1_000_000}
        try:
            events = json.loads(body)
            if not isinstance(events, list):
                raise ValueError("not an array")
            record["events"] = events
        except ValueError:
            record["unparsable"] = body
        line = json.dumps(record, separators=(",", ":"))
        with lock:
            out.write(line + "\n")
            out.flush()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
tmp = port_path + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, port_path)
server.serve_forever()
out.close()
