#!/usr/bin/env python3
"""Signs requests with botocore's own SigV4 signer, for the C++ differential test.

Input (argv[1]): a JSON list of cases
  {"id", "method", "url", "headers": [[name, value], ...], "body_hex", "region", "service",
   "access_key", "secret_key", "token" (or null), "timestamp": "YYYYMMDDTHHMMSSZ",
   "content_sha256": bool}
Output (stdout): a JSON list of {"id", "canonical_request", "string_to_sign", "authorization",
   "x_amz_date", "x_amz_security_token" (or null), "x_amz_content_sha256" (or null)}.

botocore signs every header it is handed (but User-Agent, Expect, Transfer-Encoding,
X-Amzn-Trace-Id), so the cases pass exactly the headers the C++ side signs. OpenSearch clients
(opensearch-py's AWSV4SignerAuth) add X-Amz-Content-SHA256 themselves before SigV4Auth for
'aoss'; content_sha256 does the same here.
"""
import datetime
import hashlib
import json
import sys

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def pin_clock(moment):
    """Makes botocore sign at `moment`, whichever way this botocore version reads the clock."""
    if hasattr(botocore.auth, "get_current_datetime"):  # botocore >= 1.31-ish
        botocore.auth.get_current_datetime = lambda *args, **kwargs: moment
    else:  # older releases call datetime.datetime.utcnow() through the module they imported
        class FrozenDatetime(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return moment

        class FrozenModule:
            datetime = FrozenDatetime

            def __getattr__(self, name):
                return getattr(datetime, name)

        botocore.auth.datetime = FrozenModule()


class RecordingSigV4Auth(SigV4Auth):
    """botocore's signer, keeping the intermediate strings it computed for add_auth."""

    def canonical_request(self, request):
        self.recorded_canonical_request = super().canonical_request(request)
        return self.recorded_canonical_request

    def string_to_sign(self, request, canonical_request):
        self.recorded_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.recorded_string_to_sign


def sign(case):
    moment = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    pin_clock(moment)
    body = bytes.fromhex(case["body_hex"])
    request = AWSRequest(method=case["method"], url=case["url"], data=body)
    for name, value in case["headers"]:
        request.headers[name] = value  # appends: duplicates stay separate values
    if case["content_sha256"]:
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    credentials = Credentials(case["access_key"], case["secret_key"], case["token"])
    signer = RecordingSigV4Auth(credentials, case["service"], case["region"])
    signer.add_auth(request)
    return {
        "id": case["id"],
        "canonical_request": signer.recorded_canonical_request,
        "string_to_sign": signer.recorded_string_to_sign,
        "authorization": request.headers["Authorization"],
        "x_amz_date": request.headers["X-Amz-Date"],
        "x_amz_security_token": request.headers.get("X-Amz-Security-Token"),
        "x_amz_content_sha256": request.headers.get("X-Amz-Content-SHA256"),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    json.dump([sign(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
