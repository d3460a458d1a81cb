// Strict, table-free UTF-8 decoder. Invalid input is consumed one byte at a time (rather than
// "maximal subpart" as the Unicode standard recommends for replacement) because the chunker needs
// a simple rule for offsets: every unit is either a whole valid sequence or exactly one byte.
#include "text/utf8.h"

namespace scriptgen::text {
namespace {

constexpr Utf8Unit kInvalid{kReplacementChar, 1, false};

bool IsContinuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

}  // namespace

Utf8Unit DecodeUtf8At(std::string_view s, size_t pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) return {b0, 1, true};
  size_t need;
  char32_t cp;
  char32_t min;  // smallest code point this length may encode (rejects overlong forms)
  if ((b0 & 0xE0) == 0xC0) {
    need = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    need = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    need = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    return kInvalid;  // stray continuation byte or 0xF8..0xFF
  }
  if (s.size() - pos <= need) return kInvalid;  // truncated
  for (size_t i = 1; i <= need; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if (!IsContinuation(b)) return kInvalid;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  return {cp, static_cast<uint32_t>(need + 1), true};
}

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += DecodeUtf8At(s, i).length) ++n;
  return n;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const Utf8Unit u = DecodeUtf8At(s, i);
    if (!u.valid) return false;
    i += u.length;
  }
  return true;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacementChar;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const Utf8Unit u = DecodeUtf8At(s, i);
    if (u.valid) {
      out.append(s.substr(i, u.length));
    } else {
      AppendUtf8(kReplacementChar, &out);
    }
    i += u.length;
  }
  return out;
}

}  // namespace scriptgen::text
