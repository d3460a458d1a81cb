// Secret scanning on the same engine as PII detection (CandidateScanner: one combined DFA pass,
// anchored re-checks at candidate positions), with validators that trade a little recall for
// precision where a shape alone is weak:
//  * Prefix-anchored tokens (AKIA..., ghp_..., xoxb-..., sk_live_...) need only token boundaries.
//  * Assignment-style secrets match the name as context but report just the value (capture
//    group), so the key name stays readable after redaction. A generic value must look random:
//    at least 3 bits of entropy per character, two character classes, and not a placeholder
//    ("${DB_PASSWORD}", "<your-key>", "changeme"). When a generic value is itself a known token
//    (api_key=sk-...), it is reported under the specific kind.
//  * A PEM block is matched by its BEGIN line and extended in code to its END line, because a
//    regex "anything up to END" would cross into unrelated text when END is missing.
// Unlike PiiDetector this scan resumes one byte after a rejected candidate (no skipping of
// alphanumeric runs): names like MYSQL_PASSWORD= or stripeApiKey= sit inside identifiers. The
// cost is irrelevant at secret densities.
#include "pii/secret_scanner.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "pii/candidate_scanner.h"
#include "pii/validators.h"

namespace scriptgen::pii {
namespace {

using internal::ByteSet;
using internal::MatchSpan;
using validate::IsAsciiAlnum;

bool IsTokenChar(char c) {
  return IsAsciiAlnum(c) || c == '_' || c == '-';
}

bool TokenBoundaryOk(std::string_view text, size_t s, size_t e) {
  if (s > 0 && IsTokenChar(text[s - 1])) return false;
  if (e < text.size() && IsTokenChar(text[e])) return false;
  return true;
}

struct Span {
  size_t start;
  size_t end;
};

using Validator = std::optional<Span> (*)(std::string_view text, MatchSpan whole, MatchSpan value);

std::optional<Span> ValidatePrivateKey(std::string_view text, MatchSpan whole, MatchSpan) {
  constexpr size_t kMaxBlock = 64 * 1024;
  std::string_view rest = text.substr(whole.end, kMaxBlock);
  size_t end_marker = rest.find("-----END ");
  if (end_marker != std::string_view::npos) {
    size_t close = rest.find("-----", end_marker + 9);
    if (close != std::string_view::npos && close - end_marker < 64) {
      return Span{whole.start, whole.end + close + 5};
    }
  }
  // Truncated block: extend over the base64 lines (and PEM headers) that follow.
  size_t i = 0;
  size_t last = 0;
  while (i < rest.size()) {
    size_t j = i;
    while (j < rest.size() && (rest[j] == '\r' || rest[j] == '\n' ||
                               (rest[j] == '\\' && j + 1 < rest.size() && rest[j + 1] == 'n'))) {
      j += rest[j] == '\\' ? 2 : 1;
    }
    size_t k = j;
    while (k < rest.size() && (IsAsciiAlnum(rest[k]) || rest[k] == '+' || rest[k] == '/' ||
                               rest[k] == '=' || rest[k] == ':' || rest[k] == ',' ||
                               rest[k] == '-' || (rest[k] == ' ' && k > j && rest[k - 1] == ':'))) {
      ++k;
    }
    if (k - j < 16) break;
    last = k;
    i = k;
  }
  return Span{whole.start, whole.end + last};
}

std::optional<Span> ValidateToken(std::string_view text, MatchSpan whole, MatchSpan) {
  if (!TokenBoundaryOk(text, whole.start, whole.end)) return std::nullopt;
  return Span{whole.start, whole.end};
}

std::optional<Span> ValidateAwsSecret(std::string_view text, MatchSpan, MatchSpan value) {
  if (value.end < text.size()) {
    char next = text[value.end];
    if (IsAsciiAlnum(next) || next == '/' || next == '+') return std::nullopt;
  }
  return Span{value.start, value.end};
}

std::optional<Span> ValidateValue(std::string_view, MatchSpan, MatchSpan value) {
  return Span{value.start, value.end};
}

bool MixedClasses(std::string_view v, int needed) {
  bool lower = false, upper = false, digit = false, other = false;
  for (char c : v) {
    if (c >= 'a' && c <= 'z')
      lower = true;
    else if (c >= 'A' && c <= 'Z')
      upper = true;
    else if (c >= '0' && c <= '9')
      digit = true;
    else
      other = true;
  }
  return lower + upper + digit + other >= needed;
}

std::optional<Span> ValidateOpenAi(std::string_view text, MatchSpan whole, MatchSpan) {
  if (!TokenBoundaryOk(text, whole.start, whole.end)) return std::nullopt;
  std::string_view v = text.substr(whole.start, whole.end - whole.start);
  if (!MixedClasses(v.substr(3), 3) || ShannonEntropy(v) < 3.5) return std::nullopt;
  return Span{whole.start, whole.end};
}

std::optional<std::string> Base64UrlDecode(std::string_view s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::optional<Span> ValidateJwt(std::string_view text, MatchSpan whole, MatchSpan) {
  if (!TokenBoundaryOk(text, whole.start, whole.end)) return std::nullopt;
  std::string_view v = text.substr(whole.start, whole.end - whole.start);
  std::optional<std::string> header = Base64UrlDecode(v.substr(0, v.find('.')));
  if (!header || header->find("\"alg\"") == std::string::npos) return std::nullopt;
  return Span{whole.start, whole.end};
}

std::optional<Span> ValidateGeneric(std::string_view text, MatchSpan, MatchSpan value) {
  std::string_view v = text.substr(value.start, value.end - value.start);
  static constexpr std::string_view kPlaceholders[] = {
      "${",       "{{",         "<",           "%(",      "xxxx",        "****",
      "changeme", "change_me",  "your",        "example", "placeholder", "redacted",
      "dummy",    "password",   "secret",      "none",    "null",        "true",
      "false",    "os.environ", "process.env", "getenv",  "env("};
  std::string lower(v);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view p : kPlaceholders) {
    if (lower.find(p) != std::string::npos) return std::nullopt;
  }
  if (ShannonEntropy(v) < 3.0 || !MixedClasses(v, 2)) return std::nullopt;
  return Span{value.start, value.end};
}

struct Rule {
  SecretKind kind;
  const char* pattern;
  const char* first_bytes;
  Validator validate;
};

const Rule kRules[] = {
    {SecretKind::kPrivateKey, R"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)", "-",
     ValidatePrivateKey},
    {SecretKind::kAwsAccessKey, R"((?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA)[A-Z0-9]{16})",
     "A", ValidateToken},
    {SecretKind::kAwsSecretKey,
     R"((?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?\s*(?::|=>?)\s*["']?)"
     R"(([A-Za-z0-9/+]{40}))",
     "aAsS", ValidateAwsSecret},
    {SecretKind::kGcpServiceAccount, R"re("private_key"\s*:\s*"(-----BEGIN[^"]*)")re", "\"",
     ValidateValue},
    {SecretKind::kGithubToken, R"(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
     "g", ValidateToken},
    {SecretKind::kSlackToken, R"(xox[bpars]-[A-Za-z0-9-]{10,250})", "x", ValidateToken},
    {SecretKind::kOpenAiKey, R"(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250})", "s",
     ValidateOpenAi},
    {SecretKind::kStripeKey, R"((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247})", "sr", ValidateToken},
    {SecretKind::kJwt, R"(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,})", "e",
     ValidateJwt},
    {SecretKind::kGenericSecret,
     R"((?i:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|)"
     R"(client[_-]?secret|private[_-]?key|token)["']?\s*(?::|=>?)\s*["']?)"
     R"(([^\s"'`,;<>]{8,200}))",
     "pPsSaAcCtT", ValidateGeneric},
};
constexpr size_t kRuleCount = std::size(kRules);
constexpr size_t kGenericRule = kRuleCount - 1;

}  // namespace

std::string_view SecretKindName(SecretKind kind) {
  switch (kind) {
    case SecretKind::kPrivateKey:
      return "private_key";
    case SecretKind::kAwsAccessKey:
      return "aws_access_key";
    case SecretKind::kAwsSecretKey:
      return "aws_secret_key";
    case SecretKind::kGcpServiceAccount:
      return "gcp_service_account";
    case SecretKind::kGithubToken:
      return "github_token";
    case SecretKind::kSlackToken:
      return "slack_token";
    case SecretKind::kOpenAiKey:
      return "openai_key";
    case SecretKind::kStripeKey:
      return "stripe_key";
    case SecretKind::kJwt:
      return "jwt";
    case SecretKind::kGenericSecret:
      return "generic_secret";
  }
  return "unknown";
}

double ShannonEntropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<int, 256> freq{};
  for (char c : s) ++freq[static_cast<unsigned char>(c)];
  double h = 0;
  double n = static_cast<double>(s.size());
  for (int f : freq) {
    if (f == 0) continue;
    double p = f / n;
    h -= p * std::log2(p);
  }
  return h;
}

uint64_t SecretRedaction::total() const {
  uint64_t sum = 0;
  for (uint64_t c : counts) sum += c;
  return sum;
}

SecretScanner::SecretScanner() {
  std::vector<internal::RuleSpec> specs;
  for (const Rule& rule : kRules) specs.push_back({rule.pattern, ByteSet(rule.first_bytes)});
  scanner_ = std::make_unique<internal::CandidateScanner>(specs);
}

SecretScanner::~SecretScanner() = default;

const SecretScanner& SecretScanner::Default() {
  static const SecretScanner* scanner = new SecretScanner();
  return *scanner;
}

std::vector<SecretFinding> SecretScanner::Scan(std::string_view text) const {
  std::vector<SecretFinding> findings;
  size_t pos = 0;
  auto try_rule = [&](size_t r, size_t at) -> std::optional<SecretFinding> {
    if (!scanner_->MayStartWith(r, static_cast<unsigned char>(text[at]))) return std::nullopt;
    MatchSpan whole, value;
    if (!scanner_->MatchAt(r, text, at, &whole, &value)) return std::nullopt;
    std::optional<Span> span = kRules[r].validate(text, whole, value);
    if (!span || span->end <= span->start) return std::nullopt;
    return SecretFinding{kRules[r].kind, span->start, span->end};
  };
  while (pos < text.size()) {
    size_t p = scanner_->NextCandidate(text, pos);
    if (p == std::string_view::npos) break;
    std::optional<SecretFinding> best;
    for (size_t r = 0; r < kRuleCount; ++r) {
      std::optional<SecretFinding> f = try_rule(r, p);
      if (!f) continue;
      if (r == kGenericRule) {
        // A generic value that is a known token is reported as that token.
        for (size_t s = 0; s < kGenericRule; ++s) {
          if (std::optional<SecretFinding> specific = try_rule(s, f->start)) {
            f = specific;
            break;
          }
        }
      }
      if (!best || f->end - f->start > best->end - best->start) best = f;
    }
    if (best) {
      findings.push_back(*best);
      pos = best->end;
    } else {
      pos = p + 1;
    }
  }
  return findings;
}

SecretRedaction SecretScanner::Redact(std::string_view text) const {
  SecretRedaction result;
  result.text.reserve(text.size());
  size_t copied = 0;
  for (const SecretFinding& f : Scan(text)) {
    result.text.append(text.substr(copied, f.start - copied));
    result.text.append("<SECRET:");
    result.text.append(SecretKindName(f.kind));
    result.text.push_back('>');
    ++result.counts[static_cast<size_t>(f.kind)];
    copied = f.end;
  }
  result.text.append(text.substr(copied));
  return result;
}

StatusOr<SecretPolicy> ParseSecretPolicy(std::string_view name) {
  if (name == "redact") return SecretPolicy::kRedact;
  if (name == "refuse") return SecretPolicy::kRefuse;
  return InvalidArgument("unknown secret policy '" + std::string(name) +
                         "' (known: redact, refuse)");
}

StatusOr<SecretRedaction> ApplySecretPolicy(std::string_view text, SecretPolicy policy,
                                            const SecretScanner& scanner) {
  SecretRedaction r = scanner.Redact(text);
  if (policy == SecretPolicy::kRefuse && r.total() > 0) {
    std::string detail;
    for (size_t k = 0; k < kSecretKindCount; ++k) {
      if (r.counts[k] == 0) continue;
      if (!detail.empty()) detail += ", ";
      detail += std::string(SecretKindName(static_cast<SecretKind>(k))) + "=" +
                std::to_string(r.counts[k]);
    }
    return InvalidArgument("content contains secrets (" + detail + "); refused by policy");
  }
  return r;
}

}  // namespace scriptgen::pii
