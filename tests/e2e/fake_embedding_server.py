"""A fake OpenAI-compatible embedding server for the end-to-end tests: POST {base}/embeddings.

Real HTTP on loopback, in a thread of the test process. Vectors are deterministic (token hashes,
so texts sharing words are near each other). Every call is recorded; the test can script the next
answers: a 429 with Retry-After, 500s, a delay, or vectors of the wrong dimension."""
import hashlib
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeEmbeddingServer:
    def __init__(self, dim=64):
        self.dim = dim
        self.calls = []  # dicts: at, inputs, model, status, auth
        self.script = []  # answers to give before normal service: ("429", secs) / ("500",) / ...
        self.delay = 0.0
        self.always = None  # an answer given to every call, e.g. ("429", 1)
        self.wrong_dim = False
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer._handle(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def vector(self, text, dim=None):
        dim = dim or self.dim
        v = [0.0] * dim
        for tok in text.lower().split():
            h = int.from_bytes(hashlib.sha256(tok.encode()).digest()[:8], "little")
            v[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]

    def ok_calls(self):
        with self.lock:
            return [c for c in self.calls if c["status"] == 200]

    def inputs_sent(self):
        return sum(c["inputs"] for c in self.ok_calls())

    def _reply(self, handler, status, body, headers=()):
        data = json.dumps(body).encode()
        handler.send_response(status)
        for k, v in headers:
            handler.send_header(k, v)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler, body):
        if not handler.path.endswith("/embeddings"):
            return self._reply(handler, 404, {"error": {"message": "no such route"}})
        try:
            req = json.loads(body)
            inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
        except (ValueError, KeyError):
            return self._reply(handler, 400, {"error": {"message": "bad request"}})
        with self.lock:
            answer = self.script.pop(0) if self.script else self.always
            delay = self.delay
        if delay:
            time.sleep(delay)
        status = 200 if answer is None else int(answer[0])
        with self.lock:
            self.calls.append({"at": time.time(), "inputs": len(inputs), "model": req.get("model"),
                               "status": status,
                               "auth": handler.headers.get("Authorization", "")})
        if answer is not None and answer[0] == "429":
            return self._reply(handler, 429, {"error": {"message": "slow down"}},
                               [("Retry-After", str(answer[1]))])
        if answer is not None:
            return self._reply(handler, status, {"error": {"message": "provider trouble"}})
        dim = self.dim // 2 if self.wrong_dim else self.dim
        data = [{"object": "embedding", "index": i, "embedding": self.vector(t, dim)}
                for i, t in enumerate(inputs)]
        self._reply(handler, 200, {"object": "list", "model": req.get("model"), "data": data,
                                   "usage": {"prompt_tokens": 1, "total_tokens": 1}})
