// Results: the index returns chunk ids and scores; texts and document ids come from the store, so
// a chunk deleted between the index lookup and the store read is simply dropped, never shown.
// Hits with a score <= 0 share nothing with the query and are left out.
#include "search/search_service.h"

#include <algorithm>
#include <unordered_map>

namespace scriptgen::search {

SearchService::SearchService(store::DocumentStore* store, Embedder* embedder, SearchOptions options)
    : store_(store), embedder_(embedder), options_(options) {}

SearchService::~SearchService() = default;

std::shared_ptr<VectorIndex> SearchService::NewPartition() const {
  // Small initial capacity: most subjects hold few chunks, and a flat partition reserves room
  // for max_elements vectors up front. Partitions grow as needed.
  return std::make_shared<VectorIndex>(
      VectorIndexOptions{.dimension = embedder_->dimension(),
                         .max_elements = 256,
                         .ef_construction = options_.ef_construction,
                         .ef_search = options_.ef_search});
}

Status SearchService::Load() {
  Partitions loaded;
  Status add_status;
  SG_RETURN_IF_ERROR(store_->ForEachVector(
      embedder_->version(), [&](store::ChunkId chunk, store::DocumentId, const std::string& subject,
                                std::span<const float> vec) {
        if (!add_status.ok()) return;
        std::shared_ptr<VectorIndex>& part = loaded[subject];
        if (!part) part = NewPartition();
        add_status = part->Add(static_cast<uint64_t>(chunk), vec);
      }));
  SG_RETURN_IF_ERROR(add_status);
  std::unique_lock lock(mu_);
  partitions_ = std::move(loaded);
  return Status::Ok();
}

std::shared_ptr<VectorIndex> SearchService::PartitionFor(const std::string& subject_id) {
  {
    std::shared_lock lock(mu_);
    if (!partitions_) return nullptr;
    if (auto it = partitions_->find(subject_id); it != partitions_->end()) return it->second;
  }
  std::unique_lock lock(mu_);
  std::shared_ptr<VectorIndex>& part = (*partitions_)[subject_id];
  if (!part) part = NewPartition();
  return part;
}

std::vector<std::shared_ptr<VectorIndex>> SearchService::PartitionsIn(
    const std::optional<std::string>& scope) const {
  std::vector<std::shared_ptr<VectorIndex>> out;
  std::shared_lock lock(mu_);
  if (!partitions_) return out;
  if (scope) {
    if (auto it = partitions_->find(*scope); it != partitions_->end()) out.push_back(it->second);
    return out;
  }
  for (const auto& [subject, part] : *partitions_) out.push_back(part);
  return out;
}

bool SearchService::loaded() const {
  std::shared_lock lock(mu_);
  return partitions_.has_value();
}

size_t SearchService::indexed_chunks() const {
  size_t n = 0;
  for (const auto& part : PartitionsIn(std::nullopt)) n += part->size();
  return n;
}

size_t SearchService::partitions() const {
  std::shared_lock lock(mu_);
  return partitions_ ? partitions_->size() : 0;
}

Status SearchService::AddDocument(store::DocumentId id) {
  StatusOr<store::Document> doc = store_->Get(id);
  if (!doc.ok()) return doc.status();
  StatusOr<std::vector<std::pair<store::ChunkId, std::vector<float>>>> vectors =
      store_->DocumentVectors(id, embedder_->version());
  if (!vectors.ok()) return vectors.status();
  std::shared_ptr<VectorIndex> part = PartitionFor(doc->subject_id);
  if (!part) return Status::Ok();  // Load() will pick them up from the store
  for (const auto& [chunk, vec] : *vectors) {
    SG_RETURN_IF_ERROR(part->Add(static_cast<uint64_t>(chunk), vec));
  }
  return Status::Ok();
}

void SearchService::RemoveChunks(const std::string& subject_id,
                                 const std::vector<store::ChunkId>& chunk_ids) {
  std::vector<std::shared_ptr<VectorIndex>> parts = PartitionsIn(subject_id);
  if (parts.empty()) return;
  for (store::ChunkId c : chunk_ids) (void)parts.front()->Remove(static_cast<uint64_t>(c));
}

StatusOr<std::vector<SearchResult>> SearchService::Search(
    const std::string& query, size_t k, const std::optional<std::string>& subject_scope) {
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
  std::vector<float> qvec;
  SG_RETURN_IF_ERROR(embedder_->Embed(std::span(&query, 1), &qvec));
  if (!loaded()) return Unavailable("the search index is still loading");
  // Top k of each partition in scope, merged: the global top k is among them.
  std::vector<SearchHit> hits;
  for (const std::shared_ptr<VectorIndex>& part : PartitionsIn(subject_scope)) {
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
