// Charset detection and conversion (uchardet + ICU ucnv) and normalisation (ICU Normalizer2).
//
// Order of evidence: a BOM is certain; a hint from the document itself (HTML meta) is usually
// right; valid UTF-8 is overwhelmingly UTF-8 (legacy multi-byte text is almost never valid UTF-8
// by accident); only then do we guess. uchardet needs a few hundred bytes to be confident, so for
// a very short non-UTF-8 input it may return nothing: we fall back to UTF-8 with U+FFFD
// substitution rather than inventing an encoding. Korean is special-cased to windows-949 because
// uchardet reports "EUC-KR" for text that often contains the UHC-only syllables of CP949, and
// ICU's EUC-KR converter would turn those into U+FFFD.
//
// Conversion goes through icu::UnicodeString, i.e. UTF-16 in memory: about 2x the input, which is
// fine for documents capped at tens of MB. Normalisation also works on UTF-16, and we convert back
// to UTF-8 once, with substitution, so the output can never be invalid.
#include "extract/text_decoding.h"

#include <uchardet/uchardet.h>
#include <unicode/normalizer2.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "text/utf8.h"

namespace scriptgen::extract {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Converts with ICU; invalid input becomes U+FFFD (ICU's default to-Unicode callback).
icu::UnicodeString ToUnicode(std::string_view bytes, const char* charset, bool* ok) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* conv = ucnv_open(charset, &status);
  if (U_FAILURE(status)) {
    *ok = false;
    return {};
  }
  std::unique_ptr<UConverter, decltype(&ucnv_close)> guard(conv, ucnv_close);
  icu::UnicodeString out(bytes.data(), static_cast<int32_t>(bytes.size()), conv, status);
  *ok = U_SUCCESS(status);
  return out;
}

std::string ToUtf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);  // unpaired surrogates become U+FFFD
  return out;
}

// UTF-16 without a BOM: ASCII-heavy UTF-16 has a zero in every other byte.
std::string GuessUtf16(std::string_view b) {
  if (b.size() < 8 || b.size() % 2 != 0) return "";
  size_t n = std::min<size_t>(b.size(), 4096) & ~size_t{1};
  size_t even_zero = 0, odd_zero = 0;
  for (size_t i = 0; i < n; i += 2) {
    even_zero += b[i] == 0;
    odd_zero += b[i + 1] == 0;
  }
  const size_t pairs = n / 2;
  if (odd_zero * 10 > pairs * 4 && even_zero * 20 < pairs) return "UTF-16LE";
  if (even_zero * 10 > pairs * 4 && odd_zero * 20 < pairs) return "UTF-16BE";
  return "";
}

std::string Detect(std::string_view b) {
  uchardet_t ud = uchardet_new();
  std::string result;
  // 256 KB is plenty for a confident guess and bounds the cost on huge files.
  const size_t n = std::min<size_t>(b.size(), 256 * 1024);
  if (uchardet_handle_data(ud, b.data(), n) == 0) {
    uchardet_data_end(ud);
    const char* cs = uchardet_get_charset(ud);
    if (cs != nullptr) result = cs;
  }
  uchardet_delete(ud);
  return result;
}

bool IsControlToDrop(UChar32 c) {
  if (c == '\t' || c == '\n') return false;
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

}  // namespace

std::string CanonicalCharset(std::string_view label) {
  std::string l = Lower(label);
  l.erase(std::remove_if(l.begin(), l.end(), [](char c) { return c == ' ' || c == '"'; }), l.end());
  if (l.empty()) return "";
  // Korean: CP949 (UHC) is a superset of EUC-KR; browsers treat "euc-kr" as windows-949 too.
  if (l == "euc-kr" || l == "euckr" || l == "uhc" || l == "cp949" || l == "windows-949" ||
      l == "ks_c_5601-1987" || l == "ksc5601" || l == "x-windows-949" || l == "ms949") {
    return "windows-949";
  }
  if (l == "ascii" || l == "us-ascii") return "UTF-8";  // ASCII is a subset
  UErrorCode status = U_ZERO_ERROR;
  const char* name = ucnv_getCanonicalName(l.c_str(), "", &status);
  if (U_FAILURE(status) || name == nullptr) {
    status = U_ZERO_ERROR;
    name = ucnv_getCanonicalName(l.c_str(), "IANA", &status);
  }
  if (U_FAILURE(status) || name == nullptr) return "";
  // Make sure a converter really exists (some aliases name algorithmic-only converters).
  status = U_ZERO_ERROR;
  UConverter* conv = ucnv_open(name, &status);
  if (U_FAILURE(status)) return "";
  ucnv_close(conv);
  return name;
}

DecodedText DecodeText(std::string_view b, std::string_view charset_hint) {
  DecodedText out;
  std::string charset;
  size_t skip = 0;
  if (StartsWith(b, "\xEF\xBB\xBF")) {
    charset = "UTF-8", skip = 3;
  } else if (StartsWith(b, std::string_view("\xFF\xFE\x00\x00", 4))) {
    charset = "UTF-32LE", skip = 4;
  } else if (StartsWith(b, std::string_view("\x00\x00\xFE\xFF", 4))) {
    charset = "UTF-32BE", skip = 4;
  } else if (StartsWith(b, "\xFF\xFE")) {
    charset = "UTF-16LE", skip = 2;
  } else if (StartsWith(b, "\xFE\xFF")) {
    charset = "UTF-16BE", skip = 2;
  }
  out.had_bom = skip > 0;
  b.remove_prefix(skip);
  if (charset.empty()) charset = CanonicalCharset(charset_hint);
  // A hint of UTF-8 for bytes that are not UTF-8 is a common lie of old web pages: let the
  // detector have a go instead.
  if (charset == "UTF-8" && !out.had_bom && !text::IsValidUtf8(b)) charset.clear();
  // UTF-16 before UTF-8: ASCII in UTF-16 is full of NULs, which are valid UTF-8.
  if (charset.empty()) charset = GuessUtf16(b);
  if (charset.empty() && text::IsValidUtf8(b)) charset = "UTF-8";
  if (charset.empty()) charset = CanonicalCharset(Detect(b));
  if (charset.empty()) charset = "UTF-8";  // last resort: substitute what is invalid

  if (charset == "UTF-8") {
    out.charset = "UTF-8";
    out.had_invalid = !text::IsValidUtf8(b);
    out.utf8 = out.had_invalid ? text::SanitizeUtf8(b) : std::string(b);
    return out;
  }
  bool ok = false;
  icu::UnicodeString u = ToUnicode(b, charset.c_str(), &ok);
  if (!ok) {
    out.charset = "UTF-8";
    out.had_invalid = !text::IsValidUtf8(b);
    out.utf8 = text::SanitizeUtf8(b);
    return out;
  }
  // ICU substitutes U+001A (SUB) rather than U+FFFD for unassigned codes in some legacy
  // charsets; make every substitution visible the same way.
  u.findAndReplace(icu::UnicodeString(static_cast<UChar>(0x1A)),
                   icu::UnicodeString(static_cast<UChar>(0xFFFD)));
  out.charset = charset;
  out.had_invalid = u.indexOf(static_cast<UChar>(0xFFFD)) >= 0;
  out.utf8 = ToUtf8(u);
  return out;
}

std::string NormalizeText(std::string_view utf8) {
  // fromUTF8 substitutes U+FFFD for invalid sequences.
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString cleaned;
  cleaned.getBuffer(u.length());  // reserve
  cleaned.releaseBuffer(0);
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    i += U16_LENGTH(c);
    if (c == '\r') {
      if (i < u.length() && u.charAt(i) == '\n') ++i;
      cleaned.append(static_cast<UChar>('\n'));
    } else if (c == 0x0B || c == 0x0C || c == 0x85 || c == 0x2028 || c == 0x2029) {
      cleaned.append(static_cast<UChar>('\n'));
    } else if (c == 0xFEFF || IsControlToDrop(c)) {
      // dropped: BOMs / zero-width no-break spaces inside text, NUL and other controls
    } else if (U_IS_SURROGATE(c)) {
      cleaned.append(static_cast<UChar>(0xFFFD));
    } else {
      cleaned.append(c);
    }
  }
  // ICU builds the NFC data on first use behind its own (uninstrumented) once-flag; taking the
  // instance through a function-local static makes that first use visibly happen-before every
  // other (for ThreadSanitizer, and for any reader of this code).
  static const icu::Normalizer2* const nfc = [] {
    UErrorCode s = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(s);
    return U_SUCCESS(s) ? n : nullptr;
  }();
  UErrorCode status = U_ZERO_ERROR;
  if (nfc != nullptr) {
    icu::UnicodeString n = nfc->normalize(cleaned, status);
    if (U_SUCCESS(status)) return ToUtf8(n);
  }
  return ToUtf8(cleaned);
}

}  // namespace scriptgen::extract

// ThreadSanitizer cannot see ICU's internal synchronisation (libicu is not instrumented): its
// lazily built caches (converters, normaliser data) look like races to it. This hook is only read
// by TSan builds; it is linked wherever text is decoded.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libicuuc.so\nrace:libicui18n.so\nrace:icu_\n";
}
