// Break opportunities of a text: where a chunk may end or start, and how good a place that is.
//
// AnalyzeText decodes the text once into units (code points, or single invalid bytes, see
// utf8.h) and rates every position between two units. The chunker then only compares levels;
// all language knowledge (sentence punctuation, Korean endings, CJK, grapheme clusters) is here.
// Rules are fixed and deterministic; changing them changes chunk boundaries of re-runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace scriptgen::text {

// Ordered: a higher level is a better place to break.
enum class BreakLevel : uint8_t {
  kNone = 0,       // inside a grapheme cluster (before a combining mark, after a ZWJ, ...)
  kCodePoint = 1,  // between two code points of an unbroken run: last resort
  kWord = 2,       // after a word followed by spaces, or next to a Han/Kana character
  kLine = 3,       // at a single line break
  kSentence = 4,   // after . ! ? 。 ！ ？ … (and closing quotes) or a Korean sentence ending
  kParagraph = 5,  // at a blank line, paragraph separator or form feed; also text start/end
};

struct TextLayout {
  // offsets[i] is the byte offset of unit i; offsets[size()] is the byte length of the text.
  std::vector<size_t> offsets;
  // space[i] != 0 when unit i is Unicode whitespace.
  std::vector<uint8_t> space;
  // end_level[b]: quality of ending a chunk right before unit b (the chunk's last unit is b-1).
  // Positions whose unit b-1 is whitespace are kNone: chunks never end in whitespace.
  std::vector<BreakLevel> end_level;
  // start_level[p]: quality of starting a chunk at unit p, i.e. the end level of the break the
  // whitespace before p follows. kNone when unit p is whitespace.
  std::vector<BreakLevel> start_level;

  size_t size() const { return offsets.size() - 1; }
};

TextLayout AnalyzeText(std::string_view utf8);

}  // namespace scriptgen::text
