// Readers and writers at once. Run under -DSCRIPTGEN_SANITIZE=thread to check the locking.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "index/vector_index.h"
#include "test_vectors.h"

namespace scriptgen {
namespace {

using testing_util::RandomUnitVectors;
using testing_util::Row;

TEST(VectorIndexConcurrencyTest, SearchesRunWhileWritersAddRemoveAndSave) {
  const size_t dim = 16, base = 2500, per_writer = 400, writers = 2, readers = 4;
  const auto rows = RandomUnitVectors(base + writers * per_writer, dim, 77);
  // Start above the exact-search threshold so readers exercise HNSW, and small enough in
  // capacity that writers trigger growth while readers run.
  VectorIndex index(
      {.dimension = dim, .max_elements = base, .exact_search_below = 1000, .build_graph_at = 0});
  for (size_t i = 0; i < base; ++i) ASSERT_TRUE(index.Add(i, Row(rows, dim, i)).ok());

  std::atomic<bool> failed{false};
  std::atomic<size_t> writers_done{0};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      const size_t first = base + w * per_writer;
      for (size_t i = first; i < first + per_writer; ++i) {
        if (!index.Add(i, Row(rows, dim, i)).ok()) failed = true;
        // Each writer also removes old labels of its own residue class (no two threads remove
        // the same label, so every Remove must succeed).
        if (i % 4 == 0 && !index.Remove((i - first) * writers + w).ok()) failed = true;
      }
      ++writers_done;
    });
  }
  const std::string snap =
      (std::filesystem::temp_directory_path() / ("sg_conc_" + std::to_string(::getpid()))).string();
  threads.emplace_back([&] {
    for (int i = 0; i < 3; ++i) {
      if (!index.Save(snap, i).ok()) failed = true;
    }
  });
  for (size_t r = 0; r < readers; ++r) {
    threads.emplace_back([&, r] {
      const auto queries = RandomUnitVectors(50, dim, 1000 + r);
      size_t round = 0;
      while (writers_done < writers || round < 2) {
        for (size_t q = 0; q < 50; ++q) {
          auto hits = index.Search(Row(queries, dim, q), 10);
          if (!hits.ok() || hits->size() != 10) {
            failed = true;
            continue;
          }
          for (size_t i = 1; i < hits->size(); ++i) {
            if ((*hits)[i - 1].score < (*hits)[i].score) failed = true;
          }
          for (const SearchHit& h : *hits) {
            if (h.label >= rows.size() / dim) failed = true;
          }
          (void)index.size();
        }
        ++round;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::filesystem::remove(snap);
  EXPECT_FALSE(failed);
  EXPECT_EQ(index.size(), base + writers * per_writer - writers * per_writer / 4);
}

}  // namespace
}  // namespace scriptgen
