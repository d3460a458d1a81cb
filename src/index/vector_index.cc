// Policy around HnswGraph: locking, input validation, the flat mode, exact search, growth,
// compaction and snapshot framing.
//
// Flat mode keeps vectors in one contiguous slot-major array with a label -> slot map. Remove
// moves the last slot into the hole (swap-with-last), so there are never tombstones, and the
// arrays shrink when they fall below a quarter full: memory stays within ~4x of the live set and
// never exceeds ~2x build_graph_at vectors. Slot order is therefore arbitrary, which is harmless
// because exact search breaks score ties by label. Reaching build_graph_at builds the graph from
// the flat slots in one go under the exclusive lock and frees the flat arrays; graph mode never
// returns to flat (a graph that shrinks keeps its graph, as before this mode existed).
//
// In graph mode exact search reads the vectors stored in the graph's own slots rather than a
// second copy: the graph keeps every vector verbatim, so "keeping the raw vectors" costs no extra
// memory. Both modes score with hnswlib's own (SIMD) inner product, so flat, exact-graph and HNSW
// paths score a pair identically and results do not shift at the transition.
//
// Growth (graph mode): when a new label finds the graph full, either double the capacity, or,
// when at least half of the slots are removed vectors, rebuild a fresh graph from the live
// vectors (hnswlib 0.6.2 cannot reuse deleted slots). Rebuilding costs O(live * log live) under
// the exclusive lock, but happens at most once per doubling of removals, so memory stays within
// ~2x of the live set.
//
// The lock prefers writers (rw_lock.h): with glibc's default reader preference, a steady stream
// of searches starved Add forever.
//
// Save holds the shared lock only while writing the bytes; fsync and rename happen after it is
// released, so a slow disk does not stall writers. The snapshot body is either the graph or the
// flat records (snapshot_format.h), so a flat index loads back flat with identical results.
#include "index/vector_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <new>
#include <queue>
#include <shared_mutex>  // std::shared_lock
#include <stdexcept>
#include <unordered_map>

#include "index/hnsw_graph.h"
#include "index/rw_lock.h"
#include "index/snapshot_file.h"
#include "index/snapshot_format.h"

namespace scriptgen {

using index_internal::HnswGraph;
using index_internal::HnswParams;
using index_internal::InnerProductKernel;
using index_internal::kMaxCapacity;

namespace {

constexpr size_t kMaxDimension = 65536;

// Best first: higher score, then smaller label (deterministic ties).
bool Better(const SearchHit& a, const SearchHit& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.label < b.label;
}

Status CheckVector(std::span<const float> v, size_t dimension, const char* what) {
  if (v.size() != dimension) {
    return InvalidArgument(std::string(what) + " has " + std::to_string(v.size()) +
                           " values, index dimension is " + std::to_string(dimension));
  }
  for (float x : v) {
    if (!std::isfinite(x)) return InvalidArgument(std::string(what) + " has a non-finite value");
  }
  return Status::Ok();
}

HnswParams ParamsOf(const VectorIndexOptions& o) {
  return {o.dimension, o.M, o.ef_construction, o.ef_search};
}

}  // namespace

// Flat mode storage: slot -> label, slot -> dimension floats (slot-major), label -> slot.
struct FlatStore {
  std::vector<uint64_t> labels;
  std::vector<float> vectors;
  std::unordered_map<uint64_t, size_t> slot_of;
};

struct VectorIndex::Impl {
  explicit Impl(const VectorIndexOptions& o) : options(o), inner_product(o.dimension) {}

  VectorIndexOptions options;
  const InnerProductKernel inner_product;
  mutable index_internal::WriterPreferringRwLock mu;
  // Everything below is guarded by mu. graph == nullptr means flat mode; flat is empty otherwise.
  std::unique_ptr<HnswGraph> graph;
  FlatStore flat;

  size_t live() const { return graph ? graph->live() : flat.labels.size(); }
  const float* FlatVector(size_t slot) const {
    return flat.vectors.data() + slot * options.dimension;
  }
  std::vector<SearchHit> ExactSearch(std::span<const float> query, size_t k) const;
  Status MakeRoom();
  Status FlatAdd(uint64_t label, const float* vec);
  Status FlatRemove(uint64_t label);
  // Builds the graph from the flat store if it holds build_graph_at vectors or more.
  Status MaybeBuildGraph();
};

std::vector<SearchHit> VectorIndex::Impl::ExactSearch(std::span<const float> query,
                                                      size_t k) const {
  // Min-heap of the best k so far: its top is the worst kept hit.
  auto worse = [](const SearchHit& a, const SearchHit& b) { return Better(a, b); };
  std::priority_queue<SearchHit, std::vector<SearchHit>, decltype(worse)> best(worse);
  auto consider = [&](uint64_t label, const float* vec) {
    const SearchHit hit{label, inner_product(query.data(), vec)};
    if (best.size() < k) {
      best.push(hit);
    } else if (Better(hit, best.top())) {
      best.pop();
      best.push(hit);
    }
  };
  if (graph) {
    for (size_t slot = 0; slot < graph->slots(); ++slot) {
      if (!graph->SlotDeleted(slot)) consider(graph->SlotLabel(slot), graph->SlotVector(slot));
    }
  } else {
    for (size_t slot = 0; slot < flat.labels.size(); ++slot) {
      consider(flat.labels[slot], FlatVector(slot));
    }
  }
  std::vector<SearchHit> hits;
  hits.reserve(best.size());
  for (; !best.empty(); best.pop()) hits.push_back(best.top());
  std::reverse(hits.begin(), hits.end());
  return hits;
}

Status VectorIndex::Impl::FlatAdd(uint64_t label, const float* vec) {
  const size_t dim = options.dimension;
  if (auto it = flat.slot_of.find(label); it != flat.slot_of.end()) {
    std::copy(vec, vec + dim, flat.vectors.begin() + it->second * dim);
    return Status::Ok();
  }
  const size_t slot = flat.labels.size();
  try {
    if (slot == flat.labels.capacity()) {
      const size_t capacity = std::max<size_t>(16, 2 * slot);
      flat.vectors.reserve(capacity * dim);
      flat.labels.reserve(capacity);
    }
    flat.slot_of.emplace(label, slot);
  } catch (const std::exception&) {  // bad_alloc, length_error
    return Status(Code::kResourceExhausted, "cannot grow the flat vector store");
  }
  // Capacity is reserved above, so these do not allocate (or throw).
  flat.labels.push_back(label);
  flat.vectors.insert(flat.vectors.end(), vec, vec + dim);
  if (Status s = MaybeBuildGraph(); !s.ok()) {
    (void)FlatRemove(label);  // stay flat and consistent; the caller sees the failure
    return s;
  }
  return Status::Ok();
}

Status VectorIndex::Impl::FlatRemove(uint64_t label) {
  const auto it = flat.slot_of.find(label);
  if (it == flat.slot_of.end()) {
    return NotFound("label " + std::to_string(label) + " is not in the index");
  }
  const size_t dim = options.dimension;
  const size_t slot = it->second, last = flat.labels.size() - 1;
  flat.slot_of.erase(it);
  if (slot != last) {
    const uint64_t moved = flat.labels[last];
    flat.labels[slot] = moved;
    std::copy(flat.vectors.begin() + last * dim, flat.vectors.begin() + (last + 1) * dim,
              flat.vectors.begin() + slot * dim);
    flat.slot_of[moved] = slot;
  }
  flat.labels.pop_back();
  flat.vectors.resize(last * dim);
  if (flat.labels.capacity() > 64 && flat.labels.size() * 4 < flat.labels.capacity()) {
    flat.labels.shrink_to_fit();
    flat.vectors.shrink_to_fit();
  }
  return Status::Ok();
}

Status VectorIndex::Impl::MaybeBuildGraph() {
  const size_t live = flat.labels.size();
  if (graph || live < options.build_graph_at) return Status::Ok();
  if (live > kMaxCapacity) {
    return Status(Code::kResourceExhausted, "too many vectors for an HNSW graph");
  }
  auto fresh = HnswGraph::Create(ParamsOf(options),
                                 std::min(kMaxCapacity, std::max(options.max_elements, live + 1)));
  if (!fresh.ok()) return fresh.status();
  for (size_t slot = 0; slot < live; ++slot) {
    SG_RETURN_IF_ERROR((*fresh)->Add(flat.labels[slot], FlatVector(slot)));
  }
  graph = std::move(*fresh);
  flat = FlatStore{};  // frees the flat arrays
  return Status::Ok();
}

Status VectorIndex::Impl::MakeRoom() {
  const size_t live = graph->live();
  if (graph->deleted() > 0 && graph->deleted() * 2 >= graph->slots()) {
    const size_t capacity =
        std::min(kMaxCapacity, std::max({options.max_elements, 2 * live, live + 1}));
    auto fresh = HnswGraph::Create(graph->params(), capacity);
    if (!fresh.ok()) return fresh.status();
    for (size_t slot = 0; slot < graph->slots(); ++slot) {
      if (graph->SlotDeleted(slot)) continue;
      SG_RETURN_IF_ERROR((*fresh)->Add(graph->SlotLabel(slot), graph->SlotVector(slot)));
    }
    graph = std::move(*fresh);
    return Status::Ok();
  }
  const size_t capacity = graph->capacity();
  if (capacity >= kMaxCapacity) {
    return Status(Code::kResourceExhausted, "vector index is at its maximum capacity");
  }
  return graph->Resize(std::min(kMaxCapacity, std::max(2 * capacity, capacity + 1)));
}

Status VectorIndex::ValidateOptions(const VectorIndexOptions& o) {
  if (o.dimension == 0 || o.dimension > kMaxDimension) {
    return InvalidArgument("vector index dimension must be in [1, 65536], got " +
                           std::to_string(o.dimension));
  }
  if (o.max_elements == 0 || o.max_elements > kMaxCapacity) {
    return InvalidArgument("vector index max_elements must be in [1, 2^31-1]");
  }
  if (o.M < 2 || o.M > 1024) return InvalidArgument("vector index M must be in [2, 1024]");
  if (o.ef_construction == 0 || o.ef_search == 0) {
    return InvalidArgument("vector index ef_construction and ef_search must be positive");
  }
  return Status::Ok();
}

VectorIndex::VectorIndex(VectorIndexOptions options) {
  if (Status s = ValidateOptions(options); !s.ok()) throw std::invalid_argument(s.ToString());
  impl_ = std::make_unique<Impl>(options);
  if (options.build_graph_at == 0) {
    auto graph = HnswGraph::Create(ParamsOf(options), options.max_elements);
    if (!graph.ok()) throw std::bad_alloc();
    impl_->graph = std::move(*graph);
  }
}

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

VectorIndex::~VectorIndex() = default;

Status VectorIndex::Add(uint64_t label, std::span<const float> vec) {
  SG_RETURN_IF_ERROR(CheckVector(vec, impl_->options.dimension, "vector"));
  std::unique_lock lock(impl_->mu);
  if (!impl_->graph) return impl_->FlatAdd(label, vec.data());
  HnswGraph& g = *impl_->graph;
  if (!g.HasLabel(label) && g.slots() >= g.capacity()) SG_RETURN_IF_ERROR(impl_->MakeRoom());
  return impl_->graph->Add(label, vec.data());
}

Status VectorIndex::Remove(uint64_t label) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->graph) return impl_->FlatRemove(label);
  return impl_->graph->MarkDeleted(label);
}

StatusOr<std::vector<SearchHit>> VectorIndex::Search(std::span<const float> query, size_t k) const {
  SG_RETURN_IF_ERROR(CheckVector(query, impl_->options.dimension, "query"));
  std::shared_lock lock(impl_->mu);
  const size_t live = impl_->live();
  k = std::min(k, live);
  if (k == 0) return std::vector<SearchHit>{};
  if (!impl_->graph || live < impl_->options.exact_search_below) {
    return impl_->ExactSearch(query, k);
  }

  auto found = impl_->graph->Search(query.data(), k);
  if (!found.ok()) return found.status();
  std::vector<SearchHit> hits;
  hits.reserve(found->size());
  for (const auto& [score, label] : *found) hits.push_back({label, score});
  std::sort(hits.begin(), hits.end(), Better);
  return hits;
}

size_t VectorIndex::size() const {
  std::shared_lock lock(impl_->mu);
  return impl_->live();
}

size_t VectorIndex::dimension() const {
  return impl_->options.dimension;
}

VectorIndexStats VectorIndex::Stats() const {
  std::shared_lock lock(impl_->mu);
  if (!impl_->graph) return {impl_->live(), 0, impl_->flat.labels.capacity(), false};
  const HnswGraph& g = *impl_->graph;
  return {g.live(), g.deleted(), g.capacity(), true};
}

Status VectorIndex::Save(const std::string& path, uint64_t last_change_seq) const {
  auto writer = snapshot::AtomicFileWriter::Create(path);
  if (!writer.ok()) return writer.status();
  snapshot::AtomicFileWriter& w = **writer;
  {
    std::shared_lock lock(impl_->mu);
    const HnswGraph* g = impl_->graph.get();
    const FlatStore& flat = impl_->flat;
    const size_t dim = impl_->options.dimension;
    snapshot::Header header;
    header.dimension = static_cast<uint32_t>(dim);
    header.last_change_seq = last_change_seq;
    header.live_count = impl_->live();
    header.body_kind = g ? snapshot::BodyKind::kGraph : snapshot::BodyKind::kFlat;
    header.body_bytes =
        g ? g->SerializedSize() : header.live_count * (sizeof(uint64_t) + dim * sizeof(float));
    const auto head = snapshot::EncodeHeader(header);
    SG_RETURN_IF_ERROR(w.Write(head.data(), head.size()));
    if (g) {
      SG_RETURN_IF_ERROR(g->Serialize(&w));
    } else {
      for (size_t slot = 0; slot < flat.labels.size(); ++slot) {
        SG_RETURN_IF_ERROR(w.Write(&flat.labels[slot], sizeof(uint64_t)));
        SG_RETURN_IF_ERROR(w.Write(impl_->FlatVector(slot), dim * sizeof(float)));
      }
    }
    if (w.bytes_written() != snapshot::kHeaderSize + header.body_bytes) {
      return Internal("vector index snapshot body size mismatch");
    }
  }
  const auto trailer = snapshot::EncodeTrailer(w.checksum());
  SG_RETURN_IF_ERROR(w.Write(trailer.data(), trailer.size()));
  return w.Commit();
}

StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::string& path,
                                                         VectorIndexOptions options,
                                                         uint64_t* last_change_seq) {
  SG_RETURN_IF_ERROR(ValidateOptions(options));
  auto opened = snapshot::ChecksumReader::Open(path);
  if (!opened.ok()) return opened.status();
  snapshot::ChecksumReader& in = **opened;

  std::array<unsigned char, snapshot::kHeaderSize> head;
  if (in.file_size() < head.size() + snapshot::kTrailerSize) {
    return Internal("vector index snapshot " + path + " is truncated");
  }
  SG_RETURN_IF_ERROR(in.Read(head.data(), head.size()));
  auto header = snapshot::DecodeHeader(head);
  if (!header.ok()) return Status(header.status().code(), path + ": " + header.status().message());
  if (header->dimension != options.dimension) {
    return FailedPrecondition("vector index snapshot " + path + " has dimension " +
                              std::to_string(header->dimension) + ", expected " +
                              std::to_string(options.dimension));
  }
  const uint64_t expected_size = snapshot::kHeaderSize + snapshot::kTrailerSize;
  if (header->body_bytes > in.file_size() || in.file_size() != expected_size + header->body_bytes) {
    return Internal("vector index snapshot " + path + " is truncated or has trailing bytes");
  }

  auto impl = std::make_unique<Impl>(options);
  const size_t dim = options.dimension;
  if (header->body_kind == snapshot::BodyKind::kGraph) {
    auto graph = HnswGraph::Deserialize(&in, header->body_bytes, dim, options.max_elements,
                                        options.ef_search);
    if (!graph.ok()) return Status(graph.status().code(), path + ": " + graph.status().message());
    impl->options.M = (*graph)->params().M;
    impl->options.ef_construction = (*graph)->params().ef_construction;
    impl->graph = std::move(*graph);
  } else {
    const uint64_t record = sizeof(uint64_t) + dim * sizeof(float);
    if (header->live_count > header->body_bytes / record ||
        header->live_count * record != header->body_bytes) {
      return Internal("vector index snapshot " + path + " is corrupt (flat body size)");
    }
    FlatStore& flat = impl->flat;
    flat.labels.reserve(header->live_count);
    flat.vectors.resize(header->live_count * dim);
    flat.slot_of.reserve(header->live_count);
    for (size_t slot = 0; slot < header->live_count; ++slot) {
      uint64_t label = 0;
      float* vec = flat.vectors.data() + slot * dim;
      SG_RETURN_IF_ERROR(in.Read(&label, sizeof(label)));
      SG_RETURN_IF_ERROR(in.Read(vec, dim * sizeof(float)));
      if (!flat.slot_of.emplace(label, slot).second) {
        return Internal("vector index snapshot " + path + " is corrupt (duplicate label)");
      }
      if (!CheckVector({vec, dim}, dim, "vector").ok()) {
        return Internal("vector index snapshot " + path + " is corrupt (non-finite value)");
      }
      flat.labels.push_back(label);
    }
  }
  const uint64_t computed = in.checksum();
  std::array<unsigned char, snapshot::kTrailerSize> tail;
  SG_RETURN_IF_ERROR(in.Read(tail.data(), tail.size()));
  if (snapshot::DecodeTrailer(tail) != computed) {
    return Internal("vector index snapshot " + path + " is corrupt (checksum mismatch)");
  }
  if (impl->live() != header->live_count) {
    return Internal("vector index snapshot " + path + " is corrupt (live count mismatch)");
  }
  // A flat snapshot loaded with a lower build_graph_at than it was saved with.
  SG_RETURN_IF_ERROR(impl->MaybeBuildGraph());
  if (last_change_seq != nullptr) *last_change_seq = header->last_change_seq;
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

}  // namespace scriptgen
