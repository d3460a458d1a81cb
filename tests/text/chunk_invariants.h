// Test helper: checks every documented guarantee of ChunkText against the input.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "text/chunker.h"
#include "text/unicode_class.h"
#include "text/utf8.h"

namespace scriptgen::testing_util {

// target and overlap are the effective (clamped) limits.
inline ::testing::AssertionResult ChunksSatisfyInvariants(std::string_view input,
                                                          const std::vector<TextChunk>& chunks,
                                                          size_t target, size_t overlap) {
  // Units as the decoder walks them: unit_at[byte] is the unit starting there, or npos.
  constexpr size_t npos = std::string::npos;
  std::vector<size_t> unit_at(input.size() + 1, npos);
  std::vector<bool> space;
  for (size_t i = 0; i < input.size();) {
    const text::Utf8Unit u = text::DecodeUtf8At(input, i);
    unit_at[i] = space.size();
    space.push_back(text::IsWhitespace(u.code_point));
    i += u.length;
  }
  const size_t n = space.size();
  unit_at[input.size()] = n;

  std::vector<size_t> begins, ends;
  for (size_t k = 0; k < chunks.size(); ++k) {
    const TextChunk& c = chunks[k];
    auto fail = [&](const std::string& what) {
      return ::testing::AssertionFailure() << "chunk " << k << " (offset " << c.byte_offset
                                           << ", length " << c.byte_length << "): " << what;
    };
    if (c.byte_length == 0 || c.byte_length != c.text.size()) return fail("bad length");
    if (c.byte_offset + c.byte_length > input.size()) return fail("out of range");
    if (input.substr(c.byte_offset, c.byte_length) != c.text) return fail("text != input slice");
    const size_t b = unit_at[c.byte_offset], e = unit_at[c.byte_offset + c.byte_length];
    if (b == npos || e == npos) return fail("splits a UTF-8 sequence");
    if (e - b > target) return fail("has " + std::to_string(e - b) + " code points");
    if (space[b] || space[e - 1]) return fail("starts or ends with whitespace");
    if (!begins.empty()) {
      if (b <= begins.back() || e <= ends.back()) return fail("not strictly after previous");
      if (b < ends.back()) {
        size_t content = ends.back();
        while (content < n && space[content]) ++content;
        if (content - b > overlap) return fail("overlap too long");
      }
    }
    begins.push_back(b);
    ends.push_back(e);
  }
  // Coverage: every non-whitespace unit is inside some chunk (chunks are sorted).
  size_t k = 0;
  for (size_t u = 0; u < n; ++u) {
    if (space[u]) continue;
    while (k < ends.size() && ends[k] <= u) ++k;
    if (k == ends.size() || begins[k] > u) {
      return ::testing::AssertionFailure() << "unit " << u << " is not covered";
    }
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult ChunksSatisfyInvariants(std::string_view input,
                                                          const std::vector<TextChunk>& chunks,
                                                          const ChunkOptions& o) {
  return ChunksSatisfyInvariants(input, chunks, o.target_chars, o.overlap_chars);
}

}  // namespace scriptgen::testing_util
