// SqliteDocumentStore: store::DocumentStore in the shared embedded Database. Vectors are stored
// as little-endian float32 BLOBs, one row per (chunk, embed_version). Also the store's
// Transactor: a transaction is one op of the Database's group-committing Writer.
#pragma once

#include "backends/sqlite/database.h"
#include "store/document_store.h"
#include "util/clock.h"

namespace scriptgen::sqlite {

class SqliteTransactor final : public store::Transactor {
 public:
  explicit SqliteTransactor(Database* db) : db_(db) {}
  Status Run(std::function<Status(store::WriteTx&)> fn) override {
    return db_->writer().Run([&](Tx& tx) { return fn(tx); });
  }

 private:
  Database* db_;
};

class SqliteDocumentStore final : public store::DocumentStore {
 public:
  explicit SqliteDocumentStore(Database* db, const Clock* clock = SystemClock::Get())
      : db_(db), clock_(clock) {}

  StatusOr<CreateResult> Create(
      const store::NewDocument& doc,
      const std::function<StatusOr<int64_t>(store::WriteTx&, store::DocumentId)>& enqueue_job)
      override;
  StatusOr<store::Document> Get(store::DocumentId id) override;
  Status CheckExists(store::WriteTx& tx, store::DocumentId id) override;
  StatusOr<store::Document> FindByJob(int64_t job_id) override;
  StatusOr<std::vector<store::Document>> List(
      store::DocumentId after_id, size_t limit,
      const std::optional<std::string>& subject_id) override;
  Status PutText(store::WriteTx& tx, store::DocumentId id, const store::DocumentText& text,
                 const store::RedactionCounts* redactions = nullptr) override;
  StatusOr<store::DocumentText> GetText(store::DocumentId id) override;
  Status ReplaceChunks(store::WriteTx& tx, store::DocumentId id,
                       const std::vector<store::NewChunk>& chunks) override;
  StatusOr<std::vector<store::Chunk>> ListChunks(store::DocumentId id) override;
  StatusOr<std::vector<store::Chunk>> GetChunks(const std::vector<store::ChunkId>& ids) override;
  Status PutVectors(store::WriteTx& tx, const std::string& embed_version, size_t dimension,
                    const std::vector<store::ChunkId>& chunk_ids,
                    const std::vector<float>& vectors) override;
  Status MarkReady(store::WriteTx& tx, store::DocumentId id,
                   const std::string& embed_version) override;
  Status ForEachVector(
      const std::string& embed_version,
      const std::function<void(store::ChunkId, store::DocumentId, const std::string&,
                               std::span<const float>)>& fn) override;
  StatusOr<std::vector<std::pair<store::ChunkId, std::vector<float>>>> DocumentVectors(
      store::DocumentId id, const std::string& embed_version) override;
  StatusOr<std::vector<std::optional<std::vector<float>>>> CachedVectors(
      const std::string& embed_version, size_t dimension,
      const std::vector<std::string>& text_sha256s) override;
  StatusOr<std::vector<store::Chunk>> ChunksWithoutVector(const std::string& embed_version,
                                                          store::ChunkId after_id,
                                                          size_t limit) override;
  StatusOr<int64_t> CountReadyChunksWithoutVector(const std::string& embed_version) override;
  StatusOr<int64_t> CountVectors(const std::string& embed_version) override;
  StatusOr<int64_t> DeleteVectorsOfVersion(const std::string& embed_version, size_t limit) override;
  StatusOr<store::DeletedDocument> Delete(store::WriteTx& tx, store::DocumentId id) override;
  StatusOr<std::vector<store::DocumentId>> DocumentsOfSubject(
      const std::string& subject_id) override;
  StatusOr<store::SubjectFootprint> FootprintOfSubject(const std::string& subject_id) override;
  Status SetLegalHold(store::DocumentId id, bool hold) override;
  StatusOr<std::vector<store::DocumentId>> ExpiredDocuments(int64_t created_before_ms,
                                                            size_t limit) override;
  StatusOr<store::ContentRetentionStats> RetentionStats(int64_t cutoff_ms) override;
  StatusOr<std::vector<std::pair<store::DocumentId, int64_t>>> ReadyDocumentsSince(
      int64_t since_ms, size_t limit) override;
  Status ForEachBlobPath(const std::function<void(const std::string&)>& fn) override;

 private:
  Database* const db_;
  const Clock* const clock_;
};

}  // namespace scriptgen::sqlite
