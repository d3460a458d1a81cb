// One pass to decode, one pass to rate positions. Memory is about 11 bytes per unit, which is
// fine for documents (a 1 MB text costs ~11 MB transiently) and keeps the chunker's window
// search a plain array scan with no re-decoding.
//
// Sentence detection is heuristic on purpose (no abbreviation lists, no ICU): "Dr. Smith" breaks
// after "Dr." but that only costs a slightly worse boundary, never lost text. Korean informal
// text often ends sentences without a period, so a few unambiguous endings (e.g. "니다",
// "세요") count as sentence ends before a space, and the common final syllables 다/요/죠/까 count
// before a line break.
#include "text/break_rules.h"

#include <algorithm>
#include <string>

#include "text/unicode_class.h"
#include "text/utf8.h"

namespace scriptgen::text {
namespace {

bool IsSentenceTerminator(char32_t c) {
  switch (c) {
    case '.':
    case '!':
    case '?':
    case U'…':
    case U'。':
    case U'｡':
    case U'．':
    case U'！':
    case U'？':
      return true;
    default:
      return false;
  }
}

// Terminators that end a sentence even with no space after them (CJK does not use spaces).
bool IsFullwidthTerminator(char32_t c) {
  return c == U'。' || c == U'｡' || c == U'！' || c == U'？';
}

bool IsClosingPunctuation(char32_t c) {
  switch (c) {
    case '"':
    case '\'':
    case ')':
    case ']':
    case '}':
    case U'”':
    case U'’':
    case U'」':
    case U'』':
    case U'）':
    case U'》':
    case U'〉':
    case U'】':
    case U'〕':
      return true;
    default:
      return false;
  }
}

// Characters a line may not start with (a simplified kinsoku rule): closing punctuation,
// terminators, commas and the katakana prolonged sound mark.
bool IsNoBreakBefore(char32_t c) {
  return IsClosingPunctuation(c) || IsSentenceTerminator(c) || c == U'、' || c == U'，' ||
         c == ',' || c == ';' || c == ':' || c == U'・' || c == U'ー';
}

// Code points that extend the previous grapheme cluster.
bool IsClusterExtender(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F) || c == 0x200C ||
         c == 0x200D || (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0020 && c <= 0xE007F) ||
         (c >= 0x1160 && c <= 0x11FF) || (c >= 0x3099 && c <= 0x309A);
}

bool IsHangulSyllable(char32_t c) {
  return c >= 0xAC00 && c <= 0xD7A3;
}

bool EndsWith(const std::u32string& cps, size_t end, std::u32string_view suffix) {
  if (end < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), cps.begin() + (end - suffix.size()));
}

// Whether the Hangul word ending right before `end` is a sentence ending. Before a newline a
// final 다/요/죠/까 after another syllable suffices; before a space only endings that are hardly
// ever word-internal count.
bool IsKoreanSentenceEnd(const std::u32string& cps, size_t end, bool before_newline) {
  if (end < 2 || !IsHangulSyllable(cps[end - 1]) || !IsHangulSyllable(cps[end - 2])) return false;
  if (before_newline) {
    const char32_t last = cps[end - 1];
    if (last == U'다' || last == U'요' || last == U'죠' || last == U'까') return true;
  }
  static constexpr std::u32string_view kEndings[] = {
      U"니다", U"습니까", U"입니까", U"합니까", U"됩니까", U"세요", U"에요", U"예요", U"어요",
      U"아요", U"해요",   U"까요",   U"네요",   U"군요",   U"지요", U"나요", U"죠"};
  for (std::u32string_view e : kEndings) {
    if (EndsWith(cps, end, e)) return true;
  }
  return false;
}

// Whether the text before `end` (skipping closing quotes/brackets) ends with a terminator.
bool EndsWithTerminator(const std::u32string& cps, size_t end, bool fullwidth_only) {
  size_t j = end;
  for (int skipped = 0; j > 0 && skipped < 3 && IsClosingPunctuation(cps[j - 1]); ++skipped) --j;
  if (j == 0) return false;
  return fullwidth_only ? IsFullwidthTerminator(cps[j - 1]) : IsSentenceTerminator(cps[j - 1]);
}

// Level of a break before unit b where unit b-1 and unit b are both non-space.
BreakLevel RateInsideRun(const std::u32string& cps, size_t b) {
  const char32_t before = cps[b - 1], after = cps[b];
  if (IsClusterExtender(after) || before == 0x200D) return BreakLevel::kNone;
  if (before >= 0x1100 && before <= 0x115F && IsHangul(after)) return BreakLevel::kNone;
  if (IsNoBreakBefore(after)) return BreakLevel::kCodePoint;
  if (EndsWithTerminator(cps, b, /*fullwidth_only=*/true)) return BreakLevel::kSentence;
  if (IsHanOrKana(before) || IsHanOrKana(after)) return BreakLevel::kWord;
  return BreakLevel::kCodePoint;
}

// Level of a break before unit b, where b-1 is non-space and units [b, run_end) are whitespace.
BreakLevel RateBeforeSpace(const std::u32string& cps, size_t b, size_t run_end) {
  if (run_end == cps.size()) return BreakLevel::kParagraph;  // trailing space: end of text
  int newlines = 0;
  for (size_t i = b; i < run_end; ++i) {
    // CR LF is one line end.
    if (cps[i] == '\n' && i > b && cps[i - 1] == '\r') continue;
    newlines += LineBreakWeight(cps[i]);
  }
  if (newlines >= 2) return BreakLevel::kParagraph;
  if (EndsWithTerminator(cps, b, /*fullwidth_only=*/false) ||
      IsKoreanSentenceEnd(cps, b, /*before_newline=*/newlines > 0)) {
    return BreakLevel::kSentence;
  }
  return newlines > 0 ? BreakLevel::kLine : BreakLevel::kWord;
}

}  // namespace

TextLayout AnalyzeText(std::string_view utf8) {
  TextLayout t;
  std::u32string cps;
  cps.reserve(utf8.size());
  t.offsets.reserve(utf8.size() + 1);
  for (size_t i = 0; i < utf8.size();) {
    const Utf8Unit u = DecodeUtf8At(utf8, i);
    t.offsets.push_back(i);
    // An invalid byte stays distinguishable from whitespace and letters: it rates as a symbol.
    cps.push_back(u.code_point);
    i += u.length;
  }
  t.offsets.push_back(utf8.size());
  const size_t n = cps.size();

  t.space.resize(n);
  for (size_t i = 0; i < n; ++i) t.space[i] = IsWhitespace(cps[i]) ? 1 : 0;

  t.end_level.assign(n + 1, BreakLevel::kNone);
  for (size_t b = 1; b <= n; ++b) {
    if (t.space[b - 1]) continue;
    if (b == n) {
      t.end_level[b] = BreakLevel::kParagraph;
    } else if (!t.space[b]) {
      t.end_level[b] = RateInsideRun(cps, b);
    } else {
      size_t run_end = b;
      while (run_end < n && t.space[run_end]) ++run_end;
      t.end_level[b] = RateBeforeSpace(cps, b, run_end);
    }
  }

  t.start_level.assign(n, BreakLevel::kNone);
  size_t run_start = 0;  // start of the whitespace run ending at the current unit
  for (size_t p = 0; p < n; ++p) {
    if (t.space[p]) {
      if (p == 0 || !t.space[p - 1]) run_start = p;
      continue;
    }
    const size_t q = (p > 0 && t.space[p - 1]) ? run_start : p;
    t.start_level[p] = q == 0 ? BreakLevel::kParagraph : t.end_level[q];
  }
  return t;
}

}  // namespace scriptgen::text
