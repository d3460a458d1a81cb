#!/usr/bin/env python3
"""Python `re` baseline for the PII scrubber: the same nine candidate patterns and the same
validators in spirit (RRN date and check digit, Luhn and issuer prefix, IPv4 octets, context words
for the gated kinds), one combined alternation with named groups, re.sub with a callback.

    PII_BENCH_TEXT=/tmp/pii.txt build/pii/bench/pii_bench --benchmark_filter=none   # writes text
    python3 bench/pii_baseline.py /tmp/pii.txt

Prints "python_re_scrub_MBps=<MB/s> replaced=<n>"; bench/pii_compare.sh runs both and prints the
ratio. Timing is process CPU time (time.process_time) like Google Benchmark's default.
"""
import datetime
import re
import sys
import time

KR = r"0(?:1[016-9]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)"
HOST = r"(?:[A-Za-z0-9가-힣-]+\.)+(?:[A-Za-z]{2,24}|한국)"
PATTERNS = [
    ("url", r"(?:(?:https?|ftp)://(?:" + HOST + r"|\d{1,3}(?:\.\d{1,3}){3}|localhost)|www\." + HOST +
     r")(?::\d{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*)?"),
    ("email", r"[A-Za-z0-9._%+-]+@" + HOST),
    ("rrn", r"\d{6}-?\d{7}"),
    ("credit_card", r"\d{4}(?:[- ]\d{4}){3}|\d{4}[- ]\d{6}[- ]\d{4,5}|\d{13,19}"),
    ("driver_license", r"(?:서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산) ?\d{2}-?\d{6}-?\d{2}"
     r"|\d{2}-\d{2}-\d{6}-\d{2}"),
    ("bank_account", r"\d{2,6}-\d{2,6}-\d{3,7}|\d{3,6}-\d{2,6}-\d{2,6}-\d{2,3}|\d{10,14}"),
    ("phone", r"(?:\(" + KR + r"\)[ -]?|" + KR + r"[-. ]?)\d{3,4}[-. ]?\d{4}|1[568]\d{2}[-. ]\d{4}"
     r"|\+[1-9]\d{0,2}(?:[-. ]?\(?\d{1,4}\)?){2,5}"),
    ("ip", r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"),
    ("passport", r"[MSROD](?:\d{8}|\d{3}[A-Z]\d{4})"),
]
COMBINED = re.compile(r"(?<![0-9A-Za-z])(?:" + "|".join("(?P<%s>%s)" % (k, p) for k, p in PATTERNS) +
                      r")(?![0-9A-Za-z])")

BANK = ("계좌", "은행", "입금", "account", "bank")
PASSPORT = ("여권", "passport")
LICENSE = ("운전면허", "면허", "license", "licence", "driver")


def luhn(d):
    total = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        total += v
    return total % 10 == 0


def rrn_ok(d):
    g = int(d[6])
    century = 1900 if g in (1, 2, 5, 6) else 2000 if g in (3, 4, 7, 8) else 1800
    try:
        datetime.date(century + int(d[:2]), int(d[2:4]), int(d[4:6]))
    except ValueError:
        return False
    return True


def context(text, start, words):
    window = text[max(0, start - 24):start].lower()
    return any(w in window for w in words)


def scrub(text):
    counts = {}

    def repl(m):
        kind = m.lastgroup
        v = m.group(0)
        digits = re.sub(r"\D", "", v)
        ok = True
        if kind == "rrn":
            ok = rrn_ok(digits)
        elif kind == "credit_card":
            ok = luhn(digits) and digits[0] in "23456"
        elif kind == "ip":
            ok = ("." in v and all(int(o) <= 255 for o in v.split("."))) or v.count(":") >= 2
        elif kind == "bank_account":
            ok = 10 <= len(digits) <= 14 and context(text, m.start(), BANK)
        elif kind == "passport":
            ok = context(text, m.start(), PASSPORT)
        elif kind == "driver_license":
            ok = context(text, m.start(), LICENSE)
        if not ok:
            return v
        counts[kind] = counts.get(kind, 0) + 1
        return "<" + kind.upper() + ">"

    return COMBINED.sub(repl, text), counts


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/pii_bench_text.txt"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    nbytes = len(text.encode("utf-8"))
    best = None
    for _ in range(3):
        t0 = time.process_time()
        _, counts = scrub(text)
        t = time.process_time() - t0
        best = t if best is None else min(best, t)
    print("python_re_scrub_MBps=%.2f replaced=%d bytes=%d" % (nbytes / best / 1e6, sum(counts.values()), nbytes))


if __name__ == "__main__":
    main()
