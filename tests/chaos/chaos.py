#!/usr/bin/env python3
"""Chaos suite: break the real scriptgen processes while they ingest, then prove nothing accepted
was lost, duplicated or corrupted (tests/chaos/invariants.py).

  tests/chaos/chaos.py [--bin build/scriptgen] [--scenario NAME]... [--long] [--seed N] [--keep]
  tests/chaos/chaos.py --list

Scenarios (each starts its own server on a free 127.0.0.1 port with a fresh data directory):
  server_kill    SIGKILL the server at random moments mid-ingest and restart it
  redis_workers  the scale-out deployment: own redis-server (AOF, appendfsync always), one API
                 process (`serve --role api`) and three `scriptgen worker` processes; 500
                 documents; two workers SIGKILLed mid-run and Redis SIGKILLed and restarted once;
                 every document must succeed exactly once (--long: 3000 documents, more faults)
  embed_faults   an OpenAI-compatible embedding provider (fake_embedder.py) that times out, answers
                 500, 429, garbage and wrong dimensions, then recovers; dead letters are retried
  backpressure   a queue-depth limit (`serve --max-queue-depth`) against eight writers and one
                 worker: 503 + Retry-After, reads keep working, every upload gets in eventually
  disk_full      the data directory on an 8-24 MiB tmpfs that the test fills up: uploads must be
                 refused cleanly (503/507 + JSON error), reads keep working, nothing stored is
                 corrupted, and uploads work again once space is freed (root only)
  clock_jump     the server's wall clock jumps hours forward and back (an LD_PRELOAD shim,
                 clock_shim.cc; libfaketime is not installed) while it ingests and restarts
A scenario whose prerequisites are missing (the binary lacks the feature, not root, no
redis-server) is SKIPPED with the reason printed. The short form (default) takes about three
minutes for all scenarios on a busy two-core machine; --long (or SG_CHAOS_LONG=1) runs each for
minutes with many more faults. Workloads are rate-limited or of a fixed size, so the backlog the
server must drain after the faults (and the run time) stays bounded on a slow machine; the
checker's wait is a bound, not a sleep.

The workload client behaves like a careful real client: every upload carries an Idempotency-Key
and is retried with the same bytes after a connection error, 5xx or 503/429 (honouring
Retry-After), so "exactly one document per upload" is checkable. Exit status: 0 all run scenarios
passed, 1 a scenario failed, 77 every selected scenario was skipped (CTest SKIP_RETURN_CODE).
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import server_fixture  # noqa: E402
from fake_embedder import FakeEmbedder  # noqa: E402
from invariants import Api, check  # noqa: E402

SKIP = 77
WORDS = ("script launch video scene camera product story audience brand edit voice music cut "
         "frame light plan budget schedule review draft final shot take studio").split()


class Skip(Exception):
    """A scenario cannot run here; the message says why."""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def help_text(bin_path, *args):
    r = subprocess.run([bin_path, *args, "--help"], capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


# ---------------------------------------------------------------------------------------------
# Workload: uploads small documents from several threads, exactly like a retrying client.


class Workload:
    def __init__(self, port, rng, prefix, threads=4, size=(500, 20000), give_up_s=45,
                 retry_5xx=True, final_statuses=(), rate=None, max_docs=None):
        self.port, self.rng, self.prefix = port, rng, prefix
        self.threads, self.size, self.give_up_s = threads, size, give_up_s
        # New documents per second over all threads (None: as fast as the server answers) and in
        # all (None: until stop()). A bounded workload keeps the time the server needs to process
        # the backlog, and so the scenario's run time, predictable on a slow or busy machine.
        self.rate, self.max_docs = rate, max_docs
        self.next_slot = time.time()
        self.retry_5xx = retry_5xx
        self.final_statuses = set(final_statuses)  # refusals not retried (e.g. 507 when full)
        self.accepted, self.refused, self.unknown = [], [], []
        self.statuses = {}  # every answer seen, by status
        self.errors = 0  # connection errors (retried)
        self.bad_refusals = []  # non-2xx answers without the JSON error body
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.counter = 0
        self._threads = []

    def start(self):
        for t in range(self.threads):
            th = threading.Thread(target=self._loop, args=(t,), daemon=True)
            th.start()
            self._threads.append(th)
        return self

    def stop(self):
        self.stop_event.set()
        for th in self._threads:
            th.join(self.give_up_s + 30)

    def _next(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def _loop(self, t):
        rng = random.Random(self.rng.random())
        while not self.stop_event.is_set():
            with self.lock:
                if self.max_docs is not None and self.counter >= self.max_docs:
                    return
                self.counter += 1
                index = self.counter
                wait = 0.0
                if self.rate:
                    now = time.time()
                    self.next_slot = max(self.next_slot, now - 1.0) + 1.0 / self.rate
                    wait = self.next_slot - now
            if wait > 0 and self.stop_event.wait(wait):
                return
            self.upload_one(rng, self.make_doc(rng, index=index))

    def wait_done(self, timeout):
        """Waits until a max_docs workload has made (and settled) all of its documents."""
        deadline = time.time() + timeout
        for th in self._threads:
            th.join(max(0.0, deadline - time.time()))
        return not any(th.is_alive() for th in self._threads)

    def make_doc(self, rng, size=None, index=None):
        i = index or self._next()
        marker = "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(12))
        n = size or rng.randint(*self.size)
        words, total = [], 0
        while total < n:
            w = rng.choice(WORDS)
            words.append(w)
            total += len(w) + 1
        text = " ".join(words)[: max(0, n - 20)] + f"\n{marker}\n"
        return {"key": f"{self.prefix}-{i}", "name": f"{self.prefix}-{i}.txt", "marker": marker,
                "body": text.encode()}

    def upload_one(self, rng, doc=None):
        """Uploads one document until it is accepted, refused for good or we give up.
        Returns the record it was filed under."""
        doc = doc or self.make_doc(rng)
        deadline = time.time() + self.give_up_s
        while True:
            status, body, headers = None, None, {}
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                conn.request("POST", f"/v1/documents?filename={doc['name']}", body=doc["body"],
                             headers={"Authorization": "Bearer " + server_fixture.TOKEN,
                                      "Content-Type": "text/plain",
                                      "Idempotency-Key": doc["key"]})
                r = conn.getresponse()
                raw = r.read()
                status, headers = r.status, {k.lower(): v for k, v in r.getheaders()}
                conn.close()
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.errors += 1
            if status is not None:
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    if status >= 400 and not (isinstance(body, dict) and isinstance(body.get("error"), dict)
                                              and body["error"].get("code")):
                        self.bad_refusals.append((status, raw[:200]))
            if status in (200, 201, 202) and body and body.get("job_id"):
                rec = {"key": doc["key"], "marker": doc["marker"], "job_id": body["job_id"],
                       "document_id": body["document_id"], "status": status}
                with self.lock:
                    self.accepted.append(rec)
                return rec
            if status in self.final_statuses:
                with self.lock:
                    self.refused.append({"key": doc["key"], "status": status, "body": body})
                return None
            retryable = status is None or status in (429, 503) or (status >= 500 and self.retry_5xx)
            if not retryable:
                with self.lock:
                    self.refused.append({"key": doc["key"], "status": status, "body": body})
                return None
            if time.time() > deadline:
                with self.lock:
                    self.unknown.append({"key": doc["key"], "last_status": status})
                return None
            wait = 0.1 + random.random() * 0.3
            if headers.get("retry-after", "").isdigit():
                wait = min(float(headers["retry-after"]), 2.0)
            time.sleep(wait)

    def summary(self):
        st = ", ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        return (f"accepted {len(self.accepted)}, refused {len(self.refused)}, gave up "
                f"{len(self.unknown)}, connection errors {self.errors}, answers {{{st}}}")


# ---------------------------------------------------------------------------------------------
# Scenario plumbing.


class Scenario:
    def __init__(self, ctx, name):
        self.ctx, self.name = ctx, name
        self.rng = random.Random(f"{ctx.seed}-{name}")
        self.tmp = tempfile.mkdtemp(prefix=f"sg-chaos-{name}-")
        self.procs = []  # extra processes to stop at the end
        self.servers = []
        self.failures = []
        self.cleanups = []

    def server(self, data_dir=None, extra_args=(), env=None):
        s = server_fixture.Server(data_dir=data_dir or os.path.join(self.tmp, "data"),
                                  extra_args=list(extra_args), env=env)
        os.makedirs(s.data_dir, exist_ok=True)
        self.servers.append(s)
        return s

    def expect(self, cond, msg):
        if not cond:
            self.failures.append(msg)
            log(f"  FAIL: {msg}")
        return cond

    def verify(self, srv, workload, wait_s=None, sweep="grace", queue="sqlite"):
        # A bound on how long a run's backlog may take to drain, not a typical time: the check
        # returns as soon as every job is terminal.
        wait_s = wait_s or (600 if self.ctx.long else 120)
        log(f"  workload: {workload.summary()}")
        self.expect(not workload.bad_refusals,
                    f"{len(workload.bad_refusals)} error answers without the JSON error body, e.g. "
                    f"{workload.bad_refusals[:2]}")
        rep = check(Api(f"http://127.0.0.1:{srv.port}", server_fixture.TOKEN), srv.data_dir,
                    self.ctx.bin, workload.accepted, wait_s=wait_s, sweep=sweep, queue=queue)
        rep.print()
        for v in rep.violations:
            self.failures.append("invariant: " + v)
        return rep

    def close(self):
        for s in self.servers:
            try:
                s.stop()
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                log(f"  cleanup: {e}")
        if self.ctx.keep or self.failures:
            log(f"  kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def restart(srv):
    """start() after a kill; the port may linger for a moment."""
    for attempt in range(5):
        try:
            return srv.start()
        except RuntimeError:
            if attempt == 4:
                raise
            time.sleep(0.5)


# ---------------------------------------------------------------------------------------------
# Scenarios.


def scenario_server_kill(sc):
    srv = sc.server(extra_args=["--max-connections", "4096"]).start()
    wl = Workload(srv.port, sc.rng, "kill", threads=4, rate=10).start()
    duration = 300 if sc.ctx.long else 12
    end, kills = time.time() + duration, 0
    while time.time() < end:
        # Mostly mid-ingest; sometimes right after it became ready (recovery in progress).
        time.sleep(0.05 if sc.rng.random() < 0.25 else sc.rng.uniform(0.8, 3.0))
        srv.kill9()
        kills += 1
        time.sleep(sc.rng.uniform(0.0, 0.4))
        restart(srv)
    log(f"  {kills} SIGKILLs over {duration} s")
    wl.stop()
    sc.expect(len(wl.accepted) > 0, "no upload was accepted at all")
    rep = sc.verify(srv, wl)
    # And after a clean restart, the same holds.
    srv.stop()
    restart(srv)
    rep2 = check(Api(f"http://127.0.0.1:{srv.port}", server_fixture.TOKEN), srv.data_dir,
                 sc.ctx.bin, wl.accepted, wait_s=30, search_sample=20)
    sc.expect(rep2.ok, f"after a clean restart: {rep2.violations[:5]}")
    return rep


def scenario_redis_workers(sc):
    top = help_text(sc.ctx.bin)
    serve = help_text(sc.ctx.bin, "serve")
    if "worker" not in top.split("Subcommands:")[-1] or "--queue" not in serve:
        raise Skip("this scriptgen has no `worker` subcommand / `serve --queue` (Redis backend "
                   "not built yet)")
    redis_bin = shutil.which("redis-server")
    if not redis_bin:
        raise Skip("redis-server is not installed")
    rport = free_port()
    rdir = os.path.join(sc.tmp, "redis")
    os.makedirs(rdir)
    redis_url = f"redis://127.0.0.1:{rport}"
    rlog = open(os.path.join(sc.tmp, "redis.log"), "ab")
    redis = {}

    def start_redis():
        redis["p"] = p = subprocess.Popen(
            [redis_bin, "--bind", "127.0.0.1", "--port", str(rport), "--dir", rdir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--protected-mode", "yes"], stdout=rlog, stderr=rlog)
        # Ours, not a server another test started on the same "free" port: Redis prefixes its
        # log lines with its pid.
        ready = f"{p.pid}:".encode()
        deadline = time.time() + 15
        while time.time() < deadline:
            if p.poll() is not None:
                raise RuntimeError(f"redis-server exited with {p.returncode} (port {rport} taken?)")
            with open(os.path.join(sc.tmp, "redis.log"), "rb") as f:
                if not any(line.startswith(ready) and b"Ready to accept connections" in line
                           for line in f):
                    time.sleep(0.05)
                    continue
            try:
                with socket.create_connection(("127.0.0.1", rport), 0.5) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop_redis(sig):
        p = redis["p"]
        p.send_signal(sig)
        p.wait(30)

    start_redis()
    sc.cleanups.append(lambda: stop_redis(signal.SIGKILL) if redis["p"].poll() is None else None)
    # The scale-out deployment: one API process and three worker processes sharing the data
    # directory (SQLite in WAL mode, blob files) and the Redis queue.
    srv = sc.server(extra_args=["--queue", redis_url, "--role", "api", "--max-connections", "4096"])
    srv.start()
    wlogs = open(os.path.join(sc.tmp, "workers.log"), "ab")

    def workers_up():
        with open(os.path.join(sc.tmp, "workers.log"), "rb") as f:
            return f.read().count(b'"msg":"working"')

    def start_worker():
        """Starts a worker and waits until it is working: a worker that cannot reach Redis at
        start exits (its supervisor restarts it), which is not the fault under test here."""
        up = workers_up()
        p = subprocess.Popen([sc.ctx.bin, "worker", "--queue", redis_url, "--data-dir", srv.data_dir],
                             stdout=wlogs, stderr=wlogs, env=srv.env)
        sc.procs.append(p)
        deadline = time.time() + 60
        while workers_up() <= up and p.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        return p

    def ready_documents():
        conn = sqlite3.connect(os.path.join(srv.data_dir, "scriptgen.db"), timeout=30)
        try:
            return conn.execute("SELECT COUNT(*) FROM documents WHERE ready = 1").fetchone()[0]
        except sqlite3.Error:
            return 0
        finally:
            conn.close()

    def when_ready(n, timeout=120):
        """Waits until n documents were processed (so a fault lands mid-run, however fast or slow
        this machine is)."""
        deadline = time.time() + timeout
        while ready_documents() < n and time.time() < deadline:
            time.sleep(0.1)

    workers = [start_worker() for _ in range(3)]
    docs = 3000 if sc.ctx.long else 500
    wl = Workload(srv.port, sc.rng, "redis", threads=6, size=(300, 4000), max_docs=docs,
                  give_up_s=120).start()
    # SIGKILL two workers mid-run (each replaced two seconds later, as a supervisor would: the
    # replacement has a new worker id, so the killed worker's jobs still come back only through
    # lease expiry), and restart Redis once (SIGKILL: with appendfsync always nothing it
    # acknowledged may be lost) between them. The long form adds API kills and more of each.
    plan = [(0.2, "worker"), (0.4, "redis"), (0.6, "worker")]
    if sc.ctx.long:
        plan = sorted(plan + [(f, sc.rng.choice(["worker", "redis", "server"]))
                              for f in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9)])
    events = []
    for frac, what in plan:
        when_ready(int(docs * frac))
        log(f"  {ready_documents()}/{docs} documents processed: {what} fault")
        if what == "worker":
            # Two different workers of the three first, then any.
            i = events.count("worker") if events.count("worker") < 2 else sc.rng.randrange(3)
            workers[i].kill()
            workers[i].wait()
            time.sleep(2.0)
            workers[i] = start_worker()
        elif what == "redis":
            stop_redis(signal.SIGKILL)
            time.sleep(sc.rng.uniform(0.5, 1.5))
            start_redis()
        else:
            srv.kill9()
            time.sleep(0.2)
            restart(srv)
        events.append(what)
    log(f"  faults: {', '.join(f'{k} x{events.count(k)}' for k in sorted(set(events)))}")
    sc.expect(wl.wait_done(300), "the workload did not finish uploading")
    wl.stop()
    sc.expect(len(wl.accepted) == docs and not wl.unknown and not wl.refused,
              f"{docs} uploads, {len(wl.accepted)} accepted: every upload must get in despite the "
              f"faults (client retries with its Idempotency-Key)")
    for w in workers:
        sc.expect(w.poll() is None, f"a worker exited on its own (code {w.returncode}); see workers.log")
    rep = sc.verify(srv, wl, wait_s=600 if sc.ctx.long else 180, queue="redis")
    # Nothing here is the documents' fault: every one must have succeeded (exactly once: the
    # checker found no duplicate chunks or documents), none dead-lettered.
    api = Api(f"http://127.0.0.1:{srv.port}", server_fixture.TOKEN)
    not_ok = [u["job_id"] for u in wl.accepted
              if (api.call("GET", "/v1/jobs/" + u["job_id"])[1] or {}).get("state") != "succeeded"]
    sc.expect(not not_ok, f"{len(not_ok)} accepted uploads did not succeed, e.g. {not_ok[:5]}")
    return rep


def binary_mentions(bin_path, needle):
    """Whether the executable contains the bytes (e.g. an environment variable it reads)."""
    with open(bin_path, "rb") as f:
        tail = b""
        for block in iter(lambda: f.read(1 << 20), b""):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False


def scenario_embed_faults(sc):
    serve = help_text(sc.ctx.bin, "serve")
    if "EMBED_PROVIDER" not in serve and not binary_mentions(sc.ctx.bin, b"SCRIPTGEN_EMBED_PROVIDER"):
        raise Skip("this scriptgen has no OpenAI-compatible embedding provider "
                   "(SCRIPTGEN_EMBED_PROVIDER is neither in `serve --help` nor in the binary)")
    fake = FakeEmbedder(dim=64).start()
    sc.cleanups.append(fake.stop)
    env = {"SCRIPTGEN_EMBED_PROVIDER": "openai", "SCRIPTGEN_EMBED_URL": fake.url,
           "SCRIPTGEN_EMBED_MODEL": "chaos-model", "SCRIPTGEN_EMBED_DIM": "64",
           # A client timeout shorter than the fake's hang, so "timeout" is the server's own.
           "SCRIPTGEN_EMBED_TIMEOUT_MS": "2000"}
    srv = sc.server(env=env).start()
    wl = Workload(srv.port, sc.rng, "embed", threads=2, size=(300, 6000), rate=6).start()
    scale = 5 if sc.ctx.long else 1
    phases = [("ok", None, 2), ("timeout", 6.0, 7), ("error", None, 3), ("throttle", None, 3),
              ("garbage", None, 2), ("baddim", None, 2), ("flaky", None, 3), ("ok", None, 1)]
    for mode, delay, secs in phases:
        fake.set_mode(mode, delay)
        log(f"  provider: {mode} for {secs * scale} s")
        time.sleep(secs * scale)
    wl.stop()
    fake.set_mode("ok")
    # Jobs that failed during the faults come back after the documented retry delays (1, 5, 25,
    # 125 s, +-20 %): the wait covers the whole schedule.
    rep = sc.verify(srv, wl, wait_s=600 if sc.ctx.long else 240)
    log(f"  provider saw {fake.stats()}")
    # Recovery: dead letters of provider trouble go back and now succeed.
    api = Api(f"http://127.0.0.1:{srv.port}", server_fixture.TOKEN)
    dead = api.pages("/v1/dlq", "jobs")
    for j in dead:
        st, body, _ = api.call("POST", f"/v1/dlq/{j['id']}/retry")
        sc.expect(st == 200, f"DLQ retry of {j['id']} answered {st} {body}")
    if dead:
        rep2 = check(api, srv.data_dir, sc.ctx.bin, wl.accepted, wait_s=120, search_sample=20)
        still_dead = [u for u in wl.accepted
                      if api.call("GET", "/v1/jobs/" + u["job_id"])[1]["state"] != "succeeded"]
        sc.expect(rep2.ok and not still_dead,
                  f"after retrying {len(dead)} dead letters with a healthy provider: "
                  f"{len(still_dead)} not succeeded; {rep2.violations[:5]}")
    return rep


def scenario_backpressure(sc):
    serve = help_text(sc.ctx.bin, "serve")
    if "--max-queue-depth" not in serve:
        raise Skip("this scriptgen has no `serve --max-queue-depth` (back-pressure not built yet)")
    depth = 20
    srv = sc.server(extra_args=["--max-queue-depth", str(depth), "--workers", "1"]).start()
    api = Api(f"http://127.0.0.1:{srv.port}", server_fixture.TOKEN)
    wl = Workload(srv.port, sc.rng, "bp", threads=8, size=(2000, 20000), give_up_s=120)
    wl.start()
    reads, t_end = [], time.time() + (120 if sc.ctx.long else 10)
    first = None
    while time.time() < t_end:
        if wl.accepted and first is None:
            first = wl.accepted[0]["job_id"]
        if first:
            st, _, _ = api.call("GET", "/v1/jobs/" + first)
            reads.append(st)
        time.sleep(0.05)
    wl.stop()
    n503 = wl.statuses.get(503, 0)
    log(f"  {n503} uploads told 503 at queue depth {depth}; reads meanwhile: "
        f"{sum(1 for r in reads if r == 200)}/{len(reads)} answered 200")
    sc.expect(n503 > 0, f"8 writers against one worker never met the queue-depth limit of {depth}")
    sc.expect(all(r == 200 for r in reads), f"reads failed under back-pressure: {set(reads)}")
    sc.expect(not wl.unknown, f"{len(wl.unknown)} uploads never got in despite honouring Retry-After")
    return sc.verify(srv, wl)


def _fill(path, reserve=0):
    """Writes a file until the filesystem is full (minus `reserve` bytes); returns its size."""
    block = b"\0" * (64 << 10)
    total = 0
    with open(path, "wb") as f:
        try:
            while True:
                st = os.statvfs(os.path.dirname(path))
                free = st.f_bavail * st.f_frsize
                if free <= reserve:
                    break
                f.write(block[: max(4096, min(len(block), free - reserve))])
                f.flush()
                total += len(block)
        except OSError:
            pass
    return total


def _space_report(mnt):
    """Free space on the test filesystem and the biggest things in the data directory."""
    st = os.statvfs(mnt)
    sizes = []
    data = os.path.join(mnt, "data")
    for name in sorted(os.listdir(data)) if os.path.isdir(data) else []:
        path, total = os.path.join(data, name), 0
        for root, _, files in os.walk(path) if os.path.isdir(path) else [("", [], [path])]:
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        if total >= 64 << 10:
            sizes.append(f"{name} {total >> 10} KiB")
    return f"{st.f_bavail * st.f_frsize >> 10} KiB free ({', '.join(sizes)})"


def scenario_disk_full(sc):
    if os.geteuid() != 0:
        raise Skip("needs root to mount a small tmpfs for the data directory")
    mnt = os.path.join(sc.tmp, "mnt")
    os.makedirs(mnt)
    size_mb = 24
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    sc.cleanups.append(lambda: subprocess.run(["umount", "-l", mnt], check=False))
    srv = sc.server(data_dir=os.path.join(mnt, "data"))
    # The log goes beside the tmpfs, not on it: a full disk must not silence the server's log,
    # and it outlives the unmount.
    srv.log_path = os.path.join(sc.tmp, "server.log")
    srv.start()
    api = Api(f"http://127.0.0.1:{srv.port}", server_fixture.TOKEN)
    wl = Workload(srv.port, sc.rng, "disk", threads=2, size=(2000, 30000), give_up_s=20,
                  final_statuses=(507,))
    for _ in range(8):
        wl.upload_one(sc.rng)
    first = list(wl.accepted)
    filler = os.path.join(mnt, "filler")
    rounds = 3 if sc.ctx.long else 1
    for rnd in range(rounds):
        # Fill it up while documents are still being processed, then keep uploading.
        wl.start()
        time.sleep(1.0)
        filled = _fill(filler)
        log(f"  round {rnd + 1}: filesystem full ({filled >> 20} MiB filler); uploading into it")
        full_answers, examples, read_failures = {}, {}, []
        full_until = time.time() + (20 if sc.ctx.long else 6)
        while time.time() < full_until:
            doc = wl.make_doc(sc.rng, size=sc.rng.choice([4000, 200_000, 1_500_000]))
            try:
                st, body, hdr = api.call("POST", f"/v1/documents?filename={doc['name']}", doc["body"],
                                         {"Content-Type": "text/plain", "Idempotency-Key": doc["key"]})
            except OSError as e:
                sc.expect(False, f"upload into a full disk: connection error {e}")
                break
            full_answers[st] = full_answers.get(st, 0) + 1
            examples.setdefault(st, (body, hdr.get("retry-after")))
            if st in (200, 201, 202):
                wl.accepted.append({"key": doc["key"], "marker": doc["marker"], "job_id": body["job_id"],
                                    "document_id": body["document_id"], "status": st})
            # Reads keep working while writes cannot.
            st_job, _, _ = api.call("GET", "/v1/jobs/" + first[0]["job_id"])
            st_s, _, _ = api.call("POST", "/v1/search", {"query": "launch video", "k": 3})
            if st_job != 200 or st_s != 200:
                read_failures.append((st_job, st_s))
            time.sleep(0.1)
        for st, n in sorted(full_answers.items()):
            body, retry_after = examples[st]
            if st in (200, 201, 202):
                continue
            sc.expect(st in (503, 507), f"{n} uploads into a full disk answered {st} (want 507 or "
                                        f"503), e.g. {json.dumps(body)[:200]}")
            sc.expect(isinstance(body, dict) and isinstance(body.get("error"), dict),
                      f"{st} without a JSON error body: {body}")
            if st == 503:
                sc.expect(retry_after is not None, "503 without Retry-After")
        sc.expect(not read_failures, f"{len(read_failures)} reads failed while the disk was full "
                                     f"(GET job, search statuses: {read_failures[:3]})")
        log(f"  answers while full: {full_answers}")
        sc.expect(srv.proc.poll() is None, "the server died when the disk filled up")
        if srv.proc.poll() is not None:
            break
        # The background writers stop before space is freed: left running, they fill the small
        # tmpfs again within seconds and the recovery check below measures a second full disk.
        wl.stop()
        wl.stop_event.clear()
        wl._threads = []
        os.unlink(filler)
        log(f"  space freed: {_space_report(mnt)}")
        # Service recovers without a restart: an upload is accepted and becomes searchable.
        t0, recovered, last = time.time(), None, None
        while time.time() - t0 < 30 and recovered is None:
            rec = wl.upload_one(sc.rng)
            if rec:
                try:
                    last = srv.wait_job(rec["job_id"], timeout=60)
                except AssertionError:
                    _, last, _ = api.call("GET", "/v1/jobs/" + rec["job_id"])
                    break
                if last["state"] == "succeeded":
                    recovered = time.time() - t0
            else:
                time.sleep(0.5)
        if recovered is None:
            # What an operator would look at: is the disk full again, and what is the job doing?
            log(f"  not recovered; {_space_report(mnt)}; last job: {json.dumps(last)[:600]}")
        sc.expect(recovered is not None, "no upload succeeded within 30 s after space was freed")
        if recovered is not None:
            log(f"  recovered: an upload succeeded {recovered:.1f} s after space was freed")
    # Steps that met the full disk say so: class storage_full, not a provider or rate problem
    # that would send an operator to the embedding provider.
    classes = {}
    with open(srv.log_path, errors="replace") as f:
        for line in f:
            if '"msg":"step failed"' in line:
                m = re.search(r'"error_class":"([a-z_]+)"', line)
                if m:
                    classes[m.group(1)] = classes.get(m.group(1), 0) + 1
    log(f"  step failures by class: {classes}")
    wrong = {c: n for c, n in classes.items() if c in ("provider_unavailable", "rate_limited")}
    sc.expect(not wrong, f"steps failed on a full disk with a misleading class: {wrong}")
    return sc.verify(srv, wl)


def find_clock_shim(ctx, tmp):
    path = os.environ.get("SG_CHAOS_CLOCK_SHIM")
    if path and os.path.exists(path):
        return path
    cxx = shutil.which("c++") or shutil.which("g++")
    if not cxx:
        return None
    out = os.path.join(tmp, "libsg_chaos_clock_shim.so")
    r = subprocess.run([cxx, "-std=c++20", "-O2", "-shared", "-fPIC", "-o", out,
                        os.path.join(HERE, "clock_shim.cc")], capture_output=True, text=True)
    return out if r.returncode == 0 else None


def scenario_clock_jump(sc):
    shim = find_clock_shim(sc.ctx, sc.tmp)
    if not shim:
        raise Skip("no clock shim (SG_CHAOS_CLOCK_SHIM unset and no C++ compiler to build clock_shim.cc)")
    offset_file = os.path.join(sc.tmp, "clock-offset")
    with open(offset_file, "wb") as f:
        f.write(struct.pack("<q", 0))

    def jump(seconds):
        with open(offset_file, "r+b") as f:
            f.write(struct.pack("<q", int(seconds * 1e9)))
        log(f"  wall clock now {seconds / 3600:+.2f} h")

    env = {"LD_PRELOAD": shim, "SG_CHAOS_CLOCK_FILE": offset_file,
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    srv = sc.server(env=env).start()
    api = Api(f"http://127.0.0.1:{srv.port}", server_fixture.TOKEN)
    # Prove the shim is in effect: the server's clock (response Date or job times) moves.
    jump(3 * 3600)
    st, body, _ = api.call("GET", "/v1/jobs?limit=1")
    st, up, _ = api.call("POST", "/v1/documents?filename=probe.txt", b"clock probe text",
                         {"Content-Type": "text/plain"})
    _, job, _ = api.call("GET", "/v1/jobs/" + up["job_id"])
    created = time.mktime(time.strptime(job["created_at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    if abs(created - (time.time() + 3 * 3600)) > 600:
        raise Skip(f"the clock shim has no effect on this binary (job created_at {job['created_at']})")
    jump(0)
    wl = Workload(srv.port, sc.rng, "clock", threads=3, rate=10).start()
    steps = [(+2 * 3600, 3), (-1 * 3600, 3), (0, 2), (+26 * 3600, 3), (-3 * 3600, 2), (0, 2)]
    if sc.ctx.long:
        steps = steps * 4
    for i, (offset, secs) in enumerate(steps):
        jump(offset)
        time.sleep(secs)
        if i == 1:  # restart while the clock is behind the leases written before
            srv.kill9()
            restart(srv)
    wl.stop()
    # Checked with the server's clock two hours ahead: every crash-leftover blob is then past the
    # sweep's one-hour grace, so the doctor must remove all of them.
    jump(2 * 3600)
    rep = sc.verify(srv, wl, sweep="strict")
    jump(0)
    return rep


SCENARIOS = {
    "server_kill": scenario_server_kill,
    "redis_workers": scenario_redis_workers,
    "embed_faults": scenario_embed_faults,
    "backpressure": scenario_backpressure,
    "disk_full": scenario_disk_full,
    "clock_jump": scenario_clock_jump,
}


class Context:
    pass


def main():
    ap = argparse.ArgumentParser(description="scriptgen chaos suite")
    ap.add_argument("--bin", default=os.environ.get("SCRIPTGEN_BIN", "build/scriptgen"))
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    ap.add_argument("--long", action="store_true", default=os.environ.get("SG_CHAOS_LONG") == "1")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SG_CHAOS_SEED", "0")) or None)
    ap.add_argument("--keep", action="store_true", help="keep data directories")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(SCENARIOS))
        return 0
    ctx = Context()
    ctx.bin = os.path.abspath(a.bin)
    ctx.long, ctx.keep = a.long, a.keep
    ctx.seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    if not os.access(ctx.bin, os.X_OK):
        print(f"no scriptgen binary at {ctx.bin} (--bin or SCRIPTGEN_BIN)")
        return 1
    server_fixture.BIN = ctx.bin
    names = a.scenario or list(SCENARIOS)
    log(f"chaos: {'long' if ctx.long else 'short'} form, seed {ctx.seed} (SG_CHAOS_SEED to replay), "
        f"binary {ctx.bin}")
    results = []
    for name in names:
        sc = Scenario(ctx, name)
        t0 = time.time()
        log(f"{name}: start")
        try:
            SCENARIOS[name](sc)
            outcome = "FAIL" if sc.failures else "PASS"
        except Skip as e:
            outcome = "SKIP"
            log(f"  skipped: {e}")
        except Exception as e:  # noqa: BLE001 - a crash of the harness is a failed scenario
            import traceback
            traceback.print_exc()
            sc.failures.append(f"harness error: {e!r}")
            outcome = "FAIL"
        finally:
            sc.close()
        results.append((name, outcome, time.time() - t0, sc.failures))
        log(f"{name}: {outcome} in {time.time() - t0:.1f} s")
    print("\nchaos summary:")
    for name, outcome, secs, failures in results:
        print(f"  {name:<14} {outcome:<4} {secs:6.1f} s" + (f"  ({len(failures)} failures)" if failures else ""))
        for f in failures[:10]:
            print(f"      - {f}")
    if any(o == "FAIL" for _, o, _, _ in results):
        return 1
    if all(o == "SKIP" for _, o, _, _ in results):
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
