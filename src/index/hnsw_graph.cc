// The only translation unit that includes hnswlib (its header defines non-inline functions).
//
// Snapshot body = hnswlib 0.6.2's own saveIndex layout, written and read here field by field
// through our checksummed streams. We do not call saveIndex/loadIndex: they only work on whole
// files by path (no room for our header, checksum or atomic rename), loadIndex trusts the bytes
// (a corrupt neighbour id is an out-of-bounds access during search), and in 0.6.2 it leaves
// num_deleted_ uninitialised before counting deletions into it. Deserialize instead constructs
// the graph normally and fills in the memory image after validating every size, level, label and
// neighbour id, then recounts the deleted elements. The price is depending on hnswlib's public
// data members, which is acceptable because the Debian package pins 0.6.2 and the round-trip
// tests would catch a layout change.
#include "index/hnsw_graph.h"

#if defined(__SANITIZE_ADDRESS__)
// hnswlib 0.6.2's SSE path prefetches neighbour ids one past the end of a full upper-level link
// list (searchBaseLayer, `*(datal + j + 1)`), a 4-byte over-read of its own malloc block. Release
// builds are unaffected in practice (the bytes lie inside glibc's chunk and only feed a prefetch
// hint), but ASan aborts on it. ASan builds therefore use hnswlib's portable scalar path, which
// has no prefetches; release and TSan builds keep SIMD.
#define NO_MANUAL_VECTORIZATION
#endif
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "index/snapshot_file.h"

namespace scriptgen::index_internal {
namespace {

using Hnsw = hnswlib::HierarchicalNSW<float>;
static_assert(sizeof(hnswlib::labeltype) == sizeof(uint64_t), "labels must be 64-bit");

constexpr size_t kFixedFieldsSize = 6 * sizeof(size_t) + sizeof(int) + sizeof(hnswlib::tableint) +
                                    3 * sizeof(size_t) + sizeof(double) + sizeof(size_t);

Status Corrupt(const std::string& what) {
  return Internal("vector index snapshot is corrupt: " + what);
}

template <typename T>
Status WritePod(snapshot::AtomicFileWriter* out, const T& v) {
  return out->Write(&v, sizeof(T));
}

template <typename T>
Status ReadPod(snapshot::ChecksumReader* in, T* v) {
  return in->Read(v, sizeof(T));
}

}  // namespace

struct HnswGraph::Impl {
  explicit Impl(size_t dimension) : space(dimension) {}
  // Declared before hnsw: the graph keeps a pointer into the space, so it must die first.
  hnswlib::InnerProductSpace space;
  std::unique_ptr<Hnsw> hnsw;
};

InnerProductKernel::InnerProductKernel(size_t dimension) : dimension_(dimension) {
  // The space only picks the (SIMD) function for this dimension; its parameter is the dimension
  // as a size_t, which we keep ourselves.
  hnswlib::InnerProductSpace space(dimension);
  fn_ = space.get_dist_func();
}

HnswGraph::HnswGraph(const HnswParams& params, std::unique_ptr<Impl> impl)
    : params_(params), impl_(std::move(impl)) {}

HnswGraph::~HnswGraph() = default;

StatusOr<std::unique_ptr<HnswGraph>> HnswGraph::Create(const HnswParams& params, size_t capacity) {
  auto impl = std::make_unique<Impl>(params.dimension);
  try {
    impl->hnsw = std::make_unique<Hnsw>(&impl->space, capacity, params.M, params.ef_construction);
  } catch (const std::exception& e) {
    return Status(Code::kResourceExhausted,
                  "cannot allocate HNSW graph of " + std::to_string(capacity) + ": " + e.what());
  }
  impl->hnsw->setEf(params.ef_search);
  return std::unique_ptr<HnswGraph>(new HnswGraph(params, std::move(impl)));
}

size_t HnswGraph::capacity() const {
  return impl_->hnsw->max_elements_;
}
size_t HnswGraph::slots() const {
  return impl_->hnsw->cur_element_count;
}
size_t HnswGraph::deleted() const {
  return impl_->hnsw->num_deleted_;
}

bool HnswGraph::HasLabel(uint64_t label) const {
  return impl_->hnsw->label_lookup_.count(label) != 0;
}

Status HnswGraph::Add(uint64_t label, const float* vec) {
  Hnsw& h = *impl_->hnsw;
  if (!HasLabel(label) && h.cur_element_count >= h.max_elements_) {
    return FailedPrecondition("HNSW graph is full");
  }
  try {
    h.addPoint(vec, label);
  } catch (const std::bad_alloc&) {
    return Status(Code::kResourceExhausted, "out of memory adding to the HNSW graph");
  } catch (const std::exception& e) {
    return Internal(std::string("HNSW add failed: ") + e.what());
  }
  return Status::Ok();
}

Status HnswGraph::MarkDeleted(uint64_t label) {
  Hnsw& h = *impl_->hnsw;
  const auto it = h.label_lookup_.find(label);
  if (it == h.label_lookup_.end() || h.isMarkedDeleted(it->second)) {
    return NotFound("label " + std::to_string(label) + " is not in the index");
  }
  h.markDeletedInternal(it->second);
  return Status::Ok();
}

Status HnswGraph::Resize(size_t capacity) {
  try {
    impl_->hnsw->resizeIndex(capacity);
  } catch (const std::exception& e) {
    return Status(Code::kResourceExhausted,
                  "cannot grow HNSW graph to " + std::to_string(capacity) + ": " + e.what());
  }
  return Status::Ok();
}

bool HnswGraph::SlotDeleted(size_t slot) const {
  return impl_->hnsw->isMarkedDeleted(static_cast<hnswlib::tableint>(slot));
}

uint64_t HnswGraph::SlotLabel(size_t slot) const {
  return impl_->hnsw->getExternalLabel(static_cast<hnswlib::tableint>(slot));
}

const float* HnswGraph::SlotVector(size_t slot) const {
  return reinterpret_cast<const float*>(
      impl_->hnsw->getDataByInternalId(static_cast<hnswlib::tableint>(slot)));
}

float HnswGraph::InnerProduct(const float* a, const float* b) const {
  // The space's function returns the distance 1 - <a, b>.
  return 1.0f - impl_->hnsw->fstdistfunc_(a, b, impl_->hnsw->dist_func_param_);
}

StatusOr<std::vector<std::pair<float, uint64_t>>> HnswGraph::Search(const float* query,
                                                                    size_t k) const {
  std::vector<std::pair<float, uint64_t>> hits;
  try {
    auto queue = impl_->hnsw->searchKnn(query, k);
    hits.reserve(queue.size());
    while (!queue.empty()) {
      hits.emplace_back(1.0f - queue.top().first, queue.top().second);
      queue.pop();
    }
  } catch (const std::exception& e) {
    return Internal(std::string("HNSW search failed: ") + e.what());
  }
  return hits;
}

uint64_t HnswGraph::SerializedSize() const {
  const Hnsw& h = *impl_->hnsw;
  uint64_t size = kFixedFieldsSize + h.cur_element_count * h.size_data_per_element_;
  for (size_t i = 0; i < h.cur_element_count; ++i) {
    size += sizeof(uint32_t) + h.size_links_per_element_ * h.element_levels_[i];
  }
  return size;
}

Status HnswGraph::Serialize(snapshot::AtomicFileWriter* out) const {
  const Hnsw& h = *impl_->hnsw;
  SG_RETURN_IF_ERROR(WritePod(out, h.offsetLevel0_));
  SG_RETURN_IF_ERROR(WritePod(out, h.max_elements_));
  SG_RETURN_IF_ERROR(WritePod(out, h.cur_element_count));
  SG_RETURN_IF_ERROR(WritePod(out, h.size_data_per_element_));
  SG_RETURN_IF_ERROR(WritePod(out, h.label_offset_));
  SG_RETURN_IF_ERROR(WritePod(out, h.offsetData_));
  SG_RETURN_IF_ERROR(WritePod(out, h.maxlevel_));
  SG_RETURN_IF_ERROR(WritePod(out, h.enterpoint_node_));
  SG_RETURN_IF_ERROR(WritePod(out, h.maxM_));
  SG_RETURN_IF_ERROR(WritePod(out, h.maxM0_));
  SG_RETURN_IF_ERROR(WritePod(out, h.M_));
  SG_RETURN_IF_ERROR(WritePod(out, h.mult_));
  SG_RETURN_IF_ERROR(WritePod(out, h.ef_construction_));
  SG_RETURN_IF_ERROR(
      out->Write(h.data_level0_memory_, h.cur_element_count * h.size_data_per_element_));
  for (size_t i = 0; i < h.cur_element_count; ++i) {
    const uint32_t bytes =
        h.element_levels_[i] > 0
            ? static_cast<uint32_t>(h.size_links_per_element_ * h.element_levels_[i])
            : 0;
    SG_RETURN_IF_ERROR(WritePod(out, bytes));
    if (bytes > 0) SG_RETURN_IF_ERROR(out->Write(h.linkLists_[i], bytes));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<HnswGraph>> HnswGraph::Deserialize(snapshot::ChecksumReader* in,
                                                            uint64_t body_bytes, size_t dimension,
                                                            size_t min_capacity, size_t ef_search) {
  if (body_bytes < kFixedFieldsSize) return Corrupt("body too short");
  size_t offset_level0, max_elements, count, data_size, label_offset, offset_data;
  int max_level;
  hnswlib::tableint entry_point;
  size_t max_m, max_m0, m, ef_construction;
  double mult;
  SG_RETURN_IF_ERROR(ReadPod(in, &offset_level0));
  SG_RETURN_IF_ERROR(ReadPod(in, &max_elements));
  SG_RETURN_IF_ERROR(ReadPod(in, &count));
  SG_RETURN_IF_ERROR(ReadPod(in, &data_size));
  SG_RETURN_IF_ERROR(ReadPod(in, &label_offset));
  SG_RETURN_IF_ERROR(ReadPod(in, &offset_data));
  SG_RETURN_IF_ERROR(ReadPod(in, &max_level));
  SG_RETURN_IF_ERROR(ReadPod(in, &entry_point));
  SG_RETURN_IF_ERROR(ReadPod(in, &max_m));
  SG_RETURN_IF_ERROR(ReadPod(in, &max_m0));
  SG_RETURN_IF_ERROR(ReadPod(in, &m));
  SG_RETURN_IF_ERROR(ReadPod(in, &mult));
  SG_RETURN_IF_ERROR(ReadPod(in, &ef_construction));
  (void)max_elements;  // the capacity is ours to choose
  (void)mult;          // recomputed from M by the constructor

  // Parameters must be ones VectorIndex could have built, and the layout must match them.
  if (m < 2 || m > 1024 || max_m != m || max_m0 != 2 * m) return Corrupt("bad M");
  if (ef_construction < 1 || ef_construction > (size_t{1} << 24)) {
    return Corrupt("bad ef_construction");
  }
  const size_t links0 = max_m0 * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
  if (offset_level0 != 0 || offset_data != links0 ||
      label_offset != links0 + dimension * sizeof(float) ||
      data_size != label_offset + sizeof(hnswlib::labeltype)) {
    return Corrupt("element layout does not match dimension " + std::to_string(dimension));
  }
  const uint64_t payload = body_bytes - kFixedFieldsSize;
  if (count > kMaxCapacity || count > payload / data_size) return Corrupt("bad element count");
  if (max_level < -1 || max_level > 64 || (count == 0) != (max_level == -1) ||
      (count > 0 && entry_point >= count)) {
    return Corrupt("bad entry point");
  }

  const HnswParams params{dimension, m, ef_construction, ef_search};
  auto created = Create(params, std::max({min_capacity, count, size_t{1}}));
  if (!created.ok()) return created.status();
  std::unique_ptr<HnswGraph> graph = std::move(*created);
  Hnsw& h = *graph->impl_->hnsw;
  if (h.size_data_per_element_ != data_size) return Corrupt("layout mismatch");

  SG_RETURN_IF_ERROR(in->Read(h.data_level0_memory_, count * data_size));
  uint64_t remaining = payload - count * data_size;
  for (size_t i = 0; i < count; ++i) {
    uint32_t bytes;
    if (remaining < sizeof(bytes)) return Corrupt("link lists truncated");
    SG_RETURN_IF_ERROR(ReadPod(in, &bytes));
    remaining -= sizeof(bytes);
    const size_t level = bytes / h.size_links_per_element_;
    if (bytes % h.size_links_per_element_ != 0 || bytes > remaining ||
        level > static_cast<size_t>(std::max(max_level, 0))) {
      return Corrupt("bad link list of element " + std::to_string(i));
    }
    remaining -= bytes;
    h.linkLists_[i] = nullptr;
    h.element_levels_[i] = static_cast<int>(level);
    if (bytes > 0) {
      // malloc, as hnswlib frees these with free().
      h.linkLists_[i] = static_cast<char*>(std::malloc(bytes));
      if (h.linkLists_[i] == nullptr) {
        h.element_levels_[i] = 0;
        return Status(Code::kResourceExhausted, "out of memory loading the HNSW graph");
      }
    }
    h.cur_element_count = i + 1;  // from here on the destructor frees this element's lists
    if (bytes > 0) SG_RETURN_IF_ERROR(in->Read(h.linkLists_[i], bytes));
  }
  if (remaining != 0) return Corrupt("trailing bytes after the graph");

  // Every neighbour id must name an element that exists on that level: search follows them
  // without checks.
  for (size_t i = 0; i < count; ++i) {
    const auto id = static_cast<hnswlib::tableint>(i);
    for (int level = 0; level <= h.element_levels_[i]; ++level) {
      hnswlib::linklistsizeint* list = h.get_linklist_at_level(id, level);
      const size_t n = h.getListCount(list);
      if (n > (level == 0 ? h.maxM0_ : h.maxM_)) return Corrupt("too many links");
      const auto* neighbours = reinterpret_cast<const hnswlib::tableint*>(list + 1);
      for (size_t j = 0; j < n; ++j) {
        if (neighbours[j] >= count || h.element_levels_[neighbours[j]] < level) {
          return Corrupt("bad neighbour of element " + std::to_string(i));
        }
      }
    }
    if (!h.label_lookup_.emplace(h.getExternalLabel(id), id).second) {
      return Corrupt("duplicate label " + std::to_string(h.getExternalLabel(id)));
    }
  }
  if (count > 0 && h.element_levels_[entry_point] != max_level) {
    return Corrupt("entry point is not on the top level");
  }
  h.maxlevel_ = max_level;
  h.enterpoint_node_ = entry_point;
  // hnswlib 0.6.2 loadIndex bug: num_deleted_ starts uninitialised. Count from scratch.
  h.num_deleted_ = 0;
  for (size_t i = 0; i < count; ++i) {
    if (h.isMarkedDeleted(static_cast<hnswlib::tableint>(i))) ++h.num_deleted_;
  }
  return graph;
}

}  // namespace scriptgen::index_internal

#if defined(__SANITIZE_THREAD__)
// hnswlib's addPoint locks a new node and then its neighbours, so over many inserts TSan's
// deadlock detector sees node locks taken in both orders and reports a lock-order inversion
// (halting a TSan run). It cannot deadlock here: all hnswlib mutations run under VectorIndex's
// exclusive lock, one thread at a time, and searches take none of these node locks. A
// suppression does not work (the reports come without stacks), and with 65,536 + capacity mutexes
// per graph the detector also slows hnswlib down about tenfold. So binaries that link sg_index
// run TSan without deadlock detection; data-race detection is unaffected, and TSAN_OPTIONS can
// still turn it back on.
extern "C" const char* __tsan_default_options() {
  return "detect_deadlocks=0";
}
#endif
