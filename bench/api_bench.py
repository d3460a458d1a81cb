#!/usr/bin/env python3
"""Figures for the HTTP API and the ingest pipeline, measured against the real binary on loopback.

  bench/api_bench.py [--bin build/release/scriptgen] [--quick]

Prints: upload-to-searchable latency (p50/p99) of 10 KB texts; ingest throughput (MB/s) of a folder
of text files uploaded concurrently; the same for a folder of mixed real documents (the PDF, DOCX,
HTML, Markdown, CSV and legacy-encoded fixtures of tests/data/documents/good, repeated); wrk on
GET /v1/jobs/{id} at 100 and 1000 connections.
Only 127.0.0.1 is contacted; every loop is bounded.
"""
import argparse
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import server_fixture  # noqa: E402
from server_fixture import Server, TOKEN  # noqa: E402


def text_of(size, seed):
    rng = random.Random(seed)
    words = ["script", "launch", "video", "scene", "camera", "product", "story", "audience",
             "brand", "edit", "voice", "music", "cut", "frame", "light", "plan"]
    out, n = [], 0
    while n < size:
        para = " ".join(rng.choice(words) for _ in range(rng.randint(20, 80))) + ".\n\n"
        out.append(para)
        n += len(para)
    return "".join(out)[:size].encode()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def upload_to_searchable(s, n):
    """Returns latencies (ms) and the ranks at which each document's unique word found it."""
    lat, ranks = [], []
    for i in range(n):
        marker = "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(14))
        body = text_of(10 * 1024 - 40, i) + f"\n{marker}\n".encode()
        t0 = time.perf_counter()
        status, r = s.upload(f"lat{i}.txt", body)
        assert status == 202, r
        _, events, _ = s.sse(r["events_url"])
        assert events[-1][2]["state"] == "succeeded", events[-1]
        lat.append((time.perf_counter() - t0) * 1000)
        _, res = s.json("POST", "/v1/search", {"query": marker, "k": 5})
        found = [x["document_id"] for x in res["results"]]
        ranks.append(found.index(r["document_id"]) + 1 if r["document_id"] in found else None)
    return lat, ranks


def ingest_throughput(s, files, size, concurrency):
    bodies = [text_of(size, 1000 + i) for i in range(files)]
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        jobs = list(pool.map(lambda ib: s.upload(f"tp{ib[0]}.txt", ib[1])[1]["job_id"],
                             enumerate(bodies)))
    for j in jobs:
        assert s.wait_job(j, timeout=600)["state"] == "succeeded"
    elapsed = time.perf_counter() - t0
    mb = sum(len(b) for b in bodies) / 1e6
    return mb, elapsed


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "documents", "good")
TYPES = {".pdf": "application/pdf", ".html": "text/html", ".md": "text/markdown",
         ".csv": "text/csv", ".txt": "text/plain",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def mixed_documents_throughput(s, copies, concurrency):
    files = []
    for name in sorted(os.listdir(FIXTURES)):
        with open(os.path.join(FIXTURES, name), "rb") as f:
            files.append((name, f.read(), TYPES[os.path.splitext(name)[1]]))
    work = [(f"{i}-{name}", data, ctype) for i in range(copies) for name, data, ctype in files]
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        jobs = list(pool.map(lambda w: s.upload(w[0], w[1], w[2])[1]["job_id"], work))
    for j in jobs:
        assert s.wait_job(j, timeout=600)["state"] == "succeeded"
    elapsed = time.perf_counter() - t0
    return sum(len(w[1]) for w in work) / 1e6, len(work), elapsed


def wrk(s, path, connections, seconds):
    threads = 2
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-H", f"Authorization: Bearer {TOKEN}", f"http://127.0.0.1:{s.port}{path}"],
        capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return rps, p99, (errors.group(1) if errors else "0"), (socket_errors.group(1) if socket_errors else "none")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("SCRIPTGEN_BIN", "build/release/scriptgen"))
    ap.add_argument("--quick", action="store_true", help="smaller runs (for smoke tests)")
    a = ap.parse_args()
    server_fixture.BIN = a.bin
    s = Server().start()
    try:
        n = 10 if a.quick else 50
        lat, ranks = upload_to_searchable(s, n)
        print(f"upload-to-searchable (10 KB text, {n} sequential): p50 {pct(lat, 50):.1f} ms, "
              f"p99 {pct(lat, 99):.1f} ms")
        print(f"search by each document's unique word: hit@1 {ranks.count(1)}/{n}, "
              f"hit@5 {sum(1 for r in ranks if r)}/{n}")
        files, size = (20, 50_000) if a.quick else (200, 50_000)
        mb, secs = ingest_throughput(s, files, size, 8)
        print(f"ingest throughput: {mb / secs:.2f} MB/s ({files} files x {size // 1000} KB = "
              f"{mb:.1f} MB in {secs:.2f} s, 8 concurrent uploads)")
        copies = 3 if a.quick else 20
        mb, docs, secs = mixed_documents_throughput(s, copies, 8)
        print(f"mixed documents (PDF/DOCX/HTML/MD/CSV/CP949/UTF-16 fixtures x {copies}): "
              f"{mb / secs:.2f} MB/s, {docs / secs:.1f} documents/s ({docs} documents, "
              f"{mb:.1f} MB in {secs:.2f} s, 8 concurrent uploads)")
        if shutil.which("wrk"):
            _, jobs = s.json("GET", "/v1/jobs?limit=1")
            path = "/v1/jobs/" + jobs["jobs"][0]["id"]
            for c in (100, 1000):
                rps, p99, non2xx, serr = wrk(s, path, c, 3 if a.quick else 10)
                print(f"wrk GET /v1/jobs/{{id}} {c} connections: {rps:.0f} req/s, p99 {p99}, "
                      f"non-2xx {non2xx}, socket errors {serr}")
        else:
            print("wrk not installed: skipped the HTTP load figures")
    finally:
        s.cleanup()


if __name__ == "__main__":
    main()
