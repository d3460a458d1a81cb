#!/usr/bin/env python3
"""Generates the PII quality corpus (pii_corpus.jsonl) used by pii_corpus_test.cc.

Deterministic (fixed seed): re-running it reproduces the committed file byte for byte, so a diff
after editing this script shows exactly what changed in the corpus.

    python3 tests/pii/corpus/make_corpus.py > tests/pii/corpus/pii_corpus.jsonl

Format: one JSON object per line
    {"id": "pos-email-003", "lang": "ko", "text": "...",
     "spans": [{"kind": "email", "start": 12, "end": 31}], "note": "..."}
start/end are UTF-8 byte offsets into text (what PiiDetector reports). Every PII value in a text
is labelled; a text with no spans is a hard negative: shapes that must NOT be reported (dates,
versions, order numbers, Luhn-invalid card-like numbers, RRN shapes with impossible dates, ...).

All values are synthetic: documentation domains (example.com/.org/.net, 예시.한국), documentation
IP ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) or private ranges, and
numbers generated to pass the validators (RRN check digits, Luhn) without belonging to anyone.
"""
import json
import random
import sys

SEED = 20240601
rng = random.Random(SEED)

# ---------------------------------------------------------------- helpers


def digits(n, first_nonzero=False):
    s = "".join(rng.choice("0123456789") for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = rng.choice("123456789") + s[1:]
    return s


def rrn_check(twelve):
    w = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    s = sum(int(c) * k for c, k in zip(twelve, w))
    return str((11 - s % 11) % 10)


def luhn_digit(body):
    total = 0
    for i, c in enumerate(reversed(body)):
        v = int(c)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return str((10 - total % 10) % 10)


def luhn_ok(num):
    total = 0
    for i, c in enumerate(reversed(num)):
        v = int(c)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def valid_date(y, m, d):
    import datetime
    try:
        datetime.date(y, m, d)
        return True
    except ValueError:
        return False


class Doc:
    """Builds a text from plain and labelled pieces, tracking UTF-8 byte offsets."""

    def __init__(self):
        self.parts = []
        self.spans = []
        self.nbytes = 0

    def add(self, s, kind=None):
        b = len(s.encode("utf-8"))
        if kind:
            self.spans.append({"kind": kind, "start": self.nbytes, "end": self.nbytes + b})
        self.parts.append(s)
        self.nbytes += b
        return self

    def text(self):
        return "".join(self.parts)


records = []


def emit(rid, lang, doc, note=""):
    records.append({"id": rid, "lang": lang, "text": doc.text(), "spans": doc.spans, "note": note})


def fill(template, value, kind):
    """template has one '{}' where the labelled value goes."""
    before, after = template.split("{}")
    return Doc().add(before).add(value, kind).add(after)


# ---------------------------------------------------------------- value generators


def gen_rrn():
    r = rng.random()
    if r < 0.10:  # born after 2020-10: random tail, no check digit
        y = rng.randint(2021, 2023)
        m, d = rng.randint(1, 12), rng.randint(1, 28)
        g = rng.choice("34")
        twelve = "%02d%02d%02d%s" % (y % 100, m, d, g) + digits(5)
        num = twelve + digits(1)
    else:
        while True:
            y = rng.randint(1940, 2019)
            m, d = rng.randint(1, 12), rng.randint(1, 31)
            if valid_date(y, m, d):
                break
        if y < 2000:
            g = rng.choice("12" if rng.random() < 0.9 else "56")
        else:
            g = rng.choice("34" if rng.random() < 0.9 else "78")
        twelve = "%02d%02d%02d%s" % (y % 100, m, d, g) + digits(5)
        num = twelve + rrn_check(twelve)
    if rng.random() < 0.75:
        return num[:6] + "-" + num[6:]
    return num


FIRST = ["kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon", "jang", "lim", "han", "oh",
         "seo", "shin", "kwon", "hwang", "ahn", "song", "jeon", "hong", "john", "jane", "alex",
         "maria", "david", "sarah", "minsu", "jiyeon", "seojun", "haeun"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "example.co.kr",
           "corp.example.org", "예시.한국"]


def gen_email():
    a, b = rng.choice(FIRST), rng.choice(FIRST)
    local = rng.choice([a, a + "." + b, a + "_" + b, a + str(rng.randint(1, 99)), a + "+news",
                        a[0] + "." + b + str(rng.randint(70, 99)), a.upper() + "." + b])
    return local + "@" + rng.choice(DOMAINS)


def gen_phone():
    r = rng.randrange(9)
    sep = rng.choice(["-", "-", "-", " ", "."])
    if r == 0:
        return "010" + sep + digits(4) + sep + digits(4)
    if r == 1:
        return "010" + digits(8)
    if r == 2:
        return rng.choice(["011", "016", "017", "018", "019"]) + sep + digits(3, True) + sep + digits(4)
    if r == 3:
        return rng.choice(["02-", "(02) ", "02 "]) + digits(rng.choice([3, 4]), True) + "-" + digits(4)
    if r == 4:
        area = rng.choice(["031", "032", "033", "041", "042", "043", "044", "051", "052", "053",
                           "054", "055", "061", "062", "063", "064"])
        return rng.choice([area + "-", "(" + area + ") "]) + digits(3, True) + "-" + digits(4)
    if r == 5:
        return "070-" + digits(4) + "-" + digits(4)
    if r == 6:
        head = rng.choice(["1588", "1577", "1544", "1566", "1600", "1644", "1661", "1688", "1800",
                           "1833", "1899"])
        tail = digits(4)
        while int(head) < int(tail) <= 2099:
            tail = digits(4)
        return head + "-" + tail
    if r == 7:
        return rng.choice(["+82-10-", "+82 10 ", "+82 (0)10 ", "+8210-"]) + digits(4) + \
            rng.choice(["-", " "]) + digits(4)
    return rng.choice(["+1 415 555 ", "+1-212-555-", "+44 20 7946 ", "+81 3 5555 ",
                       "+49 30 5555 "]) + digits(4)


IINS = [("4", 16), ("4", 16), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("2720", 16),
        ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("3530", 16), ("3566", 16),
        ("36", 14), ("62", 16), ("4", 13)]


def gen_card():
    prefix, n = rng.choice(IINS)
    body = prefix + digits(n - 1 - len(prefix))
    num = body + luhn_digit(body)
    if n == 15:
        sep = rng.choice([" ", "-", ""])
        return num[:4] + sep + num[4:10] + sep + num[10:] if sep else num
    if n == 16:
        sep = rng.choice([" ", "-", "", "-"])
        return sep.join(num[i:i + 4] for i in range(0, 16, 4))
    return num


def gen_ip():
    r = rng.randrange(8)
    if r == 0:
        return "192.168.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254))
    if r == 1:
        return "10.%d.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
    if r == 2:
        return "172.%d.%d.%d" % (rng.randint(16, 31), rng.randint(0, 255), rng.randint(1, 254))
    if r == 3:
        return rng.choice(["192.0.2.", "198.51.100.", "203.0.113."]) + str(rng.randint(1, 254))
    if r == 4:
        return "2001:db8::" + "%x" % rng.randint(1, 0xffff)
    if r == 5:
        return "2001:db8:%x:%x::%x" % (rng.randint(1, 0xffff), rng.randint(0, 0xffff),
                                       rng.randint(1, 0xffff))
    if r == 6:
        return "fe80::%x:%x:%x:%x" % tuple(rng.randint(1, 0xffff) for _ in range(4))
    return "2001:0db8:" + ":".join("%04x" % rng.randint(0, 0xffff) for _ in range(6))


PATHS = ["", "/", "/login", "/docs/guide", "/products/12345", "/search?q=test&page=2",
         "/a/b/c.html", "/users/profile#settings", "/index.php?id=42"]


def gen_url():
    host = rng.choice(["example.com", "www.example.com", "example.org", "shop.example.net",
                       "blog.example.co.kr", "예시.한국", "api.example.com:8443"])
    scheme = rng.choice(["https://", "https://", "http://", "ftp://"])
    if rng.random() < 0.2:
        return "www.example." + rng.choice(["com", "org", "net"]) + rng.choice(PATHS)
    return scheme + host + rng.choice(PATHS)


def gen_bank():
    shape = rng.choice(["6-2-6", "3-3-6", "4-3-6", "3-6-5", "3-4-4-2", "3-6-2-3", "3-2-6",
                        "12", "14"])
    if shape in ("12", "14"):
        return "1" + digits(int(shape) - 1)
    parts = [digits(int(k)) for k in shape.split("-")]
    parts[0] = rng.choice("123456789") + parts[0][1:]
    return "-".join(parts)


def gen_passport():
    letter = rng.choice("MSROD")
    if rng.random() < 0.5:
        return letter + digits(8)
    return letter + digits(3) + rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + digits(4)


REGIONS = ["서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
           "대구", "인천", "광주", "대전", "울산"]


def gen_license():
    if rng.random() < 0.25:
        return rng.choice(REGIONS) + rng.choice([" ", ""]) + digits(2) + "-" + digits(6) + "-" + digits(2)
    code = rng.choice(list(range(11, 27)) + [28])
    return "%02d-%s-%s-%s" % (code, digits(2), digits(6), digits(2))


# ---------------------------------------------------------------- positive templates

TEMPLATES = {
    "rrn": [("ko", "주민등록번호: {} 를 확인했습니다."), ("ko", "신청인 홍길동 ({}) 의 서류"),
            ("ko", "주민번호 {} 로 본인 인증을 진행합니다."), ("en", "Resident registration number {} on file."),
            ("en", "RRN: {}"), ("ko", "생년월일 및 주민등록번호 {}, 주소 서울시")],
    "email": [("ko", "문의는 {} 로 보내주세요."), ("ko", "담당자 이메일: {}"),
              ("en", "Contact us at {} for details."), ("en", "From: Kim <{}>"),
              ("ko", "회신 주소({})를 확인해 주세요."), ("en", "email={}; role=admin")],
    "phone": [("ko", "연락처 {} 로 전화 주세요."), ("ko", "고객센터: {}"), ("ko", "휴대폰({})으로 인증번호 발송"),
              ("en", "Call me at {} tomorrow."), ("en", "Phone: {}"), ("ko", "팩스 {}, 평일 9시-18시")],
    "credit_card": [("ko", "카드번호 {} 로 결제되었습니다."), ("en", "Card number: {}"),
                    ("ko", "결제 카드({}) 승인 완료"), ("en", "Charge {} for the order.")],
    "ip": [("ko", "서버 주소 {} 에서 접속 시도가 있었습니다."), ("en", "Login from {} at 09:12."),
           ("en", "host={} port=22"), ("ko", "접속 IP: {}"), ("en", "Blocked address {}.")],
    "url": [("ko", "자세한 내용은 {} 를 참고하세요."), ("en", "See {} for the guide."),
            ("ko", "링크: {}"), ("en", "(docs: {})"), ("ko", "{}에서 신청할 수 있습니다.")],
    "bank_account": [("ko", "입금 계좌: 국민은행 {} (예금주 홍길동)"), ("ko", "신한은행 {} 으로 송금 부탁드립니다."),
                     ("ko", "환불 계좌번호 {} (우리은행)"), ("ko", "농협 {} 예금주 김철수"),
                     ("en", "Please wire to account {} at Example Bank."), ("en", "Bank account no. {}"),
                     ("ko", "하나은행 계좌 {} 로 이체")],
    "passport": [("ko", "여권번호 {} 확인 완료"), ("ko", "여권 번호: {}"), ("en", "Passport No. {}"),
                 ("en", "passport number {} expires 2030-05-01"), ("ko", "여권({}) 사본 첨부")],
    "driver_license": [("ko", "운전면허번호 {} 로 본인 확인"), ("ko", "운전면허증 번호: {}"),
                       ("en", "Driver license: {}"), ("en", "driving licence no {}"),
                       ("ko", "면허번호 {} 확인")],
}

GEN = {"rrn": gen_rrn, "email": gen_email, "phone": gen_phone, "credit_card": gen_card,
       "ip": gen_ip, "url": gen_url, "bank_account": gen_bank, "passport": gen_passport,
       "driver_license": gen_license}

for kind in GEN:
    for i in range(40):
        lang, tpl = rng.choice(TEMPLATES[kind])
        emit("pos-%s-%03d" % (kind, i), lang, fill(tpl, GEN[kind](), kind))

# Mixed records: several kinds in one text, adjacent values, Korean glued around them.
for i in range(30):
    d = Doc()
    d.add("고객 정보 - 이름: 홍길동, 전화 ").add(gen_phone().replace("(02) ", "02-"), "phone")
    d.add(", 메일 ").add(gen_email(), "email").add(", 카드 ").add(gen_card(), "credit_card")
    d.add("; 접속 IP ").add(gen_ip(), "ip").add("\n")
    if i % 2 == 0:
        d.add("입금: 신한은행 ").add(gen_bank(), "bank_account").add(" / 여권번호 ")
        d.add(gen_passport(), "passport").add(" / 운전면허 ").add(gen_license(), "driver_license")
    else:
        d.add("Contact ").add(gen_email(), "email").add(",").add(gen_email(), "email")
        d.add(" or visit ").add(gen_url(), "url").add(". RRN ").add(gen_rrn(), "rrn").add(".")
    emit("mix-%03d" % i, "ko", d, "several kinds, adjacent")

# ---------------------------------------------------------------- hard negatives


def neg_date():
    y, m, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(["%d-%02d-%02d" % (y, m, d), "%d.%02d.%02d" % (y, m, d), "%d/%02d/%02d" % (y, m, d),
                       "%d년 %d월 %d일" % (y, m, d), "%04d%02d%02d" % (y, m, d),
                       "%d-%02d-%02dT%02d:%02d:%02dZ" % (y, m, d, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))])


def neg_time():
    return rng.choice(["%02d:%02d" % (rng.randint(0, 23), rng.randint(0, 59)),
                       "%02d:%02d:%02d" % (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
                       "오후 %d시 %d분" % (rng.randint(1, 12), rng.randint(0, 59))])


def neg_version():
    v = ".".join(str(rng.randint(0, 20)) for _ in range(rng.choice([3, 4])))
    return rng.choice(["version " + v, "v" + v, "버전 " + v, "build " + v, "release " + v,
                       "업데이트 " + v, "Chrome 120.0.%d.%d" % (rng.randint(1000, 9999), rng.randint(1, 300)),
                       "firmware " + v, "패치 " + v])


def neg_price():
    return rng.choice(["₩%s" % format(rng.randint(1000, 99999999), ","),
                       "%s원" % format(rng.randint(1000, 99999999), ","),
                       "$%s.%02d" % (format(rng.randint(1, 999999), ","), rng.randint(0, 99)),
                       "%d-%d원" % (rng.choice([1000, 1500, 2000]), rng.choice([3000, 5000])),
                       "%d,%03d,%03d KRW" % (rng.randint(1, 999), rng.randint(0, 999), rng.randint(0, 999))])


def neg_order():
    n = rng.choice([digits(16, True), digits(12, True), "%s-%s-%s" % (digits(3, True), digits(3), digits(6)),
                    "%s-%s" % (digits(8, True), digits(6)), digits(14, True)])
    if len(n) == 16 and luhn_ok(n):
        n = n[:-1] + str((int(n[-1]) + 1) % 10)
    return rng.choice(["주문번호 ", "Order #", "order no. ", "운송장번호 ", "tracking number ",
                       "예약번호 ", "접수번호 "]) + n


def neg_isbn():
    return rng.choice(["ISBN 978-89-%s-%s-%s" % (digits(4), digits(3), digits(1)),
                       "ISBN 979-11-%s-%s-%s" % (digits(4), digits(3), digits(1)),
                       "ISBN " + "978" + digits(10), "ISBN-10 89-%s-%s-%s" % (digits(4), digits(3), digits(1))])


def neg_uuid():
    h = lambda n: "".join(rng.choice("0123456789abcdef") for _ in range(n))
    return rng.choice(["%s-%s-4%s-a%s-%s" % (h(8), h(4), h(3), h(3), h(12)),
                       "sha256:" + h(64), "commit " + h(40), "md5 " + h(32)])


def neg_oid():
    return rng.choice(["OID 1.3.6.1.4.1.%d" % rng.randint(1, 99999),
                       "1.2.840.113549.1.1.%d" % rng.randint(1, 14), "2.5.4.%d" % rng.randint(1, 50),
                       "oid=1.3.6.1.2.1.%d.%d" % (rng.randint(1, 99), rng.randint(1, 99))])


def neg_luhn_invalid():
    while True:
        prefix = rng.choice(["4", "51", "53", "37", "6011", "35"])
        num = prefix + digits(16 - len(prefix))
        if not luhn_ok(num):
            break
    sep = rng.choice([" ", "-", ""])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def neg_bad_rrn():
    while True:
        yy, mm, dd = rng.randint(0, 99), rng.choice([0, 13, 14, 20, 2, 4, 6]), rng.choice([0, 30, 31, 32, 45])
        if not valid_date(1900 + yy, mm, dd) and not valid_date(2000 + yy, mm, dd):
            break
    num = "%02d%02d%02d-%s%s" % (yy, mm, dd, rng.choice("1234"), digits(6))
    return rng.choice(["번호 ", "ID ", "코드 "]) + num


def neg_bizreg():
    return rng.choice(["사업자등록번호 ", "사업자번호: ", "Business reg. no. "]) + \
        "%s-%s-%s" % (digits(3, True), digits(2), digits(5))


def neg_corp():
    y, m, d = rng.randint(10, 99), rng.randint(1, 12), rng.randint(1, 28)
    return "법인등록번호 %02d%02d%02d-%s" % (y, m, d, rng.choice("12") + digits(6))


def neg_bank_shape_no_context():
    return rng.choice(["참조 ", "코드 ", "No. ", "ref ", "관리번호 "]) + \
        "%s-%s-%s" % (digits(3, True), digits(3), digits(6))


def neg_passport_shape():
    return rng.choice(["모델명 ", "model ", "부품번호 ", "SKU ", "제품코드 "]) + \
        rng.choice("MSROD") + digits(8)


def neg_license_shape():
    return rng.choice(["주문번호 ", "serial ", "시리얼 ", "문서번호 "]) + \
        "%d-%s-%s-%s" % (rng.randint(11, 26), digits(2), digits(6), digits(2))


def neg_ranges():
    a = rng.randint(1500, 1990)
    return rng.choice(["%d-%d년" % (a, a + rng.randint(5, 30)), "%d-%d 시기" % (a, a + rng.randint(1, 9)),
                       "%d–%d" % (a, a + 10)])


def neg_misc():
    return rng.choice(["icon@2x.png", "@kimminsu 님", "admin@localhost", "example.com",
                       "std::vector<int>::iterator", "MAC 00:1A:2B:%02X:%02X:%02X" % (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)),
                       "좌표 37.%d, 126.%d" % (rng.randint(1000, 9999), rng.randint(1000, 9999)),
                       "우편번호 %05d" % rng.randint(1000, 63999), "pi = 3.14159265",
                       "%d.%d%%" % (rng.randint(0, 99), rng.randint(0, 9)), "report_v1.2.3.pdf",
                       "300.%d.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)),
                       "timestamp %d" % rng.randint(1600000000, 1800000000),
                       "전화 %s-%s" % (digits(3), digits(4)), "내선 %d" % rng.randint(100, 9999)])


NEG_TEMPLATES = [("ko", "기록: {} 기준으로 처리했습니다."), ("en", "Note: {} as requested."),
                 ("ko", "참고로 {} 입니다."), ("en", "{}"), ("ko", "({}) 확인 바랍니다.")]
NEGATIVES = {"date": neg_date, "time": neg_time, "version": neg_version, "price": neg_price,
             "order": neg_order, "isbn": neg_isbn, "uuid_hash": neg_uuid, "oid": neg_oid,
             "luhn_invalid": neg_luhn_invalid, "bad_rrn_date": neg_bad_rrn, "bizreg": neg_bizreg,
             "corporate_no": neg_corp, "bank_shape_no_context": neg_bank_shape_no_context,
             "passport_shape": neg_passport_shape, "license_shape": neg_license_shape,
             "year_range": neg_ranges, "misc": neg_misc}

for name, fn in NEGATIVES.items():
    for i in range(20):
        lang, tpl = rng.choice(NEG_TEMPLATES)
        emit("neg-%s-%03d" % (name, i), lang, Doc().add(tpl.replace("{}", fn())), name)

for r in records:
    sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
