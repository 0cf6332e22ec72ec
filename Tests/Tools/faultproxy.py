#!/usr/bin/env python3
"""Fault-injecting HTTP proxy for an EC2 Query API endpoint (moto in the tests). Stdlib only.

Usage:
    faultproxy.py --upstream http://127.0.0.1:5000 [--host 127.0.0.1] [--port 0] [--port-file FILE]

Every request that is not for the control endpoints is forwarded to the upstream, unless the
current fault configuration decides otherwise. Configure at runtime:

    POST /__fault        JSON body replaces the whole configuration (missing key = off):
        {
          "throttle": {"mutating": {"burst": 50, "rate": 5},
                       "describe": {"burst": 100, "rate": 20}},
          "throttle_scope": "category",   # or "action": one bucket per action, as EC2 does today
          "error503": 0.2,     # fraction answered 503 ServiceUnavailable (EC2 error XML)
          "delay": 0.05,       # seconds to wait before forwarding
          "reset": 0.1,        # fraction whose connection is reset (TCP RST, no answer)
          "malformed": 0.1,    # fraction answered 200 with broken XML
          "truncated": 0.1,    # fraction answered with the upstream body cut in half
          "html": 0.1,         # fraction answered 500 with an HTML error page
          "empty": 0.1,        # fraction answered 200 with an empty body
          "actions": ["CreateRoute"],  # optional: random faults only for these actions
          "seed": 7,           # optional: make the random faults repeatable
          "stale_reads": 8,    # play EC2's eventual consistency: for this many seconds after a
                               # route write, DescribeRouteTables is answered as it was before it
          "route_exists": true, # answer CreateRoute for a destination the table already has with
                                # EC2's RouteAlreadyExists (moto silently overwrites the route)
          "record_writes": true, # record every CreateRoute, ReplaceRoute and DeleteRoute forwarded,
                                 # with the target the route had just before (see /__writes)
          "clock_offset": 900  # optional: play an EC2 whose clock is this many seconds ahead of
                               # the host's: its Date headers say so, and a request whose
                               # X-Amz-Date is more than 5 minutes from that time gets EC2's
                               # 400 RequestExpired
        }
      A request found throttled gets HTTP 503 with EC2's RequestLimitExceeded error XML.
      Throttling is decided first, then reset, html, error503, malformed, empty, truncated.
    GET  /__fault        the current configuration
    GET  /__stats        {"total": N, "actions": {...}, "categories": {...}}; each entry has
                         count, throttled, faulted, forwarded and "times": arrival times in
                         seconds (time.monotonic) of requests that were forwarded upstream, and
                         "wall": the same arrivals as Unix time (to compare with log timestamps)
    POST /__stats/reset  zero the counters
    GET  /__signatures   {"signatures": [...]}: the SigV4 signature of every request proxied (the
                         last 1000), so a test can look for them where they must not appear
    GET  /__writes       {"writes": [...]}: with record_writes, each route write forwarded, in order:
                         action, table, cidr, eni (the target asked for), previous (the route's
                         target read from the upstream just before: an ENI, gateway, instance
                         or other target id, null without a route), status (the upstream's HTTP
                         status) and wall (Unix time)
    GET  /__health       200 "ok"

Categories follow EC2: Describe*/Get*/List* are "describe", everything else "mutating".
"""
import argparse
import calendar
import http.client
import json
import os
import random
import socket
import struct
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
              "te", "trailer", "content-length", "host"}

ERROR_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
             '<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>')


def category_of(action):
    return "describe" if action.startswith(("Describe", "Get", "List")) else "mutating"


class Bucket:
    def __init__(self, burst, rate):
        self.capacity = float(burst)
        self.rate = float(rate)
        self.tokens = float(burst)
        self.last = time.monotonic()

    def take(self, now):
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class State:
    """Fault configuration, buckets and statistics; every access holds the lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.config = {}
        self.buckets = {}
        self.random = random.Random()
        self.stale_until = 0.0
        self.read_cache = {}
        self.reset_stats()

    def configure(self, config):
        with self.lock:
            self.config = config
            self.buckets = {}
            self.stale_until = 0.0
            self.random = random.Random(config.get("seed"))

    def reset_stats(self):
        self.signatures = []
        self.writes = []
        self.total = 0
        self.actions = {}
        self.categories = {}

    def entry(self, table, key):
        return table.setdefault(key, {"count": 0, "throttled": 0, "faulted": 0, "forwarded": 0, "times": [], "wall": []})

    def decide(self, action, expired=False):
        """Returns (fault or None) and records the request; an expired one is refused, not faulted at random."""
        now = time.monotonic()
        wall = time.time()
        category = category_of(action)
        with self.lock:
            self.total += 1
            entries = [self.entry(self.actions, action), self.entry(self.categories, category)]
            for entry in entries:
                entry["count"] += 1
            fault = None
            limits = (self.config.get("throttle") or {}).get(category)
            if limits:
                key = action if self.config.get("throttle_scope") == "action" else category
                bucket = self.buckets.get(key)
                if bucket is None:
                    bucket = self.buckets[key] = Bucket(limits["burst"], limits["rate"])
                if not bucket.take(now):
                    fault = "throttle"
            if fault is None and expired:
                fault = "expired"
            only = self.config.get("actions")
            if fault is None and (not only or action in only):
                for name in ("reset", "html", "error503", "malformed", "empty", "truncated"):
                    chance = float(self.config.get(name, 0) or 0)
                    if chance > 0 and self.random.random() < chance:
                        fault = name
                        break
            for entry in entries:
                if fault == "throttle":
                    entry["throttled"] += 1
                elif fault in ("reset", "html", "error503", "malformed", "empty", "expired"):
                    entry["faulted"] += 1
                else:
                    # Truncated answers still reached the upstream.
                    entry["forwarded"] += 1
                    entry["times"].append(now)
                    entry["wall"].append(wall)
                    if fault == "truncated":
                        entry["faulted"] += 1
            return fault, float(self.config.get("delay", 0) or 0)

    def stats(self):
        with self.lock:
            return json.loads(json.dumps({"total": self.total, "actions": self.actions, "categories": self.categories}))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy/1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_DELETE(self):
        self.route()

    def route(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        state = self.server.state
        if path == "/__health":
            return self.answer(200, b"ok", "text/plain")
        if path == "/__fault":
            if self.command == "POST":
                try:
                    config = json.loads(body or b"{}")
                except ValueError as error:
                    return self.answer(400, json.dumps({"error": str(error)}).encode(), "application/json")
                state.configure(config)
            return self.answer(200, json.dumps(state.config).encode(), "application/json")
        if path == "/__stats":
            return self.answer(200, json.dumps(state.stats()).encode(), "application/json")
        if path == "/__signatures":
            with state.lock:
                return self.answer(200, json.dumps({"signatures": state.signatures}).encode(), "application/json")
        if path == "/__writes":
            with state.lock:
                return self.answer(200, json.dumps({"writes": state.writes}).encode(), "application/json")
        if path == "/__stats/reset" and self.command == "POST":
            with state.lock:
                state.reset_stats()
            return self.answer(200, b"{}", "application/json")
        self.proxy(body)

    def proxy(self, body):
        action = self.action_of(body)
        self.record_signature()
        fault, delay = self.server.state.decide(action, expired=self.expired())
        if fault == "expired":
            return self.answer(400, ERROR_XML.format(
                code="RequestExpired", message="Request has expired.",
                request_id="faultproxy-expired").encode(), "text/xml")
        if delay > 0:
            time.sleep(delay)
        request_id = "faultproxy-%d" % random.randrange(1 << 30)
        if fault == "throttle":
            return self.answer(503, ERROR_XML.format(code="RequestLimitExceeded", message="Request limit exceeded.",
                                                     request_id=request_id).encode(), "text/xml")
        if fault == "reset":
            # SO_LINGER 0 makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            # The socket only really closes once the buffered reader lets go of it.
            self.rfile.close()
            self.connection.close()
            return
        if fault == "html":
            return self.answer(500, b"<html><head><title>500 Internal Server Error</title></head>"
                                    b"<body><h1>Internal Server Error</h1></body></html>", "text/html")
        if fault == "error503":
            return self.answer(503, ERROR_XML.format(code="Unavailable", message="The server is overloaded.",
                                                     request_id=request_id).encode(), "text/xml")
        if fault == "malformed":
            return self.answer(200, b'<?xml version="1.0"?><%sResponse><requestId>x</requestId><routeTableSet><item>'
                               % action.encode() + b"</routeTableSet></broken>", "text/xml")
        if fault == "empty":
            return self.answer(200, b"", "text/xml")
        if action == "CreateRoute" and self.server.state.config.get("route_exists") and self.route_exists(body):
            return self.answer(400, ERROR_XML.format(
                code="RouteAlreadyExists", message="The route identified by the destination already exists.",
                request_id=request_id).encode(), "text/xml")
        stale = self.stale_answer(action, body)
        if stale is not None:
            return self.answer(*stale)
        recorded = None
        if action in ("CreateRoute", "ReplaceRoute", "DeleteRoute") and self.server.state.config.get("record_writes"):
            fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            table = (fields.get("RouteTableId") or [""])[0]
            destination = (fields.get("DestinationCidrBlock") or [""])[0]
            recorded = {"action": action, "table": table, "cidr": destination,
                        "eni": (fields.get("NetworkInterfaceId") or [None])[0],
                        "previous": self.route_target(table, destination), "wall": time.time()}
        status, headers, answer = self.forward(body)
        self.remember_read(action, body, status, headers, answer)
        if recorded is not None:
            recorded["status"] = status
            state = self.server.state
            with state.lock:
                state.writes.append(recorded)
        if fault == "truncated":
            answer = answer[: len(answer) // 2]
        self.answer(status, answer, headers.get("content-type", "text/xml"), headers)

    def stale_answer(self, action, body):
        """The pre-write answer to a route table read during a stale window (stale_reads), if any."""
        state = self.server.state
        seconds = float(state.config.get("stale_reads", 0) or 0)
        if not seconds:
            return None
        with state.lock:
            now = time.monotonic()
            if action in ("CreateRoute", "ReplaceRoute", "DeleteRoute") and now >= state.stale_until:
                state.stale_until = now + seconds
            if action == "DescribeRouteTables" and now < state.stale_until:
                return state.read_cache.get(body)
        return None

    def remember_read(self, action, body, status, headers, answer):
        state = self.server.state
        # Kept whatever the configuration, so a stale window begun just after it is turned on
        # has an answer to repeat.
        if action != "DescribeRouteTables" or status != 200:
            return
        with state.lock:
            if time.monotonic() >= state.stale_until:
                cached = dict(headers)
                state.read_cache[body] = (status, answer, cached.get("content-type", "text/xml"), cached)


    def clock_offset(self):
        return float(self.server.state.config.get("clock_offset", 0) or 0)

    def date_time_string(self, timestamp=None):
        # The Date header of every answer, on the clock of the EC2 this proxy plays.
        return super().date_time_string(time.time() + self.clock_offset() if timestamp is None else timestamp)

    def expired(self):
        """True when clock_offset is set and the request was signed over 5 minutes from that clock."""
        offset = self.clock_offset()
        stamp = self.headers.get("X-Amz-Date")
        if not offset or not stamp:
            return False
        try:
            signed = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return True
        return abs(signed - (time.time() + offset)) > 300

    def record_signature(self):
        authorization = self.headers.get("Authorization") or ""
        signature = authorization.rpartition("Signature=")[2].strip()
        if signature:
            state = self.server.state
            with state.lock:
                state.signatures = (state.signatures + [signature])[-1000:]

    def action_of(self, body):
        query = urllib.parse.urlsplit(self.path).query
        for source in (body.decode("utf-8", "replace"), query):
            values = urllib.parse.parse_qs(source).get("Action")
            if values:
                return values[0]
        return "Unknown"

    def route_exists(self, body):
        """True when the CreateRoute's table already has a route to its destination, asked upstream."""
        fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        table = (fields.get("RouteTableId") or [""])[0]
        destination = (fields.get("DestinationCidrBlock") or [""])[0]
        status, answer = self.describe_table(table)
        return status == 200 and ("<destinationCidrBlock>%s</destinationCidrBlock>" % destination).encode() in answer

    def route_target(self, table, destination):
        """The target of the table's route to destination, read upstream (None: no route)."""
        status, answer = self.describe_table(table)
        if status != 200:
            return "unreadable: HTTP %d" % status
        for element in ElementTree.fromstring(answer).iter():
            if element.tag.rpartition("}")[2] != "item":
                continue
            fields = {child.tag.rpartition("}")[2]: (child.text or "") for child in element}
            if fields.get("destinationCidrBlock") == destination:
                for name in ("networkInterfaceId", "gatewayId", "natGatewayId", "transitGatewayId",
                             "vpcPeeringConnectionId", "instanceId"):
                    if fields.get(name):
                        return fields[name]
                return "unknown target"
        return None

    def describe_table(self, table):
        """DescribeRouteTables for one table, sent upstream with this request's headers: (status, body)."""
        query = urllib.parse.urlencode({"Action": "DescribeRouteTables", "Version": "2016-11-15", "RouteTableId.1": table})
        saved = self.headers.get("Content-Length")
        del self.headers["Content-Length"]
        self.headers["Content-Length"] = str(len(query))
        try:
            status, _, answer = self.forward(query.encode())
        finally:
            del self.headers["Content-Length"]
            self.headers["Content-Length"] = saved or "0"
        return status, answer

    def forward(self, body):
        upstream = self.server.upstream
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port or 80, timeout=60)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        # Signed requests name the host they were signed for; keep it.
        headers["Host"] = self.headers.get("Host", upstream.netloc)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        except OSError as error:
            return 502, {"content-type": "text/plain"}, ("upstream failed: %s" % error).encode()
        finally:
            connection.close()

    def answer(self, status, body, content_type, upstream_headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if upstream_headers and "x-amzn-requestid" in upstream_headers:
            self.send_header("x-amzn-requestid", upstream_headers["x-amzn-requestid"])
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args()
    server = Server((args.host, args.port), Handler)
    server.upstream = urllib.parse.urlsplit(args.upstream)
    server.state = State()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(str(server.server_address[1]))
        os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
