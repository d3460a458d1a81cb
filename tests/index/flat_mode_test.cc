// Flat mode (below build_graph_at) and the one-way transition to the HNSW graph.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "index/snapshot_format.h"
#include "index/vector_index.h"
#include "test_vectors.h"

namespace scriptgen {
namespace {

using testing_util::BruteForceTopK;
using testing_util::RandomUnitVectors;
using testing_util::Row;

namespace fs = std::filesystem;

constexpr size_t kNever = std::numeric_limits<size_t>::max();

std::vector<SearchHit> MustSearch(const VectorIndex& index, std::span<const float> q, size_t k) {
  auto hits = index.Search(q, k);
  EXPECT_TRUE(hits.ok()) << hits.status().ToString();
  return hits.ok() ? *hits : std::vector<SearchHit>{};
}

void ExpectSameHits(const std::vector<SearchHit>& a, const std::vector<SearchHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].label, b[i].label) << "rank " << i;
    EXPECT_EQ(a[i].score, b[i].score) << "rank " << i;
  }
}

// The production shape: 384-dim vectors, default options, just below the threshold.
TEST(FlatModeTest, BelowThresholdIsExactAndBuildsNoGraph) {
  const size_t dim = 384, n = VectorIndexOptions{}.build_graph_at - 1;
  const auto rows = RandomUnitVectors(n, dim, 91);
  VectorIndex index({.dimension = dim});
  EXPECT_FALSE(index.Stats().has_graph);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(index.Add(i, Row(rows, dim, i)).ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("flat mode: %zu adds of %zu-dim vectors in %.3f s\n", n, dim, seconds);
  const VectorIndexStats s = index.Stats();
  EXPECT_FALSE(s.has_graph);
  EXPECT_EQ(s.live, n);
  EXPECT_EQ(s.deleted, 0u);
  EXPECT_GE(s.capacity, n);
  EXPECT_LE(s.capacity, 2 * n);
  const auto queries = RandomUnitVectors(5, dim, 92);
  for (size_t qi = 0; qi < 5; ++qi) {
    const auto q = Row(queries, dim, qi);
    const auto hits = MustSearch(index, q, 10);
    const auto truth = BruteForceTopK(rows, dim, q, 10, [](size_t) { return false; });
    ASSERT_EQ(hits.size(), 10u);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(hits[i].label, truth[i]);
  }
}

TEST(FlatModeTest, ThresholdZeroAndOne) {
  const auto v = RandomUnitVectors(2, 8, 1);
  VectorIndex zero({.dimension = 8, .build_graph_at = 0});
  EXPECT_TRUE(zero.Stats().has_graph);
  VectorIndex one({.dimension = 8, .build_graph_at = 1});
  EXPECT_FALSE(one.Stats().has_graph);
  ASSERT_TRUE(one.Add(1, Row(v, 8, 0)).ok());
  EXPECT_TRUE(one.Stats().has_graph);
  ASSERT_TRUE(one.Remove(1).ok());  // never goes back
  EXPECT_TRUE(one.Stats().has_graph);
  EXPECT_EQ(one.size(), 0u);
  EXPECT_TRUE(MustSearch(one, Row(v, 8, 1), 3).empty());
}

// Flat results equal graph-mode exact results bit for bit (same kernel, same tie rule).
TEST(FlatModeTest, FlatAndGraphExactSearchAgree) {
  const size_t dim = 48, n = 800;
  const auto rows = RandomUnitVectors(n, dim, 3);
  VectorIndex flat({.dimension = dim, .build_graph_at = kNever});
  VectorIndex graph({.dimension = dim, .exact_search_below = kNever, .build_graph_at = 0});
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(flat.Add(i, Row(rows, dim, i)).ok());
    ASSERT_TRUE(graph.Add(i, Row(rows, dim, i)).ok());
  }
  for (size_t i = 0; i < n; i += 3) {
    ASSERT_TRUE(flat.Remove(i).ok());
    ASSERT_TRUE(graph.Remove(i).ok());
  }
  EXPECT_FALSE(flat.Stats().has_graph);
  EXPECT_TRUE(graph.Stats().has_graph);
  const auto queries = RandomUnitVectors(20, dim, 4);
  for (size_t qi = 0; qi < 20; ++qi) {
    ExpectSameHits(MustSearch(flat, Row(queries, dim, qi), 25),
                   MustSearch(graph, Row(queries, dim, qi), 25));
  }
}

// Random add / replace / remove against a reference map: swap-with-last keeps slots consistent.
TEST(FlatModeTest, ChurnMatchesReferenceAndMemoryShrinks) {
  const size_t dim = 8;
  VectorIndex index({.dimension = dim, .build_graph_at = kNever});
  std::map<uint64_t, std::vector<float>> ref;
  std::mt19937_64 rng(5);
  for (int step = 0; step < 6000; ++step) {
    const uint64_t label = rng() % 700;
    if (rng() % 3 == 0) {
      const Status s = index.Remove(label);
      EXPECT_EQ(s.ok(), ref.erase(label) == 1) << s.ToString();
      if (!s.ok()) {
        EXPECT_EQ(s.code(), Code::kNotFound);
      }
    } else {
      auto v = RandomUnitVectors(1, dim, 1000 + step);
      ASSERT_TRUE(index.Add(label, v).ok());
      ref[label] = v;
    }
    ASSERT_EQ(index.size(), ref.size());
  }
  std::vector<float> rows;
  std::vector<uint64_t> labels;
  for (const auto& [label, v] : ref) {
    labels.push_back(label);
    rows.insert(rows.end(), v.begin(), v.end());
  }
  const auto queries = RandomUnitVectors(30, dim, 6);
  for (size_t qi = 0; qi < 30; ++qi) {
    const auto q = Row(queries, dim, qi);
    const auto truth = BruteForceTopK(rows, dim, q, 10, [](size_t) { return false; });
    const auto hits = MustSearch(index, q, 10);
    ASSERT_EQ(hits.size(), truth.size());
    for (size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].label, labels[truth[i]]);
  }
  // Removing nearly everything releases the arrays (bounded memory).
  const size_t peak = index.Stats().capacity;
  for (const auto& [label, v] : ref) {
    if (label % 50 != 0) {
      ASSERT_TRUE(index.Remove(label).ok());
    }
  }
  EXPECT_LT(index.Stats().capacity, peak / 2);
  EXPECT_LE(index.Stats().capacity, 4 * index.size() + 64);
}

TEST(FlatModeTest, TransitionKeepsLabelsReplacementsAndRemovals) {
  const size_t dim = 16, at = 500, n = 800;
  const auto rows = RandomUnitVectors(n, dim, 7);
  const auto fresh = RandomUnitVectors(2, dim, 8);
  for (size_t exact_below : {size_t{2000}, size_t{0}}) {
    SCOPED_TRACE(exact_below);
    VectorIndex index({.dimension = dim, .exact_search_below = exact_below, .build_graph_at = at});
    auto removed = [](size_t i) { return i % 7 == 0 && i < 300; };
    size_t live = 0, next = 0;
    while (live + 1 < at) {
      ASSERT_TRUE(index.Add(next, Row(rows, dim, next)).ok());
      ++live;
      if (removed(next)) {
        ASSERT_TRUE(index.Remove(next).ok());
        --live;
      }
      ++next;
    }
    ASSERT_EQ(index.size(), at - 1);
    // Flat: replace label 3, remove 5 (twice: NotFound), re-adding an existing label keeps the
    // live count, so it does not trigger the build.
    ASSERT_TRUE(index.Add(3, Row(fresh, dim, 0)).ok());
    ASSERT_TRUE(index.Remove(5).ok());
    EXPECT_EQ(index.Remove(5).code(), Code::kNotFound);
    EXPECT_EQ(index.Remove(0).code(), Code::kNotFound);
    ASSERT_TRUE(index.Add(5, Row(rows, dim, 5)).ok());
    EXPECT_EQ(index.size(), at - 1);
    EXPECT_FALSE(index.Stats().has_graph);
    // The Add that reaches the threshold builds the graph.
    ASSERT_TRUE(index.Add(next, Row(rows, dim, next)).ok());
    ++next;
    VectorIndexStats s = index.Stats();
    EXPECT_TRUE(s.has_graph);
    EXPECT_EQ(s.live, at);
    EXPECT_EQ(s.deleted, 0u);
    // Graph mode: more adds, a replace and a remove, then check every label.
    for (; next < n; ++next) ASSERT_TRUE(index.Add(next, Row(rows, dim, next)).ok());
    ASSERT_TRUE(index.Add(4, Row(fresh, dim, 1)).ok());
    ASSERT_TRUE(index.Remove(6).ok());
    EXPECT_EQ(index.Remove(6).code(), Code::kNotFound);
    EXPECT_EQ(index.Remove(7).code(), Code::kNotFound);  // removed while flat
    const size_t expected = n - 43 - 1;                  // 43 multiples of 7 below 300, and 6
    EXPECT_EQ(index.size(), expected);
    size_t self_found = 0, checked = 0;
    for (size_t i = 0; i < n; ++i) {
      if (removed(i) || i == 6 || i == 3 || i == 4) continue;
      const auto hits = MustSearch(index, Row(rows, dim, i), 1);
      ++checked;
      self_found += hits.size() == 1 && hits[0].label == i;
    }
    if (exact_below > 0) {
      EXPECT_EQ(self_found, checked);
    } else {
      EXPECT_GE(self_found, checked * 97 / 100);
    }
    for (size_t f = 0; f < 2; ++f) {
      const auto hits = MustSearch(index, Row(fresh, dim, f), 1);
      ASSERT_EQ(hits.size(), 1u);
      EXPECT_EQ(hits[0].label, 3u + f);
      EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
    }
    for (size_t qi = 0; qi < 40; ++qi) {
      for (const SearchHit& h : MustSearch(index, Row(rows, dim, qi * 7), 30)) {
        ASSERT_FALSE(removed(h.label) || h.label == 6) << "removed label " << h.label;
      }
    }
  }
}

class FlatSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sg_flat_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string PathOf(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(FlatSnapshotTest, FlatRoundTripStaysFlatWithIdenticalResults) {
  const size_t dim = 32, n = 1200;
  const auto rows = RandomUnitVectors(n, dim, 11);
  const VectorIndexOptions opts{.dimension = dim, .build_graph_at = 1250};
  VectorIndex original(opts);
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(original.Add(i, Row(rows, dim, i)).ok());
  for (size_t i = 0; i < n; i += 4) ASSERT_TRUE(original.Remove(i).ok());
  ASSERT_TRUE(original.Add(1, Row(rows, dim, 0)).ok());  // replaced
  const std::string path = PathOf("flat.snap");
  ASSERT_TRUE(original.Save(path, 17).ok());

  uint64_t seq = 0;
  auto loaded = VectorIndex::Load(path, opts, &seq);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  VectorIndex& index = **loaded;
  EXPECT_EQ(seq, 17u);
  EXPECT_FALSE(index.Stats().has_graph);
  EXPECT_EQ(index.size(), n - n / 4);
  const auto queries = RandomUnitVectors(30, dim, 12);
  for (size_t qi = 0; qi < 30; ++qi) {
    ExpectSameHits(MustSearch(original, Row(queries, dim, qi), 20),
                   MustSearch(index, Row(queries, dim, qi), 20));
  }
  EXPECT_EQ(index.Remove(0).code(), Code::kNotFound);
  // Keeps working, and crosses the threshold after the load.
  const auto extra = RandomUnitVectors(400, dim, 13);
  for (size_t i = 0; i < 400; ++i) ASSERT_TRUE(index.Add(n + i, Row(extra, dim, i)).ok());
  EXPECT_TRUE(index.Stats().has_graph);
  EXPECT_EQ(index.size(), n - n / 4 + 400);
  const auto hits = MustSearch(index, Row(extra, dim, 9), 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].label, n + 9);

  // A lower threshold at load time builds the graph right away; results stay exact.
  auto graphed = VectorIndex::Load(path, {.dimension = dim, .build_graph_at = 100}, nullptr);
  ASSERT_TRUE(graphed.ok()) << graphed.status().ToString();
  EXPECT_TRUE((*graphed)->Stats().has_graph);
  for (size_t qi = 0; qi < 30; ++qi) {
    ExpectSameHits(MustSearch(original, Row(queries, dim, qi), 20),
                   MustSearch(**graphed, Row(queries, dim, qi), 20));
  }
}

TEST_F(FlatSnapshotTest, GraphSnapshotLoadsAsGraphEvenBelowThreshold) {
  const size_t dim = 16, n = 300;
  const auto rows = RandomUnitVectors(n, dim, 21);
  VectorIndex original({.dimension = dim, .build_graph_at = 200});
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(original.Add(i, Row(rows, dim, i)).ok());
  for (size_t i = 0; i < 150; ++i) ASSERT_TRUE(original.Remove(i).ok());
  EXPECT_TRUE(original.Stats().has_graph);
  const std::string path = PathOf("graph.snap");
  ASSERT_TRUE(original.Save(path, 3).ok());
  auto loaded = VectorIndex::Load(path, {.dimension = dim}, nullptr);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE((*loaded)->Stats().has_graph);
  EXPECT_EQ((*loaded)->Stats().deleted, 150u);
  for (size_t i = 150; i < n; i += 10) {
    ExpectSameHits(MustSearch(original, Row(rows, dim, i), 5),
                   MustSearch(**loaded, Row(rows, dim, i), 5));
  }
}

TEST_F(FlatSnapshotTest, CorruptFlatSnapshotsAreRejected) {
  const size_t dim = 8, n = 100;
  const auto rows = RandomUnitVectors(n, dim, 31);
  VectorIndex original({.dimension = dim});
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(original.Add(i, Row(rows, dim, i)).ok());
  const std::string path = PathOf("c.snap"), bad = PathOf("bad.snap");
  ASSERT_TRUE(original.Save(path, 1).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string good{std::istreambuf_iterator<char>(in), {}};
  ASSERT_EQ(good.size(), snapshot::kHeaderSize + n * (8 + dim * 4) + snapshot::kTrailerSize);
  for (size_t pos = 0; pos < good.size(); pos += (pos < 80 ? 1 : 37)) {
    std::string bytes = good;
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0x5A);
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << bytes;
    auto loaded = VectorIndex::Load(bad, {.dimension = dim}, nullptr);
    ASSERT_FALSE(loaded.ok()) << "flip at byte " << pos << " was accepted";
    EXPECT_EQ(loaded.status().code(), Code::kInternal) << pos << loaded.status().ToString();
  }
  for (size_t len : {snapshot::kHeaderSize + 5, good.size() - 1}) {
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << good.substr(0, len);
    EXPECT_EQ(VectorIndex::Load(bad, {.dimension = dim}, nullptr).status().code(), Code::kInternal);
  }
}

// Writers cross the threshold while readers search and a saver snapshots. Run under TSan.
TEST(FlatModeConcurrencyTest, TransitionUnderConcurrentSearchAndSave) {
  const size_t dim = 16, per_writer = 900, writers = 2, readers = 3, at = 1200;
  const auto rows = RandomUnitVectors(writers * per_writer, dim, 41);
  VectorIndex index({.dimension = dim, .exact_search_below = 600, .build_graph_at = at});
  std::atomic<bool> failed{false};
  std::atomic<size_t> writers_done{0};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      // Interleaved labels; each writer removes every 5th of its own.
      for (size_t j = 0; j < per_writer; ++j) {
        const size_t label = j * writers + w;
        if (!index.Add(label, Row(rows, dim, label)).ok()) failed = true;
        if (j % 5 == 4 && !index.Remove(label - 4 * writers).ok()) failed = true;
      }
      ++writers_done;
    });
  }
  const std::string snap =
      (fs::temp_directory_path() / ("sg_flat_conc_" + std::to_string(::getpid()))).string();
  threads.emplace_back([&] {
    for (int i = 0; i < 4; ++i) {
      if (!index.Save(snap, i).ok()) failed = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (size_t r = 0; r < readers; ++r) {
    threads.emplace_back([&, r] {
      const auto queries = RandomUnitVectors(20, dim, 500 + r);
      size_t round = 0;
      while (writers_done < writers || round < 2) {
        for (size_t q = 0; q < 20; ++q) {
          auto hits = index.Search(Row(queries, dim, q), 10);
          if (!hits.ok()) {
            failed = true;
            continue;
          }
          for (size_t i = 1; i < hits->size(); ++i) {
            if ((*hits)[i - 1].score < (*hits)[i].score) failed = true;
          }
          for (const SearchHit& h : *hits) {
            if (h.label >= writers * per_writer) failed = true;
          }
          (void)index.Stats();
        }
        ++round;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  const size_t expected = writers * per_writer - writers * (per_writer / 5);
  EXPECT_EQ(index.size(), expected);
  EXPECT_TRUE(index.Stats().has_graph);
  auto loaded = VectorIndex::Load(snap, {.dimension = dim, .build_graph_at = at}, nullptr);
  fs::remove(snap);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  // Removed labels (j % 5 == 0 of each writer) are gone.
  for (size_t label = 0; label < 200; ++label) {
    const bool removed = (label / writers) % 5 == 0;
    EXPECT_EQ(index.Remove(label).code() == Code::kNotFound, removed) << label;
  }
}

}  // namespace
}  // namespace scriptgen
