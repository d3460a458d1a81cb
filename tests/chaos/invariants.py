"""The chaos suite's invariant checker: after any run, did the service lose, duplicate or corrupt
anything it accepted?

    from invariants import Api, check
    report = check(Api(url, token), data_dir, scriptgen_bin, uploads, wait_s=60)
    report.print(); assert report.ok, report.violations

`uploads` lists what the workload was told: dicts with `job_id`, `document_id` (from the 202/200
answer) and optionally `key` (its Idempotency-Key).
Uploads whose outcome the client never learned (the server died mid-request) are not in it, but
whatever they created is still held to the same rules through the database checks.

Checks, each a violation when broken:
  1. every job reaches a terminal state within `wait_s` (nothing stuck queued/running);
  2. every accepted upload's job exists (`GET /v1/jobs/{id}`) and is `succeeded`, or `dead` with an
     error class and message and listed in `GET /v1/dlq` with its error history;
  3. exactly one document per accepted upload and per Idempotency-Key, one document per ingest
     job and one ingest job per document (no lost or duplicated jobs); jobs are read through the
     API, so this holds for a Redis queue too (queue="redis": there an ingest job without a
     document is allowed only if no client was given it and it ended cancelled or dead with a
     reason, see jobs/queue.h EnqueueInTx);
  4. no duplicate chunks (same document and seq, or same document and byte range), chunk_count
     matches the rows of a ready document, every chunk of a ready document has exactly one vector
     of the document's embed_version with the declared dimension;
  5. no orphans: chunks, texts or vectors without their parent row, documents whose blob is missing,
     blobs whose bytes no longer hash to the recorded SHA-256; blob files no row references are
     crash leftovers the design allows (store/blob_store.h) - they are counted, then the server's
     own sweep (`POST /v1/admin/doctor {"fix":true}`) must remove those past its one-hour grace
     (all of them with sweep="strict");
  6. SQLite `integrity_check` and `foreign_key_check` are clean;
  7. the audit hash chain verifies (`scriptgen audit verify`);
  8. every succeeded upload is in the search index: its last chunk's text finds that chunk.
Standard library only; reads the database with Python's sqlite3 (WAL readers do not block the
server) and talks to the server over loopback HTTP.
"""
import hashlib
import http.client
import json
import os
import sqlite3
import subprocess
import time
import urllib.parse

TERMINAL = ("succeeded", "dead", "cancelled")
SWEEP_GRACE_S = 3600  # governance/orphan_detector.h


class Api:
    """A minimal JSON client for one server (admin token)."""

    def __init__(self, base_url, token, timeout=30):
        u = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.token, self.timeout = u.hostname, u.port, token, timeout

    def call(self, method, path, body=None, headers=None):
        """Returns (status, parsed JSON or None, headers). Raises OSError if the server is away."""
        h = {"Authorization": "Bearer " + self.token}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = None
            return r.status, parsed, {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()

    def pages(self, path, key):
        """Every item of a paginated listing (`{key: [...], "next": cursor}`)."""
        items, cursor = [], None
        while True:
            sep = "&" if "?" in path else "?"
            url = path + sep + "limit=500" + (("&cursor=" + urllib.parse.quote(cursor)) if cursor else "")
            status, body, _ = self.call("GET", url)
            if status != 200:
                raise RuntimeError(f"GET {url} -> {status} {body}")
            items.extend(body.get(key, []))
            cursor = body.get("next")
            if not cursor:
                return items


class Report:
    def __init__(self):
        self.violations, self.notes, self.stats = [], [], {}

    @property
    def ok(self):
        return not self.violations

    def fail(self, msg):
        self.violations.append(msg)

    def print(self, prefix="  "):
        print(prefix + "invariants: " + ("OK" if self.ok else f"{len(self.violations)} VIOLATED"))
        print(prefix + "  " + ", ".join(f"{k}={v}" for k, v in self.stats.items()))
        for n in self.notes:
            print(prefix + "  note: " + n)
        for v in self.violations[:40]:
            print(prefix + "  VIOLATION: " + v)
        if len(self.violations) > 40:
            print(prefix + f"  ... and {len(self.violations) - 40} more")


def _db(data_dir):
    conn = sqlite3.connect(os.path.join(data_dir, "scriptgen.db"), timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def wait_terminal(api, wait_s):
    """Polls the job listing until no job is queued, scheduled or running; returns the jobs."""
    deadline = time.time() + wait_s
    while True:
        jobs = api.pages("/v1/jobs", "jobs")
        open_jobs = [j for j in jobs if j["state"] not in TERMINAL]
        if not open_jobs or time.time() > deadline:
            return jobs, open_jobs
        time.sleep(0.25)


def _rows(conn, sql, *args):
    return conn.execute(sql, args).fetchall()


def check(api, data_dir, scriptgen_bin, uploads=(), wait_s=60, search_sample=200, sweep="grace",
          queue="sqlite"):
    rep = Report()
    t0 = time.time()
    # 1. Nothing stuck.
    try:
        jobs, open_jobs = wait_terminal(api, wait_s)
    except (OSError, RuntimeError) as e:
        rep.fail(f"cannot list jobs: {e}")
        return rep
    for j in open_jobs:
        rep.fail(f"{j['id']} still {j['state']} after {wait_s} s (attempts {j.get('attempts')})")
    by_state = {}
    for j in jobs:
        by_state[j["state"]] = by_state.get(j["state"], 0) + 1
    rep.stats["jobs"] = len(jobs)
    rep.stats["drain_s"] = round(time.time() - t0, 1)
    rep.stats.update({f"jobs_{k}": v for k, v in sorted(by_state.items())})

    # 2. Every accepted upload: its job is terminal the right way.
    dlq = {j["id"]: j for j in api.pages("/v1/dlq", "jobs")}
    succeeded_uploads = []
    for u in uploads:
        status, job, _ = api.call("GET", "/v1/jobs/" + u["job_id"])
        if status != 200:
            rep.fail(f"accepted upload {u.get('key')} -> {u['job_id']}: GET job answered {status} (lost)")
            continue
        if job["state"] == "succeeded":
            succeeded_uploads.append(u)
        elif job["state"] == "dead":
            err = job.get("error") or {}
            if not err.get("class") or not err.get("message"):
                rep.fail(f"{u['job_id']} dead without a reason: {job.get('error')}")
            d = dlq.get(u["job_id"])
            if d is None:
                rep.fail(f"{u['job_id']} dead but not in /v1/dlq")
            elif not d.get("error_history"):
                rep.fail(f"{u['job_id']} in the DLQ without error history")
        elif job["state"] in TERMINAL:
            rep.fail(f"{u['job_id']} ended {job['state']}, yet nobody cancelled it")
    rep.stats["accepted_uploads"] = len(uploads)
    rep.stats["dead_lettered"] = len(dlq)

    conn = _db(data_dir)
    try:
        _check_database(conn, rep, uploads, data_dir, jobs, queue)
    finally:
        conn.close()

    # 5b. Unreferenced blobs are allowed after a crash; the server's sweep (doctor, fix) must remove
    # those older than its grace period (an hour: younger ones may be uploads about to commit).
    # sweep="strict": all of them (the caller made them old, e.g. by moving the server's clock).
    if sweep and rep.stats.get("unreferenced_blobs", 0):
        status, body, _ = api.call("POST", "/v1/admin/doctor", {"fix": True})
        if status != 200:
            rep.fail(f"doctor fix answered {status} {body}")
        left = _unreferenced_blobs(data_dir)
        if sweep != "strict":
            root = os.path.join(data_dir, "blobs")
            left = [k for k in left
                    if time.time() - os.path.getmtime(os.path.join(root, k)) > SWEEP_GRACE_S + 60]
        if left:
            rep.fail(f"{len(left)} unreferenced blobs survive the doctor's sweep, e.g. {left[:3]}")

    # 7. Audit chain.
    r = subprocess.run([scriptgen_bin, "audit", "verify", "--data-dir", data_dir],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        rep.fail(f"audit verify exit {r.returncode}: {(r.stdout + r.stderr).strip()[-300:]}")
    else:
        rep.stats["audit"] = "valid"

    # 8. Searchable: the text of each succeeded document's last chunk, used as the query, must find
    # that chunk (its own vector is the nearest). A query on a marker word would test ranking,
    # not presence in the index.
    sample = succeeded_uploads[:search_sample]
    conn = _db(data_dir)
    try:
        probes = []
        for u in sample:
            row = conn.execute("SELECT id, text FROM chunks WHERE document_id = ? ORDER BY seq DESC LIMIT 1",
                               (int(u["document_id"].split("_")[1]),)).fetchone()
            if row:
                probes.append((u, f"chunk_{row[0]}", row[1][:8000]))
    finally:
        conn.close()
    missed = 0
    for u, chunk_id, text in probes:
        status, body, _ = api.call("POST", "/v1/search", {"query": text, "k": 10})
        hits = body.get("results", []) if status == 200 and body else []
        if not any(x.get("chunk_id") == chunk_id for x in hits):
            missed += 1
            if missed <= 5:
                rep.fail(f"{u['document_id']} succeeded but searching its {chunk_id} text does not "
                         f"find it (search {status}, {len(hits)} hits)")
    if missed > 5:
        rep.fail(f"... {missed} succeeded documents missing from search in all")
    rep.stats["searched"] = len(probes)
    rep.stats["check_s"] = round(time.time() - t0, 1)
    return rep


def _unreferenced_blobs(data_dir, conn=None):
    own = conn is None
    conn = conn or _db(data_dir)
    try:
        referenced = {r[0] for r in _rows(conn, "SELECT blob_path FROM documents")}
    finally:
        if own:
            conn.close()
    root = os.path.join(data_dir, "blobs")
    found = []
    for d in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        sub = os.path.join(root, d)
        if os.path.isdir(sub):
            found.extend(f"{d}/{f}" for f in os.listdir(sub))
    return [k for k in found if k not in referenced]


def _check_database(conn, rep, uploads, data_dir, jobs, queue):
    integrity = _rows(conn, "PRAGMA integrity_check")
    if integrity != [("ok",)]:
        rep.fail(f"sqlite integrity_check: {integrity[:5]}")
    fk = _rows(conn, "PRAGMA foreign_key_check")
    if fk:
        rep.fail(f"sqlite foreign_key_check: {len(fk)} rows, e.g. {fk[:3]}")

    # 3. One document per upload / key / job, one job per document.
    docs = _rows(conn, "SELECT id, job_id, idempotency_key, blob_path, sha256, ready, chunk_count, "
                       "embed_version FROM documents")
    rep.stats["documents"] = len(docs)
    by_key = {}
    for d in docs:
        if d[2] is not None:
            by_key.setdefault(d[2], []).append(d[0])
    for u in uploads:
        if u.get("key"):
            ids = by_key.get(u["key"], [])
            if len(ids) != 1:
                rep.fail(f"upload {u['key']}: {len(ids)} document rows {ids}")
            elif f"doc_{ids[0]}" != u["document_id"]:
                rep.fail(f"upload {u['key']}: answered {u['document_id']} but stored doc_{ids[0]}")
    for job_id, n in _rows(conn, "SELECT job_id, COUNT(*) FROM documents GROUP BY job_id HAVING COUNT(*) > 1"):
        rep.fail(f"job_{job_id} ingests {n} documents")
    # Documents against jobs as the queue reports them (GET /v1/jobs): the queue may live in
    # Redis rather than in this database.
    job_by_id = {int(j["id"].split("_")[1]): j for j in jobs}
    doc_jobs = set()
    for doc_id, job_id, _key, _blob, _sha, ready, *_ in docs:
        doc_jobs.add(job_id)
        j = job_by_id.get(job_id)
        if j is None or j["type"] != "ingest":
            rep.fail(f"doc_{doc_id} has no ingest job (job_{job_id} {'missing' if j is None else j['type']})")
        elif (ready == 1) != (j["state"] == "succeeded"):
            rep.fail(f"doc_{doc_id}: ready flag {ready} disagrees with its job state {j['state']}")
    accepted_jobs = {u["job_id"] for u in uploads}
    for job_id, j in sorted(job_by_id.items()):
        if j["type"] != "ingest" or job_id in doc_jobs:
            continue
        # With the SQLite queue a document and its job commit together. A Redis job is enqueued
        # before the document's SQLite commit, which may then fail (the client was told so and
        # retries): that job finds no document and must end cancelled or dead with a reason,
        # never succeeded, and no client may have been given it.
        benign = (queue == "redis" and j["id"] not in accepted_jobs
                  and (j["state"] == "cancelled" or (j["state"] == "dead" and (j.get("error") or {}).get("class"))))
        if benign:
            rep.stats["jobs_without_document"] = rep.stats.get("jobs_without_document", 0) + 1
        else:
            rep.fail(f"{j['id']} (ingest, {j['state']}) has no document")

    # 4. Chunks and vectors.
    dup = _rows(conn, "SELECT document_id, seq, COUNT(*) FROM chunks GROUP BY document_id, seq HAVING COUNT(*) > 1")
    dup += _rows(conn, "SELECT document_id, byte_offset, COUNT(*) FROM chunks "
                       "GROUP BY document_id, byte_offset, byte_length HAVING COUNT(*) > 1")
    for d, s, n in dup[:20]:
        rep.fail(f"duplicate chunks: doc_{d} at {s} x{n}")
    for doc_id, want, got in _rows(conn, "SELECT d.id, d.chunk_count, (SELECT COUNT(*) FROM chunks c "
                                         "WHERE c.document_id = d.id) FROM documents d WHERE d.ready = 1"):
        if want != got:
            rep.fail(f"doc_{doc_id}: chunk_count {want} but {got} chunk rows")
    missing_vec = _rows(conn, "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id "
                              "WHERE d.ready = 1 AND NOT EXISTS (SELECT 1 FROM vectors v WHERE "
                              "v.chunk_id = c.id AND v.embed_version = d.embed_version)")
    if missing_vec:
        rep.fail(f"{len(missing_vec)} chunks of ready documents have no vector, e.g. chunk_{missing_vec[0][0]}")
    bad_dim = _rows(conn, "SELECT chunk_id FROM vectors WHERE length(data) != 4 * dimension")
    if bad_dim:
        rep.fail(f"{len(bad_dim)} vectors whose size disagrees with their dimension")
    rep.stats["chunks"] = _rows(conn, "SELECT COUNT(*) FROM chunks")[0][0]
    rep.stats["vectors"] = _rows(conn, "SELECT COUNT(*) FROM vectors")[0][0]

    # 5. Orphans.
    orphan_sql = {
        "chunks without a document": "SELECT COUNT(*) FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL",
        "texts without a document": "SELECT COUNT(*) FROM document_texts t LEFT JOIN documents d ON d.id = t.document_id WHERE d.id IS NULL",
        "vectors without a chunk": "SELECT COUNT(*) FROM vectors v LEFT JOIN chunks c ON c.id = v.chunk_id WHERE c.id IS NULL",
        "job errors without a job": "SELECT COUNT(*) FROM job_errors e LEFT JOIN jobs j ON j.id = e.job_id WHERE j.id IS NULL",
    }
    for what, sql in orphan_sql.items():
        n = _rows(conn, sql)[0][0]
        if n:
            rep.fail(f"{n} {what}")
    root = os.path.join(data_dir, "blobs")
    for doc_id, _job, _key, blob_path, sha, *_ in docs:
        path = os.path.join(root, blob_path)
        try:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError as e:
            rep.fail(f"doc_{doc_id}: blob {blob_path} unreadable ({e.strerror})")
            continue
        if h.hexdigest() != sha:
            rep.fail(f"doc_{doc_id}: blob bytes no longer match the recorded SHA-256 (corrupted)")
    leftovers = _unreferenced_blobs(data_dir, conn)
    rep.stats["unreferenced_blobs"] = len(leftovers)
    if leftovers:
        rep.notes.append(f"{len(leftovers)} unreferenced blobs (crash leftovers; the sweep must remove them)")
