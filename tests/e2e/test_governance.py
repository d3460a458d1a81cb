"""Data governance end to end (R-G2..R-G4) against the real binary: GDPR erase leaves no byte of
the subject anywhere in the data directory and nothing of anyone else is touched; the signed
certificate verifies and a modified one does not; the audit chain verifies and a row edited with
the sqlite3 CLI is detected; retention deletes exactly the expired, non-held documents; a delete
while the ingest job runs leaves nothing behind; the orphan check finds and removes stray files."""
import datetime
import json
import os
import random
import shutil
import sqlite3
import string
import subprocess
import time
import unittest

from server_fixture import BIN, Server


def marker(prefix):
    return prefix + "".join(random.choice(string.ascii_lowercase) for _ in range(12))


def files_containing(root, needle):
    """Every file under root whose bytes contain needle (the logs excluded)."""
    found = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            if name == "server.log":
                continue
            with open(path, "rb") as f:
                if needle.encode() in f.read():
                    found.append(path)
    return found


def cli(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)


class EraseTest(unittest.TestCase):
    def test_erase_leaves_nothing_of_the_subject_and_everything_of_the_other(self):
        s = Server().start()
        try:
            ma, mb = marker("alpha"), marker("beta")
            docs = {"a": [], "b": []}
            for i in range(6):
                for subj, m in (("a", ma), ("b", mb)):
                    text = f"Notes {i} for {subj}: {m} appears here. " + "filler words " * 200
                    status, r = s.upload(f"{subj}{i}.txt", text.encode(),
                                         query=f"subject_id=subj-{subj}")
                    self.assertEqual(status, 202, r)
                    docs[subj].append(r)
            for r in docs["a"] + docs["b"]:
                self.assertEqual(s.wait_job(r["job_id"])["state"], "succeeded")

            # The double confirmation and the reason are required.
            for body in [{"subject_id": "subj-a", "reason": "x"},
                         {"subject_id": "subj-a", "confirm": "subj-b", "reason": "x"},
                         {"subject_id": "subj-a", "confirm": "subj-a"}]:
                status, r = s.json("POST", "/v1/admin/erase", body)
                self.assertEqual(status, 400, r)

            status, r = s.json("POST", "/v1/admin/erase", {"subject_id": "subj-a",
                                                           "confirm": "subj-a",
                                                           "reason": "ticket 42"})
            self.assertEqual(status, 202, r)
            rid = r["request_id"]
            self.assertEqual(s.wait_job(r["job_id"])["state"], "succeeded")
            status, done = s.json("GET", "/v1/admin/erase/" + rid)
            self.assertEqual(done["state"], "done")
            cert = done["certificate"]
            self.assertEqual(cert["request_id"], rid)
            self.assertNotIn("subj-a", json.dumps(done))  # only the keyed hash
            self.assertEqual(cert["deleted"]["documents"], 6)
            self.assertEqual(cert["deleted"]["files"], 6)
            self.assertGreater(cert["deleted"]["chunks"], 6)
            self.assertTrue(all(v == 0 for k, v in cert["remaining"].items() if k != "vectors"))

            for r in docs["a"]:
                self.assertEqual(s.json("GET", "/v1/documents/" + r["document_id"])[0], 404)
            for r in docs["b"]:
                self.assertEqual(s.json("GET", "/v1/documents/" + r["document_id"])[0], 200)
            _, res = s.json("POST", "/v1/search", {"query": f"notes {ma}", "k": 50})
            self.assertFalse([h for h in res["results"] if ma in h["text"]])
            _, res = s.json("POST", "/v1/search", {"query": f"notes {mb}", "k": 50})
            self.assertTrue([h for h in res["results"] if mb in h["text"]])

            s.stop()  # flush everything the process holds; then look at every byte on disk
            self.assertEqual(files_containing(s.data_dir, ma), [])
            self.assertNotEqual(files_containing(s.data_dir, mb), [])
            self.assertNotIn(ma, s.log())
            with open(os.path.join(s.data_dir, "scriptgen.db"), "rb") as f:
                self.assertNotIn(b"subj-a", f.read())

            cert_path = os.path.join(s.data_dir, "..", f"cert-{rid}.json")
            with open(cert_path, "w") as f:
                json.dump(cert, f)
            ok = cli("certificate", "verify", cert_path, "--data-dir", s.data_dir)
            self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
            bad = dict(cert, deleted=dict(cert["deleted"], documents=5))
            with open(cert_path, "w") as f:
                json.dump(bad, f)
            self.assertEqual(cli("certificate", "verify", cert_path, "--data-dir",
                                 s.data_dir).returncode, 1)
            os.remove(cert_path)

            verified = cli("audit", "verify", "--data-dir", s.data_dir)
            self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
            db = os.path.join(s.data_dir, "scriptgen.db")
            if shutil.which("sqlite3"):
                subprocess.run(["sqlite3", db, "UPDATE audit_log SET action = action || 'x' "
                                "WHERE seq = 3"], check=True)
            else:  # the same edit without the CLI
                with sqlite3.connect(db) as c:
                    c.execute("UPDATE audit_log SET action = action || 'x' WHERE seq = 3")
            tampered = cli("audit", "verify", "--data-dir", s.data_dir)
            self.assertEqual(tampered.returncode, 1, tampered.stdout + tampered.stderr)
        finally:
            s.cleanup()


class RetentionTest(unittest.TestCase):
    def test_retention_deletes_exactly_the_expired_non_held_documents(self):
        s = Server(extra_args=["--retention-days", "30"]).start()
        try:
            ids = []
            for i in range(4):
                status, r = s.upload(f"r{i}.txt", f"Retention test {i} {marker('ret')}".encode())
                self.assertEqual(status, 202)
                self.assertEqual(s.wait_job(r["job_id"])["state"], "succeeded")
                ids.append(r["document_id"])
            status, r = s.json("PUT", f"/v1/documents/{ids[0]}/legal-hold", {"hold": True})
            self.assertEqual(status, 200, r)

            # Today nothing is due.
            status, r = s.json("POST", "/v1/admin/retention/run", {})
            self.assertEqual(status, 200, r)
            self.assertEqual(r["deleted"]["documents"], 0)
            status, rep = s.json("GET", "/v1/admin/compliance-report")
            self.assertEqual(rep["classes"]["user_content"]["count"], 4)
            self.assertEqual(rep["classes"]["user_content"]["on_legal_hold"], 1)
            self.assertEqual(rep["classes"]["user_content"]["overdue"], 0)

            # 31 days from now everything not on hold is due: exactly three documents go.
            later = (datetime.datetime.now(datetime.timezone.utc)
                     + datetime.timedelta(days=31)).strftime("%Y-%m-%d")
            run = subprocess.run([BIN, "retention", "run", "--as-of", later, "--server",
                                  f"http://127.0.0.1:{s.port}", "--token", s.env[
                                      "SCRIPTGEN_ADMIN_TOKEN"]],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(json.loads(run.stdout)["deleted"]["documents"], 3)
            self.assertEqual(s.json("GET", f"/v1/documents/{ids[0]}")[0], 200)
            for d in ids[1:]:
                self.assertEqual(s.json("GET", f"/v1/documents/{d}")[0], 404)
            status, r = s.json("POST", "/v1/admin/retention/run", {"as_of": later})
            self.assertEqual(r["deleted"]["documents"], 0)  # idempotent
            status, r = s.json("POST", "/v1/admin/retention/run", {"as_of": "next tuesday"})
            self.assertEqual(status, 400)
            self.assertEqual(cli("audit", "verify", "--data-dir", s.data_dir).returncode, 0)
        finally:
            s.cleanup()


class CleanupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=["--workers", "2"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_delete_while_ingest_runs_leaves_nothing(self):
        s = self.server
        body = ("A long document about harbours and tides. " * 20000).encode()
        for i in range(5):
            status, r = s.upload(f"big{i}.txt", body + str(i).encode())
            self.assertEqual(status, 202)
            time.sleep(0.05 * i)  # catch the job in different steps
            self.assertEqual(s.json("DELETE", "/v1/documents/" + r["document_id"])[0], 200)
            job = s.wait_job(r["job_id"])
            self.assertIn(job["state"], ("cancelled", "succeeded"))
        time.sleep(0.5)
        blobs = [f for _, _, fs in os.walk(os.path.join(s.data_dir, "blobs")) for f in fs]
        self.assertEqual(blobs, [])
        self.assertEqual(os.listdir(os.path.join(s.data_dir, "staging")), [])
        with sqlite3.connect(os.path.join(s.data_dir, "scriptgen.db")) as c:
            for table in ("documents", "chunks", "vectors", "document_texts", "step_marks"):
                self.assertEqual(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0], 0,
                                 table)

    def test_doctor_finds_and_removes_orphan_files(self):
        s = self.server
        stray_dir = os.path.join(s.data_dir, "blobs", "ab")
        os.makedirs(stray_dir, exist_ok=True)
        stray = os.path.join(stray_dir, "ab" + "0" * 62 + "-0123456789abcdef")
        with open(stray, "wb") as f:
            f.write(b"left behind by a crash")
        old = time.time() - 7200
        os.utime(stray, (old, old))
        status, r = s.json("POST", "/v1/admin/doctor", {"fix": False})
        self.assertEqual(status, 200, r)
        self.assertEqual(len(r["orphan_blobs"]), 1)
        self.assertTrue(os.path.exists(stray))
        status, r = s.json("POST", "/v1/admin/doctor", {"fix": True})
        self.assertEqual(r["removed"], 1)
        self.assertFalse(os.path.exists(stray))


if __name__ == "__main__":
    unittest.main()
