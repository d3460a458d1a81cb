// Turns the bytes of a text file in any common encoding into clean UTF-8, and cleans UTF-8.
//
// DecodeText picks the encoding in this order: a byte-order mark (UTF-8, UTF-16LE/BE,
// UTF-32LE/BE), the caller's charset hint (e.g. from an HTML <meta charset> or a Content-Type
// parameter), valid UTF-8 as is, UTF-16 without a BOM (by the pattern of zero bytes), and last a
// guess by uchardet converted with ICU. Korean legacy text that uchardet calls "EUC-KR", "UHC" or
// "CP949" is converted with ICU's windows-949 converter, a superset of EUC-KR. Bytes invalid in the
// chosen encoding become U+FFFD: the output is always valid UTF-8, never an error.
//
// NormalizeText is applied to every extractor's output: NFC (ICU), LF line ends, and no control
// characters other than tab and line feed (NUL, form feed, etc. are dropped or become LF).
//
//   DecodedText d = DecodeText(bytes, /*charset_hint=*/"");
//   std::string clean = NormalizeText(d.utf8);
//
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace scriptgen::extract {

struct DecodedText {
  std::string utf8;     // valid UTF-8, BOM removed, not yet normalised
  std::string charset;  // what was used: "UTF-8", "UTF-16LE", "windows-949", ...
  bool had_bom = false;
  bool had_invalid = false;  // some input bytes were replaced by U+FFFD
};

DecodedText DecodeText(std::string_view bytes, std::string_view charset_hint = {});

// NFC, CRLF/CR -> LF, U+2028/U+2029 and form feed/vertical tab -> LF, other C0/C1 controls (and
// NUL) removed, invalid UTF-8 -> U+FFFD. The result is valid UTF-8.
std::string NormalizeText(std::string_view utf8);

// ICU's canonical name for a charset label ("euc-kr" -> "windows-949", "utf8" -> "UTF-8"), or
// "" if ICU has no converter for it.
std::string CanonicalCharset(std::string_view label);

}  // namespace scriptgen::extract
