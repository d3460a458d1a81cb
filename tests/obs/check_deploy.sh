#!/usr/bin/env bash
# Checks deploy/ against the metric catalogue:
#   1. promtool check config / rules, and the alert unit tests (tests/obs/alerts_test.yml);
#   2. every dashboard is valid JSON and every runbook_url names an existing file;
#   3. every metric used in a dashboard "expr" or an alert expression is exported by
#      ServiceMetrics (names from `sg_obs_catalogue names`).
#
#   tests/obs/check_deploy.sh [path/to/sg_obs_catalogue]
#
# Exits 0 when all is well, 1 with a list of problems, 77 (CTest "skipped") without promtool.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
catalogue=${1:-}
if [ -z "$catalogue" ]; then
  for c in "$root"/build/obs/tests/obs/sg_obs_catalogue "$root"/build/tests/obs/sg_obs_catalogue; do
    [ -x "$c" ] && { catalogue=$c; break; }
  done
fi
[ -n "$catalogue" ] && [ -x "$catalogue" ] || { echo "sg_obs_catalogue not found; pass its path" >&2; exit 1; }
command -v promtool >/dev/null || { echo "promtool not on PATH: skipped"; exit 77; }

cd "$root"
fail=0
promtool check config deploy/prometheus/prometheus.yml >/dev/null || { echo "promtool check config failed"; fail=1; }
rules=$(grep -l '^groups:' $(find deploy -name '*.yml' -o -name '*.yaml'))
promtool check rules $rules >/dev/null || { echo "promtool check rules failed"; fail=1; }
promtool test rules tests/obs/alerts_test.yml >/dev/null || {
  echo "promtool test rules failed:"; promtool test rules tests/obs/alerts_test.yml | tail -20; fail=1; }

names=$(mktemp)
trap 'rm -f "$names"' EXIT
"$catalogue" names >"$names"

python3 - "$names" $rules $(find deploy -path '*grafana*' -name '*.json') <<'PY' || fail=1
import json, os, re, sys

names = set(open(sys.argv[1]).read().split())
names.add("up")  # synthesised by Prometheus for every target
rule_files = [f for f in sys.argv[2:] if not f.endswith(".json")]
dashboards = [f for f in sys.argv[2:] if f.endswith(".json")]
problems = []

FUNCS = set("""sum rate irate increase histogram_quantile by without avg max min count topk bottomk
le job instance on ignoring group_left group_right clamp_min clamp_max label_replace delta deriv
absent absent_over_time time vector scalar round abs predict_linear avg_over_time max_over_time
min_over_time sum_over_time quantile_over_time count_over_time and or unless bool offset
humanize humanizePercentage""".split())
SUFFIXES = ("_total", "_seconds", "_bytes", "_length", "_size", "_efficiency", "_count",
            "_bucket", "_sum", "_info", "_ratio", "_open", "_connections", "_fds", "_items",
            "_threads", "_flight", "_busy")

def exported(tok):
    base = re.sub(r"_(bucket|sum|count)$", "", tok)
    return tok in names or base in names

def check_expr(where, expr):
    # Label matchers and strings are not metric names.
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare):
        tok = m.group(0)
        nxt = bare[m.end():m.end() + 1]
        prev = bare[max(0, m.start() - 1):m.start()]
        if tok in FUNCS or prev == "$" or tok.startswith("__"):
            continue
        looks_like_metric = (nxt in "{[" and nxt != "") or tok.endswith(SUFFIXES)
        # Label names inside by (...) / {...} are followed by , ) = ! ~ or space+operator.
        if nxt in ("=", "!", "~", ",", ")") and not tok.endswith(SUFFIXES):
            continue
        if looks_like_metric and not exported(tok):
            problems.append(f"{where}: metric {tok} is not exported")

ndash = 0
for f in dashboards:
    try:
        d = json.load(open(f))
    except ValueError as e:
        problems.append(f"{f}: invalid JSON: {e}")
        continue
    ndash += 1
    for p in d.get("panels", []):
        for t in p.get("targets", []):
            if "expr" in t:
                check_expr(f"{f} panel '{p.get('title')}'", t["expr"])
if ndash < 5:
    problems.append(f"{ndash} dashboards, want 5")

for f in rule_files:
    text = open(f).read()
    # expr: "..." on one line, or a block scalar (expr: |) up to the next key.
    for m in re.finditer(r"^(\s*)expr:\s*(\|)?(.*?)$", text, re.M):
        if m.group(2):
            indent = len(m.group(1))
            block = []
            for line in text[m.end():].splitlines()[1:]:
                if line.strip() and len(line) - len(line.lstrip()) <= indent:
                    break
                block.append(line)
            expr = "\n".join(block)
        else:
            expr = m.group(3)
        check_expr(f"{f} expr", expr)
    for url in re.findall(r"runbook_url:\s*(\S+)", text):
        if not os.path.isfile(url):
            problems.append(f"{f}: runbook {url} does not exist")
    if text.count("alert:") != len(re.findall(r"runbook_url:", text)):
        problems.append(f"{f}: every alert needs a runbook_url")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
[ $fail = 0 ] && echo "deploy/ ok: config, rules, alert tests, dashboards and runbooks match the metric catalogue"
exit $fail
