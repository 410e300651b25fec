#!/usr/bin/env python3
"""The SBOM of a release (scripts/release.sh): SPDX 2.3, JSON.

usage: release_sbom.py OUT VERSION COMMIT CREATED ARCH...
Reads OUT/telemetry-forwarder-VERSION-ARCH.zip and OUT/components-ARCH.json (scripts/notice.sh
--components) and writes OUT/telemetry-forwarder-VERSION.spdx.json: a package per layer zip
(its SHA-256), the file it holds (extensions/telemetry-forwarder, SHA-1 and SHA-256), each
component statically linked into that file (name, upstream version, licence, the Debian source
package and version it was built from, as a purl), the OCI image index, and the relationships
between them (DESCRIBES, CONTAINS, STATIC_LINK).
"""
import hashlib
import json
import os
import re
import sys
import zipfile

out, version, commit, created, arches = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]


def spdx_id(text):
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


packages, files, relationships = [], [], []
seen_components = {}
for arch in arches:
    zip_name = f"telemetry-forwarder-{version}-{arch}.zip"
    zip_bytes = open(os.path.join(out, zip_name), "rb").read()
    with zipfile.ZipFile(os.path.join(out, zip_name)) as z:
        [entry] = z.namelist()
        binary = z.read(entry)
    zip_id = spdx_id(f"Package-layer-{arch}")
    file_id = spdx_id(f"File-{arch}-{entry}")
    packages.append({
        "SPDXID": zip_id,
        "name": f"telemetry-forwarder layer ({arch})",
        "versionInfo": version,
        "packageFileName": zip_name,
        "supplier": "Organization: lambda-telemetry-forwarder",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": True,
        "packageVerificationCode": {"packageVerificationCodeValue":
                                    hashlib.sha1(hashlib.sha1(binary).hexdigest().encode()).hexdigest()},
        "checksums": [{"algorithm": "SHA256", "checksumValue": hashlib.sha256(zip_bytes).hexdigest()}],
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "Apache-2.0",
        "copyrightText": "Copyright 2026 the lambda-telemetry-forwarder authors",
        "primaryPackagePurpose": "APPLICATION",
        "sourceInfo": f"built by layer/build.sh {arch} from commit {commit}",
        "hasFiles": [file_id],
    })
    files.append({
        "SPDXID": file_id,
        "fileName": f"./{entry}",
        "fileTypes": ["BINARY"],
        "checksums": [{"algorithm": "SHA1", "checksumValue": hashlib.sha1(binary).hexdigest()},
                      {"algorithm": "SHA256", "checksumValue": hashlib.sha256(binary).hexdigest()}],
        "licenseConcluded": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "comment": f"{arch}, statically linked, stripped; {len(binary)} bytes",
    })
    relationships.append({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                          "relatedSpdxElement": zip_id})
    relationships.append({"spdxElementId": zip_id, "relationshipType": "CONTAINS",
                          "relatedSpdxElement": file_id})
    components = json.load(open(os.path.join(out, f"components-{arch}.json")))["components"]
    for c in components:
        key = (c["name"], c["debian_source"], c["debian_version"])
        if key not in seen_components:
            component_id = spdx_id(f"Package-{c['debian_source']}-{c['debian_version']}")
            seen_components[key] = component_id
            packages.append({
                "SPDXID": component_id,
                "name": c["name"],
                "versionInfo": c["version"],
                "supplier": "Organization: Debian",
                "downloadLocation": c["homepage"],
                "homepage": c["homepage"],
                "filesAnalyzed": False,
                "licenseConcluded": c["license"],
                "licenseDeclared": c["license"],
                "copyrightText": "NOASSERTION",
                "primaryPackagePurpose": "LIBRARY",
                "sourceInfo": f"Debian 12 source package {c['debian_source']} {c['debian_version']}; "
                              "binary packages " + ", ".join(f"{p} {v}" for p, v in sorted(c["packages"].items())),
                "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                  "referenceLocator": f"pkg:deb/debian/{c['debian_source']}@"
                                  + c["debian_version"].replace(":", "%3A").replace("+", "%2B")
                                  + "?arch=source&distro=debian-12"}],
            })
        relationships.append({"spdxElementId": file_id, "relationshipType": "STATIC_LINK",
                              "relatedSpdxElement": seen_components[key],
                              "comment": "linked: " + ", ".join(c["libraries"])})

oci_tar = f"telemetry-forwarder-{version}-oci.tar"
index_ref = json.load(open(os.path.join(out, "oci", "index.json")))["manifests"][0]
packages.append({
    "SPDXID": "SPDXRef-Package-oci-image-index",
    "name": "telemetry-forwarder container image",
    "versionInfo": version,
    "packageFileName": oci_tar,
    "supplier": "Organization: lambda-telemetry-forwarder",
    "downloadLocation": "NOASSERTION",
    "filesAnalyzed": False,
    "checksums": [{"algorithm": "SHA256", "checksumValue":
                   hashlib.sha256(open(os.path.join(out, oci_tar), "rb").read()).hexdigest()}],
    "licenseConcluded": "NOASSERTION",
    "licenseDeclared": "Apache-2.0",
    "copyrightText": "Copyright 2026 the lambda-telemetry-forwarder authors",
    "primaryPackagePurpose": "CONTAINER",
    "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                      "referenceLocator": f"pkg:oci/telemetry-forwarder@{index_ref['digest'].replace(':', '%3A')}?tag={version}"}],
    "comment": "OCI image index; each image holds only /opt/extensions/telemetry-forwarder, "
               "the file of the layer zip of its architecture",
})
relationships.append({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": "SPDXRef-Package-oci-image-index"})
for arch in arches:
    relationships.append({"spdxElementId": "SPDXRef-Package-oci-image-index",
                          "relationshipType": "CONTAINS",
                          "relatedSpdxElement": spdx_id(f"File-{arch}-extensions/telemetry-forwarder")})

document = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": f"telemetry-forwarder-{version}",
    "documentNamespace": f"https://lambda-telemetry-forwarder.invalid/spdx/telemetry-forwarder-{version}-{commit}",
    "creationInfo": {"created": created, "creators": ["Tool: scripts/release.sh",
                                                      "Organization: lambda-telemetry-forwarder"]},
    "packages": packages,
    "files": files,
    "relationships": relationships,
}
path = os.path.join(out, f"telemetry-forwarder-{version}.spdx.json")
with open(path, "w") as f:
    json.dump(document, f, indent=1)
    f.write("\n")
print(f"sbom: {path}: {len(packages)} packages, {len(files)} files")
for (name, source, debian_version), component_id in seen_components.items():
    c = next(p for p in packages if p["SPDXID"] == component_id)
    print(f"  {name} {c['versionInfo']} ({c['licenseDeclared']}; Debian {source} {debian_version})")
