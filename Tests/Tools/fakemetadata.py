#!/usr/bin/env python3
"""Fake EC2 instance metadata service (IMDSv2 only) and container credentials endpoint.

Usage:
    fakemetadata.py --port PORT [--region R] [--vpc V] [--mac M] [--role ROLE]
                    [--access-key K --secret-key S --token T] [--expires-in SECONDS]
                    [--container-path /creds] [--container-auth TOKEN] [--v1-only]

IMDS: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds and returns a token;
every GET under /latest/ needs X-aws-ec2-metadata-token with that token, else 401.
Serves meta-data/placement/region, meta-data/mac, meta-data/network/interfaces/macs/<mac>/vpc-id,
meta-data/iam/security-credentials/ (role name) and .../<role> (credentials JSON).
With --v1-only it plays an IMDS that refuses tokens (PUT answers 403) and would serve GETs
without one, as IMDSv1 did: a client that falls back to v1 shows up as GETs in the counts.
Container: GET <container-path> answers the credentials JSON, checking Authorization when
--container-auth is given. GET /__stats returns request counts by path; GET /__health is 200.
"""
import argparse
import datetime
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def count(self):
        with self.server.lock:
            key = "%s %s" % (self.command, self.path)
            self.server.stats[key] = self.server.stats.get(key, 0) + 1

    def reply(self, status, body, content_type="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def credentials(self):
        options = self.server.options
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=options.expires_in)
        return json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": options.access_key,
                           "SecretAccessKey": options.secret_key, "Token": options.token,
                           "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")})

    def do_PUT(self):
        self.count()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path != "/latest/api/token":
            return self.reply(404, "not found")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing ttl")
        if self.server.options.v1_only:
            return self.reply(403, "tokens are disabled")
        token = uuid.uuid4().hex
        with self.server.lock:
            self.server.tokens.add(token)
        self.reply(200, token)

    def do_GET(self):
        self.count()
        options = self.server.options
        if self.path == "/__health":
            return self.reply(200, "ok")
        if self.path == "/__stats":
            with self.server.lock:
                return self.reply(200, json.dumps(self.server.stats), "application/json")
        if self.path == options.container_path:
            if options.container_auth and self.headers.get("Authorization") != options.container_auth:
                return self.reply(403, "bad authorization")
            return self.reply(200, self.credentials(), "application/json")
        if not self.path.startswith("/latest/"):
            return self.reply(404, "not found")
        with self.server.lock:
            valid = self.headers.get("X-aws-ec2-metadata-token") in self.server.tokens
        if not valid and not options.v1_only:
            return self.reply(401, "")
        routes = {
            "/latest/meta-data/placement/region": options.region,
            "/latest/meta-data/mac": options.mac,
            "/latest/meta-data/network/interfaces/macs/%s/vpc-id" % options.mac: options.vpc,
        }
        if options.role:
            routes["/latest/meta-data/iam/security-credentials/"] = options.role
            routes["/latest/meta-data/iam/security-credentials/%s" % options.role] = self.credentials()
        if self.path in routes and routes[self.path] is not None:
            return self.reply(200, routes[self.path])
        self.reply(404, "not found")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--vpc", default="vpc-0fake")
    parser.add_argument("--mac", default="0e:00:00:00:00:01")
    parser.add_argument("--role")
    parser.add_argument("--access-key", default="ASIAFAKEMETADATA")
    parser.add_argument("--secret-key", default="metadata-secret")
    parser.add_argument("--token", default="metadata-token")
    parser.add_argument("--expires-in", type=int, default=3600)
    parser.add_argument("--container-path", default="/container-credentials")
    parser.add_argument("--container-auth")
    parser.add_argument("--v1-only", action="store_true")
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    server.daemon_threads = True
    server.options = options
    server.lock = threading.Lock()
    server.tokens = set()
    server.stats = {}
    server.serve_forever()


if __name__ == "__main__":
    main()
