// HnswGraph: the single wrapper around hnswlib's HierarchicalNSW (inner-product space).
//
// Internal to sg_index: VectorIndex adds locking, validation, exact search and growth policy on
// top. hnswlib's header defines non-inline functions and globals, so it may be included by one
// translation unit only: hnsw_graph.cc. This wrapper also owns the snapshot body format (hnswlib
// 0.6.2 saveIndex layout, read back with full bounds checks instead of hnswlib's trusting loader,
// and with the deleted-element count recomputed, which 0.6.2's loadIndex leaves uninitialised).
//
// Not thread-safe by itself except that concurrent const calls (Search, Slot*, Serialize) are
// safe; the caller serialises mutations against everything else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "util/status.h"

namespace scriptgen::snapshot {
class AtomicFileWriter;
class ChecksumReader;
}  // namespace scriptgen::snapshot

namespace scriptgen::index_internal {

// hnswlib addresses slots with 32-bit ids and sizes visited lists with an int.
inline constexpr size_t kMaxCapacity = (size_t{1} << 31) - 1;

struct HnswParams {
  size_t dimension = 0;
  size_t M = 16;
  size_t ef_construction = 200;
  size_t ef_search = 64;
};

// hnswlib's (SIMD) inner product for one dimension, usable without a graph: the flat store
// scores with it so flat and graph-mode exact search agree bit for bit.
class InnerProductKernel {
 public:
  explicit InnerProductKernel(size_t dimension);
  float operator()(const float* a, const float* b) const { return 1.0f - fn_(a, b, &dimension_); }

 private:
  float (*fn_)(const void*, const void*, const void*);
  size_t dimension_;
};

class HnswGraph {
 public:
  // ResourceExhausted if the memory cannot be allocated.
  static StatusOr<std::unique_ptr<HnswGraph>> Create(const HnswParams& params, size_t capacity);
  ~HnswGraph();
  HnswGraph(const HnswGraph&) = delete;
  HnswGraph& operator=(const HnswGraph&) = delete;

  const HnswParams& params() const { return params_; }
  size_t capacity() const;
  size_t slots() const;  // used slots, live or deleted
  size_t deleted() const;
  size_t live() const { return slots() - deleted(); }

  bool HasLabel(uint64_t label) const;  // live or deleted
  // Adds, or replaces (and revives) an existing label. A new label needs a free slot.
  Status Add(uint64_t label, const float* vec);
  Status MarkDeleted(uint64_t label);  // NotFound if absent or already deleted
  Status Resize(size_t capacity);

  // Slot access for exact search and rebuilds, slot < slots().
  bool SlotDeleted(size_t slot) const;
  uint64_t SlotLabel(size_t slot) const;
  const float* SlotVector(size_t slot) const;
  // hnswlib's (SIMD) inner product, so exact and approximate scores agree bit for bit.
  float InnerProduct(const float* a, const float* b) const;

  // Approximate nearest live vectors as (score, label), in no particular order.
  StatusOr<std::vector<std::pair<float, uint64_t>>> Search(const float* query, size_t k) const;

  uint64_t SerializedSize() const;
  Status Serialize(snapshot::AtomicFileWriter* out) const;
  // Reads exactly body_bytes from in. Internal if the bytes do not describe a valid graph of this
  // dimension. The capacity is at least min_capacity.
  static StatusOr<std::unique_ptr<HnswGraph>> Deserialize(snapshot::ChecksumReader* in,
                                                          uint64_t body_bytes, size_t dimension,
                                                          size_t min_capacity, size_t ef_search);

 private:
  struct Impl;
  HnswGraph(const HnswParams& params, std::unique_ptr<Impl> impl);

  HnswParams params_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scriptgen::index_internal
