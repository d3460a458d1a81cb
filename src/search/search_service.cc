// Each embed_version has its own VersionIndex: its Embedder and its partitions (one VectorIndex
// per subject). The service's lock guards only which versions exist and which is active; a search
// takes a shared_ptr to the active VersionIndex and runs without the service lock, so activating
// another version never waits for searches and a running search finishes on the version it began
// with.
//
// Results: the index returns chunk ids and scores; texts and document ids come from the store, so
// a chunk deleted between the index lookup and the store read is simply dropped, never shown.
// Hits with a score <= 0 share nothing with the query and are left out.
#include "search/search_service.h"

#include <algorithm>
#include <unordered_map>

namespace scriptgen::search {

class SearchService::VersionIndex {
 public:
  VersionIndex(std::shared_ptr<Embedder> embedder, const SearchOptions& options)
      : embedder_(std::move(embedder)), options_(options) {}

  Embedder& embedder() const { return *embedder_; }

  Status Load(store::DocumentStore* store) {
    Partitions loaded;
    Status add_status;
    const size_t dim = embedder_->dimension();
    SG_RETURN_IF_ERROR(store->ForEachVector(
        embedder_->version(), [&](store::ChunkId chunk, store::DocumentId,
                                  const std::string& subject, std::span<const float> vec) {
          if (!add_status.ok()) return;
          if (vec.size() != dim) {
            add_status =
                FailedPrecondition("stored vectors of " + embedder_->version() + " have " +
                                   std::to_string(vec.size()) + " dimensions, the embedder makes " +
                                   std::to_string(dim));
            return;
          }
          std::shared_ptr<VectorIndex>& part = loaded[subject];
          if (!part) part = NewPartition();
          add_status = part->Add(static_cast<uint64_t>(chunk), vec);
        }));
    SG_RETURN_IF_ERROR(add_status);
    std::unique_lock lock(mu_);
    partitions_ = std::move(loaded);
    return Status::Ok();
  }

  // The partition of a subject, created if absent.
  std::shared_ptr<VectorIndex> PartitionFor(const std::string& subject_id) {
    {
      std::shared_lock lock(mu_);
      if (auto it = partitions_.find(subject_id); it != partitions_.end()) return it->second;
    }
    std::unique_lock lock(mu_);
    std::shared_ptr<VectorIndex>& part = partitions_[subject_id];
    if (!part) part = NewPartition();
    return part;
  }

  // The partitions a search in this scope covers.
  std::vector<std::shared_ptr<VectorIndex>> PartitionsIn(
      const std::optional<std::string>& scope) const {
    std::vector<std::shared_ptr<VectorIndex>> out;
    std::shared_lock lock(mu_);
    if (scope) {
      if (auto it = partitions_.find(*scope); it != partitions_.end()) out.push_back(it->second);
      return out;
    }
    for (const auto& [subject, part] : partitions_) out.push_back(part);
    return out;
  }

  size_t partition_count() const {
    std::shared_lock lock(mu_);
    return partitions_.size();
  }

 private:
  using Partitions = std::map<std::string, std::shared_ptr<VectorIndex>>;

  std::shared_ptr<VectorIndex> NewPartition() const {
    // Small initial capacity: most subjects hold few chunks, and a flat partition reserves room
    // for max_elements vectors up front. Partitions grow as needed.
    return std::make_shared<VectorIndex>(
        VectorIndexOptions{.dimension = embedder_->dimension(),
                           .max_elements = 256,
                           .ef_construction = options_.ef_construction,
                           .ef_search = options_.ef_search});
  }

  const std::shared_ptr<Embedder> embedder_;
  const SearchOptions options_;
  mutable std::shared_mutex mu_;  // guards the map; each VectorIndex is itself thread-safe
  Partitions partitions_;
};

SearchService::SearchService(store::DocumentStore* store, SearchOptions options)
    : store_(store), options_(options) {}

SearchService::SearchService(store::DocumentStore* store, Embedder* embedder, SearchOptions options)
    : store_(store),
      options_(options),
      default_embedder_(std::shared_ptr<Embedder>(embedder, [](Embedder*) {})) {}

SearchService::~SearchService() = default;

Status SearchService::Load() {
  if (!default_embedder_) return FailedPrecondition("no embedder given to the SearchService");
  SG_RETURN_IF_ERROR(LoadVersion(default_embedder_));
  return Activate(default_embedder_->version());
}

Status SearchService::LoadVersion(std::shared_ptr<Embedder> embedder) {
  auto index = std::make_shared<VersionIndex>(embedder, options_);
  SG_RETURN_IF_ERROR(index->Load(store_));
  std::unique_lock lock(mu_);
  versions_[embedder->version()] = std::move(index);
  return Status::Ok();
}

Status SearchService::Activate(const std::string& version) {
  std::unique_lock lock(mu_);
  if (!versions_.contains(version)) {
    return FailedPrecondition("embed_version " + version + " is not loaded");
  }
  active_ = version;
  return Status::Ok();
}

Status SearchService::DropVersion(const std::string& version) {
  std::unique_lock lock(mu_);
  if (version == active_) {
    return FailedPrecondition("embed_version " + version + " is the active one");
  }
  versions_.erase(version);
  return Status::Ok();
}

bool SearchService::IsLoaded(const std::string& version) const {
  std::shared_lock lock(mu_);
  return versions_.contains(version);
}

std::shared_ptr<SearchService::VersionIndex> SearchService::Active() const {
  std::shared_lock lock(mu_);
  auto it = versions_.find(active_);
  return it == versions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<SearchService::VersionIndex>> SearchService::AllVersions() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<VersionIndex>> out;
  for (const auto& [name, index] : versions_) out.push_back(index);
  return out;
}

bool SearchService::loaded() const {
  return Active() != nullptr;
}

size_t SearchService::indexed_chunks() const {
  std::shared_ptr<VersionIndex> active = Active();
  if (!active) return 0;
  size_t n = 0;
  for (const auto& part : active->PartitionsIn(std::nullopt)) n += part->size();
  return n;
}

size_t SearchService::partitions() const {
  std::shared_ptr<VersionIndex> active = Active();
  return active ? active->partition_count() : 0;
}

std::string SearchService::embed_version() const {
  std::shared_lock lock(mu_);
  return active_;
}

Status SearchService::AddDocument(store::DocumentId id) {
  std::vector<std::shared_ptr<VersionIndex>> versions = AllVersions();
  if (versions.empty()) return Status::Ok();  // a later load picks them up from the store
  StatusOr<store::Document> doc = store_->Get(id);
  if (!doc.ok()) return doc.status();
  for (const std::shared_ptr<VersionIndex>& index : versions) {
    StatusOr<std::vector<std::pair<store::ChunkId, std::vector<float>>>> vectors =
        store_->DocumentVectors(id, index->embedder().version());
    if (!vectors.ok()) return vectors.status();
    if (vectors->empty()) continue;
    std::shared_ptr<VectorIndex> part = index->PartitionFor(doc->subject_id);
    for (const auto& [chunk, vec] : *vectors) {
      SG_RETURN_IF_ERROR(part->Add(static_cast<uint64_t>(chunk), vec));
    }
  }
  return Status::Ok();
}

void SearchService::RemoveChunks(const std::string& subject_id,
                                 const std::vector<store::ChunkId>& chunk_ids) {
  for (const std::shared_ptr<VersionIndex>& index : AllVersions()) {
    std::vector<std::shared_ptr<VectorIndex>> parts = index->PartitionsIn(subject_id);
    if (parts.empty()) continue;
    for (store::ChunkId c : chunk_ids) (void)parts.front()->Remove(static_cast<uint64_t>(c));
  }
}

StatusOr<std::vector<SearchResult>> SearchService::Search(
    const std::string& query, size_t k, const std::optional<std::string>& subject_scope,
    std::string* used_version) {
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument("query must not be empty");
  }
  if (query.size() > options_.max_query_bytes) {
    return InvalidArgument("query is longer than " + std::to_string(options_.max_query_bytes) +
                           " bytes");
  }
  if (k < 1 || k > options_.max_k) {
    return InvalidArgument("k must be between 1 and " + std::to_string(options_.max_k));
  }
  std::shared_ptr<VersionIndex> index = Active();
  if (!index) return Unavailable("the search index is still loading");
  if (used_version != nullptr) *used_version = index->embedder().version();
  std::vector<float> qvec;
  SG_RETURN_IF_ERROR(index->embedder().EmbedQuery(query, &qvec));
  // Top k of each partition in scope, merged: the global top k is among them.
  std::vector<SearchHit> hits;
  for (const std::shared_ptr<VectorIndex>& part : index->PartitionsIn(subject_scope)) {
    StatusOr<std::vector<SearchHit>> found = part->Search(qvec, k);
    if (!found.ok()) return found.status();
    hits.insert(hits.end(), found->begin(), found->end());
  }
  std::sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.score != b.score ? a.score > b.score : a.label < b.label;
  });
  if (hits.size() > k) hits.resize(k);
  std::vector<store::ChunkId> ids;
  for (const SearchHit& h : hits) {
    if (h.score > 0) ids.push_back(static_cast<store::ChunkId>(h.label));
  }
  StatusOr<std::vector<store::Chunk>> chunks = store_->GetChunks(ids);
  if (!chunks.ok()) return chunks.status();
  std::unordered_map<store::ChunkId, const store::Chunk*> by_id;
  for (const store::Chunk& c : *chunks) by_id[c.id] = &c;
  std::unordered_map<store::DocumentId, std::string> filenames;
  std::vector<SearchResult> out;
  for (const SearchHit& h : hits) {
    auto it = by_id.find(static_cast<store::ChunkId>(h.label));
    if (h.score <= 0 || it == by_id.end()) continue;
    const store::Chunk& c = *it->second;
    auto [name, inserted] = filenames.try_emplace(c.document_id);
    if (inserted) {
      StatusOr<store::Document> doc = store_->Get(c.document_id);
      // Deleted meanwhile; or (never expected: partitions are per subject) out of scope.
      if (!doc.ok() || (subject_scope && doc->subject_id != *subject_scope)) {
        filenames.erase(name);
        continue;
      }
      name->second = doc->filename;
    }
    out.push_back({c.document_id, c.id, h.score, c.text, name->second, c.page, c.heading});
  }
  return out;
}

}  // namespace scriptgen::search
