// Randomised robustness test: random mixtures of valid text fragments and arbitrary bytes, with
// random options, must never crash and must always satisfy the documented invariants.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "chunk_invariants.h"
#include "text/chunker.h"
#include "text/utf8.h"

namespace scriptgen {
namespace {

std::string RandomText(std::mt19937_64& rng, size_t pieces) {
  static const char* kFragments[] = {
      "a",      "word",   " ",    "  ",       "\n",     "\n\n",     "\r\n",         "\t",
      ".",      "! ",     "? ",   "。",       "다 ",    "니다 ",    "요\n",         "한",
      "漢字",   "\u3000", "\"",   "」",       "\u0301", "\u200D",   "\U0001F468",   "\U0001F3FD",
      "\uFE0F", "\u2029", "\xFF", "\xE3\x81", "\x80",   "\xC0\xAF", "\xED\xA0\x80", "\xF0\x9F",
      "\x00"};
  constexpr size_t kCount = sizeof(kFragments) / sizeof(kFragments[0]);
  std::string s;
  for (size_t i = 0; i < pieces; ++i) {
    if (rng() % 8 == 0) {
      s += static_cast<char>(rng() % 256);  // arbitrary byte
    } else {
      const char* f = kFragments[rng() % kCount];
      s += (f[0] == '\0') ? std::string(1, '\0') : std::string(f);
    }
  }
  return s;
}

TEST(ChunkerFuzzTest, RandomInputsKeepInvariants) {
  std::mt19937_64 rng(20240601);
  for (int iter = 0; iter < 600; ++iter) {
    const std::string s = RandomText(rng, rng() % 1500);
    const size_t target = 1 + rng() % 200;
    const size_t overlap = rng() % target;
    const size_t min_chars = rng() % (target + 1);
    const ChunkOptions o{.target_chars = target, .overlap_chars = overlap, .min_chars = min_chars};
    const std::vector<TextChunk> chunks = ChunkText(s, o);
    ASSERT_TRUE(testing_util::ChunksSatisfyInvariants(s, chunks, o))
        << "iteration " << iter << " target " << target << " overlap " << overlap;
    const std::vector<TextChunk> again = ChunkText(s, o);
    ASSERT_EQ(chunks.size(), again.size()) << "iteration " << iter;
    for (size_t i = 0; i < chunks.size(); ++i) {
      ASSERT_EQ(chunks[i].byte_offset, again[i].byte_offset);
      ASSERT_EQ(chunks[i].byte_length, again[i].byte_length);
    }
  }
}

TEST(ChunkerFuzzTest, PureRandomBytes) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    std::string s(rng() % 4000, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    const ChunkOptions o{.target_chars = 1 + rng() % 300, .overlap_chars = 0};
    const std::vector<TextChunk> chunks = ChunkText(s, o);
    ASSERT_TRUE(testing_util::ChunksSatisfyInvariants(s, chunks, o)) << "iteration " << iter;
  }
}

TEST(ChunkerFuzzTest, LastChunkHonoursMinCharsWhenPossible) {
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 300; ++iter) {
    std::string s;
    const size_t words = 1 + rng() % 300;
    for (size_t w = 0; w < words; ++w) s += std::string(1 + rng() % 9, 'x') + ' ';
    const size_t target = 20 + rng() % 100;
    const size_t min_chars = rng() % (target / 2);
    const ChunkOptions o{.target_chars = target, .overlap_chars = 0, .min_chars = min_chars};
    const std::vector<TextChunk> chunks = ChunkText(s, o);
    ASSERT_TRUE(testing_util::ChunksSatisfyInvariants(s, chunks, o));
    if (chunks.size() >= 2) {
      EXPECT_GE(text::CountCodePoints(chunks.back().text), min_chars)
          << "iteration " << iter << " target " << target;
    }
  }
}

}  // namespace
}  // namespace scriptgen
