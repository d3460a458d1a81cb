// SearchService: semantic search over indexed chunks (R-G1, DESIGN "path of one upload" step 5).
//
// Holds in memory the vectors of one or more embed_versions, derived from the DocumentStore:
// LoadVersion() builds a version's index from its stored vectors; the ingest pipeline adds a
// document's vectors in its index step (to every loaded version); deletes remove them. Exactly
// one loaded version is active: queries are embedded with its Embedder and compared only with its
// vectors, so vectors of different versions are never mixed. Keeping the previous version loaded
// makes switching back to it (the rollback of an embed_version migration) instant.
//
// Isolation (R-S5): each version's index is partitioned by data subject, one VectorIndex per
// subject. A search scoped to a subject runs inside that subject's partition only, so another
// subject's chunks can never be among its candidates, however near they are (a filter after a
// top-k would both leak timing and return too few hits). An unscoped (admin) search merges every
// partition.
//
//   SearchService search(&store);
//   SG_RETURN_IF_ERROR(search.LoadVersion(embedder));   // builds the index (may take a while)
//   SG_RETURN_IF_ERROR(search.Activate(embedder->version()));
//   search.Search("harbor at dawn", 10, subject);
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
  explicit SearchService(store::DocumentStore* store, SearchOptions options = {});
  // One version, not owned (embedder must outlive the service): Load() loads and activates it.
  SearchService(store::DocumentStore* store, Embedder* embedder, SearchOptions options = {});
  ~SearchService();

  // Loads and activates the embedder given to the constructor.
  Status Load();

  // Builds the index of the embedder's version from the store, replacing any earlier index of
  // that version. Searches keep using the active version meanwhile. Stored vectors whose
  // dimension differs from the embedder's are an error (FailedPrecondition).
  Status LoadVersion(std::shared_ptr<Embedder> embedder);
  // Makes a loaded version the one searches use, atomically. FailedPrecondition if not loaded.
  Status Activate(const std::string& version);
  // Forgets a loaded version's index (not the active one: FailedPrecondition).
  Status DropVersion(const std::string& version);
  bool IsLoaded(const std::string& version) const;

  // Of the active version; false / 0 / "" before one is active.
  bool loaded() const;
  size_t indexed_chunks() const;
  size_t partitions() const;
  std::string embed_version() const;

  // Vectors of one document, as stored by the pipeline's embed step, into its subject's
  // partition of every loaded version.
  Status AddDocument(store::DocumentId id);
  void RemoveChunks(const std::string& subject_id, const std::vector<store::ChunkId>& chunk_ids);

  // subject_scope: search only that subject's data; nullopt: every subject (admins).
  // InvalidArgument for an empty or oversized query or k outside 1..max_k. used_version, if
  // given, receives the embed_version the search ran on.
  StatusOr<std::vector<SearchResult>> Search(
      const std::string& query, size_t k,
      const std::optional<std::string>& subject_scope = std::nullopt,
      std::string* used_version = nullptr);

 private:
  class VersionIndex;

  std::shared_ptr<VersionIndex> Active() const;
  std::vector<std::shared_ptr<VersionIndex>> AllVersions() const;

  store::DocumentStore* const store_;
  const SearchOptions options_;
  std::shared_ptr<Embedder> default_embedder_;  // from the one-version constructor, or null

  // Guards the map and the active name only; each VersionIndex is itself thread-safe, so
  // searches run in parallel with each other and with adds.
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<VersionIndex>> versions_;
  std::string active_;
};

}  // namespace scriptgen::search
