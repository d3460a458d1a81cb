#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "index/snapshot_file.h"
#include "index/snapshot_format.h"
#include "index/vector_index.h"
#include "test_vectors.h"

namespace scriptgen {
namespace {

using testing_util::RandomUnitVectors;
using testing_util::Row;

namespace fs = std::filesystem;

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sg_index_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string PathOf(const std::string& name) const { return (dir_ / name).string(); }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  // An HNSW-searched index of n vectors with every fifth removed, saved at `path`.
  std::vector<float> SaveSample(const std::string& path, size_t n, size_t dim, uint64_t seq) {
    auto rows = RandomUnitVectors(n, dim, 31);
    VectorIndex index(
        {.dimension = dim, .max_elements = 64, .exact_search_below = 0, .build_graph_at = 0});
    for (size_t i = 0; i < n; ++i) EXPECT_TRUE(index.Add(i, Row(rows, dim, i)).ok());
    for (size_t i = 0; i < n; i += 5) EXPECT_TRUE(index.Remove(i).ok());
    EXPECT_TRUE(index.Save(path, seq).ok());
    return rows;
  }

  fs::path dir_;
};

TEST_F(SnapshotTest, RoundTripKeepsResultsSequenceAndDeletions) {
  const size_t dim = 32, n = 3000;
  const std::string path = PathOf("index.snap");
  auto rows = RandomUnitVectors(n, dim, 1);
  VectorIndex original({.dimension = dim, .exact_search_below = 0, .build_graph_at = 0});
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(original.Add(i, Row(rows, dim, i)).ok());
  for (size_t i = 0; i < n; i += 4) ASSERT_TRUE(original.Remove(i).ok());
  ASSERT_TRUE(original.Save(path, 42).ok());

  uint64_t seq = 0;
  auto loaded = VectorIndex::Load(
      path, {.dimension = dim, .exact_search_below = 0, .build_graph_at = 0}, &seq);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  VectorIndex& index = **loaded;
  EXPECT_EQ(seq, 42u);
  // hnswlib 0.6.2 loses the deleted count on load; ours is recounted.
  EXPECT_EQ(index.size(), n - n / 4);
  EXPECT_EQ(index.Stats().deleted, n / 4);
  EXPECT_EQ(index.Stats().live, original.Stats().live);

  for (size_t qi = 0; qi < 50; ++qi) {
    const auto q = Row(rows, dim, qi * 4);  // removed vectors as queries
    auto a = original.Search(q, 20);
    auto b = index.Search(q, 20);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].label, (*b)[i].label);
      EXPECT_EQ((*a)[i].score, (*b)[i].score);
      EXPECT_NE((*b)[i].label % 4, 0u) << "removed label returned after load";
    }
  }
  // The loaded index keeps working: remove, replace, add, grow.
  EXPECT_EQ(index.Remove(0).code(), Code::kNotFound);
  ASSERT_TRUE(index.Remove(1).ok());
  const auto extra = RandomUnitVectors(200, dim, 2);
  for (size_t i = 0; i < 200; ++i) ASSERT_TRUE(index.Add(n + i, Row(extra, dim, i)).ok());
  EXPECT_EQ(index.size(), n - n / 4 - 1 + 200);
  auto hits = index.Search(Row(extra, dim, 5), 1);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ((*hits)[0].label, n + 5);
}

TEST_F(SnapshotTest, SnapshotParametersWinOverLoadOptions) {
  const std::string path = PathOf("m.snap");
  auto rows = RandomUnitVectors(500, 16, 3);
  VectorIndex original({.dimension = 16,
                        .M = 8,
                        .ef_construction = 50,
                        .exact_search_below = 0,
                        .build_graph_at = 0});
  for (size_t i = 0; i < 500; ++i) ASSERT_TRUE(original.Add(i, Row(rows, 16, i)).ok());
  ASSERT_TRUE(original.Save(path, 1).ok());
  auto loaded = VectorIndex::Load(
      path, {.dimension = 16, .M = 32, .exact_search_below = 0, .build_graph_at = 0}, nullptr);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (size_t i = 500; i < 700; ++i) ASSERT_TRUE((*loaded)->Add(i, Row(rows, 16, i - 500)).ok());
  EXPECT_EQ((*loaded)->size(), 700u);
}

TEST_F(SnapshotTest, EmptyIndexRoundTrips) {
  const std::string path = PathOf("empty.snap");
  VectorIndex empty({.dimension = 8});
  ASSERT_TRUE(empty.Save(path, 0).ok());
  uint64_t seq = 99;
  auto loaded = VectorIndex::Load(path, {.dimension = 8}, &seq);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(seq, 0u);
  EXPECT_EQ((*loaded)->size(), 0u);
  const std::vector<float> v(8, 0.5f);
  ASSERT_TRUE((*loaded)->Add(3, v).ok());
  EXPECT_EQ((*loaded)->size(), 1u);
}

TEST_F(SnapshotTest, MissingFileIsNotFound) {
  auto loaded = VectorIndex::Load(PathOf("absent.snap"), {.dimension = 8}, nullptr);
  EXPECT_EQ(loaded.status().code(), Code::kNotFound);
}

TEST_F(SnapshotTest, WrongDimensionIsRejected) {
  const std::string path = PathOf("dim.snap");
  SaveSample(path, 100, 16, 7);
  auto loaded = VectorIndex::Load(path, {.dimension = 32}, nullptr);
  EXPECT_EQ(loaded.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(loaded.status().message().find("dimension 16"), std::string::npos)
      << loaded.status().message();
}

TEST_F(SnapshotTest, ByteFlipsAnywhereAreDetected) {
  const std::string path = PathOf("flip.snap");
  SaveSample(path, 300, 8, 5);
  const std::string good = ReadFile(path);
  ASSERT_GT(good.size(), 1000u);
  const std::string bad_path = PathOf("bad.snap");
  // Every header and trailer byte, and a spread of body bytes (each body flip builds a graph,
  // which is slow under TSan).
  std::vector<size_t> positions;
  const size_t head = snapshot::kHeaderSize;
  for (size_t pos = 0; pos < head + 120; ++pos) positions.push_back(pos);
  for (size_t pos = head + 120; pos < good.size() - 8; pos += good.size() / 40) {
    positions.push_back(pos);
  }
  for (size_t pos = good.size() - 8; pos < good.size(); ++pos) positions.push_back(pos);
  for (size_t pos : positions) {
    std::string bytes = good;
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0x5A);
    WriteFile(bad_path, bytes);
    auto loaded = VectorIndex::Load(bad_path, {.dimension = 8}, nullptr);
    ASSERT_FALSE(loaded.ok()) << "flip at byte " << pos << " was accepted";
    EXPECT_EQ(loaded.status().code(), Code::kInternal) << pos << loaded.status().ToString();
  }
}

TEST_F(SnapshotTest, TruncatedOrExtendedFilesAreRejected) {
  const std::string path = PathOf("trunc.snap");
  SaveSample(path, 200, 8, 5);
  const std::string good = ReadFile(path);
  const std::string bad_path = PathOf("bad.snap");
  for (size_t len : {size_t{0}, size_t{10}, size_t{47}, size_t{48}, size_t{55}, size_t{56},
                     size_t{64}, good.size() / 2, good.size() - 9, good.size() - 1}) {
    WriteFile(bad_path, good.substr(0, len));
    auto loaded = VectorIndex::Load(bad_path, {.dimension = 8}, nullptr);
    EXPECT_EQ(loaded.status().code(), Code::kInternal) << "length " << len;
  }
  WriteFile(bad_path, good + "extra");
  EXPECT_EQ(VectorIndex::Load(bad_path, {.dimension = 8}, nullptr).status().code(),
            Code::kInternal);
  WriteFile(bad_path, std::string(4096, 'x'));
  auto garbage = VectorIndex::Load(bad_path, {.dimension = 8}, nullptr);
  EXPECT_EQ(garbage.status().code(), Code::kInternal);
  EXPECT_NE(garbage.status().message().find("magic"), std::string::npos);
}

// A snapshot whose checksum is valid but whose graph points outside itself (a bug, or a file
// produced by something else) must still be rejected before hnswlib ever follows the link.
TEST_F(SnapshotTest, ConsistentChecksumDoesNotMakeABadGraphAcceptable) {
  const std::string path = PathOf("graph.snap");
  SaveSample(path, 100, 8, 5);
  std::string bytes = ReadFile(path);
  // Body starts after the header with 96 bytes of hnswlib fields; element 0's level-0 link list
  // follows: a 4-byte count word, then 4-byte neighbour ids.
  const size_t first_neighbour = snapshot::kHeaderSize + 96 + 4;
  const uint32_t bogus = 0x7FFFFF00;
  std::memcpy(&bytes[first_neighbour], &bogus, sizeof(bogus));
  snapshot::Checksum checksum;
  checksum.Update(bytes.data(), bytes.size() - 8);
  uint64_t value = checksum.value();
  for (int i = 0; i < 8; ++i) bytes[bytes.size() - 8 + i] = static_cast<char>(value >> (8 * i));
  WriteFile(path, bytes);
  auto loaded = VectorIndex::Load(path, {.dimension = 8}, nullptr);
  ASSERT_EQ(loaded.status().code(), Code::kInternal);
  EXPECT_NE(loaded.status().message().find("neighbour"), std::string::npos)
      << loaded.status().message();
}

TEST_F(SnapshotTest, SaveReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  const std::string path = PathOf("atomic.snap");
  SaveSample(path, 50, 8, 1);
  SaveSample(path, 80, 8, 2);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"atomic.snap"});
  uint64_t seq = 0;
  auto loaded = VectorIndex::Load(path, {.dimension = 8}, &seq);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(seq, 2u);
  EXPECT_EQ((*loaded)->size(), 80u - 16u);

  VectorIndex index({.dimension = 8});
  const Status s = index.Save(PathOf("no/such/dir/x.snap"), 1);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace scriptgen
