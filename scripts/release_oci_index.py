#!/usr/bin/env python3
"""The OCI image index of a release (scripts/release.sh), and its check.

usage: release_oci_index.py LAYOUT VERSION CREATED ARCH...
         umoci has made one image per ARCH, tagged ARCH, in the OCI layout LAYOUT. Writes an image
         index over them (a blob, with each image's platform) and makes it the layout's only
         reference, tagged VERSION; blobs nothing refers to any more are removed.
       release_oci_index.py --check-layer LAYOUT VERSION ARCH BINARY
         checks that the image for ARCH in the index VERSION has one layer holding exactly
         opt/extensions/telemetry-forwarder (mode 0755, the same bytes as BINARY) and its parent
         directories, and nothing else.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
PLATFORM = {"x86_64": "amd64", "arm64": "arm64"}
REF = "org.opencontainers.image.ref.name"


def blob_path(layout, digest):
    algorithm, hexdigest = digest.split(":", 1)
    return os.path.join(layout, "blobs", algorithm, hexdigest)


def read_blob(layout, digest):
    data = open(blob_path(layout, digest), "rb").read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        sys.exit(f"oci: blob {digest} does not match its digest")
    return data


def write_blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, digest), "wb") as f:
        f.write(data)
    return digest


def references(layout, descriptor):
    """Every digest reachable from a descriptor."""
    out = {descriptor["digest"]}
    if descriptor["mediaType"] == INDEX:
        for d in json.loads(read_blob(layout, descriptor["digest"]))["manifests"]:
            out |= references(layout, d)
    elif descriptor["mediaType"] == MANIFEST:
        manifest = json.loads(read_blob(layout, descriptor["digest"]))
        out.add(manifest["config"]["digest"])
        out |= {layer["digest"] for layer in manifest["layers"]}
    return out


def make_index(layout, version, created, arches):
    top = json.load(open(os.path.join(layout, "index.json")))
    by_tag = {d.get("annotations", {}).get(REF): d for d in top["manifests"]}
    manifests = []
    for arch in arches:
        d = by_tag[arch]
        manifests.append({"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
                          "platform": {"architecture": PLATFORM[arch], "os": "linux"}})
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests,
             "annotations": {"org.opencontainers.image.version": version,
                             "org.opencontainers.image.created": created,
                             "org.opencontainers.image.title": "telemetry-forwarder"}}
    data = json.dumps(index, separators=(",", ":"), sort_keys=True).encode()
    descriptor = {"mediaType": INDEX, "digest": write_blob(layout, data), "size": len(data),
                  "annotations": {REF: version}}
    top["manifests"] = [descriptor]
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(top, f, separators=(",", ":"), sort_keys=True)
    keep = references(layout, descriptor)
    blobs = os.path.join(layout, "blobs", "sha256")
    for name in os.listdir(blobs):
        if "sha256:" + name not in keep:
            os.remove(os.path.join(blobs, name))
    print(f"oci: index {descriptor['digest']} ({version}): "
          + ", ".join(f"linux/{m['platform']['architecture']} {m['digest']}" for m in manifests))


def check_layer(layout, version, arch, binary):
    top = json.load(open(os.path.join(layout, "index.json")))
    [descriptor] = [d for d in top["manifests"] if d["annotations"][REF] == version]
    index = json.loads(read_blob(layout, descriptor["digest"]))
    [image] = [m for m in index["manifests"] if m["platform"]["architecture"] == PLATFORM[arch]]
    manifest = json.loads(read_blob(layout, image["digest"]))
    config = json.loads(read_blob(layout, manifest["config"]["digest"]))
    problems = []
    if (config["os"], config["architecture"]) != ("linux", PLATFORM[arch]):
        problems.append(f"config says {config['os']}/{config['architecture']}")
    if len(manifest["layers"]) != 1:
        problems.append(f"{len(manifest['layers'])} layers")
    expected = open(binary, "rb").read()
    names = []
    for layer in manifest["layers"]:
        data = read_blob(layout, layer["digest"])
        if layer["mediaType"].endswith("+gzip"):
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                name = member.name.lstrip("./").rstrip("/")
                names.append(name)
                if name in ("opt", "opt/extensions") and member.isdir():
                    continue
                if name != "opt/extensions/telemetry-forwarder" or not member.isfile():
                    problems.append(f"unexpected {member.name}")
                    continue
                if member.mode & 0o777 != 0o755:
                    problems.append(f"mode {oct(member.mode)}")
                if tar.extractfile(member).read() != expected:
                    problems.append(f"its binary is not {binary}")
    if "opt/extensions/telemetry-forwarder" not in names:
        problems.append("no opt/extensions/telemetry-forwarder")
    if problems:
        sys.exit(f"oci: linux/{PLATFORM[arch]}: " + "; ".join(problems))
    print(f"oci: linux/{PLATFORM[arch]} {image['digest']}: one layer holding "
          f"{', '.join(sorted(names))} ({len(expected)} bytes, sha256 "
          f"{hashlib.sha256(expected).hexdigest()}), nothing else")


if __name__ == "__main__":
    if sys.argv[1] == "--check-layer":
        check_layer(*sys.argv[2:6])
    else:
        make_index(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
