#!/usr/bin/env python3
"""An OpenAI-compatible embedding endpoint whose failures the chaos suite switches on and off.

  python3 fake_embedder.py --port P [--dim 64]         (or: FakeEmbedder(dim).start() in-process)

POST /v1/embeddings {"model": m, "input": str | [str]} answers
{"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}], ...}
with deterministic unit vectors: each lower-cased word adds +-1 to one coordinate chosen by a
BLAKE2 hash, so texts sharing words are near each other and search stays meaningful.

The fault mode is set with POST /_chaos/mode {"mode": M, "delay_s": S} (or .set_mode() in-process):
  ok       answer normally (after delay_s, default 0)
  timeout  accept the request and answer nothing for delay_s (default 30 s): a client timeout
  error    500 with a JSON error body
  throttle 429 with Retry-After: 1
  garbage  200 with a body that is not JSON
  baddim   200 with vectors of the wrong dimension
  flaky    every other request answers 500, the rest normally
GET /_chaos/stats -> {"requests": n, "by_status": {...}, "mode": M}.
Only 127.0.0.1 is bound. Standard library only.
"""
import argparse
import hashlib
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "timeout", "error", "throttle", "garbage", "baddim", "flaky")


def embed(text, dim):
    v = [0.0] * dim
    for word in text.lower().split():
        h = hashlib.blake2b(word.encode(), digest_size=8).digest()
        n = int.from_bytes(h, "big")
        v[n % dim] += -1.0 if (n >> 40) & 1 else 1.0
    norm = math.sqrt(sum(x * x for x in v))
    if norm == 0:
        v[0], norm = 1.0, 1.0
    return [x / norm for x in v]


class FakeEmbedder:
    def __init__(self, dim=64, port=0):
        self.dim = dim
        self.mode = "ok"
        self.delay_s = 0.0
        self.lock = threading.Lock()
        self.requests = 0
        self.by_status = {}
        self.release = threading.Event()  # set on shutdown: hung "timeout" requests return
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def set_mode(self, mode, delay_s=None):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode}")
        with self.lock:
            self.mode = mode
            self.delay_s = delay_s if delay_s is not None else (30.0 if mode == "timeout" else 0.0)

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "by_status": dict(self.by_status), "mode": self.mode}

    def _count(self, status):
        with self.lock:
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, ctype="application/json", extra=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
                fake._count(status)

            def do_GET(self):
                if self.path == "/_chaos/stats":
                    self._send(200, json.dumps(fake.stats()).encode())
                else:
                    self._send(404, b'{"error":{"message":"not found"}}')

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/_chaos/mode":
                    req = json.loads(body or b"{}")
                    fake.set_mode(req.get("mode", "ok"), req.get("delay_s"))
                    self._send(200, json.dumps(fake.stats()).encode())
                    return
                if not self.path.endswith("/embeddings"):
                    self._send(404, b'{"error":{"message":"not found"}}')
                    return
                with fake.lock:
                    fake.requests += 1
                    n, mode, delay = fake.requests, fake.mode, fake.delay_s
                if mode == "timeout":
                    fake.release.wait(delay)
                    self.close_connection = True
                    return
                if delay:
                    time.sleep(delay)
                if mode == "error" or (mode == "flaky" and n % 2 == 0):
                    self._send(500, b'{"error":{"message":"chaos: internal error","type":"server_error"}}')
                    return
                if mode == "throttle":
                    self._send(429, b'{"error":{"message":"chaos: slow down","type":"rate_limit"}}',
                               extra=[("Retry-After", "1")])
                    return
                if mode == "garbage":
                    self._send(200, b"<html>not json", ctype="text/html")
                    return
                try:
                    req = json.loads(body)
                    inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
                except (ValueError, KeyError, TypeError):
                    self._send(400, b'{"error":{"message":"bad request"}}')
                    return
                dim = fake.dim + (3 if mode == "baddim" else 0)
                data = [{"object": "embedding", "index": i, "embedding": embed(str(t), dim)}
                        for i, t in enumerate(inputs)]
                words = sum(len(str(t).split()) for t in inputs)
                out = {"object": "list", "model": req.get("model", ""), "data": data,
                       "usage": {"prompt_tokens": words, "total_tokens": words}}
                self._send(200, json.dumps(out).encode())

        return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dim", type=int, default=64)
    a = ap.parse_args()
    fake = FakeEmbedder(a.dim, a.port)
    print(f"fake embedder on {fake.url}", flush=True)
    fake.httpd.serve_forever()


if __name__ == "__main__":
    main()
