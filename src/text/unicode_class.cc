// Range tables written out as code rather than generated data: they are short, reviewable, and
// frozen on purpose (see the header). Lookups are a handful of comparisons; ASCII is answered
// first because it dominates real documents.
#include "text/unicode_class.h"

namespace scriptgen::text {
namespace {

struct Range {
  char32_t lo, hi;
};

template <size_t N>
bool InRanges(char32_t c, const Range (&ranges)[N]) {
  for (const Range& r : ranges) {
    if (c >= r.lo && c <= r.hi) return true;
  }
  return false;
}

constexpr Range kPunctuationOrSymbol[] = {
    {0x00A1, 0x00BF}, {0x00D7, 0x00D7},   {0x00F7, 0x00F7},    // Latin-1 punctuation, x, /
    {0x200B, 0x2027}, {0x202A, 0x202E},   {0x2030, 0x205E},    // General Punctuation, ZW*, bidi
    {0x2060, 0x206F}, {0x20A0, 0x20CF},                        // invisible operators, currency
    {0x2100, 0x214F}, {0x2190, 0x2BFF},                        // letterlike, arrows..misc symbols
    {0x3001, 0x3004}, {0x3008, 0x3020},   {0x3030, 0x3030},    // CJK symbols and punctuation
    {0x303D, 0x303D}, {0x30FB, 0x30FB},                        // CJK marks, katakana middle dot
    {0xFE00, 0xFE0F}, {0xFE10, 0xFE1F},   {0xFE30, 0xFE6F},    // variation selectors, forms
    {0xFF01, 0xFF0F}, {0xFF1A, 0xFF20},   {0xFF3B, 0xFF40},    // fullwidth punctuation
    {0xFF5B, 0xFF65}, {0x1F000, 0x1FAFF}, {0xE0000, 0xE007F},  // emoji, tags
};

constexpr Range kHanOrKana[] = {
    {0x3040, 0x309F}, {0x30A0, 0x30FA},   {0x30FC, 0x30FF}, {0x31F0, 0x31FF},  // kana
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},   {0xF900, 0xFAFF},                    // Han
    {0xFF66, 0xFF9F}, {0x20000, 0x3134F},  // halfwidth katakana, Han extensions B..G
};

// Conjoining jamo, as in Unicode chapter 3.12 (Hangul syllable composition).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;

}  // namespace

bool IsWhitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

int LineBreakWeight(char32_t c) {
  switch (c) {
    case 0x0C:
    case 0x2029:
      return 2;
    case '\n':
    case '\r':
    case 0x0B:
    case 0x85:
    case 0x2028:
      return 1;
    default:
      return 0;
  }
}

bool IsHangul(char32_t c) {
  return (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) ||
         (c >= 0x3130 && c <= 0x318F) || (c >= 0xA960 && c <= 0xA97F) ||
         (c >= 0xD7B0 && c <= 0xD7FF);
}

bool IsHanOrKana(char32_t c) {
  return c >= 0x3040 && InRanges(c, kHanOrKana);
}

bool IsPunctuationOrSymbol(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  }
  return InRanges(c, kPunctuationOrSymbol);
}

bool IsControlOrInvalid(char32_t c) {
  if (IsWhitespace(c)) return false;
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xFFFD;
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return !IsWhitespace(c) && !IsPunctuationOrSymbol(c) && !IsControlOrInvalid(c);
}

char32_t FoldCase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
  if (c >= 0xFF01 && c <= 0xFF5E) return FoldCase(c - 0xFEE0);  // fullwidth ASCII
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;     // Latin-1 capitals
  if (c >= 0x100 && c <= 0x17F) {
    // Latin Extended-A pairs capital/small as even/odd, except 0x139..0x148 and 0x179..0x17E
    // (odd/even) and a few singletons.
    if (c == 0x130) return 'i';
    if (c == 0x178) return 0xFF;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
    if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
    return (c & 1) ? c : c + 1;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;  // Greek capitals
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;                // Cyrillic basic capitals
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;                // Cyrillic Ё, Є, І, ...
  return c;
}

void ComposeHangul(std::u32string* s) {
  std::u32string& str = *s;
  size_t out = 0;
  for (size_t i = 0; i < str.size(); ++i) {
    const char32_t c = str[i];
    if (c >= kLBase && c < kLBase + kLCount && i + 1 < str.size() && str[i + 1] >= kVBase &&
        str[i + 1] < kVBase + kVCount) {
      char32_t syllable = kSBase + ((c - kLBase) * kVCount + (str[i + 1] - kVBase)) * kTCount;
      ++i;
      if (i + 1 < str.size() && str[i + 1] > kTBase && str[i + 1] < kTBase + kTCount) {
        syllable += str[i + 1] - kTBase;
        ++i;
      }
      str[out++] = syllable;
    } else {
      str[out++] = c;
    }
  }
  str.resize(out);
}

}  // namespace scriptgen::text
