#!/usr/bin/env python3
"""Writes the index patterns of dashboards/lambda-telemetry.ndjson with their field lists.

OpenSearch Dashboards reads an index pattern's fields from the cluster when the pattern is
created; an imported pattern keeps the list it was saved with. With an empty list, panels that
aggregate a field break when imported before any data arrived, so every pattern here ships with
the fields the sink's index templates declare (src/sinks/opensearch_bootstrap.cpp) and the record
fields Lambda's events carry. test/unit/sinks/dashboards_test.cpp checks every listed field
against the templates and the documents the sink writes, and every field a panel uses against
these lists.

usage: dashboards/index_patterns.py   (rewrites the index-pattern lines in place; other lines
                                       are kept as they are)
"""
import json
import pathlib

FILE = pathlib.Path(__file__).with_name("lambda-telemetry.ndjson")

# Dashboards' field types by the mapping's type.
KIND = {"date": "date", "keyword": "string", "text": "string", "long": "number",
        "integer": "number", "double": "number", "float": "number", "object": "object",
        "flat_object": "unknown"}

META = [("_id", "string", ["_id"], True, True), ("_index", "string", ["_index"], True, True),
        ("_score", "number", [], False, False), ("_source", "_source", ["_source"], False, False),
        ("_type", "string", ["_type"], True, True)]

IDENTITY = [("type", "keyword"), ("event_id", "keyword"), ("sequence", "long"),
            ("sandbox", "keyword"), ("function_name", "keyword"), ("function_version", "keyword"),
            ("region", "keyword")]

DATA = [("@timestamp", "date"), ("time", "date"), ("requestId", "keyword")] + IDENTITY + [
    ("message", "text")]

# Records of platform events: a dynamic object; metrics are doubles, strings keywords, other
# numbers long (or float when fractional) by the template's dynamic templates.
PLATFORM_RECORD = [
    ("record", "object"),
    ("record.initializationType", "keyword"), ("record.phase", "keyword"),
    ("record.runtimeVersion", "keyword"), ("record.runtimeVersionArn", "keyword"),
    ("record.functionName", "keyword"), ("record.functionVersion", "keyword"),
    ("record.requestId", "keyword"), ("record.version", "keyword"), ("record.status", "keyword"),
    ("record.errorType", "keyword"),
    ("record.metrics.durationMs", "double"), ("record.metrics.producedBytes", "double"),
    ("record.metrics.billedDurationMs", "double"), ("record.metrics.memorySizeMB", "double"),
    ("record.metrics.maxMemoryUsedMB", "double"), ("record.metrics.initDurationMs", "double"),
    # telemetry-forwarder.counters (src/forwarder/counters.cpp)
    ("record.reason", "keyword"), ("record.received", "long"), ("record.delivered", "long"),
    ("record.retried", "long"), ("record.spilled", "long"), ("record.shed", "long"),
    ("record.rejected", "long"), ("record.lost", "long"), ("record.buffered", "long"),
    ("record.requests", "long"), ("record.failedRequests", "long"),
    ("record.malformedPosts", "long"), ("record.sinkLatencyMeanMs", "float"),
    ("record.sinkLatencyMaxMs", "float"),
]

# Function and extension records are one flat_object: its subfields are searchable by path
# (record.level:ERROR) but not aggregatable.
LOG_RECORD = [("record", "flat_object"), ("record.level", "flat_object"),
              ("record.message", "flat_object"), ("record.requestId", "flat_object"),
              ("record.timestamp", "flat_object")]

DEAD_LETTER = [("@timestamp", "date")] + IDENTITY + [
    ("index", "keyword"), ("status", "integer"), ("error_type", "keyword"), ("reason", "text"),
    ("original", "text-unindexed")]


def field(name, es_type):
    if es_type == "text-unindexed":  # stored in _source only ("index": false)
        return {"count": 0, "name": name, "type": "string", "esTypes": ["text"], "scripted": False,
                "searchable": False, "aggregatable": False, "readFromDocValues": False}
    if es_type == "flat_object" and name != "record":
        kind = "string"  # a subfield of a flat_object is queried like a keyword
    else:
        kind = KIND[es_type]
    doc_values = es_type not in ("text", "object", "flat_object")
    return {"count": 0, "name": name, "type": kind, "esTypes": [es_type], "scripted": False,
            "searchable": es_type != "object", "aggregatable": doc_values,
            "readFromDocValues": doc_values}


def fields(entries):
    out = [{"count": 0, "name": n, "type": t, "esTypes": e, "scripted": False, "searchable": s,
            "aggregatable": a, "readFromDocValues": False} for n, t, e, s, a in META]
    out += [field(name, es_type) for name, es_type in entries]
    return json.dumps(sorted(out, key=lambda f: f["name"]), separators=(",", ":"))


PATTERNS = {
    "ltf-index-pattern-lambda-platform": ("lambda-platform*", DATA + PLATFORM_RECORD),
    "ltf-index-pattern-lambda-function": ("lambda-function*", DATA + LOG_RECORD),
    "ltf-index-pattern-lambda-extension": ("lambda-extension*", DATA + LOG_RECORD),
    "ltf-index-pattern-lambda-telemetry-dlq": ("lambda-telemetry-dlq*", DEAD_LETTER),
}


def main():
    lines = [json.loads(line) for line in FILE.read_text().splitlines() if line.strip()]
    others = [o for o in lines if o["type"] != "index-pattern" or o["id"] not in PATTERNS]
    patterns = []
    for pattern_id, (title, entries) in PATTERNS.items():
        patterns.append({"type": "index-pattern", "id": pattern_id,
                         "attributes": {"title": title, "timeFieldName": "@timestamp",
                                        "fields": fields(entries)},
                         "references": [], "migrationVersion": {"index-pattern": "7.6.0"}})
    text = "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in patterns + others)
    FILE.write_text(text)


if __name__ == "__main__":
    main()
