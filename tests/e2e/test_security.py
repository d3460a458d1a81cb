"""Access control and API hardening end to end (R-S4, R-S5): the route policy matrix, subject
isolation, token lifecycle, rate limiting, input limits, and no token ever in the log."""
import http.client
import json
import os
import random
import string
import subprocess
import time
import unittest

from server_fixture import BIN, Server, TOKEN


def marker():
    return "zq" + "".join(random.choice(string.ascii_lowercase) for _ in range(12))


# Every route the server has, with the status each kind of caller gets. The server lists its
# routes at GET /v1/admin/routes; test_every_route_is_in_the_table fails when a route is added
# without a row here, so no route can ship without a tested policy.
#   "own"  : a request on the caller's own subject's objects (or a harmless one)
#   statuses: reader, writer, admin (all three bound to / acting on subject s1's data)
NOBODY = (401, 401, 401, 401)  # no token, bad token, expired token, revoked token


def matrix(ids):
    doc, job = ids["doc"], ids["job"]
    return [
        # method, pattern, concrete path, body, (reader, writer, admin)
        ("POST", "/v1/documents", "/v1/documents?filename=m.txt", b"matrix upload", (403, 202, 202)),
        ("GET", "/v1/documents", "/v1/documents", None, (200, 200, 200)),
        ("GET", "/v1/documents/{id}", f"/v1/documents/{doc}", None, (200, 200, 200)),
        ("DELETE", "/v1/documents/{id}", "/v1/documents/doc_999999", None, (403, 404, 200)),
        ("GET", "/v1/jobs", "/v1/jobs", None, (403, 403, 200)),
        ("GET", "/v1/jobs/{id}", f"/v1/jobs/{job}", None, (200, 200, 200)),
        ("POST", "/v1/jobs/{id}/cancel", "/v1/jobs/job_999999/cancel", None, (403, 404, 404)),
        ("GET", "/v1/jobs/{id}/events", f"/v1/jobs/{job}/events", None, (200, 200, 200)),
        ("GET", "/v1/dlq", "/v1/dlq", None, (403, 403, 200)),
        ("POST", "/v1/dlq/{id}/retry", "/v1/dlq/job_999999/retry", None, (403, 403, 404)),
        ("POST", "/v1/dlq/retry", "/v1/dlq/retry", b'{"error_class":"timeout"}', (403, 403, 200)),
        ("DELETE", "/v1/dlq/{id}", "/v1/dlq/job_999999", None, (403, 403, 404)),
        ("DELETE", "/v1/dlq", "/v1/dlq?error_class=timeout", None, (403, 403, 200)),
        ("POST", "/v1/search", "/v1/search", b'{"query":"matrix","k":3}', (200, 200, 200)),
        ("POST", "/v1/admin/tokens", "/v1/admin/tokens", b'{"role":"reader","subject_id":"x"}',
         (403, 403, 201)),
        ("GET", "/v1/admin/tokens", "/v1/admin/tokens", None, (403, 403, 200)),
        ("DELETE", "/v1/admin/tokens/{id}", "/v1/admin/tokens/tok_0000000000000000", None,
         (403, 403, 404)),
        ("GET", "/v1/admin/routes", "/v1/admin/routes", None, (403, 403, 200)),
        # governance: invalid bodies and unknown ids, so the matrix never erases or sweeps
        ("POST", "/v1/admin/erase", "/v1/admin/erase", b'{"subject_id":"s9"}', (403, 403, 400)),
        ("POST", "/analytics/erase", "/analytics/erase", b'{"subject_id":"s9"}', (403, 403, 400)),
        ("GET", "/v1/admin/erase/{id}", "/v1/admin/erase/era_0000000000000000", None,
         (403, 403, 404)),
        ("GET", "/v1/admin/signing-key", "/v1/admin/signing-key", None, (403, 403, 200)),
        ("POST", "/v1/admin/retention/run", "/v1/admin/retention/run", b'{"as_of":"never"}',
         (403, 403, 400)),
        ("GET", "/v1/admin/compliance-report", "/v1/admin/compliance-report", None,
         (403, 403, 200)),
        ("PUT", "/v1/documents/{id}/legal-hold", "/v1/documents/doc_999999/legal-hold",
         b'{"hold":true}', (403, 403, 404)),
        ("POST", "/v1/admin/doctor", "/v1/admin/doctor", b'{"fix":false}', (403, 403, 200)),
        # embed_versions: read-only calls, unknown versions and invalid bodies only
        ("GET", "/v1/admin/embed-versions", "/v1/admin/embed-versions", None, (403, 403, 200)),
        ("POST", "/v1/admin/embed-versions", "/v1/admin/embed-versions", b'{"provider":"x"}',
         (403, 403, 400)),
        ("GET", "/v1/admin/embed-versions/{version}", "/v1/admin/embed-versions/none", None,
         (403, 403, 404)),
        ("POST", "/v1/admin/embed-versions/{version}/activate",
         "/v1/admin/embed-versions/none/activate", None, (403, 403, 404)),
        ("POST", "/v1/admin/embed-versions/{version}/retire",
         "/v1/admin/embed-versions/none/retire", None, (403, 403, 404)),
        ("POST", "/v1/admin/reindex", "/v1/admin/reindex", b'{"version":"none"}', (403, 403, 404)),
    ]


class SecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A low rate limit so the rate-limit test needs few requests; the other tests stay below it.
        cls.server = Server(extra_args=["--rate-limit", "50", "--rate-burst", "100"]).start()
        cls.tokens = []  # every secret made, to check none reaches the log
        cls.reader = cls.make("reader", "s1")
        cls.writer = cls.make("writer", "s1")
        cls.other = cls.make("writer", "s2")

    @classmethod
    def tearDownClass(cls):
        log = cls.server.log()
        cls.server.cleanup()
        for t in cls.tokens + [TOKEN]:
            assert t not in log, "a token appears in the server log"

    @classmethod
    def make(cls, role, subject=None, expires_in=None):
        body = {"role": role}
        if subject:
            body["subject_id"] = subject
        if expires_in:
            body["expires_in"] = expires_in
        status, r = cls.server.json("POST", "/v1/admin/tokens", body)
        assert status == 201, (status, r)
        assert r["token"].startswith("sgt_") and r["id"].startswith("tok_")
        cls.tokens.append(r["token"])
        return r

    def call(self, method, path, body=None, token=None, headers=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if body is not None and "Content-Type" not in h:
            h["Content-Type"] = "application/json" if body.startswith(b"{") else "text/plain"
        status, hdrs, data = self.server.request(method, path, body, h, auth=False)
        return status, hdrs, data

    def upload_as(self, token, text, name="doc.txt"):
        status, _, data = self.call("POST", f"/v1/documents?filename={name}", text.encode(), token)
        self.assertEqual(status, 202, data)
        r = json.loads(data)
        self.server.wait_job(r["job_id"])
        return r

    def test_every_route_is_in_the_table(self):
        status, r = self.server.json("GET", "/v1/admin/routes")
        self.assertEqual(status, 200)
        served = {(x["method"], x["pattern"]) for x in r["routes"]}
        table = {(m, p) for m, p, *_ in matrix({"doc": "doc_1", "job": "job_1"})}
        self.assertEqual(served - table, set(), "routes without a row in the policy table")
        self.assertEqual(table - served, set(), "table rows for routes that do not exist")

    def test_policy_matrix(self):
        own = self.upload_as(self.writer["token"], f"Matrix document {marker()}.")
        expired = self.make("reader", "s1", expires_in=1)
        revoked = self.make("reader", "s1")
        status, _ = self.server.json("DELETE", "/v1/admin/tokens/" + revoked["id"])
        self.assertEqual(status, 200)
        time.sleep(1.2)
        nobody = [None, "sgt_" + "A" * 43, expired["token"], revoked["token"]]
        callers = [self.reader["token"], self.writer["token"], TOKEN]
        for method, pattern, path, body, want in matrix({"doc": own["document_id"],
                                                         "job": own["job_id"]}):
            for token, expect in zip(nobody, NOBODY):
                with self.subTest(route=f"{method} {pattern}", caller=(token or "none")[:8]):
                    status, hdrs, data = self.call(method, path, body, token)
                    self.assertEqual(status, expect, data)
                    self.assertEqual(json.loads(data)["error"]["code"], "unauthenticated")
                    self.assertIn("www-authenticate", hdrs)
            for token, expect, role in zip(callers, want, ("reader", "writer", "admin")):
                with self.subTest(route=f"{method} {pattern}", caller=role):
                    status, _, data = self.call(method, path, body, token)
                    self.assertEqual(status, expect, data)
                    if status == 403:
                        self.assertEqual(json.loads(data)["error"]["code"], "permission_denied")

    def test_subjects_are_isolated(self):
        m = marker()
        mine = self.upload_as(self.writer["token"], f"The {m} plan is confidential to s1.")
        theirs = self.upload_as(self.other["token"], f"The {m} plan as s2 wrote it.")
        other = self.other["token"]
        for method, path in [("GET", f"/v1/documents/{mine['document_id']}"),
                             ("DELETE", f"/v1/documents/{mine['document_id']}"),
                             ("GET", f"/v1/jobs/{mine['job_id']}"),
                             ("POST", f"/v1/jobs/{mine['job_id']}/cancel"),
                             ("GET", f"/v1/jobs/{mine['job_id']}/events")]:
            with self.subTest(method=method, path=path):
                status, _, data = self.call(method, path, None, other)
                self.assertEqual(status, 404, data)  # not 403: ids cannot be probed
        # The same query, equally near both documents: each subject sees only its own.
        query = json.dumps({"query": f"the {m} plan", "k": 50}).encode()
        for token, doc, foreign in [(self.reader["token"], mine, theirs),
                                    (other, theirs, mine)]:
            status, _, data = self.call("POST", "/v1/search", query, token)
            self.assertEqual(status, 200, data)
            found = {h["document_id"] for h in json.loads(data)["results"]}
            self.assertIn(doc["document_id"], found)
            self.assertNotIn(foreign["document_id"], found)
        status, _, data = self.call("GET", "/v1/documents?limit=1000", None, other)
        ids = {d["id"] for d in json.loads(data)["documents"]}
        self.assertIn(theirs["document_id"], ids)
        self.assertNotIn(mine["document_id"], ids)
        # Asking for another subject's listing gives nothing, uploading for one is refused.
        status, _, data = self.call("GET", "/v1/documents?subject_id=s1", None, other)
        self.assertEqual(json.loads(data)["documents"], [])
        status, _, _ = self.call("POST", "/v1/documents?filename=x.txt&subject_id=s1", b"x", other)
        self.assertEqual(status, 403)
        # The owner still has the document: the foreign DELETE above did nothing.
        status, _, _ = self.call("GET", f"/v1/documents/{mine['document_id']}", None,
                                 self.writer["token"])
        self.assertEqual(status, 200)

    def test_revocation_is_immediate(self):
        t = self.make("reader", "s1")
        self.assertEqual(self.call("GET", "/v1/documents", None, t["token"])[0], 200)
        self.assertEqual(self.server.json("DELETE", "/v1/admin/tokens/" + t["id"])[0], 200)
        status, _, data = self.call("GET", "/v1/documents", None, t["token"])
        self.assertEqual(status, 401)
        self.assertIn("revoked", json.loads(data)["error"]["message"])
        status, listing = self.server.json("GET", "/v1/admin/tokens")
        row = [x for x in listing["tokens"] if x["id"] == t["id"]][0]
        self.assertEqual(row["state"], "revoked")
        self.assertNotIn("token", row)  # secrets are shown once, at creation
        self.assertNotIn(t["token"], json.dumps(listing))

    def test_token_creation_is_validated(self):
        for body in [{"role": "root"}, {"role": "writer"}, {"role": "admin", "subject_id": "x"},
                     {"role": "reader", "subject_id": "x", "expires_in": "forever"},
                     {"role": "reader", "subject_id": "x", "expires_in": -5}]:
            with self.subTest(body=body):
                status, r = self.server.json("POST", "/v1/admin/tokens", body)
                self.assertEqual(status, 400, r)

    def test_rate_limit_answers_429_with_retry_after(self):
        t = self.make("reader", "s-rate")
        conn = self.server.connection()
        statuses = {}
        retry_after = None
        try:
            for _ in range(10000):
                conn.request("GET", "/v1/documents?limit=1",
                             headers={"Authorization": "Bearer " + t["token"]})
                r = conn.getresponse()
                r.read()
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status == 429:
                    retry_after = r.getheader("Retry-After")
        finally:
            conn.close()
        self.assertGreater(statuses.get(200, 0), 0)
        self.assertGreater(statuses.get(429, 0), 0, statuses)
        self.assertTrue(retry_after and int(retry_after) >= 1)
        self.assertEqual(set(statuses), {200, 429})
        # Other tokens are not affected by this one's limit.
        self.assertEqual(self.call("GET", "/v1/documents", None, self.reader["token"])[0], 200)

    def test_hostile_inputs_get_clear_errors(self):
        w = self.writer["token"]
        deep = b'{"query":' + b"[" * 100 + b"]" * 100 + b"}"
        status, _, data = self.call("POST", "/v1/search", deep, w)
        self.assertEqual(status, 400)
        self.assertIn("deeper", json.loads(data)["error"]["message"])
        for name in ["..%2Fetc%2Fpasswd", "a%2Fb.txt", "%2E%2E", "x%0D%0ASet-Cookie:%20y=1",
                     "tab%09name.txt", "a" * 300 + ".txt"]:
            with self.subTest(name=name[:30]):
                status, hdrs, data = self.call("POST", f"/v1/documents?filename={name}",
                                               b"some text", w)
                self.assertEqual(status, 400, data)
                self.assertEqual(json.loads(data)["error"]["code"], "invalid_argument")
                self.assertNotIn("set-cookie", hdrs)
        staging = os.path.join(self.server.data_dir, "staging")
        self.assertEqual(os.listdir(staging), [])

    def test_trace_headers_are_returned(self):
        trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        status, hdrs, _ = self.call("GET", "/v1/documents", None, self.reader["token"],
                                    {"traceparent": f"00-{trace}-00f067aa0ba902b7-01",
                                     "X-Request-Id": "req-sec-1"})
        self.assertEqual(status, 200)
        self.assertEqual(hdrs["x-request-id"], "req-sec-1")
        self.assertTrue(hdrs["traceparent"].startswith(f"00-{trace}-"))
        self.assertNotIn("00f067aa0ba902b7", hdrs["traceparent"])  # our span, not the caller's


class TokensCommandTest(unittest.TestCase):
    def test_cli_creates_lists_and_revokes_tokens(self):
        s = Server().start()
        try:
            run = lambda *a: subprocess.run([BIN, "tokens", *a, "--data-dir", s.data_dir],
                                            capture_output=True, text=True, timeout=30)
            created = run("create", "--role", "writer", "--subject", "cli-subject", "--json")
            self.assertEqual(created.returncode, 0, created.stderr)
            tok = json.loads(created.stdout)
            status, _, _ = s.request("GET", "/v1/documents", auth=False,
                                     headers={"Authorization": "Bearer " + tok["token"]})
            self.assertEqual(status, 200)
            listed = run("ls")
            self.assertIn(tok["id"], listed.stdout)
            self.assertNotIn(tok["token"], listed.stdout)
            self.assertEqual(run("revoke", tok["id"]).returncode, 0)
            status, _, _ = s.request("GET", "/v1/documents", auth=False,
                                     headers={"Authorization": "Bearer " + tok["token"]})
            self.assertEqual(status, 401)
            bad = run("create", "--role", "writer")  # a writer needs a subject
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("subject", bad.stderr)
            self.assertNotEqual(run("revoke", "tok_nope").returncode, 0)
            self.assertNotIn(tok["token"], s.log())
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
