#include "index/vector_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

#include "test_vectors.h"

namespace scriptgen {
namespace {

using testing_util::BruteForceTopK;
using testing_util::RandomUnitVectors;
using testing_util::Row;

constexpr size_t kNever = std::numeric_limits<size_t>::max();

// Index configured to use HNSW from the start (exact_below = 0, graph built at once) or to stay
// in flat mode with brute force (any other value below the default build_graph_at).
VectorIndexOptions Opts(size_t dim, size_t exact_below, size_t max_elements = 1 << 12) {
  return {.dimension = dim,
          .max_elements = max_elements,
          .exact_search_below = exact_below,
          .build_graph_at = exact_below == 0 ? 0 : kNever};
}

void AddAll(VectorIndex& index, const std::vector<float>& rows, size_t dim) {
  for (size_t i = 0; i < rows.size() / dim; ++i) ASSERT_TRUE(index.Add(i, Row(rows, dim, i)).ok());
}

std::vector<SearchHit> MustSearch(const VectorIndex& index, std::span<const float> q, size_t k) {
  auto hits = index.Search(q, k);
  EXPECT_TRUE(hits.ok()) << hits.status().ToString();
  return hits.ok() ? *hits : std::vector<SearchHit>{};
}

TEST(VectorIndexTest, ValidatesOptions) {
  EXPECT_TRUE(VectorIndex::ValidateOptions({.dimension = 8}).ok());
  EXPECT_EQ(VectorIndex::ValidateOptions({.dimension = 0}).code(), Code::kInvalidArgument);
  EXPECT_EQ(VectorIndex::ValidateOptions({.dimension = 8, .max_elements = 0}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(VectorIndex::ValidateOptions({.dimension = 8, .M = 1}).code(), Code::kInvalidArgument);
  EXPECT_EQ(VectorIndex::ValidateOptions({.dimension = 8, .ef_search = 0}).code(),
            Code::kInvalidArgument);
  EXPECT_THROW(VectorIndex({.dimension = 0}), std::invalid_argument);
}

TEST(VectorIndexTest, EmptyIndexAndZeroK) {
  VectorIndex index(Opts(8, 0));
  const std::vector<float> q = RandomUnitVectors(1, 8, 1);
  EXPECT_TRUE(MustSearch(index, q, 10).empty());
  ASSERT_TRUE(index.Add(1, q).ok());
  EXPECT_TRUE(MustSearch(index, q, 0).empty());
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.dimension(), 8u);
}

TEST(VectorIndexTest, RejectsWrongDimensionAndNonFiniteValues) {
  VectorIndex index(Opts(8, kNever));
  std::vector<float> v(8, 0.5f), shorter(7, 0.5f);
  EXPECT_EQ(index.Add(1, shorter).code(), Code::kInvalidArgument);
  EXPECT_EQ(index.Search(shorter, 3).status().code(), Code::kInvalidArgument);
  v[3] = std::nanf("");
  EXPECT_EQ(index.Add(1, v).code(), Code::kInvalidArgument);
  EXPECT_EQ(index.Search(v, 3).status().code(), Code::kInvalidArgument);
  v[3] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(index.Add(1, v).code(), Code::kInvalidArgument);
  EXPECT_EQ(index.size(), 0u);
}

TEST(VectorIndexTest, ExactSearchMatchesBruteForceAndIsSorted) {
  const size_t dim = 24, n = 1000;
  const auto rows = RandomUnitVectors(n, dim, 11);
  VectorIndex index(Opts(dim, 2000));  // below the default threshold: exact
  AddAll(index, rows, dim);
  const auto queries = RandomUnitVectors(30, dim, 12);
  for (size_t qi = 0; qi < 30; ++qi) {
    const auto q = Row(queries, dim, qi);
    const auto hits = MustSearch(index, q, 10);
    ASSERT_EQ(hits.size(), 10u);
    const auto truth = BruteForceTopK(rows, dim, q, 10, [](size_t) { return false; });
    for (size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(hits[i].label, truth[i]);
      if (i > 0) {
        EXPECT_GE(hits[i - 1].score, hits[i].score);
      }
    }
  }
  // A stored vector finds itself with score ~1, and k larger than the index returns everything.
  const auto self = MustSearch(index, Row(rows, dim, 123), n + 50);
  ASSERT_EQ(self.size(), n);
  EXPECT_EQ(self[0].label, 123u);
  EXPECT_NEAR(self[0].score, 1.0f, 1e-5);
}

// Uniform random vectors are HNSW's worst case (no cluster structure). Measured recall@10 with
// the default M=16, ef_construction=200, ef_search=64: dim 32 ~0.98, dim 64 ~0.89, dim 384 ~0.60
// (0.95 with ef_search=256). Real embeddings have far lower intrinsic dimension.
TEST(VectorIndexTest, HnswRecallAtTenIsHigh) {
  const size_t dim = 32, n = 5000, nq = 200, k = 10;
  const auto rows = RandomUnitVectors(n, dim, 2024);
  VectorIndex index(Opts(dim, 0));
  AddAll(index, rows, dim);
  const auto queries = RandomUnitVectors(nq, dim, 4242);
  size_t found = 0;
  for (size_t qi = 0; qi < nq; ++qi) {
    const auto q = Row(queries, dim, qi);
    const auto truth = BruteForceTopK(rows, dim, q, k, [](size_t) { return false; });
    const std::set<uint64_t> want(truth.begin(), truth.end());
    const auto hits = MustSearch(index, q, k);
    ASSERT_EQ(hits.size(), k);
    for (size_t i = 0; i < hits.size(); ++i) {
      found += want.count(hits[i].label);
      if (i > 0) {
        EXPECT_GE(hits[i - 1].score, hits[i].score);
      }
    }
  }
  const double recall = static_cast<double>(found) / (nq * k);
  EXPECT_GE(recall, 0.9) << "recall@10 " << recall;
}

class VectorIndexPathTest : public ::testing::TestWithParam<size_t> {};

TEST_P(VectorIndexPathTest, RemovedLabelsAreNeverReturned) {
  const size_t dim = 32, n = 3000;
  const auto rows = RandomUnitVectors(n, dim, 5);
  VectorIndex index(Opts(dim, GetParam()));
  AddAll(index, rows, dim);
  auto removed = [](size_t i) { return i % 3 == 0; };
  for (size_t i = 0; i < n; ++i) {
    if (removed(i)) {
      ASSERT_TRUE(index.Remove(i).ok());
    }
  }
  EXPECT_EQ(index.size(), n - 1000);
  EXPECT_EQ(index.Remove(0).code(), Code::kNotFound);       // already removed
  EXPECT_EQ(index.Remove(999999).code(), Code::kNotFound);  // never added
  for (size_t qi = 0; qi < 60; ++qi) {
    // Query with removed vectors themselves: the strongest temptation to return them.
    const auto hits = MustSearch(index, Row(rows, dim, qi * 3), 50);
    EXPECT_EQ(hits.size(), 50u);
    for (const SearchHit& h : hits) ASSERT_FALSE(removed(h.label)) << h.label;
  }
}

TEST_P(VectorIndexPathTest, ReAddingALabelReplacesItsVector) {
  const size_t dim = 32, n = 3000;
  const auto rows = RandomUnitVectors(n, dim, 6);
  VectorIndex index(Opts(dim, GetParam()));
  AddAll(index, rows, dim);
  // Label 7 moves to the position of a brand-new vector.
  const auto fresh = RandomUnitVectors(1, dim, 777);
  ASSERT_TRUE(index.Add(7, fresh).ok());
  EXPECT_EQ(index.size(), n);
  auto hits = MustSearch(index, fresh, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].label, 7u);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  hits = MustSearch(index, Row(rows, dim, 7), 5);
  for (const SearchHit& h : hits) EXPECT_LT(h.score, 0.9f) << "old vector of 7 still indexed";

  // A removed label comes back when re-added.
  ASSERT_TRUE(index.Remove(9).ok());
  ASSERT_TRUE(index.Add(9, Row(rows, dim, 9)).ok());
  EXPECT_EQ(index.size(), n);
  hits = MustSearch(index, Row(rows, dim, 9), 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].label, 9u);
}

INSTANTIATE_TEST_SUITE_P(ExactAndHnsw, VectorIndexPathTest, ::testing::Values(kNever, 0),
                         [](const auto& info) { return info.param == 0 ? "Hnsw" : "Exact"; });

TEST(VectorIndexTest, GrowsBeyondInitialCapacity) {
  const size_t dim = 16, n = 700;
  const auto rows = RandomUnitVectors(n, dim, 8);
  VectorIndex index(Opts(dim, 0, /*max_elements=*/4));
  AddAll(index, rows, dim);
  EXPECT_EQ(index.size(), n);
  EXPECT_GE(index.Stats().capacity, n);
  size_t self_found = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto hits = MustSearch(index, Row(rows, dim, i), 1);
    self_found += !hits.empty() && hits[0].label == i;
  }
  EXPECT_GE(self_found, n * 95 / 100);
}

TEST(VectorIndexTest, ChurnIsCompactedInsteadOfGrowingForever) {
  const size_t dim = 16, batch = 100;
  VectorIndex index(Opts(dim, 0, /*max_elements=*/128));
  uint64_t next = 0;
  for (int round = 0; round < 40; ++round) {
    const auto rows = RandomUnitVectors(batch, dim, 100 + round);
    for (size_t i = 0; i < batch; ++i) ASSERT_TRUE(index.Add(next + i, Row(rows, dim, i)).ok());
    if (round > 0) {
      for (size_t i = 0; i < batch; ++i) ASSERT_TRUE(index.Remove(next - batch + i).ok());
    }
    next += batch;
    const VectorIndexStats s = index.Stats();
    EXPECT_EQ(s.live, batch);
    // Compaction keeps capacity within ~4x of the peak live count (2 * batch here); without it
    // capacity would pass 40 * batch.
    EXPECT_LE(s.capacity, 8 * batch) << "round " << round;
    for (const SearchHit& h : MustSearch(index, Row(rows, dim, 0), 20)) {
      ASSERT_GE(h.label, next - batch) << "returned a removed label";
    }
  }
}

}  // namespace
}  // namespace scriptgen
