// ChunkText splits a document into overlapping chunks of bounded size for embedding.
//
// Sizes are in Unicode code points (an invalid UTF-8 byte counts as one). Every chunk is a
// contiguous slice of the input: chunk.text == utf8.substr(chunk.byte_offset, chunk.byte_length),
// it starts and ends with non-whitespace, never splits a UTF-8 sequence, and is at most
// target_chars code points long, overlap included. Boundaries prefer, in order: blank lines,
// sentence ends, line breaks, spaces (or Han/Kana boundaries), and only then cut an unbroken run
// between grapheme clusters. Each chunk after the first starts with up to overlap_chars code
// points of the previous chunk's tail, starting at a sentence or word start when one fits.
// Together the chunks cover every non-whitespace code point of the input.
//
// The result is a pure function of (input, options): a re-run after a crash produces the same
// chunks, which the idempotent pipeline relies on. Invalid UTF-8 never crashes; invalid bytes are
// passed through unchanged (run text::SanitizeUtf8 first if chunks must be valid UTF-8).
//
//   ChunkOptions opts{.target_chars = 800, .overlap_chars = 100};
//   SG_RETURN_IF_ERROR(ValidateChunkOptions(opts));
//   for (const TextChunk& c : ChunkText(text, opts)) Store(c);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace scriptgen {

struct ChunkOptions {
  size_t target_chars = 1000;  // maximum chunk length, overlap included
  size_t overlap_chars = 150;  // must be < target_chars
  // Smallest worthwhile amount of new content in the last chunk: the chunk before it ends early
  // enough to leave at least this many code points (whitespace after the cut counts as none).
  // A text shorter than this still yields its one chunk: content is never dropped.
  size_t min_chars = 1;
};

struct TextChunk {
  std::string text;
  size_t byte_offset;  // of text in the input
  size_t byte_length;  // == text.size()
};

// OK when target_chars >= 1, overlap_chars < target_chars and min_chars <= target_chars.
Status ValidateChunkOptions(const ChunkOptions& options);

// Never fails: invalid options are clamped into range (overlap to target-1 and so on), so a
// caller that skipped validation still gets bounded, terminating output.
std::vector<TextChunk> ChunkText(std::string_view utf8, const ChunkOptions& options);

}  // namespace scriptgen
