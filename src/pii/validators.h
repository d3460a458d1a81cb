// Validators: the pure checks that turn a regular-expression candidate into a PII finding.
//
// Regular expressions only find shapes; these functions decide whether a shape is real: calendar
// dates and the checksum of resident registration numbers, the Luhn check and issuer ranges of
// card numbers, octet ranges of IPv4 and the group grammar of IPv6, the boundaries that keep a
// match from being a slice of a longer run, and the context words that tell a bank account from
// an order number. They are exposed (rather than hidden in pii_detector.cc) so tests can pin each
// rule down on its own. All functions are pure and thread-safe; none allocates on the hot path
// except ContextVerdict's small lower-cased window copy.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace scriptgen::pii::validate {

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool IsAsciiAlpha(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
inline bool IsAsciiAlnum(char c) {
  return IsDigit(c) || IsAsciiAlpha(c);
}

// The decimal digits of s, in order (separators dropped).
std::string DigitsOf(std::string_view s);

// True when [start, end) is not a slice of a longer number or word: the byte before start is not
// an ASCII letter or digit, nor a '.' or '-' directly preceded by a digit; symmetrically after
// end ('.' or '-' followed by a digit). Plain sentence punctuation ("... 010-1234-5678.") passes.
bool NumericBoundaryOk(std::string_view text, size_t start, size_t end);

// Proleptic Gregorian calendar check.
bool IsValidDate(int year, int month, int day);

struct RrnCheck {
  bool shape_ok = false;      // 13 digits, valid birth date for the century of the gender digit
  bool checksum_ok = false;   // the pre-October-2020 check digit matches
  bool recent = false;        // born October 2020 or later: the trailing digits are random
  bool rare_century = false;  // gender digit 9 or 0 (born in the 1800s)
};
// digits: exactly the 13 digits of the candidate.
RrnCheck CheckRrn(std::string_view digits);

// Luhn (mod 10) check over a string of digits.
bool LuhnValid(std::string_view digits);
// True when digits (13..19 of them) fall in a known issuer range with an allowed length: Visa,
// Mastercard (51-55, 2221-2720), American Express, Discover, JCB, Diners Club, UnionPay, Maestro.
bool KnownCardIin(std::string_view digits);

// Dotted-quad with every octet 0..255 and no leading zeros ("01").
bool IsValidIpv4(std::string_view s);
// Full (8 groups) or compressed ("::", once) IPv6, optionally ending in an embedded IPv4.
bool IsValidIpv6(std::string_view s);

// Outcome of looking for context words around a candidate.
// kPositive: a positive word before the candidate (the usual "label: value" layout);
// kPositiveAfter: only after it, which is weaker evidence.
enum class Context { kNone, kPositive, kPositiveAfter, kNegative };

// Looks in the `before` bytes preceding start and the `after` bytes following end for any of the
// words (ASCII letters compared case-insensitively; Korean compared bytewise, which is safe
// because UTF-8 is self-synchronising). Before the candidate the closest word wins: in
// "계좌 ... 주문번호 123-456-789012" the order number is not an account. A positive word after the
// candidate only counts when nothing negative precedes it.
Context ContextVerdict(std::string_view text, size_t start, size_t end,
                       std::span<const std::string_view> positive,
                       std::span<const std::string_view> negative, size_t before = 64,
                       size_t after = 40);

}  // namespace scriptgen::pii::validate
