"""Embeddings end to end (issue 6): the real server with its OpenAI-compatible provider talking HTTP
to a fake provider in this process. Batching across jobs, the de-duplication cache, 429 pauses,
retry exhaustion into the dead-letter queue, and the embed_version lifecycle: reindex to a
version of another dimension with search working before, during and after, activation, rollback,
retirement, and a reindex that survives a SIGKILL without re-embedding finished batches."""
import concurrent.futures
import json
import time
import unittest

from fake_embedding_server import FakeEmbeddingServer
from server_fixture import Server

API_KEY = "sk-e2e-fake-key-7f3a9c"


def openai_env(fake):
    return {"SCRIPTGEN_EMBED_URL": fake.url, "SCRIPTGEN_EMBED_API_KEY": API_KEY,
            "SCRIPTGEN_EMBED_MODEL": "fake-64", "SCRIPTGEN_EMBED_DIM": str(fake.dim)}


def upload_all(server, docs):
    """Uploads {name: text} concurrently; returns the job ids."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda item: server.upload(item[0], item[1].encode()),
                                docs.items()))
    for status, body in answers:
        assert status in (201, 202), (status, body)
    return [body["job_id"] for _, body in answers]


class OpenAiProviderTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeEmbeddingServer(dim=64)
        env = dict(openai_env(self.fake), SCRIPTGEN_EMBED_PROVIDER="openai")
        self.server = Server(env=env, extra_args=["--max-attempts", "1"]).start()

    def tearDown(self):
        self.server.cleanup()
        self.fake.close()

    def test_concurrent_documents_share_provider_calls_and_the_key_is_sent_not_logged(self):
        before = len(self.fake.ok_calls())
        docs = {f"scene{i}.txt": f"Scene {i}: the harbor lighthouse at dawn, take {i}."
                for i in range(10)}
        for job in upload_all(self.server, docs):
            self.assertEqual(self.server.wait_job(job)["state"], "succeeded")
        calls = self.fake.ok_calls()[before:]
        self.assertGreaterEqual(sum(c["inputs"] for c in calls), 10)
        self.assertLess(len(calls), 10, "ten documents embedded at once must share calls")
        self.assertTrue(all(c["auth"] == "Bearer " + API_KEY for c in calls))
        self.assertTrue(all(c["model"] == "fake-64" for c in calls))
        self.assertNotIn(API_KEY, self.server.log())
        status, hits = self.server.json("POST", "/v1/search", {"query": "harbor lighthouse", "k": 3})
        self.assertEqual(status, 200)
        self.assertEqual(hits["embed_version"], "openai:fake-64:64")
        self.assertGreaterEqual(len(hits["results"]), 1)

    def test_text_embedded_before_is_not_sent_again(self):
        text = b"A disclaimer every script carries. Nothing else in this file."
        _, first = self.server.upload("a.txt", text)
        self.assertEqual(self.server.wait_job(first["job_id"])["state"], "succeeded")
        calls = len(self.fake.calls)
        _, second = self.server.upload("b.txt", text)
        self.assertEqual(self.server.wait_job(second["job_id"])["state"], "succeeded")
        self.assertEqual(len(self.fake.calls), calls, "the duplicate called the provider")
        status, body = self.server.request("GET", "/metrics")[0::2]
        self.assertEqual(status, 200)
        hits = [l for l in body.decode().splitlines()
                if l.startswith('embedding_cache_lookups_total{result="hit"}')]
        self.assertTrue(hits and float(hits[0].split()[-1]) >= 1, hits)

    def test_429_with_retry_after_pauses_then_succeeds(self):
        self.fake.script = [("429", 1)]
        _, doc = self.server.upload("p.txt", b"Paused by the provider, then embedded anyway.")
        job = self.server.wait_job(doc["job_id"], timeout=30)
        self.assertEqual(job["state"], "succeeded")
        statuses = [c["status"] for c in self.fake.calls]
        self.assertEqual(statuses[:2], [429, 200])
        self.assertGreaterEqual(self.fake.calls[1]["at"] - self.fake.calls[0]["at"], 0.9,
                                "Retry-After: 1 was not honoured")

    def test_persistent_429_ends_in_the_dead_letter_queue_as_rate_limited(self):
        self.fake.always = ("429", 0)
        _, doc = self.server.upload("r.txt", b"The provider never lets this one through.")
        job = self.server.wait_job(doc["job_id"], timeout=90)
        self.assertEqual(job["state"], "dead")
        self.assertEqual(job["error"]["class"], "rate_limited", job)
        self.fake.always = None
        status, dlq = self.server.json("GET", "/v1/dlq")
        self.assertEqual(status, 200)
        self.assertIn(doc["job_id"], [j["id"] for j in dlq["jobs"]])

    def test_wrong_dimension_from_the_provider_is_a_clear_error(self):
        self.fake.wrong_dim = True
        _, doc = self.server.upload("w.txt", b"Vectors of the wrong size come back.")
        job = self.server.wait_job(doc["job_id"], timeout=60)
        self.assertEqual(job["state"], "dead")
        self.assertIn("dimension", job["error"]["message"].lower())


class EmbedVersionLifecycleTest(unittest.TestCase):
    """The server starts on the hashing embedder (v1); the fake provider is v2, 64 dimensions."""

    def setUp(self):
        self.fake = FakeEmbeddingServer(dim=64)
        env = openai_env(self.fake)
        del env["SCRIPTGEN_EMBED_DIM"]  # v1 is the default hashing embedder, 384 dimensions
        # Small chunks: the crash test needs more chunks than two reindex batches (2 x 256).
        self.server = Server(env=env, extra_args=["--chunk-chars", "100", "--chunk-overlap",
                                                  "0"]).start()
        self.v1 = "hash-v1-384"

    def tearDown(self):
        self.server.cleanup()
        self.fake.close()

    def search(self, query="lighthouse harbor"):
        status, body = self.server.json("POST", "/v1/search", {"query": query, "k": 5})
        self.assertEqual(status, 200, body)
        return body

    def versions(self):
        status, body = self.server.json("GET", "/v1/admin/embed-versions")
        self.assertEqual(status, 200)
        return {v["version"]: v for v in body["versions"]}

    def add_docs(self, n, words=40):
        docs = {f"d{i}.txt": f"Document {i} about the lighthouse and the harbor. " +
                " ".join(f"w{i}x{j}" for j in range(words)) for i in range(n)}
        for job in upload_all(self.server, docs):
            self.assertEqual(self.server.wait_job(job)["state"], "succeeded")

    def register_v2(self):
        status, v = self.server.json("POST", "/v1/admin/embed-versions",
                                     {"provider": "openai", "model": "fake-64", "dim": 64,
                                      "url": self.fake.url})
        self.assertEqual(status, 201, v)
        self.assertEqual(v["state"], "building")
        return v["version"]

    def test_reindex_activate_rollback_retire(self):
        self.add_docs(12)
        self.assertEqual(self.versions()[self.v1]["state"], "active")
        before = self.search()
        self.assertEqual(before["embed_version"], self.v1)
        self.assertGreaterEqual(len(before["results"]), 1)

        v2 = self.register_v2()
        status, err = self.server.json("POST", f"/v1/admin/embed-versions/{v2}/activate")
        self.assertEqual(status, 409, err)
        self.assertIn("incomplete", err["error"]["message"])

        self.fake.delay = 0.3  # a slow provider: the reindex runs while we search
        status, r = self.server.json("POST", "/v1/admin/reindex", {"version": v2})
        self.assertEqual(status, 202, r)
        during = self.search()
        self.assertEqual(during["embed_version"], self.v1)
        self.assertEqual([h["chunk_id"] for h in during["results"]],
                         [h["chunk_id"] for h in before["results"]])
        job = self.server.wait_job(r["job_id"], timeout=120)
        self.assertEqual(job["state"], "succeeded", job)
        self.fake.delay = 0
        self.assertEqual(self.versions()[v2]["missing"], 0)

        status, act = self.server.json("POST", f"/v1/admin/embed-versions/{v2}/activate")
        self.assertEqual(status, 200, act)
        self.assertEqual(act["previous"], self.v1)
        after = self.search()
        self.assertEqual(after["embed_version"], v2)
        self.assertGreaterEqual(len(after["results"]), 1)
        states = {k: v["state"] for k, v in self.versions().items()}
        self.assertEqual(states, {self.v1: "standby", v2: "active"})

        # New uploads are embedded for both while v1 is the standby: rollback stays complete.
        self.add_docs(2, words=5)
        self.assertEqual(self.versions()[self.v1]["missing"], 0)

        t0 = time.time()
        status, back = self.server.json("POST", f"/v1/admin/embed-versions/{self.v1}/activate")
        self.assertEqual(status, 200, back)
        self.assertLess(time.time() - t0, 2.0, "rollback to the standby must be instant")
        self.assertEqual(self.search()["embed_version"], self.v1)

        status, err = self.server.json("POST", f"/v1/admin/embed-versions/{self.v1}/retire")
        self.assertEqual(status, 409, err)
        status, gone = self.server.json("POST", f"/v1/admin/embed-versions/{v2}/retire")
        self.assertEqual(status, 200, gone)
        self.assertEqual(gone["state"], "retired")
        self.assertEqual(gone["vectors"], 0)
        status, err = self.server.json("POST", f"/v1/admin/embed-versions/{v2}/activate")
        self.assertEqual(status, 409, err)
        self.assertEqual(self.search()["embed_version"], self.v1)
        # Audited.
        self.assertTrue(any("embed_version.activate" in line for line in self.audit_actions()))

    def audit_actions(self):
        import sqlite3
        db = sqlite3.connect(f"file:{self.server.data_dir}/scriptgen.db?mode=ro", uri=True)
        try:
            return [r[0] for r in db.execute("SELECT action FROM audit_log")]
        finally:
            db.close()

    def test_bad_registrations_are_refused_clearly(self):
        for body, word in [({"provider": "nope", "dim": 8}, "provider"),
                           ({"provider": "hash"}, "dim"),
                           ({"provider": "hash", "dim": 1}, "dim"),
                           ({"provider": "openai", "dim": 64}, "model")]:
            status, err = self.server.json("POST", "/v1/admin/embed-versions", body)
            self.assertEqual(status, 400, (body, err))
            self.assertIn(word, err["error"]["message"])
        self.fake.wrong_dim = True
        status, err = self.server.json("POST", "/v1/admin/embed-versions",
                                       {"provider": "openai", "model": "fake-64", "dim": 64,
                                        "url": self.fake.url})
        self.assertGreaterEqual(status, 400, err)
        self.assertIn("dimension", err["error"]["message"].lower())
        status, err = self.server.json("POST", "/v1/admin/reindex", {"version": "no-such"})
        self.assertEqual(status, 404, err)

    def test_reindex_killed_mid_way_resumes_without_re_embedding(self):
        # > 2 reindex batches (256 chunks each) of distinct texts.
        docs = {f"k{i}.txt": " ".join(f"Sentence {j} of document {i} about tide {i * 97 + j}."
                                       for j in range(120)) for i in range(12)}
        for job in upload_all(self.server, docs):
            self.assertEqual(self.server.wait_job(job)["state"], "succeeded")
        v2 = self.register_v2()
        total = self.versions()[v2]["missing"]
        self.assertGreater(total, 600)
        self.fake.delay = 0.15
        _, r = self.server.json("POST", "/v1/admin/reindex", {"version": v2})
        deadline = time.time() + 120
        while self.versions()[v2]["vectors"] < 256 and time.time() < deadline:
            time.sleep(0.05)
        done_at_kill = self.versions()[v2]["vectors"]
        self.assertGreaterEqual(done_at_kill, 256)
        self.assertLess(done_at_kill, total, "the reindex finished before the kill")
        self.server.kill9()
        time.sleep(1)  # requests in flight at the kill finish (and are counted) on the fake's side
        sent_before = self.fake.inputs_sent()
        self.fake.delay = 0
        self.server.start()
        job = self.server.wait_job(r["job_id"], timeout=180)
        self.assertEqual(job["state"], "succeeded", job)
        self.assertEqual(self.versions()[v2]["missing"], 0)
        sent_after = self.fake.inputs_sent() - sent_before
        self.assertLessEqual(sent_after, total - done_at_kill,
                             "batches committed before the crash were embedded again")
        status, _ = self.server.json("POST", f"/v1/admin/embed-versions/{v2}/activate")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
