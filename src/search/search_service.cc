// Results: the index returns chunk ids and scores; texts and document ids come from the store, so
// a chunk deleted between the index lookup and the store read is simply dropped, never shown.
// Hits with a score <= 0 share nothing with the query and are left out.
#include "search/search_service.h"

#include <unordered_map>

namespace scriptgen::search {

SearchService::SearchService(store::DocumentStore* store, Embedder* embedder, SearchOptions options)
    : store_(store), embedder_(embedder), options_(options) {}

SearchService::~SearchService() = default;

Status SearchService::Load() {
  auto index =
      std::make_unique<VectorIndex>(VectorIndexOptions{.dimension = embedder_->dimension()});
  Status add_status;
  SG_RETURN_IF_ERROR(store_->ForEachVector(
      embedder_->version(),
      [&](store::ChunkId chunk, store::DocumentId, std::span<const float> vec) {
        if (!add_status.ok()) return;
        add_status = index->Add(static_cast<uint64_t>(chunk), vec);
      }));
  SG_RETURN_IF_ERROR(add_status);
  std::lock_guard lock(index_mu_);
  index_ = std::move(index);
  return Status::Ok();
}

std::shared_ptr<VectorIndex> SearchService::Index() const {
  std::lock_guard lock(index_mu_);
  return index_;
}

bool SearchService::loaded() const {
  return Index() != nullptr;
}

size_t SearchService::indexed_chunks() const {
  std::shared_ptr<VectorIndex> index = Index();
  return index ? index->size() : 0;
}

Status SearchService::AddDocument(store::DocumentId id) {
  StatusOr<std::vector<std::pair<store::ChunkId, std::vector<float>>>> vectors =
      store_->DocumentVectors(id, embedder_->version());
  if (!vectors.ok()) return vectors.status();
  std::shared_ptr<VectorIndex> index = Index();
  if (!index) return Status::Ok();  // Load() will pick them up from the store
  for (const auto& [chunk, vec] : *vectors) {
    SG_RETURN_IF_ERROR(index->Add(static_cast<uint64_t>(chunk), vec));
  }
  return Status::Ok();
}

void SearchService::RemoveChunks(const std::vector<store::ChunkId>& chunk_ids) {
  std::shared_ptr<VectorIndex> index = Index();
  if (!index) return;
  for (store::ChunkId c : chunk_ids) (void)index->Remove(static_cast<uint64_t>(c));
}

StatusOr<std::vector<SearchResult>> SearchService::Search(const std::string& query, size_t k) {
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
  std::shared_ptr<VectorIndex> index = Index();
  if (!index) return Unavailable("the search index is still loading");
  StatusOr<std::vector<SearchHit>> found = index->Search(qvec, k);
  if (!found.ok()) return found.status();
  const std::vector<SearchHit> hits = std::move(*found);
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
      if (!doc.ok()) {  // deleted meanwhile
        filenames.erase(name);
        continue;
      }
      name->second = doc->filename;
    }
    out.push_back({c.document_id, c.id, h.score, c.text, name->second});
  }
  return out;
}

}  // namespace scriptgen::search
