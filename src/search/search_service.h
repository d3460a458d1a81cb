// SearchService: semantic search over indexed chunks (R-G1, DESIGN "path of one upload" step 5).
//
// Holds one VectorIndex per embed_version, derived from the DocumentStore: Load() rebuilds the
// active version's index from stored vectors at start; the ingest pipeline adds a document's
// vectors after its index step commits; deletes remove them. Queries are embedded with the same
// Embedder (so the same embed_version) as the documents, and vectors of different versions are
// never mixed. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
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
  const std::string& embed_version() const { return embedder_->version(); }

  // Vectors of one document, as stored by the pipeline's embed step.
  Status AddDocument(store::DocumentId id);
  void RemoveChunks(const std::vector<store::ChunkId>& chunk_ids);

  // InvalidArgument for an empty or oversized query or k outside 1..max_k.
  StatusOr<std::vector<SearchResult>> Search(const std::string& query, size_t k);

 private:
  store::DocumentStore* const store_;
  Embedder* const embedder_;
  const SearchOptions options_;
  std::shared_ptr<VectorIndex> Index() const;

  // Set by Load(). VectorIndex is itself thread-safe: the mutex guards only the pointer, so
  // searches run in parallel and a reload swaps the index under them.
  std::shared_ptr<VectorIndex> index_;
  mutable std::mutex index_mu_;
};

}  // namespace scriptgen::search
