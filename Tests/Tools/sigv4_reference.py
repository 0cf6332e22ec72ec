#!/usr/bin/env python3
"""Sign requests with botocore's SigV4Auth, the reference the Swift signer is compared with.

Reads a JSON list of cases on stdin; each case has: method, url (no query), params (list of
[name, value], unencoded), headers (list of [name, value]), body (string), access_key,
secret_key, token (or null), region, service, timestamp ("YYYYMMDDTHHMMSSZ").
Prints a JSON list of {"canonical_request", "string_to_sign", "signature", "authorization"}.
"""
import datetime
import json
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(case):
    fixed = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    request = AWSRequest(
        method=case["method"],
        url=case["url"],
        headers={name: value for name, value in case["headers"]},
        data=case["body"].encode("utf-8"),
        params=[(name, value) for name, value in case["params"]],
    )
    credentials = Credentials(case["access_key"], case["secret_key"], case.get("token"))
    signer = botocore.auth.SigV4Auth(credentials, case["service"], case["region"])
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=fixed):
        signer.add_auth(request)
    authorization = request.headers["Authorization"]
    # Recompute the intermediate strings as add_auth saw them, before it added Authorization.
    del request.headers["Authorization"]
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    return {
        "canonical_request": canonical,
        "string_to_sign": string_to_sign,
        "signature": signer.signature(string_to_sign, request),
        "authorization": authorization,
    }


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
