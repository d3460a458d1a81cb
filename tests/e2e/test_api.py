"""End-to-end tests of the HTTP API and the ingest pipeline against the real binary."""
import glob
import hashlib
import json
import os
import random
import socket
import string
import struct
import time
import unittest
import zlib

from server_fixture import Server, TOKEN


def tiny_png():
    """A real 1x1 PNG, which libmagic recognises as image/png."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def unique_word():
    return "zq" + "".join(random.choice(string.ascii_lowercase) for _ in range(12))


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_data_files_are_private_to_the_service_account(self):
        s = self.server
        status, r = s.upload("private.txt", b"Only the service account may read this file.")
        self.assertEqual(status, 202)
        s.wait_job(r["job_id"])
        for dirpath, dirnames, names in os.walk(s.data_dir):
            for name in names + dirnames:
                path = os.path.join(dirpath, name)
                if name == "server.log":
                    continue  # made by the test harness, not the server
                mode = os.stat(path).st_mode & 0o777
                self.assertEqual(mode & 0o077, 0, f"{path} is mode {oct(mode)}")

    def test_upload_watch_search_delete(self):
        s = self.server
        word = unique_word()
        text = f"Notes for a launch video.\n\nThe {word} appears only here.\n".encode()
        status, r = s.upload("launch.txt", text)
        self.assertEqual(status, 202, r)
        doc, job = r["document_id"], r["job_id"]
        self.assertTrue(doc.startswith("doc_") and job.startswith("job_"))
        self.assertEqual(r["events_url"], f"/v1/jobs/{job}/events")

        status, events, _ = s.sse(r["events_url"])
        self.assertEqual(status, 200)
        kinds = [e[0] for e in events]
        self.assertIn("progress", kinds)
        self.assertEqual(events[-1][0], "state")
        self.assertEqual(events[-1][2]["state"], "succeeded")
        steps = [e[2]["progress"]["step"] for e in events if e[0] == "progress"]
        self.assertEqual(sorted(set(steps)),
                         sorted({"validate", "extract", "scrub", "chunk", "embed", "index"}))

        status, d = s.json("GET", f"/v1/documents/{doc}")
        self.assertEqual(status, 200)
        self.assertEqual(d["state"], "ready")
        self.assertEqual(d["size"], len(text))
        self.assertGreaterEqual(d["chunk_count"], 1)
        self.assertTrue(d["embed_version"].startswith("hash-"))
        self.assertEqual(d["sha256"], hashlib.sha256(text).hexdigest())

        status, res = s.json("POST", "/v1/search", {"query": word, "k": 3})
        self.assertEqual(status, 200, res)
        self.assertEqual(res["results"][0]["document_id"], doc)
        self.assertIn(word, res["results"][0]["text"])

        def read(path):
            with open(path, "rb") as f:
                return f.read()
        blobs_before = [p for p in glob.glob(os.path.join(s.data_dir, "blobs", "*", "*"))
                        if read(p) == text]
        self.assertEqual(len(blobs_before), 1)

        status, r = s.json("DELETE", f"/v1/documents/{doc}")
        self.assertEqual(status, 200)
        self.assertTrue(r["deleted"])
        status, r = s.json("DELETE", f"/v1/documents/{doc}")  # idempotent
        self.assertEqual(status, 200)
        self.assertFalse(r["deleted"])
        status, err = s.json("GET", f"/v1/documents/{doc}")
        self.assertEqual(status, 404)
        self.assertEqual(err["error"]["code"], "not_found")
        status, res = s.json("POST", "/v1/search", {"query": word, "k": 5})
        self.assertNotIn(doc, [x["document_id"] for x in res["results"]])
        self.assertFalse(os.path.exists(blobs_before[0]))

    def test_multipart_upload(self):
        s = self.server
        word = unique_word()
        boundary = "----sgboundary42"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"notes.md\"\r\nContent-Type: text/markdown\r\n\r\n"
                f"# Title\n\n{word} in markdown.\r\n--{boundary}--\r\n").encode()
        status, r = s.json("POST", "/v1/documents", body,
                           {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        self.assertEqual(status, 202, r)
        self.assertEqual(s.wait_job(r["job_id"])["state"], "succeeded")
        status, d = s.json("GET", f"/v1/documents/{r['document_id']}")
        self.assertEqual(d["filename"], "notes.md")
        self.assertEqual(d["mime"], "text/markdown")
        status, res = s.json("POST", "/v1/search", {"query": word})
        self.assertEqual(res["results"][0]["document_id"], r["document_id"])

    def test_idempotency_key_replay_and_conflict(self):
        s = self.server
        key = {"Idempotency-Key": "idem-" + unique_word()}
        st1, a = s.upload("i.txt", b"same body", headers=key)
        st2, b = s.upload("i.txt", b"same body", headers=key)
        self.assertEqual(st1, 202)
        self.assertEqual(st2, 200)
        self.assertEqual(a["document_id"], b["document_id"])
        self.assertEqual(a["job_id"], b["job_id"])
        self.assertFalse(b["created"])
        st3, c = s.upload("i.txt", b"other body", headers=key)
        self.assertEqual(st3, 409)
        self.assertEqual(c["error"]["code"], "idempotency_conflict")

    def test_error_paths_have_json_bodies(self):
        s = self.server
        cases = [
            ("GET", "/v1/jobs/does-not-exist", None, {}, 404),
            ("GET", "/v1/documents/doc_999999", None, {}, 404),
            ("GET", "/v1/documents/job_1", None, {}, 404),  # wrong kind of id
            ("PUT", "/v1/documents", b"x", {}, 405),
            ("GET", "/v1/nope", None, {}, 404),
            ("POST", "/v1/search", b"{not json", {"Content-Type": "application/json"}, 400),
            ("POST", "/v1/search", b'{"query": ""}', {"Content-Type": "application/json"}, 400),
            ("POST", "/v1/search", b'{"query": "x", "k": 0}', {}, 400),
            ("POST", "/v1/search", b'{"query": "x", "k": 100000}', {}, 400),
            ("GET", "/v1/jobs?state=bogus", None, {}, 400),
            ("GET", "/v1/documents?limit=0", None, {}, 400),
            ("GET", "/v1/documents?cursor=abc", None, {}, 400),
            ("POST", "/v1/documents?filename=a.png", tiny_png(), {"Content-Type": "image/png"},
             415),
            ("POST", "/v1/documents?filename=a.txt", tiny_png(), {"Content-Type": "text/plain"},
             415),  # the content decides, not the name or the declared type
            ("POST", "/v1/documents?filename=a.txt", b"", {"Content-Type": "text/plain"}, 400),
            ("POST", "/v1/documents", b"no name", {"Content-Type": "text/plain"}, 400),
            ("POST", "/v1/dlq/retry", b'{"error_class": "nope"}', {}, 400),
            ("POST", "/v1/jobs/job_999999/cancel", None, {}, 404),
        ]
        for method, path, body, headers, want in cases:
            with self.subTest(method=method, path=path):
                status, hdrs, data = s.request(method, path, body, headers)
                self.assertEqual(status, want, data)
                err = json.loads(data)["error"]
                self.assertTrue(err["code"])
                self.assertTrue(err["message"])
                self.assertIn("x-request-id", hdrs)
        status, hdrs, _ = s.request("PUT", "/v1/documents", b"x")
        self.assertIn("POST", hdrs["allow"])

    def test_unauthenticated_and_bad_token(self):
        s = self.server
        status, hdrs, data = s.request("GET", "/v1/documents", auth=False)
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(data)["error"]["code"], "unauthenticated")
        status, _, _ = s.request("GET", "/v1/documents",
                                 headers={"Authorization": "Bearer wrong-token-wrong-token"})
        self.assertEqual(status, 401)
        status, _, _ = s.request("GET", "/healthz", auth=False)
        self.assertEqual(status, 200)
        self.assertNotIn(TOKEN, s.log())

    def test_sse_resume_with_last_event_id(self):
        s = self.server
        status, r = s.upload("sse.txt", ("Some text. " * 500).encode())
        self.assertEqual(status, 202)
        _, events, _ = s.sse(r["events_url"])
        ids = [int(e[1]) for e in events if e[1]]
        self.assertEqual(ids, sorted(ids))
        self.assertGreater(len(ids), 3)
        cut = ids[len(ids) // 2]
        _, resumed, _ = s.sse(r["events_url"], headers={"Last-Event-ID": str(cut)})
        self.assertEqual([int(e[1]) for e in resumed], [i for i in ids if i > cut])
        self.assertEqual(resumed[-1][2]["state"], "succeeded")
        # A stream of an already finished job with nothing newer ends at once with its state.
        _, last, _ = s.sse(r["events_url"], headers={"Last-Event-ID": str(ids[-1])})
        self.assertEqual(len(last), 1)
        self.assertEqual(last[0][2]["state"], "succeeded")

    def test_binary_content_is_refused_at_upload(self):
        s = self.server
        status, r = s.upload("binary.txt", b"\x00\x01\x02 not text \x00")
        self.assertEqual(status, 415, r)
        self.assertEqual(r["error"]["code"], "unsupported")
        self.assertIn("binary", r["error"]["message"])

    def test_lists_page_with_cursor(self):
        s = self.server
        for i in range(5):
            s.upload(f"page{i}.txt", f"page {i} {unique_word()}".encode())
        seen, cursor = [], ""
        while True:
            status, page = s.json("GET", "/v1/documents?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            self.assertEqual(status, 200)
            self.assertLessEqual(len(page["documents"]), 2)
            seen += [d["id"] for d in page["documents"]]
            for d in page["documents"]:
                self.assertIn("chunk_count", d)
                self.assertIn("state", d)
            if not page["next"]:
                break
            cursor = page["next"]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertGreaterEqual(len(seen), 5)
        status, jobs = s.json("GET", "/v1/jobs?state=succeeded&limit=100")
        self.assertEqual(status, 200)
        self.assertTrue(all(j["state"] == "succeeded" for j in jobs["jobs"]))

    def test_upload_over_the_size_limit_is_413(self):
        small = Server(extra_args=["--max-upload-mb", "1"]).start()
        try:
            # The server answers from Content-Length alone, before any body byte (as a client
            # sending "Expect: 100-continue" would wait for); a raw socket sees that answer
            # without racing the server's close against a body still being sent.
            with socket.create_connection(("127.0.0.1", small.port), timeout=30) as sock:
                sock.sendall((f"POST /v1/documents?filename=big.txt HTTP/1.1\r\n"
                              f"Host: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
                              f"Content-Type: text/plain\r\nContent-Length: {1024 * 1024 + 1}"
                              f"\r\n\r\n").encode())
                reply = b""
                while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            head, _, body = reply.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
            self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")
            # A chunked body under the limit is accepted and its staging file is cleaned up.
            status, _, data = small.request("POST", "/v1/documents?filename=big.txt",
                                            iter([b"a" * 65536] * 4), {"Content-Type": "text/plain"})
            self.assertEqual(status, 202, data)  # 256 KiB is under the limit
            status, page = small.json("GET", "/v1/documents")
            self.assertEqual(len(page["documents"]), 1)
            self.assertEqual(os.listdir(os.path.join(small.data_dir, "staging")), [])
        finally:
            small.cleanup()

    def test_in_process_mode_runs_the_same_pipeline(self):
        mem = Server(env={"USE_DURABLE_WORKER": "false"}).start()
        try:
            word = unique_word()
            status, r = mem.upload("m.txt", f"in memory {word}".encode())
            self.assertEqual(status, 202)
            self.assertEqual(mem.wait_job(r["job_id"])["state"], "succeeded")
            _, res = mem.json("POST", "/v1/search", {"query": word})
            self.assertEqual(res["results"][0]["document_id"], r["document_id"])
        finally:
            mem.cleanup()


class CrashTest(unittest.TestCase):
    """100 documents, SIGKILL mid-processing, restart: all succeed, chunk counts as uncrashed."""

    def docs(self):
        rng = random.Random(7)
        out = {}
        for i in range(100):
            n = rng.randint(50, 1500)
            out[f"c{i:03d}.txt"] = "\n\n".join(
                f"Paragraph {p} of document {i}. " + "words and sentences about launches. " * rng.randint(1, 20)
                for p in range(n // 10 + 1)).encode()
        return out

    def upload_all(self, server, docs):
        jobs = {}
        for name, data in docs.items():
            status, r = server.upload(name, data)
            self.assertEqual(status, 202, r)
            jobs[name] = r["job_id"]
        return jobs

    def chunk_counts(self, server):
        _, page = server.json("GET", "/v1/documents?limit=1000")
        return {d["filename"]: d["chunk_count"] for d in page["documents"]}

    def test_sigkill_mid_processing_loses_and_duplicates_nothing(self):
        docs = self.docs()
        reference = Server(extra_args=["--workers", "2"]).start()
        try:
            for job in self.upload_all(reference, docs).values():
                self.assertEqual(reference.wait_job(job)["state"], "succeeded")
            expected = self.chunk_counts(reference)
        finally:
            reference.cleanup()

        crashed = Server(extra_args=["--workers", "2"]).start()
        try:
            jobs = self.upload_all(crashed, docs)
            # Kill while some are done and some are not.
            deadline = time.time() + 30
            while time.time() < deadline:
                _, page = crashed.json("GET", "/v1/jobs?state=succeeded&limit=1000")
                if len(page["jobs"]) >= 10:
                    break
                time.sleep(0.01)
            crashed.kill9()
            crashed.start()
            for name, job in jobs.items():
                self.assertEqual(crashed.wait_job(job, timeout=120)["state"], "succeeded", name)
            self.assertEqual(self.chunk_counts(crashed), expected)
            # Search still finds documents indexed before the crash (index rebuilt from the store).
            _, res = crashed.json("POST", "/v1/search", {"query": "Paragraph 3 of document 42", "k": 5})
            self.assertIn("c042.txt", [r["filename"] for r in res["results"]])
        finally:
            crashed.cleanup()


class ShutdownTest(unittest.TestCase):
    def test_sigterm_drains_and_a_restart_finishes_everything(self):
        s = Server(extra_args=["--workers", "2"]).start()
        try:
            jobs = []
            for i in range(30):
                status, r = s.upload(f"s{i}.txt", ("Shutdown test sentence. " * 4000).encode())
                self.assertEqual(status, 202)
                jobs.append(r["job_id"])
            t0 = time.time()
            s.stop()  # SIGTERM
            self.assertEqual(s.proc.returncode, 0, s.log(2000))
            self.assertLess(time.time() - t0, 25)
            self.assertIn("shutting down", s.log())
            s.start()
            for j in jobs:
                self.assertEqual(s.wait_job(j, timeout=120)["state"], "succeeded")
            # Nothing was failed or dead-lettered by the shutdown.
            _, dlq = s.json("GET", "/v1/dlq")
            self.assertEqual(dlq["jobs"], [])
        finally:
            s.cleanup()


class DeadLetterTest(unittest.TestCase):
    """A document that passes upload checks but fails in the pipeline for good: with the secret
    policy "refuse", a document holding a cloud key is dead-lettered as bad_input."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=["--secret-policy", "refuse"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_refused_content_is_dead_lettered_with_recommendation(self):
        s = self.server
        key = "AKIA" + "".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        status, r = s.upload("keys.txt", f"The deploy key is {key}, keep it safe.".encode())
        self.assertEqual(status, 202)
        job = s.wait_job(r["job_id"])
        self.assertEqual(job["state"], "dead")
        self.assertEqual(job["attempts"], 1)  # permanent: no retry
        self.assertEqual(job["error"]["class"], "bad_input")
        self.assertIn("aws_access_key", job["error"]["message"])
        self.assertNotIn(key, job["error"]["message"])
        self.assertNotIn(key, s.log())
        status, dlq = s.json("GET", "/v1/dlq?error_class=bad_input")
        self.assertEqual(status, 200)
        mine = [j for j in dlq["jobs"] if j["id"] == r["job_id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(len(mine[0]["error_history"]), 1)
        self.assertTrue(mine[0]["error"]["recommendation"])
        status, d = s.json("GET", f"/v1/documents/{r['document_id']}")
        self.assertEqual(d["state"], "failed")
        # Retry one: it fails the same way, and lands in the DLQ again.
        status, _ = s.json("POST", f"/v1/dlq/{r['job_id']}/retry")
        self.assertEqual(status, 200)
        self.assertEqual(s.wait_job(r["job_id"])["state"], "dead")
        status, out = s.json("POST", "/v1/dlq/retry", {"error_class": "bad_input"})
        self.assertEqual(status, 200)
        self.assertGreaterEqual(out["retried"], 1)
        self.assertEqual(s.wait_job(r["job_id"])["state"], "dead")
        status, _ = s.json("DELETE", f"/v1/dlq/{r['job_id']}")
        self.assertEqual(status, 200)
        status, _ = s.json("GET", f"/v1/jobs/{r['job_id']}")
        self.assertEqual(status, 404)


if __name__ == "__main__":
    unittest.main()
