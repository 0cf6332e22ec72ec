#!/usr/bin/env python3
"""HTTP/1.1 server with keep-alive for the HTTP client's own tests.

Usage: httptestserver.py --port PORT

GET  /__health           200 "ok"
GET  /hello              200 "hello"; header X-Connection: the serial number of the connection
GET  /bytes?n=N[&chunked=1]  N bytes of "x", with Content-Length or chunked
GET  /trickle?seconds=S  headers at once, then one byte every 0.2 s for S seconds
GET  /lines?n=N&interval=S[&size=B][&crlf=1][&then=end|hold|reset]
                         chunked: N lines "line I" (or of B "x"s) S seconds apart, LF or CRLF ended;
                         then the answer ends, is held open silently, or the connection is reset
GET  /stall              reads the request and never answers (until the client goes away)
ANY  /echo               JSON: method, path, headers (lower-case names), body (text)
GET  /__stats            JSON: {"connections": accepted so far, "requests": served so far,
                         "open_transfers": trickle/stall answers still being written or held}
"""
import argparse
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.connection_serial = self.server.connections

    def reply(self, status, body, content_type="text/plain", extra=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def held(self, delta):
        with self.server.lock:
            self.server.open_transfers += delta

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlparse(self.path)
        query = parse_qs(url.query)
        with self.server.lock:
            self.server.requests += 1
        if url.path == "/__health":
            return self.reply(200, "ok")
        if url.path == "/__stats":
            with self.server.lock:
                stats = {"connections": self.server.connections, "requests": self.server.requests,
                         "open_transfers": self.server.open_transfers}
            return self.reply(200, json.dumps(stats), "application/json")
        if url.path == "/hello":
            return self.reply(200, "hello", extra=[("X-Connection", str(self.connection_serial))])
        if url.path == "/echo":
            document = {"method": self.command, "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body.decode("utf-8", "replace")}
            return self.reply(200, json.dumps(document), "application/json")
        if url.path == "/bytes":
            count = int(query.get("n", ["0"])[0])
            if query.get("chunked", ["0"])[0] == "1":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 65536
                left = count
                while left > 0:
                    part = chunk[:min(left, len(chunk))]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    left -= len(part)
                self.wfile.write(b"0\r\n\r\n")
                return
            return self.reply(200, b"x" * count)
        if url.path == "/trickle":
            seconds = float(query.get("seconds", ["10"])[0])
            steps = max(1, int(seconds / 0.2))
            self.send_response(200)
            self.send_header("Content-Length", str(steps))
            self.end_headers()
            self.wfile.flush()
            self.held(1)
            try:
                for _ in range(steps):
                    time.sleep(0.2)
                    self.wfile.write(b"x")
                    self.wfile.flush()
            except OSError:
                pass
            finally:
                self.held(-1)
            return
        if url.path == "/lines":
            count = int(query.get("n", ["1"])[0])
            interval = float(query.get("interval", ["0"])[0])
            size = int(query.get("size", ["0"])[0])
            end = b"\r\n" if query.get("crlf", ["0"])[0] == "1" else b"\n"
            then = query.get("then", ["end"])[0]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            self.held(1)
            try:
                for index in range(count):
                    line = (b"x" * size if size else b"line %d" % index) + end
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                    if interval:
                        time.sleep(interval)
                if then == "hold":
                    self.connection.settimeout(60)
                    while self.connection.recv(1):
                        pass
                elif then == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                else:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            finally:
                self.held(-1)
            if then != "end":
                self.close_connection = True
            return
        if url.path == "/stall":
            self.held(1)
            try:
                # Wait until the client closes its end (or 60 s pass).
                self.connection.settimeout(60)
                while self.connection.recv(1):
                    pass
            except OSError:
                pass
            finally:
                self.held(-1)
            self.close_connection = True
            return
        return self.reply(404, "not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    ThreadingHTTPServer.request_queue_size = 128  # the concurrency test connects many at once
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.connections = 0
    server.requests = 0
    server.open_transfers = 0
    server.serve_forever()


if __name__ == "__main__":
    main()
