// SearchService: semantic search over indexed chunks (R-G1, DESIGN "path of one upload" step 5).
//
// Holds the vectors of the embedder's embed_version in memory, derived from the DocumentStore:
// Load() rebuilds them from stored vectors at start; the ingest pipeline adds a document's
// vectors in its index step; deletes remove them. Queries are embedded with the same Embedder
// (so the same embed_version) as the documents, and vectors of different versions are never
// mixed.
//
// Isolation (R-S5): the index is partitioned by data subject, one VectorIndex per subject. A
// search scoped to a subject runs inside that subject's partition only, so another subject's
// chunks can never be among its candidates, however near they are (a filter after a top-k would
// both leak timing and return too few hits). An unscoped (admin) search merges every partition.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "embed/embedder.h"
#include "index/vector_index.h"
#include "store/document_store.h"

namespace scriptgen::search {

struct SearchResult {
  store::DocumentId document_id = 0;
  store::ChunkId chunk_id = 0;
  float score = 0;
  std::string text;
  std::string filename;
  int page = 0;         // for citations: the chunk's page (0 if the format has none)
  std::string heading;  // and its heading path ("" if none)
};

struct SearchOptions {
  size_t max_k = 100;
  // HNSW search breadth. Hash-embedder vectors are close to random, the worst case for HNSW:
  // at 384 dimensions recall@10 is ~0.6 with 64 and ~0.95 with 256 (measured by the index tests).
  size_t ef_search = 256;
  // HNSW build breadth. Insertion cost is proportional to it and every insert holds the index's
  // write lock, so it bounds ingest throughput once the graph exists (from 20,000 live vectors;
  // below that the index is a flat array searched exactly); 100 keeps recall@10 (with ef_search
  // 256) within a few points of 200 at half the insert cost.
  size_t ef_construction = 100;
  size_t max_query_bytes = 8192;
};

class SearchService {
 public:
  SearchService(store::DocumentStore* store, Embedder* embedder, SearchOptions options = {});
  ~SearchService();

  // Rebuilds the index of the embedder's version from the store. Call once before serving.
  Status Load();
  bool loaded() const;
  size_t indexed_chunks() const;
  size_t partitions() const;
  const std::string& embed_version() const { return embedder_->version(); }

  // Vectors of one document, as stored by the pipeline's embed step, into its subject's
  // partition.
  Status AddDocument(store::DocumentId id);
  void RemoveChunks(const std::string& subject_id, const std::vector<store::ChunkId>& chunk_ids);

  // subject_scope: search only that subject's data; nullopt: every subject (admins).
  // InvalidArgument for an empty or oversized query or k outside 1..max_k.
  StatusOr<std::vector<SearchResult>> Search(
      const std::string& query, size_t k,
      const std::optional<std::string>& subject_scope = std::nullopt);

 private:
  using Partitions = std::map<std::string, std::shared_ptr<VectorIndex>>;
  std::shared_ptr<VectorIndex> NewPartition() const;
  // The partition of a subject, created if absent (nullptr before Load).
  std::shared_ptr<VectorIndex> PartitionFor(const std::string& subject_id);
  // The partitions a search in this scope covers.
  std::vector<std::shared_ptr<VectorIndex>> PartitionsIn(
      const std::optional<std::string>& scope) const;

  store::DocumentStore* const store_;
  Embedder* const embedder_;
  const SearchOptions options_;

  // Set by Load(). Each VectorIndex is itself thread-safe: the mutex guards only the map, so
  // searches run in parallel with each other and with adds to existing partitions.
  std::optional<Partitions> partitions_;
  mutable std::shared_mutex mu_;
};

}  // namespace scriptgen::search
