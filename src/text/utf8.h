// UTF-8 decoding helpers shared by the chunker and the embedders.
//
// Decoding is strict (RFC 3629): overlong forms, surrogates, code points above U+10FFFF and
// truncated sequences are invalid. An invalid byte is never fatal: DecodeUtf8At reports it as a
// one-byte unit with valid == false, so callers can walk any byte string, one unit at a time,
// without ever splitting a valid multi-byte sequence.
//
//   for (size_t i = 0; i < s.size();) {
//     Utf8Unit u = DecodeUtf8At(s, i);
//     Use(u.code_point);
//     i += u.length;
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace scriptgen::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;

struct Utf8Unit {
  char32_t code_point;  // kReplacementChar when !valid
  uint32_t length;      // bytes consumed, 1..4; always 1 when !valid
  bool valid;
};

// Decodes the unit starting at s[pos]. Requires pos < s.size().
Utf8Unit DecodeUtf8At(std::string_view s, size_t pos);

// Number of units DecodeUtf8At walks through: code points, plus one per invalid byte.
size_t CountCodePoints(std::string_view s);

bool IsValidUtf8(std::string_view s);

// Appends the UTF-8 encoding of cp (surrogates and values > U+10FFFF become U+FFFD).
void AppendUtf8(char32_t cp, std::string* out);

// Returns s with every invalid byte replaced by U+FFFD, so the result is valid UTF-8.
std::string SanitizeUtf8(std::string_view s);

}  // namespace scriptgen::text
