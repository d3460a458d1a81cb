"""The operations documentation is true: checked against the real binary, a live server and the
repository (issue 11, SPEC R-D1..R-D3).

- every `scriptgen ...` command written in the docs (fenced blocks and inline code) names real
  subcommands and flags (`--help` of the binary);
- every metric name the docs mention is exported by a live server (after an upload);
- docs/openapi.json validates with a real OpenAPI validator (npm @apidevtools/swagger-parser,
  installed into SCRIPTGEN_NPM_DIR, default build/npm), covers every route the server registers
  with the same role, every documented operation answers (not 404/405), replies of a scripted
  scenario match the documented schemas and status codes, and GET /openapi.json serves the file;
- runbooks name alerts and Grafana panels that exist, and their PromQL parses (promtool);
- the governance guide's procedures work: certificate and audit verification, the subject-hash
  recipe, the certificate's documented fields; the rollback switch behaves as described;
- deploy/docker-compose.yml, deploy/Dockerfile and deploy/systemd/* match the code (images,
  ports, environment names, commands and flags, required hardening keys).

Run: SCRIPTGEN_BIN=build/scriptgen python3 -m unittest -v test_docs (from tests/docs), or ctest -R docs.
"""
import functools
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import server_fixture  # noqa: E402  (the e2e tests' server launcher)

BIN = os.path.abspath(os.environ.get("SCRIPTGEN_BIN", os.path.join(ROOT, "build", "scriptgen")))
server_fixture.BIN = BIN
NPM_DIR = os.path.abspath(os.environ.get("SCRIPTGEN_NPM_DIR", os.path.join(ROOT, "build", "npm")))
OPENAPI = os.path.join(ROOT, "docs", "openapi.json")
DASHBOARDS = ("Worker Health", "Job Processing", "Security Monitoring", "System Resources",
              "Error Analysis")
REQUIRED_RUNBOOKS = ("sse-disconnect-storm.md", "http-503-surge.md", "queue-stagnation.md",
                     "load-surge.md")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def markdown_files():
    """Every operator-facing markdown file: docs/**, the READMEs, the changelog."""
    files = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    for extra in ("README.md", "deploy/README.md", "CHANGELOG.md"):
        if os.path.exists(os.path.join(ROOT, extra)):
            files.append(os.path.join(ROOT, extra))
    return [os.path.relpath(f, ROOT) for f in files]


# ---------------------------------------------------------------------------------------------
# Commands in markdown

FENCE = re.compile(r"^\s*(```|~~~)")
SHELL_STOP = re.compile(r"^(\||\|\||&&|;|>|>>|<|2>|2>&1|&|#|\)|\$\()")
# systemctl/journalctl name units "scriptgen", and -u/-g/useradd name the user: not commands.
NOT_A_COMMAND_BEFORE = re.compile(
    r"(systemctl\s+\S+\s+(\S+\s+)*|journalctl\s+(\S+\s+)*|-[ug]\s+|--(unit|user|group)[= ]"
    r"|useradd\s.*|chown\s+\S*)$")
# A bare `scriptgen word`, or a path ending in /scriptgen in command position (start of the line,
# after a shell separator, sudo or exec): `/opt/scriptgen/0.2.0/scriptgen migrate up`.
COMMAND_AT = re.compile(r"(?<![\w.@/-])scriptgen[ \t]+(?=[^\s])|(?<=/)scriptgen[ \t]+(?=[^\s])")
COMMAND_POSITION = re.compile(r"(^|[|;&(`]|\bsudo|\bexec|\btime|\bsudo\s+-u\s+\S+)\s*$")


def logical_lines(text):
    """(line number, text) of the markdown's code: each line of fenced blocks (with backslash
    continuations joined, prompts and comments removed) and each inline code span."""
    out, in_fence, pending, pending_no = [], False, "", 0
    prose = []
    for no, line in enumerate(text.split("\n"), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            prose.append("")
            continue
        if not in_fence:
            prose.append(line)
            continue
        prose.append("")
        line = re.sub(r"^\s*\$ ", "", line)
        if pending:
            line = pending + " " + line.strip()
            no = pending_no
        if line.rstrip().endswith("\\"):
            pending, pending_no = line.rstrip()[:-1], no
            continue
        pending = ""
        out.append((no, re.sub(r"(^|\s)#.*$", "", line)))
    joined = "\n".join(prose)
    for m in re.finditer(r"`([^`\n]+(?:\n[^`\n]+)?)`", joined):
        out.append((joined.count("\n", 0, m.start()) + 1, m.group(1).replace("\n", " ")))
    return out


def commands_in(text):
    """(line, [tokens after 'scriptgen']) for every scriptgen invocation in the markdown."""
    found = []
    for no, line in logical_lines(text):
        for m in COMMAND_AT.finditer(line):
            before = line[: m.start()]
            if NOT_A_COMMAND_BEFORE.search(before):
                continue
            if before.endswith("/"):  # a path: only an executable in command position counts
                path_start = len(before.rstrip()) - len(before.rstrip().split()[-1]) \
                    if before.strip() else 0
                if not COMMAND_POSITION.search(before[:path_start]):
                    continue
            tokens = []
            for tok in line[m.end():].split():
                bare = tok.strip("`\"'")
                if SHELL_STOP.match(tok) or SHELL_STOP.match(bare):
                    break
                tokens.append(bare)
                if tok.endswith(")") or tok.endswith("`"):
                    break
            if tokens:
                found.append((no, tokens))
    return found


@functools.lru_cache(maxsize=None)
def help_text(path):
    r = subprocess.run([BIN, *path, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return None
    return r.stdout + r.stderr


def subcommands(help_out):
    m = re.search(r"\nSubcommands:\n((?:  .*\n?)*)", help_out)
    return set(re.findall(r"^  ([a-z][a-z0-9-]*)", m.group(1), re.M)) if m else set()


def check_command(tokens):
    """Problems with one command line (empty list: it parses). Alternatives `a|b` in subcommand
    position are each checked."""
    paths = [[]]
    rest = list(tokens)
    while rest:
        tok = rest[0]
        if not re.fullmatch(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*", tok):
            break
        alts = tok.split("|")
        subs = subcommands(help_text(tuple(paths[0])) or "")
        if not any(a in subs for a in alts):
            if not paths[0]:
                return [f"unknown subcommand '{tok}' (scriptgen has: {', '.join(sorted(subs))})"]
            break  # a positional argument (e.g. a job id or a version name)
        missing = [a for a in alts if a not in subs]
        if missing:
            return [f"unknown subcommand '{m}' of 'scriptgen {' '.join(paths[0])}'" for m in missing]
        paths = [p + [a] for p in paths for a in alts]
        rest = rest[1:]
    problems = []
    flags = set()
    for tok in rest:
        m = re.match(r"^\[?(--[a-z][a-z0-9-]*)", tok)
        if m:
            flags.add(m.group(1))
    for p in paths:
        known = ""
        for i in range(len(p) + 1):  # options of the leaf and of its parents (fallthrough)
            known += help_text(tuple(p[:i])) or ""
        if help_text(tuple(p)) is None:
            problems.append(f"'scriptgen {' '.join(p)} --help' fails")
            continue
        for f in sorted(flags):
            if not re.search(re.escape(f) + r"(?![a-z0-9-])", known):
                problems.append(f"'scriptgen {' '.join(p)}' has no option {f}")
    return problems


class CommandsTest(unittest.TestCase):
    def test_extraction_finds_the_commands(self):
        """The extractor itself: inline code, fences, continuations, alternatives, units."""
        md = ("Run `scriptgen migrate status|up|down --data-dir D`.\n"
              "```sh\nsudo systemctl restart scriptgen\njournalctl -u scriptgen -o cat\n"
              "/opt/scriptgen/1/scriptgen tokens ls \\\n  --data-dir /var/lib/scriptgen  # c\n```\n")
        cmds = [t for _, t in commands_in(md)]
        self.assertIn(["migrate", "status|up|down", "--data-dir", "D"], cmds)
        self.assertIn(["tokens", "ls", "--data-dir", "/var/lib/scriptgen"], cmds)
        self.assertEqual(len(cmds), 2, cmds)
        self.assertTrue(check_command(["no-such-command"]))
        self.assertTrue(check_command(["tokens", "ls", "--no-such-flag"]))
        self.assertEqual(check_command(["tokens", "ls", "--data-dir", "x"]), [])

    def test_every_documented_command_parses(self):
        self.assertIsNotNone(help_text(()), f"{BIN} --help fails")
        seen, problems = set(), []
        for rel in markdown_files():
            for no, tokens in commands_in(read(rel)):
                key = tuple(tokens)
                if key in seen:
                    continue
                seen.add(key)
                for p in check_command(tokens):
                    problems.append(f"{rel}:{no}: scriptgen {' '.join(tokens)}: {p}")
        self.assertGreater(len(seen), 30, "the extractor found suspiciously few commands")
        self.assertEqual(problems, [], "\n" + "\n".join(problems))


# ---------------------------------------------------------------------------------------------
# The live server, shared by the tests below

SERVER = None
SCENARIO = {}


def setUpModule():
    global SERVER
    SERVER = server_fixture.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.cleanup()


def catalogue():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "src", "**", "*.cc"), recursive=True):
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r"\bAdd[A-Za-z]*\(\s*\"([a-z][a-z0-9_]*)\"", f.read()))
    return names


def metric_candidates(text, families):
    """Snake-case words that name metrics: catalogue names, names with a metric suffix, or names of
    three or more words starting like a catalogue family (`worker_queue_depth`; not the JSON field
    `audit_entries`)."""
    prefixes = {"_".join(f.split("_")[:2]) for f in families}
    out = set()
    for m in re.finditer(r"(?<![\w./-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w/(-]|\.[a-z])", text):
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if (base in families or name in families
                or re.search(r"_(total|seconds|bytes|info)$", base)
                or (name.count("_") >= 2 and "_".join(name.split("_")[:2]) in prefixes)):
            out.add(name)
    return out


class MetricsTest(unittest.TestCase):
    def test_every_documented_metric_is_exported(self):
        status, body = SERVER.upload("metrics-probe.txt", b"a document so labelled families appear")
        self.assertIn(status, (200, 202), body)
        SERVER.wait_job(body["job_id"])
        status, _, scrape = SERVER.request("GET", "/metrics", auth=False)
        self.assertEqual(status, 200)
        exported = set(re.findall(r"^# TYPE (\S+) ", scrape.decode(), re.M))
        families = catalogue()
        self.assertIn("http_requests_total", families, "catalogue parsing broke")
        problems = []
        for rel in markdown_files():
            for name in sorted(metric_candidates(read(rel), families)):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                if name not in exported and base not in exported:
                    problems.append(f"{rel}: {name} is not exported by the server")
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_candidate_rule_catches_invented_metrics(self):
        fams = {"worker_queue_length", "http_requests_total"}
        got = metric_candidates("`worker_queue_depth` and `job_id` and histogram_quantile(x) "
                                "and `redis_commands_total` and `embed_version` and "
                                "`worker_queue` and `http_requests_in_flight`", fams)
        self.assertEqual(got, {"worker_queue_depth", "redis_commands_total", "http_requests_in_flight"})


# ---------------------------------------------------------------------------------------------
# OpenAPI

def npm_package_ready():
    if os.path.isdir(os.path.join(NPM_DIR, "node_modules", "@apidevtools", "swagger-parser")) and \
            os.path.isdir(os.path.join(NPM_DIR, "node_modules", "ajv")):
        return
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise AssertionError("node and npm are required to validate docs/openapi.json "
                             "(scripts/setup installs them): not found on PATH")
    os.makedirs(NPM_DIR, exist_ok=True)
    r = subprocess.run(["npm", "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund",
                        "--loglevel=error", "@apidevtools/swagger-parser@^13", "ajv@^8"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError("npm install @apidevtools/swagger-parser into " + NPM_DIR +
                             " failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])


def node_check(*args):
    npm_package_ready()
    return subprocess.run(["node", os.path.join(HERE, "openapi_check.js"), NPM_DIR, *args],
                          capture_output=True, text=True, timeout=120)


def spec():
    with open(OPENAPI, encoding="utf-8") as f:
        return json.load(f)


def template(path):
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                yield path, method, op


class OpenApiTest(unittest.TestCase):
    def test_validates_with_swagger_parser(self):
        r = node_check("validate", OPENAPI)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip(), "valid")
        self.assertEqual(spec()["openapi"], "3.1.0")

    def test_validator_rejects_a_broken_document(self):
        doc = spec()
        doc["paths"]["/v1/search"]["post"]["responses"]["200"]["content"]["application/json"][
            "schema"] = {"$ref": "#/components/schemas/NoSuchSchema"}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
        try:
            r = node_check("validate", f.name)
            self.assertNotEqual(r.returncode, 0, "the validator accepted a dangling $ref")
        finally:
            os.unlink(f.name)

    def test_document_rules_the_validator_does_not_check(self):
        doc = spec()
        ids, problems = [], []
        errors = doc["components"]["responses"]
        for path, method, op in operations(doc):
            where = f"{method.upper()} {path}"
            ids.append(op["operationId"])
            declared = set()
            for p in op.get("parameters", []):
                if "$ref" in p:
                    p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
                if p["in"] == "path":
                    declared.add(p["name"])
            if set(re.findall(r"\{([^}]+)\}", path)) != declared:
                problems.append(f"{where}: path parameters not declared exactly")
            codes = op["responses"]
            if not any(c.startswith("2") for c in codes):
                problems.append(f"{where}: no success response")
            if op.get("security", None) != []:
                if op.get("x-scriptgen-role") not in ("reader", "writer", "admin"):
                    problems.append(f"{where}: authenticated operation without x-scriptgen-role")
                for c in ("401", "403", "429", "500"):
                    if c not in codes:
                        problems.append(f"{where}: error {c} not documented")
            for c, r in codes.items():
                if c.startswith(("4", "5")) and "$ref" in r:
                    r = errors[r["$ref"].rsplit("/", 1)[1]]
                    if r["content"]["application/json"]["schema"] != {
                            "$ref": "#/components/schemas/Error"}:
                        problems.append(f"{where}: {c} does not use the Error schema")
        dup = sorted({i for i in ids if ids.count(i) > 1})
        self.assertEqual(dup, [], "duplicate operationIds")
        self.assertEqual(problems, [], "\n".join(problems))
        scheme = doc["components"]["securitySchemes"]["bearer"]
        self.assertEqual((scheme["type"], scheme["scheme"]), ("http", "bearer"))
        self.assertEqual(doc["security"], [{"bearer": []}])

    def test_every_registered_route_is_documented_with_its_role(self):
        status, routes = SERVER.json("GET", "/v1/admin/routes")
        self.assertEqual(status, 200)
        documented = {(m.upper(), template(p)): op.get("x-scriptgen-role")
                      for p, m, op in operations(spec())}
        missing, wrong = [], []
        for r in routes["routes"]:
            key = (r["method"], template(r["pattern"]))
            if key not in documented:
                missing.append(f"{r['method']} {r['pattern']}")
            elif documented[key] != r["role"]:
                wrong.append(f"{r['method']} {r['pattern']}: server {r['role']}, "
                             f"document {documented[key]}")
        for probe in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            if ("GET", probe) not in documented:
                missing.append("GET " + probe)
        self.assertEqual(missing, [], "routes the server registers but docs/openapi.json lacks")
        self.assertEqual(wrong, [], "roles differ")

    def test_every_documented_operation_answers(self):
        bad = []
        for path, method, op in operations(spec()):
            real = re.sub(r"\{[^}]+\}", "nonexistent-id", path)
            body = b"{}" if method in ("post", "put", "patch") else None
            status, _, data = SERVER.request(method.upper(), real, body,
                                             {"Content-Type": "application/json"})
            if status == 405:
                bad.append(f"{method.upper()} {path} -> 405")
            elif status == 404 and ("{" not in path or b'"error"' not in data
                                    or b"no route for" in data):
                # A templated path may answer 404 for the made-up id, but from its handler (a
                # JSON error about the id), not from the router ("no route for ...").
                bad.append(f"{method.upper()} {path} -> 404 {data[:80]!r}")
        self.assertEqual(bad, [], "documented operations the server does not serve")

    def test_served_document_is_the_repository_file(self):
        status, _, data = SERVER.request("GET", "/openapi.json", auth=False)
        self.assertEqual(status, 200, "GET /openapi.json is not served")
        self.assertEqual(json.loads(data), spec(), "GET /openapi.json differs from docs/openapi.json")

    def test_replies_match_the_documented_schemas(self):
        records = scenario_records()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(records, f)
        try:
            r = node_check("responses", OPENAPI, f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        problems = json.loads(r.stdout)
        self.assertGreater(len(records), 30)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))


def scenario_records():
    """Drives every kind of reply once and records (operation, status, body)."""
    if "records" in SCENARIO:
        return SCENARIO["records"]
    recs = []

    def call(method, path_template, path, body=None, headers=None, auth=True):
        status, reply = SERVER.json(method, path, body, headers, auth)
        recs.append({"method": method, "path": path_template, "status": status, "body": reply})
        return status, reply

    def upload(name, data, query="", headers=None):
        h = dict(headers or {}, **{"Content-Type": "text/plain"})
        q = "?filename=" + name + (("&" + query) if query else "")
        return call("POST", "/v1/documents", "/v1/documents" + q, data, h)

    call("GET", "/healthz", "/healthz", auth=False)
    call("GET", "/readyz", "/readyz", auth=False)
    _, up = upload("alpha.txt", b"The harbor lighthouse at dawn, contact ops@example.com.",
                   headers={"Idempotency-Key": "docs-test-1"})
    upload("alpha.txt", b"The harbor lighthouse at dawn, contact ops@example.com.",
           headers={"Idempotency-Key": "docs-test-1"})
    upload("alpha2.txt", b"other bytes", headers={"Idempotency-Key": "docs-test-1"})  # 409
    upload("", b"no name")                                                           # 400
    call("POST", "/v1/documents", "/v1/documents?filename=x.exe", b"\x7fELF\x02\x01\x01" + b"\0" * 64,
         {"Content-Type": "application/octet-stream"})                               # 415
    SERVER.wait_job(up["job_id"])
    _, sub = upload("bob.txt", b"Bob's launch video script, second draft.", query="subject_id=bob")
    SERVER.wait_job(sub["job_id"])
    doc, job = up["document_id"], up["job_id"]
    call("GET", "/v1/documents", "/v1/documents?limit=10")
    call("GET", "/v1/documents", "/v1/documents?limit=0")                            # 400
    call("GET", "/v1/documents/{id}", "/v1/documents/" + doc)
    call("GET", "/v1/documents/{id}", "/v1/documents/doc_999999")                    # 404
    call("GET", "/v1/jobs/{id}", "/v1/jobs/" + job)
    call("GET", "/v1/jobs", "/v1/jobs?limit=5")
    call("GET", "/v1/jobs", "/v1/jobs?state=nonsense")                               # 400
    call("POST", "/v1/jobs/{id}/cancel", f"/v1/jobs/{job}/cancel")                   # 409
    call("POST", "/v1/search", "/v1/search", {"query": "harbor lighthouse", "k": 3})
    call("POST", "/v1/search", "/v1/search", {"k": 3})                               # 400
    call("GET", "/v1/dlq", "/v1/dlq")
    call("POST", "/v1/dlq/retry", "/v1/dlq/retry", {"error_class": "timeout"})
    call("POST", "/v1/dlq/{id}/retry", "/v1/dlq/job_999999/retry")
    call("DELETE", "/v1/dlq", "/v1/dlq?error_class=bad_input")
    _, tok = call("POST", "/v1/admin/tokens", "/v1/admin/tokens",
                  {"role": "reader", "subject_id": "bob", "expires_in": "1d", "note": "docs test"})
    call("GET", "/v1/admin/tokens", "/v1/admin/tokens")
    reader = {"Authorization": "Bearer " + tok["token"]}
    status, reply = SERVER.json("DELETE", "/v1/documents/" + doc, headers=reader, auth=False)
    recs.append({"method": "DELETE", "path": "/v1/documents/{id}", "status": status, "body": reply})
    status, reply = SERVER.json("GET", "/v1/documents", headers={"Authorization": "Bearer nope"},
                                auth=False)
    recs.append({"method": "GET", "path": "/v1/documents", "status": status, "body": reply})
    call("DELETE", "/v1/admin/tokens/{id}", "/v1/admin/tokens/" + tok["id"])
    call("GET", "/v1/admin/routes", "/v1/admin/routes")
    call("PUT", "/v1/documents/{id}/legal-hold", f"/v1/documents/{doc}/legal-hold", {"hold": True})
    call("PUT", "/v1/documents/{id}/legal-hold", f"/v1/documents/{doc}/legal-hold", {"hold": False})
    call("GET", "/v1/admin/compliance-report", "/v1/admin/compliance-report")
    call("POST", "/v1/admin/retention/run", "/v1/admin/retention/run", {})
    call("POST", "/v1/admin/doctor", "/v1/admin/doctor", {"fix": False})
    call("GET", "/v1/admin/signing-key", "/v1/admin/signing-key")
    call("POST", "/v1/admin/erase", "/v1/admin/erase", {"subject_id": "bob", "confirm": "bobb",
                                                         "reason": "t"})  # 400
    _, era = call("POST", "/v1/admin/erase", "/v1/admin/erase",
                  {"subject_id": "bob", "confirm": "bob", "reason": "DSR-docs-test"})
    deadline = time.time() + 60
    while time.time() < deadline:
        status, state = SERVER.json("GET", "/v1/admin/erase/" + era["request_id"])
        if state.get("state") in ("done", "failed"):
            break
        time.sleep(0.1)
    call("GET", "/v1/admin/erase/{id}", "/v1/admin/erase/" + era["request_id"])
    SCENARIO["erase"] = state
    call("GET", "/v1/admin/erase/{id}", "/v1/admin/erase/era_0000")                 # 404
    call("DELETE", "/v1/documents/{id}", "/v1/documents/" + doc)
    status, versions = call("GET", "/v1/admin/embed-versions", "/v1/admin/embed-versions")
    if status == 200:
        _, v = call("POST", "/v1/admin/embed-versions", "/v1/admin/embed-versions",
                    {"provider": "hash", "dim": 64})
        name = v.get("version", "x")
        call("GET", "/v1/admin/embed-versions/{version}", "/v1/admin/embed-versions/" + name)
        call("POST", "/v1/admin/embed-versions/{version}/activate",
             f"/v1/admin/embed-versions/{name}/activate")
        _, rj = call("POST", "/v1/admin/reindex", "/v1/admin/reindex", {"version": name})
        if "job_id" in rj:
            SERVER.wait_job(rj["job_id"])
        call("POST", "/v1/admin/embed-versions/{version}/retire",
             f"/v1/admin/embed-versions/{name}/retire")
        call("POST", "/v1/admin/reindex", "/v1/admin/reindex", {})                   # 400
    SCENARIO["records"] = recs
    return recs


# ---------------------------------------------------------------------------------------------
# Runbooks: alerts, panels, PromQL

def dashboard_panels():
    out = {}
    for path in glob.glob(os.path.join(ROOT, "deploy", "grafana", "dashboards", "*.json")):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        out[d["title"].split(" / ", 1)[-1]] = {p.get("title") for p in d.get("panels", [])}
    return out


class RunbooksTest(unittest.TestCase):
    def test_required_runbooks_have_every_part(self):
        for name in REQUIRED_RUNBOOKS:
            text = read("docs/runbooks/" + name)
            for part in ("## Symptoms", "## Diagnosis", "## Immediate actions",
                         "## Root causes and fixes", "## Verify recovery"):
                self.assertIn(part, text, f"{name} lacks '{part}'")
            self.assertRegex(text, r"(?m)^\s*(sudo .*)?scriptgen [a-z]", f"{name}: no scriptgen command")
            self.assertIn("curl ", text, f"{name}: no curl command")
            self.assertIn("redis-cli ", text, f"{name}: no Redis step")
            self.assertRegex(text, r"\*(" + "|".join(DASHBOARDS) + r") › ", f"{name}: no panel")

    def test_alerts_and_runbooks_point_at_each_other(self):
        import yaml
        rules = {r["alert"]: r for g in yaml.safe_load(read("deploy/prometheus/alerts.yml"))["groups"]
                 for r in g["rules"]}
        for name, rule in rules.items():
            self.assertTrue(os.path.exists(os.path.join(ROOT, rule["annotations"]["runbook_url"])),
                            f"{name}: runbook {rule['annotations']['runbook_url']} missing")
        for path in sorted(glob.glob(os.path.join(ROOT, "docs", "runbooks", "*.md"))):
            rel = os.path.relpath(path, ROOT)
            if rel.endswith("README.md"):
                continue
            m = re.search(r"\*\*Alert:\*\* `([A-Za-z0-9]+)`", read(rel))
            self.assertIsNotNone(m, f"{rel}: no '**Alert:** `Name`' line")
            self.assertIn(m.group(1), rules, f"{rel}: alert {m.group(1)} is not in alerts.yml")
            self.assertEqual(rules[m.group(1)]["annotations"]["runbook_url"], rel)

    def test_named_panels_exist(self):
        panels = dashboard_panels()
        self.assertEqual(set(panels), set(DASHBOARDS))
        problems, count = [], 0
        pattern = re.compile(r"\*(" + "|".join(DASHBOARDS) + r") ›\s+([^*]+?)\*")
        for rel in markdown_files():
            for m in pattern.finditer(read(rel)):
                count += 1
                title = re.sub(r"\s+", " ", m.group(2)).strip()
                if title not in panels[m.group(1)]:
                    problems.append(f"{rel}: panel '{title}' is not on {m.group(1)}")
        self.assertGreater(count, 20)
        self.assertEqual(problems, [], "\n".join(problems))

    def test_promql_blocks_parse(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus, scripts/setup) missing")
        exprs = []
        for rel in markdown_files():
            for block in re.findall(r"```promql\n(.*?)```", read(rel), re.S):
                exprs.append((rel, " ".join(block.split())))
        self.assertGreater(len(exprs), 8)
        rules = {"groups": [{"name": "docs", "rules": [
            {"record": f"docs:expr{i}", "expr": e} for i, (_, e) in enumerate(exprs)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            json.dump(rules, f)  # JSON is YAML
        try:
            r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


# ---------------------------------------------------------------------------------------------
# Governance and rollback procedures

class GovernanceDocTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scenario_records()
        cls.erase = SCENARIO["erase"]

    def test_erase_completed_with_a_certificate(self):
        self.assertEqual(self.erase["state"], "done", self.erase)

    def test_certificate_has_the_documented_fields(self):
        text = read("docs/DATA_GOVERNANCE.md")
        example = re.search(r"### Certificate format.*?```json\n(.*?)```", text, re.S).group(1)
        keys = set(re.findall(r'"([a-z_]+)":', example))
        cert = self.erase["certificate"]
        actual = set(cert) | set(cert["deleted"]) | set(cert["signature"])
        self.assertEqual(keys - {"hash-v1-384"}, actual)

    def test_documented_verification_commands_pass(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(self.erase["certificate"], f, indent=2)
        try:
            r = subprocess.run([BIN, "certificate", "verify", f.name, "--data-dir", SERVER.data_dir],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("certificate ok", r.stdout)
        finally:
            os.unlink(f.name)
        r = subprocess.run([BIN, "audit", "verify", "--data-dir", SERVER.data_dir],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("audit chain ok", r.stdout)

    def test_subject_hash_recipe_matches_the_certificate(self):
        text = read("docs/DATA_GOVERNANCE.md")
        code = re.search(r"```python\n(# subject-hash\.py.*?)```", text, re.S).group(1)
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(code)
        try:
            r = subprocess.run([sys.executable, f.name, SERVER.data_dir, "bob", "alice"],
                               capture_output=True, text=True, timeout=30)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        hashes = dict(line.split()[::-1] for line in r.stdout.splitlines())
        self.assertEqual(hashes["bob"], self.erase["certificate"]["subject_hash"])
        self.assertNotEqual(hashes["alice"], hashes["bob"])


class RollbackSwitchTest(unittest.TestCase):
    def test_switch_is_the_documented_option(self):
        help_out = help_text(("serve",))
        self.assertIn("--durable-worker", help_out)
        self.assertIn("USE_DURABLE_WORKER", help_out)
        self.assertIn("USE_DURABLE_WORKER=false", read("docs/ROLLBACK_PLAN.md"))

    def test_in_memory_mode_serves_and_says_so(self):
        """E4 of the rollback plan: the 'serving' log line says "queue":"in-memory" and an upload
        succeeds; E2's claim that durable jobs stay in the store is checked by restarting durable."""
        data = tempfile.mkdtemp(prefix="sg-docs-rollback-")
        try:
            s = server_fixture.Server(data_dir=data, env={"USE_DURABLE_WORKER": "false"}).start()
            try:
                status, up = s.upload("r.txt", b"rollback probe text")
                self.assertEqual(status, 202)
                self.assertEqual(s.wait_job(up["job_id"])["state"], "succeeded")
                serving = [json.loads(line) for line in s.log().splitlines()
                           if '"msg":"serving"' in line]
                self.assertEqual(serving[-1]["queue"], "in-memory")
            finally:
                s.stop()
            s = server_fixture.Server(data_dir=data).start()
            try:
                status, d = s.json("GET", "/v1/documents/" + up["document_id"])
                self.assertEqual((status, d["state"]), (200, "ready"),
                                 "a document finished in memory mode is ready after switching back")
                serving = [json.loads(line) for line in s.log().splitlines()
                           if '"msg":"serving"' in line]
                self.assertNotEqual(serving[-1]["queue"], "in-memory")
            finally:
                s.stop()
        finally:
            shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Deployment files

def source_text():
    chunks = []
    for path in glob.glob(os.path.join(ROOT, "src", "**", "*"), recursive=True):
        if path.endswith((".cc", ".h")):
            with open(path, encoding="utf-8") as f:
                chunks.append(f.read())
    return "\n".join(chunks)


def env_default(value):
    """'${NAME:-default}' / '${NAME-default}' -> default, as Compose would without NAME set."""
    return re.sub(r"\$\{[A-Z_]+:?-([^}]*)\}", r"\1", str(value))


class DeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import yaml
        cls.compose = yaml.safe_load(read("deploy/docker-compose.yml"))
        cls.src = source_text()
        cls.version = re.search(r"project\(scriptgen VERSION ([0-9.]+)", read("CMakeLists.txt")).group(1)

    def test_compose_services(self):
        services = self.compose["services"]
        self.assertEqual(set(services), {"api", "worker", "redis", "prometheus", "grafana"})
        self.assertEqual(services["worker"]["deploy"]["replicas"], 2)
        for name in ("api", "worker"):
            s = services[name]
            self.assertEqual(s["image"], "scriptgen:" + self.version)
            dockerfile = os.path.join(ROOT, "deploy", s["build"]["context"], s["build"]["dockerfile"])
            self.assertTrue(os.path.exists(dockerfile), dockerfile)
            self.assertEqual(check_command([env_default(c) for c in s["command"]]), [],
                             f"{name}: command {s['command']}")
            for secret in s.get("secrets", []):
                self.assertIn(secret, self.compose["secrets"])
        r = subprocess.run([BIN, "--version"], capture_output=True, text=True)
        self.assertIn(self.version, r.stdout)

    def test_compose_env_names_exist_in_the_code(self):
        missing = []
        for name, s in self.compose["services"].items():
            for key in (s.get("environment") or {}):
                if (key.startswith("SCRIPTGEN_") or key == "USE_DURABLE_WORKER") and \
                        f'"{key}' not in self.src:
                    missing.append(f"{name}: {key}")
        self.assertEqual(missing, [], "environment names the code never reads")

    def test_compose_ports_and_wiring_match(self):
        import yaml
        s = self.compose["services"]
        env = s["api"]["environment"]
        api_port = env_default(env["SCRIPTGEN_LISTEN"]).rsplit(":", 1)[1]
        published = {p.split(":")[-1]: p for p in s["api"]["ports"]}
        self.assertIn(api_port, published)
        self.assertTrue(all(p.startswith("127.0.0.1:") for p in s["api"]["ports"]))
        # Prometheus shares the API's network: the repository's scrape target is the API port.
        prom = yaml.safe_load(read("deploy/prometheus/prometheus.yml"))
        self.assertEqual(s["prometheus"]["network_mode"], "service:api")
        target = prom["scrape_configs"][0]["static_configs"][0]["targets"][0]
        self.assertEqual(target, "127.0.0.1:" + api_port)
        self.assertEqual(prom["rule_files"], ["alerts.yml"])
        listen = [a for a in s["prometheus"]["command"] if a.startswith("--web.listen-address=")]
        prom_port = listen[0].rsplit(":", 1)[1]
        self.assertIn(prom_port, published)
        self.assertIn("--storage.tsdb.retention.time=30d", s["prometheus"]["command"])
        ds = yaml.safe_load(read("deploy/grafana/provisioning/datasources/prometheus.yml"))
        self.assertTrue(ds["datasources"][0]["url"].endswith(":" + prom_port))
        self.assertEqual(s["grafana"]["network_mode"], "service:api")
        self.assertIn(s["grafana"]["environment"]["GF_SERVER_HTTP_PORT"], published)
        provider = yaml.safe_load(read("deploy/grafana/provisioning/dashboards/dashboards.yml"))
        mounts = {v.split(":")[1]: v.split(":")[0] for v in s["grafana"]["volumes"]}
        self.assertIn(provider["providers"][0]["options"]["path"], mounts)
        for svc in ("prometheus", "grafana"):
            for v in s[svc]["volumes"]:
                host = v.split(":")[0]
                if host.startswith("."):
                    self.assertTrue(os.path.isdir(os.path.join(ROOT, "deploy", host)), v)
        # The queue URL names the redis service on Redis' default port.
        self.assertRegex(env_default(env["SCRIPTGEN_QUEUE"]), r"^redis://redis:6379/\d+$")
        self.assertIn("redis://redis:6379/0", s["worker"]["command"])
        self.assertRegex(s["redis"]["image"], r"^redis:[7-9]")

    def test_dockerfile(self):
        text = read("deploy/Dockerfile")
        self.assertRegex(text, r"(?m)^FROM debian:bookworm AS build")
        self.assertRegex(text, r"(?m)^FROM debian:bookworm-slim")
        self.assertIn("RUN scripts/setup", text)
        self.assertIn("cmake --build build --target scriptgen", text)
        self.assertRegex(read("src/app/CMakeLists.txt"), r"RUNTIME_OUTPUT_DIRECTORY \$\{CMAKE_BINARY_DIR\}")
        self.assertIn("COPY --from=build /src/build/scriptgen", text)
        self.assertRegex(text, r"(?m)^USER scriptgen")
        for src in re.findall(r"(?m)^COPY (?!--)(.+) \S+$", text):
            for p in src.split():
                self.assertTrue(os.path.exists(os.path.join(ROOT, p)), f"COPY {p}: not in the repo")
        for key in re.findall(r"\b(SCRIPTGEN_[A-Z_]+)=", text):
            self.assertIn(f'"{key}', self.src)
        # The runtime package list is derived from the binary with ldd + dpkg -S: run the same
        # derivation here, on Debian, against the real binary.
        m = re.search(r"RUN (for lib in .*?)> /src/build/runtime-packages.txt", text, re.S)
        script = m.group(1).replace("build/scriptgen", BIN).replace("\\\n", " ")
        if shutil.which("dpkg"):
            r = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
            pkgs = set(r.stdout.split())
            self.assertTrue(any(p.startswith("libsqlite3") for p in pkgs), pkgs)
            self.assertTrue(any(p.startswith("libsodium") for p in pkgs), pkgs)

    def units(self):
        out = {}
        for path in glob.glob(os.path.join(ROOT, "deploy", "systemd", "*.service")):
            sections, current = {}, None
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line or line.startswith(("#", ";")):
                        continue
                    if line.startswith("["):
                        current = sections.setdefault(line.strip("[]"), {})
                    else:
                        k, v = line.split("=", 1)
                        current.setdefault(k, []).append(v)
            out[os.path.basename(path)] = (path, sections)
        return out

    def test_systemd_units(self):
        units = self.units()
        self.assertEqual(set(units), {"scriptgen.service", "scriptgen-worker@.service"})
        required = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                    "ProtectHome": "yes", "PrivateDevices": "yes", "User": "scriptgen",
                    "CapabilityBoundingSet": "", "UMask": "0077", "RestrictSUIDSGID": "yes"}
        for name, (path, sec) in units.items():
            svc = sec["Service"]
            for k, v in required.items():
                self.assertEqual(svc.get(k), [v], f"{name}: {k}")
            self.assertIn("WantedBy", sec["Install"])
            self.assertIn("Description", sec["Unit"])
            exec_start = svc["ExecStart"][-1].split()
            self.assertEqual(exec_start[0], "/usr/local/bin/scriptgen")
            args = [re.sub(r"\$\{[A-Z_]+\}", "x", a) for a in exec_start[1:]]
            self.assertEqual(check_command(args), [], f"{name}: ExecStart")
            data_dir = exec_start[exec_start.index("--data-dir") + 1]
            self.assertEqual(svc["ReadWritePaths"], [data_dir], f"{name}: ReadWritePaths")
            for env in svc.get("Environment", []):
                self.assertIn('"' + env.split("=")[0], self.src)
            if "@" in name:
                self.assertIn("%i", sec["Unit"]["Description"][0])
            analyze = shutil.which("systemd-analyze")
            if analyze:
                with tempfile.TemporaryDirectory() as d:
                    unit = os.path.join(d, name.replace("@.", "@1."))
                    with open(path, encoding="utf-8") as f:
                        text = f.read().replace("/usr/local/bin/scriptgen", BIN)
                    with open(unit, "w", encoding="utf-8") as f:
                        f.write(text)
                    r = subprocess.run([analyze, "verify", unit], capture_output=True, text=True)
                    findings = [l for l in (r.stdout + r.stderr).splitlines()
                                if os.path.basename(unit) in l or "Unknown" in l]
                    self.assertEqual(findings, [], f"systemd-analyze verify {name}")


if __name__ == "__main__":
    unittest.main()
