#!/usr/bin/env python3
"""A stand-in on 127.0.0.1 for what a Prometheus configuration points at (Alertmanager,
a remote-write receiver, an HTTP or Consul service discovery endpoint): it answers every
request with 200 and an empty JSON list, which is enough for Prometheus to set up the
machinery whose metrics the catalog records. Usage: stub_server.py PORT. Standard library only.
"""

import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
