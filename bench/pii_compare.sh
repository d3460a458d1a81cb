#!/bin/sh
# Runs the C++ PII scrub benchmark and the Python `re` baseline on the same generated text and
# prints both throughputs and their ratio.
#   bench/pii_compare.sh [build-dir]      (default build/pii; builds nothing itself)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build/pii}
TEXT=$(mktemp /tmp/pii_bench_text.XXXXXX)
JSON=$(mktemp /tmp/pii_bench_json.XXXXXX)
trap 'rm -f "$TEXT" "$JSON"' EXIT

PII_BENCH_TEXT="$TEXT" "$BUILD/bench/pii_bench" --benchmark_filter=BM_PiiScrub \
  --benchmark_repetitions=3 --benchmark_format=json >"$JSON"
CPP=$(python3 -c '
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("aggregate_name") == "median"]
print("%.2f" % (runs[0]["bytes_per_second"] / 1e6))' "$JSON")
PY_LINE=$(python3 bench/pii_baseline.py "$TEXT")
PY=$(echo "$PY_LINE" | sed 's/.*python_re_scrub_MBps=\([0-9.]*\).*/\1/')
echo "text: $(wc -c <"$TEXT") bytes"
echo "C++ (RE2, PiiScrubber) scrub: $CPP MB/s per core (CPU time, median of 3)"
echo "Python re baseline scrub:     $PY MB/s ($PY_LINE)"
python3 -c "import sys; print('ratio: %.1fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$CPP" "$PY"
