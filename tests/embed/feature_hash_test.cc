#include "embed/feature_hash.h"

#include <gtest/gtest.h>

namespace scriptgen::embed {
namespace {

// Reference values from the FNV specification's test suite: the hash is the documented FNV-1a
// 64, so vectors can be reproduced outside this code base.
TEST(FeatureHashTest, Fnv1a64MatchesReferenceVectors) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(FeatureHashTest, Fmix64IsABijectionOnSamples) {
  EXPECT_EQ(Fmix64(0), 0u);  // fmix64 fixes zero
  EXPECT_NE(Fmix64(1), Fmix64(2));
  // Flipping one input bit flips about half the output bits (avalanche).
  int total = 0;
  for (int bit = 0; bit < 64; ++bit) {
    total += __builtin_popcountll(Fmix64(12345) ^ Fmix64(12345 ^ (1ULL << bit)));
  }
  EXPECT_GT(total / 64, 24);
  EXPECT_LT(total / 64, 40);
}

TEST(FeatureHashTest, UsableAtCompileTime) {
  static_assert(Fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  static_assert(FeatureHash("wkey") == Fmix64(Fnv1a64("wkey")));
}

}  // namespace
}  // namespace scriptgen::embed
