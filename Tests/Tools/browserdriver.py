#!/usr/bin/env python3
"""A headless Chromium page the tests drive over a small loopback HTTP API.

Started through supervise.py (`--port {PORT}`). Chromium runs with its DevTools protocol on a
private port; this script keeps one page open and answers:

  POST /open        {"url": "..."}            navigate the page and wait for it to load
  POST /eval        {"expression": "..."}     evaluate JavaScript in the page; {"value": ...}
  POST /screenshot  {"path": "..."}           save a PNG of the page
  GET  /health                                 200 once the browser is up

The page is never reloaded by the driver: a test can set a marker in it and check the marker is
still there later. Needs the `chromium` package and the pinned `websocket-client`.
"""
import argparse
import base64
import http.server
import json
import os
import sys
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

import websocket  # websocket-client


class Page:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="vpcr-chromium-")
        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--window-size=1400,1000",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = int(open(port_file).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(target for target in targets if target.get("type") == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.lock = threading.Lock()
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        with self.lock:
            self.next_id += 1
            request_id = self.next_id
            self.socket.send(json.dumps({"id": request_id, "method": method, "params": params}))
            while True:
                message = json.loads(self.socket.recv())
                if message.get("id") == request_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message.get("result", {})

    def open(self, url):
        self.call("Page.navigate", url=url)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.05)
        raise RuntimeError(f"{url} did not finish loading")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"exception in page: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as output:
            output.write(base64.b64decode(data))

    def close(self):
        try:
            self.process.terminate()
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def serve(page, port):
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.answer(200 if self.path == "/health" else 404, {"ok": self.path == "/health"})

        def do_POST(self):
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            try:
                if self.path == "/open":
                    page.open(request["url"])
                    self.answer(200, {"ok": True})
                elif self.path == "/eval":
                    self.answer(200, {"value": page.evaluate(request["expression"])})
                elif self.path == "/screenshot":
                    page.screenshot(request["path"])
                    self.answer(200, {"ok": True})
                else:
                    self.answer(404, {"error": f"no such command: {self.path}"})
            except Exception as error:  # reported to the test, which names it
                self.answer(500, {"error": str(error)})

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    arguments = parser.parse_args()
    # SIGTERM ends the script through its `finally`, so Chromium never outlives it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    page = Page(arguments.chromium)
    try:
        serve(page, arguments.port)
    finally:
        page.close()


if __name__ == "__main__":
    main()
