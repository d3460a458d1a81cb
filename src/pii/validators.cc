// Validators for PII candidates. Each rule is written for the common case of a short candidate
// (at most a few dozen bytes), so simple loops beat anything clever. The context search lower-cases
// a copy of at most before + after bytes and runs string_view::find per word: a few dozen words
// over ~100 bytes, and it runs only for the three context-gated kinds (and a few IP candidates).
#include "pii/validators.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace scriptgen::pii::validate {

std::string DigitsOf(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsDigit(c)) out.push_back(c);
  }
  return out;
}

bool NumericBoundaryOk(std::string_view text, size_t start, size_t end) {
  if (start > 0) {
    char prev = text[start - 1];
    if (IsAsciiAlnum(prev)) return false;
    if ((prev == '.' || prev == '-') && start > 1 && IsDigit(text[start - 2])) return false;
  }
  if (end < text.size()) {
    char next = text[end];
    if (IsAsciiAlnum(next)) return false;
    if ((next == '.' || next == '-') && end + 1 < text.size() && IsDigit(text[end + 1])) {
      return false;
    }
  }
  return true;
}

bool IsValidDate(int year, int month, int day) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  int limit = kDays[month - 1];
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && leap) limit = 29;
  return day <= limit;
}

RrnCheck CheckRrn(std::string_view d) {
  RrnCheck r;
  if (d.size() != 13) return r;
  auto num = [&](size_t i) { return (d[i] - '0') * 10 + (d[i + 1] - '0'); };
  int yy = num(0), mm = num(2), dd = num(4);
  int g = d[6] - '0';
  int century = 1900;
  switch (g) {
    case 1:
    case 2:
    case 5:
    case 6:
      century = 1900;
      break;
    case 3:
    case 4:
    case 7:
    case 8:
      century = 2000;
      break;
    default:
      century = 1800;
      r.rare_century = true;
      break;
  }
  int year = century + yy;
  if (!IsValidDate(year, mm, dd)) return r;
  r.shape_ok = true;
  r.recent = year > 2020 || (year == 2020 && mm >= 10);
  static constexpr std::array<int, 12> kWeights = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (size_t i = 0; i < 12; ++i) sum += (d[i] - '0') * kWeights[i];
  int check = (11 - sum % 11) % 10;
  r.checksum_ok = check == d[12] - '0';
  return r;
}

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool doubled = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int v = digits[i] - '0';
    if (doubled) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

bool KnownCardIin(std::string_view d) {
  size_t n = d.size();
  if (n < 13 || n > 19) return false;
  auto prefix = [&](size_t len) {
    int v = 0;
    for (size_t i = 0; i < len; ++i) v = v * 10 + (d[i] - '0');
    return v;
  };
  int p1 = prefix(1), p2 = prefix(2), p3 = prefix(3), p4 = prefix(4), p6 = prefix(6);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                         // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                  // American Express
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)) {
    return n >= 16;  // Discover
  }
  if (p4 >= 3528 && p4 <= 3589) return n >= 16;                        // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) {  // Diners Club
    return n >= 14;
  }
  if (p2 == 62) return n >= 16;                            // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return n >= 13;  // Maestro
  return false;
}

bool IsValidIpv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t begin = i;
    int value = 0;
    while (i < s.size() && IsDigit(s[i]) && i - begin < 4) value = value * 10 + (s[i++] - '0');
    size_t len = i - begin;
    if (len == 0 || len > 3 || value > 255) return false;
    if (len > 1 && s[begin] == '0') return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

bool IsValidIpv6(std::string_view s) {
  // An embedded IPv4 tail counts as two groups.
  int groups = 0;
  bool compressed = false;
  bool has_digit = false;
  size_t i = 0;
  if (s.starts_with("::")) {
    compressed = true;
    i = 2;
    if (i == s.size()) return false;  // a bare "::" is never worth reporting
  } else if (s.starts_with(":")) {
    return false;
  }
  while (i < s.size()) {
    size_t begin = i;
    while (i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i])) && i - begin <= 4) {
      if (IsDigit(s[i])) has_digit = true;
      ++i;
    }
    size_t len = i - begin;
    if (i < s.size() && s[i] == '.') {
      // Embedded IPv4: the rest of the string from this group's start.
      if (!IsValidIpv4(s.substr(begin))) return false;
      groups += 2;
      has_digit = true;
      i = s.size();
      break;
    }
    if (len == 0 || len > 4) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i == s.size()) break;  // trailing "::"
    } else if (i == s.size()) {
      return false;  // trailing single ':'
    }
  }
  // Hex-only words like "dead::beef" or "add::face" are far more often code than addresses.
  if (!has_digit) return false;
  return compressed ? groups <= 7 : groups == 8;
}

namespace {

// End of the last occurrence of any word in hay, or npos. Forward find() (memchr on the first
// byte, then compare) repeated per word: string_view::rfind is a naive quadratic loop in
// libstdc++ and dominated scan time when it was used here.
size_t LastOf(std::string_view hay, std::span<const std::string_view> words) {
  size_t best = std::string_view::npos;
  for (std::string_view w : words) {
    for (size_t p = hay.find(w); p != std::string_view::npos; p = hay.find(w, p + 1)) {
      if (best == std::string_view::npos || p + w.size() > best) best = p + w.size();
    }
  }
  return best;
}

bool AnyOf(std::string_view hay, std::span<const std::string_view> words) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return hay.find(w) != std::string_view::npos; });
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

}  // namespace

Context ContextVerdict(std::string_view text, size_t start, size_t end,
                       std::span<const std::string_view> positive,
                       std::span<const std::string_view> negative, size_t before, size_t after) {
  size_t from = start > before ? start - before : 0;
  std::string pre = LowerAscii(text.substr(from, start - from));
  size_t pos = LastOf(pre, positive);
  size_t neg = LastOf(pre, negative);
  if (neg != std::string_view::npos && (pos == std::string_view::npos || neg > pos)) {
    return Context::kNegative;
  }
  if (pos != std::string_view::npos) return Context::kPositive;
  std::string post = LowerAscii(text.substr(end, std::min(after, text.size() - end)));
  if (AnyOf(post, negative)) return Context::kNegative;
  if (AnyOf(post, positive)) return Context::kPositiveAfter;
  return Context::kNone;
}

}  // namespace scriptgen::pii::validate
