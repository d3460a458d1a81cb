// Greedy windowed chunking over the break levels of break_rules.h.
//
// For each chunk: pick where it starts (the overlap: the earliest sentence start, else word
// start, within overlap_chars of the new content), which fixes the window [start,
// start + target). Then pick where it ends: the best-rated break in the second half of the
// window, latest first; only if the second half has no break at word level or better, the best
// break anywhere in the window; only then a hard cut between grapheme clusters. Preferring the
// second half trades exact paragraph alignment for chunks of similar size (a short paragraph is
// joined with the next one's first sentences instead of becoming a tiny chunk).
//
// Cost is O(n * target / (target - overlap)): each chunk scans its window once. Progress is
// guaranteed because every chunk ends after the previous one (overlap < target).
#include "text/chunker.h"

#include <algorithm>
#include <array>

#include "text/break_rules.h"

namespace scriptgen {
namespace {

using text::BreakLevel;
using text::TextLayout;

struct Span {
  size_t begin, end;  // unit indices, [begin, end)
};

ChunkOptions Clamp(const ChunkOptions& in) {
  ChunkOptions o = in;
  o.target_chars = std::max<size_t>(o.target_chars, 1);
  o.overlap_chars = std::min(o.overlap_chars, o.target_chars - 1);
  o.min_chars = std::min(o.min_chars, o.target_chars);
  return o;
}

size_t SkipSpace(const TextLayout& t, size_t i) {
  while (i < t.size() && t.space[i]) ++i;
  return i;
}

// Start of a chunk whose new content starts at unit `content` (non-space), overlapping the
// previous chunk `prev` by at most `overlap` units (whitespace between them included).
size_t PickStart(const TextLayout& t, Span prev, size_t content, size_t overlap) {
  if (overlap == 0) return content;
  const size_t lo = std::max(prev.begin + 1, content > overlap ? content - overlap : 0);
  size_t sentence = content, word = content, cluster = content;
  for (size_t p = prev.end; p-- > lo;) {  // walk back so the earliest candidate wins
    const BreakLevel level = t.start_level[p];
    if (t.space[p] || level == BreakLevel::kNone) continue;
    cluster = p;
    if (level >= BreakLevel::kWord) word = p;
    if (level >= BreakLevel::kSentence) sentence = p;
  }
  if (sentence != content) return sentence;
  if (word != content) return word;
  return cluster;
}

// End (exclusive) of a chunk whose new content starts at `content` and which may not extend past
// `limit`. Requires content < limit < last, where `last` ends the text's content.
size_t PickEnd(const TextLayout& t, size_t content, size_t limit, size_t last, size_t min_tail) {
  // Leave at least min_tail units of content after the chunk. The tail after b only shrinks as b
  // grows, so this just lowers the limit; if even the smallest chunk cannot, ignore min_tail.
  if (min_tail > 0 && last - content > min_tail) {
    const size_t latest_tail_start = last - min_tail;
    size_t max_end = std::min(limit, latest_tail_start);
    // Only a whitespace stretch [max_end, latest_tail_start] pushes the tail start past it.
    if (SkipSpace(t, max_end) > latest_tail_start) {
      while (max_end > content && t.space[max_end]) --max_end;
    }
    if (max_end > content) limit = max_end;
  }

  const size_t half = content + (limit - content + 1) / 2;
  constexpr size_t kLevels = static_cast<size_t>(BreakLevel::kParagraph) + 1;
  std::array<size_t, kLevels> latest_in_half{}, latest{};  // 0 = none (b is always > content)
  for (size_t b = limit; b > content; --b) {
    const auto level = static_cast<size_t>(t.end_level[b]);
    if (latest[level] == 0) latest[level] = b;
    if (b >= half && latest_in_half[level] == 0) latest_in_half[level] = b;
  }
  constexpr auto kWord = static_cast<size_t>(BreakLevel::kWord);
  for (size_t level = kLevels - 1; level >= kWord; --level) {
    if (latest_in_half[level] != 0) return latest_in_half[level];
  }
  for (size_t level = kLevels - 1; level >= kWord; --level) {
    if (latest[level] != 0) return latest[level];
  }
  const auto kCodePoint = static_cast<size_t>(BreakLevel::kCodePoint);
  if (latest[kCodePoint] != 0) return latest[kCodePoint];
  return limit;  // one grapheme cluster longer than the window: cut it
}

std::vector<Span> PlanSpans(const TextLayout& t, const ChunkOptions& o) {
  std::vector<Span> spans;
  const size_t first = SkipSpace(t, 0);
  if (first == t.size()) return spans;
  size_t last = t.size();
  while (t.space[last - 1]) --last;

  size_t content = first;
  while (true) {
    const size_t begin =
        spans.empty() ? content : PickStart(t, spans.back(), content, o.overlap_chars);
    const size_t limit = begin + o.target_chars;
    const size_t end = last <= limit ? last : PickEnd(t, content, limit, last, o.min_chars);
    spans.push_back({begin, end});
    if (end == last) break;
    content = SkipSpace(t, end);
  }

  return spans;
}

}  // namespace

Status ValidateChunkOptions(const ChunkOptions& options) {
  if (options.target_chars == 0) return InvalidArgument("chunk target_chars must be at least 1");
  if (options.overlap_chars >= options.target_chars) {
    return InvalidArgument("chunk overlap_chars (" + std::to_string(options.overlap_chars) +
                           ") must be smaller than target_chars (" +
                           std::to_string(options.target_chars) + ")");
  }
  if (options.min_chars > options.target_chars) {
    return InvalidArgument("chunk min_chars must not exceed target_chars");
  }
  return Status::Ok();
}

std::vector<TextChunk> ChunkText(std::string_view utf8, const ChunkOptions& options) {
  const TextLayout layout = text::AnalyzeText(utf8);
  std::vector<TextChunk> chunks;
  for (const Span& s : PlanSpans(layout, Clamp(options))) {
    const size_t offset = layout.offsets[s.begin];
    const size_t length = layout.offsets[s.end] - offset;
    chunks.push_back({std::string(utf8.substr(offset, length)), offset, length});
  }
  return chunks;
}

}  // namespace scriptgen
