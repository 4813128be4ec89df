#!/usr/bin/env python3
"""A real HTTP receiver for the webhook tests, on 127.0.0.1 with a port the kernel picks.

usage: webhook_receiver.py DIR SECRET
Writes the port to DIR/port when it listens. By path:
  /ok...      200, and records the request to DIR/req-N.json (method, path, headers, body,
              and whether X-Botwatch-Signature is the HMAC-SHA256 of "<timestamp>.<body>"
              under SECRET, checked with Python's hmac module)
  /fail...    500
  /missing... 404
  /redirect.. 302 to /ok
  /hang...    reads the request and never answers (the client's timeout must end it)
Runs until killed.
"""
import hashlib
import hmac
import http.server
import itertools
import json
import os
import sys
import threading

DIR, SECRET = sys.argv[1], sys.argv[2].encode()
COUNTER = itertools.count()
HANG = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.startswith("/hang"):
            HANG.wait()
            return
        if self.path.startswith("/fail"):
            return self.answer(500)
        if self.path.startswith("/missing"):
            return self.answer(404)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        ts = self.headers.get("X-Botwatch-Timestamp", "")
        want = hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "sig_ok": hmac.compare_digest(self.headers.get("X-Botwatch-Signature", ""),
                                          "sha256=" + want),
        }
        path = os.path.join(DIR, "req-%d.json" % next(COUNTER))
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        self.answer(200)

    def answer(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
