"""End to end: personal data and secrets in an upload never reach the chunks, the vectors' source
text, the search results or the logs (R-S2, R-S4). Only the original upload (the blob) keeps them."""
import os
import random
import sqlite3
import string
import unittest

from server_fixture import Server


def rrn(yymmdd, gender_digit):
    """A resident registration number with a valid checksum."""
    body = yymmdd + str(gender_digit) + "".join(random.choice(string.digits) for _ in range(5))
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    check = (11 - sum(int(d) * w for d, w in zip(body, weights)) % 11) % 10
    return body[:6] + "-" + body[6:] + str(check)


class PiiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_values_never_reach_store_search_or_logs(self):
        s = self.server
        marker = "zq" + "".join(random.choice(string.ascii_lowercase) for _ in range(10))
        values = {
            "rrn": rrn("900101", 1),
            "email": "hong.gildong@example.com",
            "phone": "010-2345-6789",
            "credit_card": "4111 1111 1111 1111",
            "ip": "192.168.10.23",
            "url": "https://example.org/private/profile?id=77",
            "passport": "M12345678",
        }
        secret = "AKIA" + "".join(random.choice(string.ascii_uppercase + "234567") for _ in range(16))
        text = (
            f"Interview notes {marker}.\n\n"
            f"고객 주민등록번호는 {values['rrn']} 이고 이메일은 {values['email']} 입니다.\n"
            f"연락처: {values['phone']}. Card on file: {values['credit_card']}.\n"
            f"Logged in from {values['ip']}; profile at {values['url']}.\n"
            f"여권번호 {values['passport']} 로 확인했습니다.\n"
            f"The deploy script used aws_access_key_id = {secret} by mistake.\n"
            f"Version 1.2.3.4 shipped on 2024-01-15 for 12,000 won (order 2024-0115-7788).\n"
        )
        status, r = s.upload("interview.txt", text.encode())
        self.assertEqual(status, 202, r)
        job = s.wait_job(r["job_id"])
        self.assertEqual(job["state"], "succeeded", job)

        status, doc = s.json("GET", "/v1/documents/" + r["document_id"])
        self.assertEqual(status, 200)
        counts = doc["redactions"]
        for kind in values:
            self.assertGreaterEqual(counts.get(kind, 0), 1, f"{kind} not counted: {counts}")
        self.assertTrue(any(k.startswith("secret") for k in counts), counts)

        status, res = s.json("POST", "/v1/search", {"query": f"interview notes {marker}", "k": 10})
        self.assertEqual(status, 200, res)
        hits = [h for h in res["results"] if h["document_id"] == r["document_id"]]
        self.assertTrue(hits, res)
        found_text = " ".join(h["text"] for h in hits)
        self.assertIn(marker, found_text)
        self.assertIn("<EMAIL>", found_text)
        self.assertIn("1.2.3.4", found_text)  # a version is not an IP
        for kind, value in values.items():
            self.assertNotIn(value, found_text, kind)
        self.assertNotIn(secret, found_text)

        db = sqlite3.connect(os.path.join(s.data_dir, "scriptgen.db"))
        try:
            stored = [row[0] for row in db.execute("SELECT text FROM chunks")]
            stored += [row[0] for row in db.execute("SELECT text FROM document_texts")]
        finally:
            db.close()
        self.assertTrue(any(marker in t for t in stored))
        for t in stored:
            for kind, value in values.items():
                self.assertNotIn(value, t, kind)
            self.assertNotIn(secret, t)

        log = s.log()
        for kind, value in values.items():
            self.assertNotIn(value, log, kind)
        self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
