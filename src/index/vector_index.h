// VectorIndex: an in-memory nearest-neighbour index over the vectors of ONE embed_version.
//
// Scores are inner products, i.e. cosine similarity for the L2-normalised vectors an Embedder
// produces. Two modes:
//  - flat (while fewer than build_graph_at vectors are live): vectors sit in a contiguous array
//    and every search is exact brute force. Add is a copy (microseconds), not an HNSW insert
//    (~1 ms for 384 dims), so ingesting small collections is not bound by graph building.
//  - graph (once an Add brings the live count to build_graph_at; 0 = from the start): the HNSW
//    graph (hnswlib) is built from all flat vectors at once, under the exclusive lock, and the
//    index never goes back. Indexes with fewer live vectors than exact_search_below are still
//    searched exactly; larger ones with HNSW, whose results are approximate (recall < 1).
// The one-off build blocks readers and writers for build_graph_at HNSW inserts (~20 s at the
// defaults and 384 dims); in exchange every smaller index never pays for a graph at all.
// Labels are caller-chosen 64-bit ids (e.g. chunk ids); adding an existing label replaces its
// vector, removing marks it deleted (it is never returned again). Capacity grows automatically;
// when growing would mostly carry deleted slots, the graph is rebuilt from the live vectors
// instead (this blocks writers and readers for the rebuild).
//
// Thread-safe: Search, size, Stats and Save take a shared lock and run concurrently; Add and
// Remove take an exclusive lock, and a waiting writer holds back new searches so indexing never
// starves under search load. The index is derived state: the store is the source of truth, a
// snapshot (Save/Load) only shortens start-up and records the store change it is current to.
//
//   VectorIndex index({.dimension = embedder.dimension()});
//   SG_RETURN_IF_ERROR(index.Add(chunk_id, vec));
//   auto hits = index.Search(query, 10);
//   SG_RETURN_IF_ERROR(index.Save(path, last_change_seq));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "util/status.h"

namespace scriptgen {

struct VectorIndexOptions {
  size_t dimension = 0;              // 1..65536, required
  size_t max_elements = 1 << 16;     // initial capacity in slots; grows automatically
  size_t M = 16;                     // HNSW links per node, 2..1024
  size_t ef_construction = 200;      // HNSW build quality
  size_t ef_search = 64;             // HNSW search breadth (at least k is used)
  size_t exact_search_below = 2000;  // graph mode: brute force while size() is below this
  // Flat (exact, no graph) until the live count reaches this; 0 builds the graph from the start.
  size_t build_graph_at = 20000;
};

struct SearchHit {
  uint64_t label;
  float score;  // inner product, higher is nearer
};

struct VectorIndexStats {
  size_t live = 0;         // == size()
  size_t deleted = 0;      // removed slots still held by the graph
  size_t capacity = 0;     // slots allocated (flat mode: vectors the flat store holds room for)
  bool has_graph = false;  // graph mode (see build_graph_at)
};

class VectorIndex {
 public:
  static Status ValidateOptions(const VectorIndexOptions& options);
  // Invalid options are a programming error here: throws std::invalid_argument (use
  // ValidateOptions first for a Status).
  explicit VectorIndex(VectorIndexOptions options);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // vec must have dimension() finite values. Re-adding an existing (or removed) label replaces
  // its vector. ResourceExhausted if capacity cannot grow.
  Status Add(uint64_t label, std::span<const float> vec);
  // NotFound if the label is absent or already removed.
  Status Remove(uint64_t label);
  // Up to k hits, best first (ties by smaller label). Empty for k == 0 or an empty index.
  StatusOr<std::vector<SearchHit>> Search(std::span<const float> query, size_t k) const;

  size_t size() const;  // live (not removed) vectors
  size_t dimension() const;
  VectorIndexStats Stats() const;

  // Writes a snapshot atomically (temp file + fsync + rename + directory fsync). Concurrent
  // searches continue; writers wait until the data is written (not for the fsync).
  Status Save(const std::string& path, uint64_t last_change_seq) const;
  // Reads a snapshot written by Save. options.dimension must match the snapshot
  // (FailedPrecondition otherwise). A graph snapshot loads in graph mode with M and
  // ef_construction taken from the snapshot (the graph was built with them); a flat snapshot
  // loads in flat mode, or builds the graph if it holds options.build_graph_at vectors or more.
  // NotFound if the file does not exist; Internal if it is corrupt or truncated. Any failure means:
  // rebuild the index from the store.
  static StatusOr<std::unique_ptr<VectorIndex>> Load(const std::string& path,
                                                     VectorIndexOptions options,
                                                     uint64_t* last_change_seq);

 private:
  struct Impl;
  explicit VectorIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace scriptgen
