// PII detection: one combined RE2 scan for candidates, then per-kind validators.
//
// Design. Each rule below pairs a candidate pattern (deliberately loose: it finds shapes) with a
// validator (strict: it decides). The CandidateScanner runs all patterns as one DFA over the text
// and stops at the leftmost position where any pattern matches; every rule that can start with
// that byte is re-matched anchored there (longest match), validated, and the most confident
// survivor becomes a finding. The scan resumes after the finding, or, when every candidate at p
// was rejected, after p. Every validator rejects a candidate whose preceding byte is an ASCII
// letter or digit, so after a rejection at p the rest of an ASCII alphanumeric run cannot start a
// finding and is skipped: this keeps long digit runs (serials, hashes) linear.
//
// Trade-offs.
//  * Leftmost-then-best: a candidate that starts earlier wins over an overlapping one that starts
//    later, even when the later one is more confident. In practice overlapping shapes of
//    different kinds start at the same byte (an RRN-shaped 13-digit run is also a card-shaped
//    run), where confidence decides.
//  * Context-gated kinds (bank account, passport, driver's licence) trade recall on bare numbers
//    for precision: without a context word nearby these shapes are mostly order numbers.
//  * RRNs without hyphen are ambiguous with 13-digit barcodes (EAN-13 starts with 880 in Korea,
//    which reads as a 1988 birth date), so they need the check digit, a birth date after
//    2020-10 (whose trailing digits are random and carry no check digit), or a context word.
//    With a hyphen, a valid date and gender digit suffice; the check digit raises confidence.
//  * IPv4 dotted quads collide with version numbers: a version word just before (version, 버전,
//    build, ...) rejects the candidate, and all-single-digit quads ("1.2.3.4") need an IP word
//    (ip, 서버, host, ...).
//  * Patterns never match a newline and findings are bounded (URLs at kMaxUrlBytes), which is
//    what lets the CLI stream with a bounded look-ahead.
#include "pii/pii_detector.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "pii/candidate_scanner.h"
#include "pii/validators.h"

namespace scriptgen::pii {
namespace {

using internal::ByteSet;
using internal::MatchSpan;
using validate::Context;
using validate::ContextVerdict;
using validate::DigitsOf;
using validate::IsAsciiAlnum;
using validate::IsDigit;
using validate::NumericBoundaryOk;

using Words = std::span<const std::string_view>;

// Context words. ASCII words are lower case (the window is lower-cased before the search).
// Common Korean words that are also bank names (우리 "we", 하나 "one", 국민 "citizen", 기업
// "company") only count with 은행 attached.
constexpr std::string_view kBankWords[] = {
    "계좌",    "입금",   "송금",     "이체",       "예금주",   "은행",          "뱅크",
    "농협",    "신한",   "국민은행", "kb국민",     "우리은행", "하나은행",      "기업은행",
    "ibk",     "sc제일", "씨티",     "새마을금고", "우체국",   "수협",          "신협",
    "account", "acct",   "bank",     "a/c",        "deposit",  "wire transfer", "routing"};
constexpr std::string_view kBankNegativeWords[] = {
    "주문",     "order",    "사업자",   "송장",     "운송장",   "tracking", "invoice no",
    "인보이스", "회원번호", "고객번호", "product",  "제품",     "serial",   "시리얼",
    "모델",     "model",    "sku",      "접수번호", "예약번호", "booking",  "reservation",
    "ticket",   "티켓",     "승인번호", "approval", "부품",     "part no",  "법인"};
constexpr std::string_view kPassportWords[] = {"여권", "passport", "여행증명서", "travel document"};
constexpr std::string_view kPassportNegativeWords[] = {
    "모델", "model", "제품", "product", "부품", "part", "serial", "시리얼", "sku", "주문", "order"};
constexpr std::string_view kLicenseWords[] = {"운전면허", "면허번호", "면허증",  "운전 면허",
                                              "driver",   "driving",  "licence", "license",
                                              "dl no",    "dl#",      "d/l"};
constexpr std::string_view kLicenseNegativeWords[] = {
    "주문", "order", "serial", "시리얼", "tracking", "송장", "사업자", "제품", "product", "모델"};
constexpr std::string_view kRrnWords[] = {"주민", "rrn", "resident", "외국인등록", "생년월일"};
constexpr std::string_view kRrnNegativeWords[] = {"법인",   "corporate", "corporation", "사업자",
                                                  "바코드", "barcode",   "ean",         "isbn"};
constexpr std::string_view kIpWords[] = {"ip",      "아이피",     "주소",   "address", "addr",
                                         "host",    "호스트",     "server", "서버",    "dns",
                                         "gateway", "게이트웨이", "접속",   "ping",    "subnet"};
constexpr std::string_view kVersionWords[] = {
    "version", "ver.",     "ver ",  "버전", "build",    "빌드",   "release", "릴리스", "릴리즈",
    "update",  "업데이트", "patch", "패치", "firmware", "펌웨어", "oid",     "sdk",    "rev."};
constexpr std::string_view kNoWords[] = {""};

// A validated candidate.
struct Scored {
  size_t start;
  size_t end;
  float confidence;
};

using Validator = std::optional<Scored> (*)(std::string_view text, size_t start, size_t end);

// ---- RRN ------------------------------------------------------------------------------------

std::optional<Scored> ValidateRrn(std::string_view text, size_t s, size_t e) {
  if (!NumericBoundaryOk(text, s, e)) return std::nullopt;
  std::string digits = DigitsOf(text.substr(s, e - s));
  validate::RrnCheck check = validate::CheckRrn(digits);
  if (!check.shape_ok) return std::nullopt;
  if (check.rare_century && !check.checksum_ok) return std::nullopt;
  Context ctx = ContextVerdict(text, s, e, kRrnWords, kRrnNegativeWords, 48, 24);
  if (ctx == Context::kNegative) return std::nullopt;
  bool hyphen = text.substr(s, e - s).find('-') != std::string_view::npos;
  if (hyphen) return Scored{s, e, check.checksum_ok ? 0.99f : 0.85f};
  if (check.checksum_ok) return Scored{s, e, 0.9f};
  if (check.recent || ctx == Context::kPositive || ctx == Context::kPositiveAfter) {
    return Scored{s, e, 0.75f};
  }
  return std::nullopt;
}

// ---- e-mail ---------------------------------------------------------------------------------

bool IsLocalPartChar(char c) {
  return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

std::optional<Scored> ValidateEmail(std::string_view text, size_t s, size_t e) {
  if (s > 0 && (IsLocalPartChar(text[s - 1]) || text[s - 1] == '@')) return std::nullopt;
  if (e < text.size() && (IsAsciiAlnum(text[e]) || text[e] == '@' || text[e] == '_')) {
    return std::nullopt;
  }
  std::string_view v = text.substr(s, e - s);
  size_t at = v.find('@');
  std::string_view local = v.substr(0, at);
  std::string_view domain = v.substr(at + 1);
  if (local.empty() || local.size() > 64 || domain.size() > 253) return std::nullopt;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  size_t label_start = 0;
  while (label_start <= domain.size()) {
    size_t dot = domain.find('.', label_start);
    std::string_view label = domain.substr(
        label_start, dot == std::string_view::npos ? std::string_view::npos : dot - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return std::nullopt;
    }
    if (dot == std::string_view::npos) {
      // The TLD: image-density suffixes ("icon@2x.png") are file names, not addresses.
      static constexpr std::string_view kFileTlds[] = {"png", "jpg",  "jpeg", "gif",
                                                       "svg", "webp", "bmp",  "ico"};
      std::string tld(label);
      for (char& c : tld) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (std::string_view f : kFileTlds) {
        if (tld == f) return std::nullopt;
      }
      break;
    }
    label_start = dot + 1;
  }
  return Scored{s, e, 0.95f};
}

// ---- URL ------------------------------------------------------------------------------------

std::optional<Scored> ValidateUrl(std::string_view text, size_t s, size_t e) {
  if (s > 0) {
    char prev = text[s - 1];
    if (IsAsciiAlnum(prev) || prev == '@' || prev == '.' || prev == '/') return std::nullopt;
  }
  // Trailing sentence punctuation belongs to the prose, and so does a closing bracket that
  // has no opening partner inside the URL: "(see https://example.com/a)".
  while (e > s) {
    char c = text[e - 1];
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' ||
        c == '*') {
      --e;
      continue;
    }
    if (c == ')' || c == ']') {
      char open = c == ')' ? '(' : '[';
      std::string_view v = text.substr(s, e - s);
      if (std::count(v.begin(), v.end(), open) < std::count(v.begin(), v.end(), c)) {
        --e;
        continue;
      }
    }
    break;
  }
  e = std::min(e, s + PiiDetector::kMaxUrlBytes);
  return Scored{s, e, 0.9f};
}

// ---- phone ----------------------------------------------------------------------------------

std::optional<Scored> ValidateKoreanPhone(std::string_view text, size_t s, size_t e) {
  if (!NumericBoundaryOk(text, s, e)) return std::nullopt;
  std::string_view v = text.substr(s, e - s);
  std::string digits = DigitsOf(v);
  bool separated = digits.size() != v.size();
  if (digits.starts_with("010")) {
    if (digits.size() != 11) return std::nullopt;  // 010 numbers all have a 4-digit middle
    return Scored{s, e, 0.9f};
  }
  if (digits.starts_with("01")) return Scored{s, e, 0.85f};  // legacy 011, 016-019
  return Scored{s, e, separated ? 0.8f : 0.7f};
}

std::optional<Scored> ValidateServicePhone(std::string_view text, size_t s, size_t e) {
  if (!NumericBoundaryOk(text, s, e)) return std::nullopt;
  std::string digits = DigitsOf(text.substr(s, e - s));
  int head = std::stoi(digits.substr(0, 4));
  int tail = std::stoi(digits.substr(4, 4));
  // "1800-1900", "1500-2000원": ascending year or amount ranges, not 1588-xxxx numbers.
  if (tail > head && tail <= 2099) return std::nullopt;
  // "1500-3000원", "1600-1800명": amounts and counts carry a unit.
  std::string_view after = text.substr(e, 8);
  while (!after.empty() && after.front() == ' ') after.remove_prefix(1);
  static constexpr std::string_view kUnits[] = {"원", "년", "명",   "개",  "건",  "회",  "만",
                                                "천", "억", "달러", "won", "krw", "usd", "%"};
  for (std::string_view unit : kUnits) {
    if (after.starts_with(unit)) return std::nullopt;
  }
  return Scored{s, e, 0.7f};
}

bool ValidKoreanNationalPrefix(std::string_view n) {
  auto at = [&](size_t i) { return i < n.size() ? n[i] : '\0'; };
  switch (at(0)) {
    case '1':
      return std::string_view("016789").find(at(1)) != std::string_view::npos;
    case '2':
      return true;
    case '3':
      return at(1) >= '1' && at(1) <= '3';
    case '4':
      return at(1) >= '1' && at(1) <= '4';
    case '5':
      return at(1) >= '1' && at(1) <= '5';
    case '6':
      return at(1) >= '1' && at(1) <= '4';
    case '7':
      return at(1) == '0';
    default:
      return false;
  }
}

std::optional<Scored> ValidateIntlPhone(std::string_view text, size_t s, size_t e) {
  // "(+82-10-1234-5678)": a closing parenthesis without its opening one belongs to the prose.
  std::string_view raw = text.substr(s, e - s);
  if (raw.back() == ')' &&
      std::count(raw.begin(), raw.end(), '(') < std::count(raw.begin(), raw.end(), ')')) {
    --e;
  }
  if (s > 0 && IsAsciiAlnum(text[s - 1])) return std::nullopt;
  if (!NumericBoundaryOk(text, s, e)) return std::nullopt;
  std::string_view v = text.substr(s, e - s);
  // A parenthesised trunk prefix "(0)" is not part of the number.
  std::string cleaned(v);
  if (size_t p = cleaned.find("(0)"); p != std::string::npos) cleaned.erase(p, 3);
  std::string digits = DigitsOf(cleaned);
  if (digits.size() < 8 || digits.size() > 15) return std::nullopt;
  if (digits.starts_with("82")) {
    std::string national = digits.substr(2);
    if (national.starts_with("0")) national.erase(0, 1);
    if (national.size() < 8 || national.size() > 10) return std::nullopt;
    if (!ValidKoreanNationalPrefix(national)) return std::nullopt;
    return Scored{s, e, 0.9f};
  }
  return Scored{s, e, 0.8f};
}

// ---- credit card ----------------------------------------------------------------------------

std::optional<Scored> ValidateCard(std::string_view text, size_t s, size_t e) {
  if (!NumericBoundaryOk(text, s, e)) return std::nullopt;
  std::string digits = DigitsOf(text.substr(s, e - s));
  if (!validate::LuhnValid(digits) || !validate::KnownCardIin(digits)) return std::nullopt;
  return Scored{s, e, 0.95f};
}

// ---- IP -------------------------------------------------------------------------------------

std::optional<Scored> ValidateIpv4(std::string_view text, size_t s, size_t e) {
  if (s > 0 && (IsAsciiAlnum(text[s - 1]) || text[s - 1] == '.')) return std::nullopt;
  if (e < text.size()) {
    char next = text[e];
    if (IsAsciiAlnum(next)) return std::nullopt;
    if (next == '.' && e + 1 < text.size() && IsDigit(text[e + 1])) return std::nullopt;
  }
  std::string_view v = text.substr(s, e - s);
  if (!validate::IsValidIpv4(v)) return std::nullopt;
  Context ctx = ContextVerdict(text, s, e, kIpWords, kVersionWords, 32, 12);
  if (ctx == Context::kNegative) return std::nullopt;
  // Two leading one-digit octets ("1.2.3.4", "2.5.4.10") read as a version or an OID unless an
  // IP word says otherwise; "10.0.0.1" and "3.34.120.5" do not need one.
  bool version_like = v[1] == '.' && v[3] == '.';
  if (version_like && ctx == Context::kNone) return std::nullopt;
  return Scored{s, e, ctx == Context::kNone ? 0.85f : 0.9f};
}

std::optional<Scored> ValidateIpv6(std::string_view text, size_t s, size_t e) {
  // A trailing single ':' is punctuation ("fe80::1: link up").
  if (e - s >= 2 && text[e - 1] == ':' && text[e - 2] != ':') --e;
  if (s > 0) {
    char prev = text[s - 1];
    if (IsAsciiAlnum(prev) || prev == ':' || prev == '.' || prev == '_') return std::nullopt;
  }
  if (e < text.size()) {
    char next = text[e];
    if (IsAsciiAlnum(next) || next == ':' || next == '_') return std::nullopt;
  }
  if (!validate::IsValidIpv6(text.substr(s, e - s))) return std::nullopt;
  return Scored{s, e, 0.9f};
}

// ---- context-gated kinds --------------------------------------------------------------------

// A context word before the value ("계좌: ...") is the usual layout; one only after it is weaker
// evidence, so when two gated kinds compete for one number the better-placed context wins.
std::optional<Scored> GatedByContext(Context ctx, size_t s, size_t e, float confidence) {
  if (ctx == Context::kPositive) return Scored{s, e, confidence};
  if (ctx == Context::kPositiveAfter) return Scored{s, e, confidence - 0.15f};
  return std::nullopt;
}

std::optional<Scored> ValidateBankAccount(std::string_view text, size_t s, size_t e) {
  if (!NumericBoundaryOk(text, s, e)) return std::nullopt;
  std::string_view v = text.substr(s, e - s);
  std::string digits = DigitsOf(v);
  if (digits.size() < 10 || digits.size() > 14) return std::nullopt;
  // NNN-NN-NNNNN is a business registration number (사업자등록번호), never an account.
  if (v.size() == 12 && v[3] == '-' && v[6] == '-') return std::nullopt;
  return GatedByContext(ContextVerdict(text, s, e, kBankWords, kBankNegativeWords), s, e, 0.8f);
}

std::optional<Scored> ValidatePassport(std::string_view text, size_t s, size_t e) {
  if (s > 0 && IsAsciiAlnum(text[s - 1])) return std::nullopt;
  if (e < text.size() && (IsAsciiAlnum(text[e]) || text[e] == '-')) return std::nullopt;
  return GatedByContext(ContextVerdict(text, s, e, kPassportWords, kPassportNegativeWords), s, e,
                        0.85f);
}

bool ValidLicenseRegion(int code) {
  return (code >= 11 && code <= 26) || code == 28;
}

std::optional<Scored> ValidateDriverLicense(std::string_view text, size_t s, size_t e) {
  if (!NumericBoundaryOk(text, s, e)) return std::nullopt;
  std::string_view v = text.substr(s, e - s);
  if (IsDigit(v.front())) {
    if (!ValidLicenseRegion((v[0] - '0') * 10 + (v[1] - '0'))) return std::nullopt;
  }
  return GatedByContext(ContextVerdict(text, s, e, kLicenseWords, kLicenseNegativeWords), s, e,
                        0.85f);
}

// ---- rule table -----------------------------------------------------------------------------

struct Rule {
  PiiKind kind;
  const char* pattern;
  const char* first_bytes;  // ByteSet syntax
  Validator validate;
};

constexpr const char* kDigits = "0-9";

// Korean area codes: 02 Seoul, 031-033, 041-044, 051-055, 061-064, 070 internet phone.
#define SG_KR_PREFIX "0(?:1[016-9]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)"
#define SG_HOST_LABELS "(?:[A-Za-z0-9가-힣-]+\\.)+(?:[A-Za-z]{2,24}|한국)"
#define SG_URL_PATH "(?:[/?#][A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%-]*)?"

const Rule kRules[] = {
    {PiiKind::kRrn, R"(\d{6}-?\d{7})", kDigits, ValidateRrn},
    {PiiKind::kEmail, "[A-Za-z0-9._%+-]+@" SG_HOST_LABELS, "A-Za-z0-9._%+-", ValidateEmail},
    {PiiKind::kUrl,
     "(?:(?i:https?|ftp)://(?:" SG_HOST_LABELS "|\\d{1,3}(?:\\.\\d{1,3}){3}|localhost)|"
     "(?i:www)\\." SG_HOST_LABELS ")(?::\\d{1,5})?" SG_URL_PATH,
     "hHfFwW", ValidateUrl},
    {PiiKind::kPhone, "(?:\\(" SG_KR_PREFIX "\\)[ -]?|" SG_KR_PREFIX "[-. ]?)\\d{3,4}[-. ]?\\d{4}",
     "0(", ValidateKoreanPhone},
    {PiiKind::kPhone, R"(1[568]\d{2}[-. ]\d{4})", "1", ValidateServicePhone},
    {PiiKind::kPhone, R"(\+[1-9]\d{0,2}(?:[-. ]?\(0\))?(?:[-. ]?\(?\d{1,4}\)?){2,5})", "+",
     ValidateIntlPhone},
    {PiiKind::kCreditCard,
     R"(\d{13,19}|\d{4}(?:-\d{4}){2}-\d{1,7}|\d{4}(?: \d{4}){2} \d{1,7}|)"
     R"(\d{4}[- ]\d{6}[- ]\d{4,5}|\d{4}(?:-\d{4}){3}-\d{3}|\d{4}(?: \d{4}){3} \d{3})",
     kDigits, ValidateCard},
    {PiiKind::kIp, R"(\d{1,3}(?:\.\d{1,3}){3})", kDigits, ValidateIpv4},
    {PiiKind::kIp, R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3})",
     "0-9A-Fa-f:", ValidateIpv6},
    // Account layouts: 6-2-6, 3-3-6, 4-3-6, 3-6-5, 4-2-7, 3-2-6 (three groups, the last of at
    // least three digits, which keeps ISO dates out of the candidates), 3-4-4-2 and 3-6-2-3.
    {PiiKind::kBankAccount, R"(\d{2,6}-\d{2,6}-\d{3,7}|\d{3,6}-\d{2,6}-\d{2,6}-\d{2,3}|\d{10,14})",
     kDigits, ValidateBankAccount},
    {PiiKind::kPassport, R"([MSROD](?:\d{8}|\d{3}[A-Z]\d{4}))", "MSROD", ValidatePassport},
    {PiiKind::kDriverLicense,
     "(?:서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산|"
     "경기남부|경기북부|세종) ?\\d{2}-?\\d{6}-?\\d{2}|\\d{2}-\\d{2}-\\d{6}-\\d{2}|\\d{12}",
     "0-9\xEA\xEB\xEC", ValidateDriverLicense},
};

#undef SG_KR_PREFIX
#undef SG_HOST_LABELS
#undef SG_URL_PATH

}  // namespace

PiiDetector::PiiDetector(DetectorOptions options) : options_(options) {
  std::vector<internal::RuleSpec> specs;
  for (const Rule& rule : kRules) {
    // Disabled kinds keep their slot (rule indexes stay aligned) but can never match.
    bool on = options_.kinds.test(Index(rule.kind));
    specs.push_back({on ? rule.pattern : "[^\\x00-\\x{10FFFF}]",
                     on ? ByteSet(rule.first_bytes) : std::bitset<256>()});
  }
  scanner_ = std::make_unique<internal::CandidateScanner>(specs);
}

PiiDetector::~PiiDetector() = default;

const PiiDetector& PiiDetector::Default() {
  static const PiiDetector* detector = new PiiDetector();
  return *detector;
}

std::vector<PiiFinding> PiiDetector::Detect(std::string_view text, size_t scan_begin,
                                            size_t scan_end) const {
  std::vector<PiiFinding> findings;
  scan_end = std::min(scan_end, text.size());
  size_t pos = scan_begin;
  std::vector<int> rules;
  while (pos < scan_end) {
    size_t p = scanner_->NextCandidate(text, pos);
    if (p == std::string_view::npos || p >= scan_end) break;
    unsigned char first = static_cast<unsigned char>(text[p]);
    std::optional<PiiFinding> best;
    scanner_->RulesAt(text, p, &rules);
    for (int r : rules) {
      if (!scanner_->MayStartWith(r, first)) continue;
      MatchSpan whole, value;
      if (!scanner_->MatchAt(r, text, p, &whole, &value)) continue;
      std::optional<Scored> scored = kRules[r].validate(text, whole.start, whole.end);
      if (!scored || scored->end <= scored->start) continue;
      PiiFinding f{kRules[r].kind, scored->start, scored->end, scored->confidence};
      // Most confident wins; then the longer span; then the earlier rule.
      if (!best || f.confidence > best->confidence ||
          (f.confidence == best->confidence && f.end - f.start > best->end - best->start)) {
        best = f;
      }
    }
    if (best) {
      findings.push_back(*best);
      pos = best->end;
      continue;
    }
    pos = p + 1;
    if (IsAsciiAlnum(text[p])) {
      while (pos < text.size() && IsAsciiAlnum(text[pos])) ++pos;
    }
  }
  return findings;
}

}  // namespace scriptgen::pii
