// Policy around HnswGraph: locking, input validation, exact search for small indexes, growth,
// compaction and snapshot framing.
//
// Exact search reads the vectors stored in the graph's own slots rather than a second copy: the
// graph keeps every vector verbatim, so "keeping the raw vectors" costs no extra memory, and
// exact search and rebuilds use the same bytes HNSW does (and the same SIMD inner product, so
// both paths score a pair identically).
//
// Growth: when a new label finds the graph full, either double the capacity, or, when at least
// half of the slots are removed vectors, rebuild a fresh graph from the live vectors (hnswlib
// 0.6.2 cannot reuse deleted slots). Rebuilding costs O(live * log live) under the exclusive lock,
// but happens at most once per doubling of removals, so memory stays within ~2x of the live set.
//
// The lock prefers writers (rw_lock.h): with glibc's default reader preference, a steady stream
// of searches starved Add forever.
//
// Save holds the shared lock only while writing the bytes; fsync and rename happen after it is
// released, so a slow disk does not stall writers.
#include "index/vector_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <queue>
#include <shared_mutex>  // std::shared_lock
#include <stdexcept>

#include "index/hnsw_graph.h"
#include "index/rw_lock.h"
#include "index/snapshot_file.h"
#include "index/snapshot_format.h"

namespace scriptgen {

using index_internal::HnswGraph;
using index_internal::HnswParams;
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

struct VectorIndex::Impl {
  VectorIndexOptions options;
  mutable index_internal::WriterPreferringRwLock mu;
  std::unique_ptr<HnswGraph> graph;  // guarded by mu

  std::vector<SearchHit> ExactSearch(std::span<const float> query, size_t k) const;
  Status MakeRoom();
};

std::vector<SearchHit> VectorIndex::Impl::ExactSearch(std::span<const float> query,
                                                      size_t k) const {
  // Min-heap of the best k so far: its top is the worst kept hit.
  auto worse = [](const SearchHit& a, const SearchHit& b) { return Better(a, b); };
  std::priority_queue<SearchHit, std::vector<SearchHit>, decltype(worse)> best(worse);
  for (size_t slot = 0; slot < graph->slots(); ++slot) {
    if (graph->SlotDeleted(slot)) continue;
    const SearchHit hit{graph->SlotLabel(slot),
                        graph->InnerProduct(query.data(), graph->SlotVector(slot))};
    if (best.size() < k) {
      best.push(hit);
    } else if (Better(hit, best.top())) {
      best.pop();
      best.push(hit);
    }
  }
  std::vector<SearchHit> hits;
  hits.reserve(best.size());
  for (; !best.empty(); best.pop()) hits.push_back(best.top());
  std::reverse(hits.begin(), hits.end());
  return hits;
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
  auto graph = HnswGraph::Create(ParamsOf(options), options.max_elements);
  if (!graph.ok()) throw std::bad_alloc();
  impl_ = std::make_unique<Impl>();
  impl_->options = options;
  impl_->graph = std::move(*graph);
}

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

VectorIndex::~VectorIndex() = default;

Status VectorIndex::Add(uint64_t label, std::span<const float> vec) {
  SG_RETURN_IF_ERROR(CheckVector(vec, impl_->options.dimension, "vector"));
  std::unique_lock lock(impl_->mu);
  HnswGraph& g = *impl_->graph;
  if (!g.HasLabel(label) && g.slots() >= g.capacity()) SG_RETURN_IF_ERROR(impl_->MakeRoom());
  return impl_->graph->Add(label, vec.data());
}

Status VectorIndex::Remove(uint64_t label) {
  std::unique_lock lock(impl_->mu);
  return impl_->graph->MarkDeleted(label);
}

StatusOr<std::vector<SearchHit>> VectorIndex::Search(std::span<const float> query, size_t k) const {
  SG_RETURN_IF_ERROR(CheckVector(query, impl_->options.dimension, "query"));
  std::shared_lock lock(impl_->mu);
  const HnswGraph& g = *impl_->graph;
  k = std::min(k, g.live());
  if (k == 0) return std::vector<SearchHit>{};
  if (g.live() < impl_->options.exact_search_below) return impl_->ExactSearch(query, k);

  auto found = g.Search(query.data(), k);
  if (!found.ok()) return found.status();
  std::vector<SearchHit> hits;
  hits.reserve(found->size());
  for (const auto& [score, label] : *found) hits.push_back({label, score});
  std::sort(hits.begin(), hits.end(), Better);
  return hits;
}

size_t VectorIndex::size() const {
  std::shared_lock lock(impl_->mu);
  return impl_->graph->live();
}

size_t VectorIndex::dimension() const {
  return impl_->options.dimension;
}

VectorIndexStats VectorIndex::Stats() const {
  std::shared_lock lock(impl_->mu);
  const HnswGraph& g = *impl_->graph;
  return {g.live(), g.deleted(), g.capacity()};
}

Status VectorIndex::Save(const std::string& path, uint64_t last_change_seq) const {
  auto writer = snapshot::AtomicFileWriter::Create(path);
  if (!writer.ok()) return writer.status();
  snapshot::AtomicFileWriter& w = **writer;
  {
    std::shared_lock lock(impl_->mu);
    const HnswGraph& g = *impl_->graph;
    snapshot::Header header;
    header.dimension = static_cast<uint32_t>(impl_->options.dimension);
    header.last_change_seq = last_change_seq;
    header.body_bytes = g.SerializedSize();
    header.live_count = g.live();
    const auto head = snapshot::EncodeHeader(header);
    SG_RETURN_IF_ERROR(w.Write(head.data(), head.size()));
    SG_RETURN_IF_ERROR(g.Serialize(&w));
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

  auto graph = HnswGraph::Deserialize(&in, header->body_bytes, options.dimension,
                                      options.max_elements, options.ef_search);
  if (!graph.ok()) return Status(graph.status().code(), path + ": " + graph.status().message());
  const uint64_t computed = in.checksum();
  std::array<unsigned char, snapshot::kTrailerSize> tail;
  SG_RETURN_IF_ERROR(in.Read(tail.data(), tail.size()));
  if (snapshot::DecodeTrailer(tail) != computed) {
    return Internal("vector index snapshot " + path + " is corrupt (checksum mismatch)");
  }
  if ((*graph)->live() != header->live_count) {
    return Internal("vector index snapshot " + path + " is corrupt (live count mismatch)");
  }

  auto impl = std::make_unique<Impl>();
  options.M = (*graph)->params().M;
  options.ef_construction = (*graph)->params().ef_construction;
  impl->options = options;
  impl->graph = std::move(*graph);
  if (last_change_seq != nullptr) *last_change_seq = header->last_change_seq;
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

}  // namespace scriptgen
