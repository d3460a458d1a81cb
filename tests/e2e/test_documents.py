"""End-to-end tests of document formats and file validation (issue 4) against the real binary.

Good fixtures (tests/data/documents/good, made by make_fixtures.py) are uploaded, must be ingested,
and a phrase from inside each must find that document; PDF hits carry the page the phrase is on,
DOCX hits the heading path above it. Hostile fixtures must be refused at upload with 415 or 400,
the standard error body, no trace on disk, and a healthy server.

Contract with the server (what this test expects):
  * POST /v1/documents?filename=NAME with the raw bytes and a Content-Type -> 202 for good files.
  * The ingest job succeeds; the sniffed type wins over the declared one (a PDF named .txt works).
  * POST /v1/search hits have "page" (1-based, PDF) and "heading" (heading path "A > B", DOCX,
    HTML, Markdown) of the section at the hit chunk's start offset (extract::SectionAt).
    The server runs with --chunk-chars 200 --chunk-overlap 0 so that each PDF page of the fixture
    is its own chunk.
  * Hostile files are refused before a document exists: 415 {"error":{"code":"unsupported"...}}
    for executables, scripts, encrypted or active PDFs and unknown binary data; 400
    {"error":{"code":"invalid_argument"...}} for truncated PDFs, zip bombs and path traversal
    (the classes unsupported_type / bad_input are accepted as codes too). Nothing stays in the
    data dir's staging/ or blobs/.
"""
import os
import shutil
import unittest

from server_fixture import Server

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "..", "data", "documents")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SERVER_ARGS = ["--chunk-chars", "200", "--chunk-overlap", "0"]


def read(rel):
    with open(os.path.join(DOCS, rel), "rb") as f:
        return f.read()


def files_under(root):
    found = []
    for dirpath, _, names in os.walk(root):
        found.extend(os.path.join(dirpath, n) for n in names)
    return found


class GoodDocumentsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=SERVER_ARGS).start()
        cls.docs = {}

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def ingest(self, fixture, name, content_type):
        status, r = self.server.upload(name, read(fixture), content_type)
        self.assertEqual(status, 202, f"{fixture}: {r}")
        job = self.server.wait_job(r["job_id"], timeout=120)
        self.assertEqual(job["state"], "succeeded", f"{fixture}: {job}")
        status, d = self.server.json("GET", "/v1/documents/" + r["document_id"])
        self.assertEqual(status, 200)
        self.assertEqual(d["state"], "ready", d)
        self.assertGreaterEqual(d["chunk_count"], 1)
        return r["document_id"]

    def hit(self, doc, phrase):
        """The first search hit of doc whose text contains phrase."""
        status, res = self.server.json("POST", "/v1/search", {"query": phrase, "k": 20})
        self.assertEqual(status, 200, res)
        mine = [h for h in res["results"] if h["document_id"] == doc]
        self.assertTrue(mine, f"{phrase!r}: {doc} not among hits {res['results']}")
        with_phrase = [h for h in mine if phrase in h["text"]]
        self.assertTrue(with_phrase, f"{phrase!r} not in the text of any hit of {doc}: {mine}")
        return with_phrase[0]

    def test_english_pdf_pages(self):
        doc = self.ingest("good/english.pdf", "english.pdf", "application/pdf")
        for phrase, page in [("amber lighthouse", 1), ("velvet harbor crane", 2),
                             ("marmalade archive", 3)]:
            h = self.hit(doc, phrase)
            self.assertEqual(h.get("page"), page, f"{phrase!r}: {h}")

    def test_korean_pdf(self):
        doc = self.ingest("good/korean.pdf", "korean.pdf", "application/pdf")
        self.assertEqual(self.hit(doc, "서울특별시 종로구").get("page"), 1)
        self.assertEqual(self.hit(doc, "해운대 해변").get("page"), 2)

    def test_docx_heading(self):
        doc = self.ingest("good/report.docx", "report.docx", DOCX)
        h = self.hit(doc, "cobalt rehearsal stage")
        self.assertEqual(h.get("heading"), "Production Handbook > Schedule", h)
        self.hit(doc, "Tuesday | Saffron canyon | Joon")  # table text, cells joined by " | "

    def test_html_without_noise(self):
        doc = self.ingest("good/page.html", "page.html", "text/html")
        h = self.hit(doc, "emerald sound stage")
        self.assertEqual(h.get("heading"), "Studio News", h)
        for noise in ("scriptnoise", "navnoise", "footernoise", "stylenoise"):
            status, res = self.server.json("POST", "/v1/search", {"query": noise, "k": 20})
            self.assertEqual(status, 200)
            for x in res["results"]:
                self.assertNotIn(noise, x["text"])

    def test_euckr_html(self):
        doc = self.ingest("good/korean_euckr.html", "notice.html", "text/html")
        self.hit(doc, "성산일출봉")

    def test_markdown(self):
        doc = self.ingest("good/notes.md", "notes.md", "text/markdown")
        h = self.hit(doc, "walnut camera dolly")
        self.assertEqual(h.get("heading"), "Launch Plan > Budget", h)

    def test_csv(self):
        doc = self.ingest("good/shots.csv", "shots.csv", "text/csv")
        self.hit(doc, "sunrise pelican flyover")

    def test_cp949_text(self):
        doc = self.ingest("good/korean_cp949.txt", "korean.txt", "text/plain")
        self.hit(doc, "경포대 일출")
        self.hit(doc, "똠양꿍")

    def test_utf16_text(self):
        doc = self.ingest("good/utf16.txt", "utf16.txt", "text/plain")
        self.hit(doc, "saffron lantern parade")

    def test_sniffed_type_wins_over_declared(self):
        # A PDF declared as plain text is processed as the PDF it is.
        doc = self.ingest("good/english.pdf", "misnamed.txt", "text/plain")
        self.assertEqual(self.hit(doc, "velvet harbor crane").get("page"), 2)


HOSTILE = [
    # (fixture, upload name, content type, HTTP status, word the message must mention)
    ("hostile/elf_binary.pdf", "elf_binary.pdf", "application/pdf", 415, "ELF"),
    ("hostile/script.txt", "script.txt", "text/plain", 415, "script"),
    ("hostile/random.bin", "random.txt", "text/plain", 415, "not a supported"),
    ("hostile/javascript.pdf", "javascript.pdf", "application/pdf", 415, "JavaScript"),
    ("hostile/javascript_escaped.pdf", "escaped.pdf", "application/pdf", 415, "JavaScript"),
    ("hostile/javascript_objstm.pdf", "objstm.pdf", "application/pdf", 415, "JavaScript"),
    ("hostile/encrypted.pdf", "encrypted.pdf", "application/pdf", 415, "encrypted"),
    ("hostile/truncated.pdf", "truncated.pdf", "application/pdf", 400, "incomplete"),
    ("hostile/zip_bomb.docx", "zip_bomb.docx", DOCX, 400, "zip bomb"),
    ("hostile/traversal.docx", "traversal.docx", DOCX, 400, ".."),
]
CODES = {415: ("unsupported", "unsupported_type"), 400: ("invalid_argument", "bad_input")}


class HostileDocumentsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=SERVER_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def assert_refused(self, data, name, content_type, want_status, word):
        s = self.server
        status, body = s.upload(name, data, content_type)
        self.assertEqual(status, want_status, f"{name}: {body}")
        self.assertIsInstance(body, dict, name)
        err = body.get("error")
        self.assertIsInstance(err, dict, f"{name}: {body}")
        self.assertIn(err.get("code"), CODES[want_status], f"{name}: {body}")
        self.assertIsInstance(err.get("message"), str)
        self.assertIn(word, err["message"], f"{name}: {body}")
        status, _, _ = s.request("GET", "/healthz", auth=False)
        self.assertEqual(status, 200, f"server unhealthy after {name}")
        for folder in ("staging", "blobs"):
            left = files_under(os.path.join(s.data_dir, folder))
            self.assertEqual(left, [], f"{name} left files in {folder}/")

    def test_hostile_fixtures_are_refused_at_upload(self):
        for fixture, name, content_type, want_status, word in HOSTILE:
            with self.subTest(fixture=fixture):
                self.assert_refused(read(fixture), name, content_type, want_status, word)

    def test_real_program_named_pdf(self):
        true_bin = shutil.which("true") or "/bin/true"
        with open(true_bin, "rb") as f:
            data = f.read()
        self.assert_refused(data, "invoice.pdf", "application/pdf", 415, "executable")

    def test_no_document_was_created(self):
        self.test_hostile_fixtures_are_refused_at_upload()
        status, r = self.server.json("GET", "/v1/documents?limit=100")
        self.assertEqual(status, 200, r)
        self.assertEqual(r["documents"], [])


if __name__ == "__main__":
    unittest.main()
