"""Starts the real `scriptgen serve` binary on a free loopback port with a temporary data dir,
and talks HTTP to it with the standard library only. Shared by the end-to-end tests."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("SCRIPTGEN_BIN", "build/scriptgen")
TOKEN = "e2e-admin-token-0123456789abcdef"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, data_dir=None, extra_args=(), env=None):
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="sg-e2e-")
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, SCRIPTGEN_ADMIN_TOKEN=TOKEN, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    def start(self):
        # Tests run in parallel and two may pick the same "free" port: then ours fails to bind and
        # exits, and until it does another test's server answers /readyz on that port. So ready
        # means: our own log (past what earlier runs wrote) says "serving", then /readyz is 200.
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir]
                + self.extra_args, stdout=log, stderr=log, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.log(2000))
            if not self._logged_serving(offset):
                time.sleep(0.05)
                continue
            try:
                status, _, _ = self.request("GET", "/readyz", auth=False)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server not ready in 30 s: " + self.log(2000))

    def _logged_serving(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return b'"msg":"serving"' in f.read()

    def log(self, tail=None):
        """The server's whole output (JSON lines), or its last `tail` characters."""
        with open(self.log_path, "rb") as f:
            text = f.read().decode(errors="replace")
        return text[-tail:] if tail else text

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, auth=True):
        """Returns (status, headers dict with lower-case names, body bytes)."""
        h = dict(headers or {})
        if auth:
            h.setdefault("Authorization", "Bearer " + TOKEN)
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None, auth=True):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        status, _, data = self.request(method, path, body, headers, auth)
        return status, (json.loads(data) if data else None)

    def upload(self, name, data, content_type="text/plain", headers=None, query=""):
        h = dict(headers or {}, **{"Content-Type": content_type})
        path = "/v1/documents?filename=" + name + (("&" + query) if query else "")
        return self.json("POST", path, data, h)

    def wait_job(self, job_id, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, job = self.json("GET", "/v1/jobs/" + job_id)
            if status == 200 and job["state"] in ("succeeded", "dead", "cancelled"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")

    def sse(self, path, headers=None, timeout=30):
        """Reads an SSE stream to its end; returns a list of (event, id, data-dict) tuples and
        the number of comment lines seen."""
        h = dict(headers or {}, Authorization="Bearer " + TOKEN)
        conn = self.connection(timeout)
        conn.request("GET", path, headers=h)
        r = conn.getresponse()
        events, comments = [], 0
        event, eid, data = None, None, []
        for raw in r:
            line = raw.decode().rstrip("\n").rstrip("\r")
            if line == "":
                if data:
                    events.append((event, eid, json.loads("\n".join(data))))
                event, eid, data = None, None, []
            elif line.startswith(":"):
                comments += 1
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("id:"):
                eid = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        conn.close()
        return r.status, events, comments
