// DocumentStore: the port through which use cases keep documents and everything derived from them
// (extracted text, chunks, vectors). The embedded backend is SQLite (backends/sqlite); the store
// is the source of truth, the vector index is derived from it.
//
// Methods that take a WriteTx enlist in the caller's transaction (see Transactor), so a pipeline
// step's effect and its step mark, or a cascade delete across ports, commit together. Methods
// without one are reads, or run their own transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/write_tx.h"
#include "util/status.h"

namespace scriptgen::store {

using DocumentId = int64_t;
using ChunkId = int64_t;

// Per-kind counts of what the scrubbers replaced ("email" -> 3, "secret:aws_access_key" -> 1).
// Counts only: the values themselves are never stored.
using RedactionCounts = std::map<std::string, int64_t>;

struct Document {
  DocumentId id = 0;
  std::string filename;
  std::string mime;           // sniffed from the content at upload (what the pipeline trusts)
  std::string declared_mime;  // what the uploader said, kept for the mismatch report
  std::string sha256;         // hex, of the uploaded bytes
  uint64_t size = 0;
  std::string subject_id;       // data subject the document belongs to; empty if none
  std::string idempotency_key;  // empty if none
  std::string blob_path;        // relative to the data directory
  int64_t job_id = 0;           // the ingest job
  int chunk_count = 0;
  std::string embed_version;   // empty until indexed
  bool ready = false;          // searchable
  RedactionCounts redactions;  // set by the scrub step
  bool legal_hold = false;     // exempt from retention while set
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct NewDocument {
  std::string filename;
  std::string mime;
  std::string declared_mime;
  std::string sha256;
  uint64_t size = 0;
  std::string subject_id;
  std::string idempotency_key;
  std::string blob_path;
};

// Where a stretch of extracted text came from, for citations: a section runs from its
// byte_offset to the next section's (or the end of the text).
struct TextSection {
  uint64_t byte_offset = 0;
  int page = 0;         // 1-based page of a paginated format (PDF), 0 if none
  std::string heading;  // heading path, e.g. "Setup > Install"; empty if none
};

// The extract step's output: UTF-8 text plus its sections in byte_offset order.
struct DocumentText {
  std::string text;
  std::vector<TextSection> sections;
};

struct Chunk {
  ChunkId id = 0;
  DocumentId document_id = 0;
  int seq = 0;  // position in the document
  std::string text;
  int page = 0;  // of the chunk's first byte; 0 if the format has none
  std::string heading;
  std::string text_sha256;  // 32 raw bytes, the embedding cache key; "" for chunks stored
                            // before schema version 6
};

struct NewChunk {
  std::string text;
  uint64_t byte_offset = 0;
  uint64_t byte_length = 0;
  int page = 0;
  std::string heading;
};

// What a cascade delete removed, for the caller to clean up outside the store after commit.
struct DeletedDocument {
  Document document;
  std::vector<ChunkId> chunk_ids;
  std::map<std::string, int64_t> vectors_by_version;  // embed_version -> vectors removed
};

// User content against a retention cutoff (the compliance report).
struct ContentRetentionStats {
  int64_t count = 0;
  int64_t oldest_created_ms = 0;  // 0 when there is none
  int64_t overdue = 0;            // created before the cutoff and not on hold
  int64_t on_hold = 0;
};

// What the store still holds of one data subject (the re-query check of an erasure).
struct SubjectFootprint {
  int64_t documents = 0;
  int64_t chunks = 0;
  int64_t vectors = 0;
  int64_t texts = 0;
  bool empty() const { return documents == 0 && chunks == 0 && vectors == 0 && texts == 0; }
};

// Runs a function inside one write transaction of the store.
class Transactor {
 public:
  virtual ~Transactor() = default;
  virtual Status Run(std::function<Status(WriteTx&)> fn) = 0;
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

  // Inserts the document and, in the same transaction, calls enqueue_job(tx, new id) to create
  // its ingest job (whose id is stored with the document). If the idempotency key is already known:
  // returns the existing document (created=false) when the bytes are the same (same sha256),
  // AlreadyExists when they differ.
  struct CreateResult {
    Document document;
    bool created = false;
  };
  virtual StatusOr<CreateResult> Create(
      const NewDocument& doc,
      const std::function<StatusOr<int64_t>(WriteTx&, DocumentId)>& enqueue_job) = 0;

  virtual StatusOr<Document> Get(DocumentId id) = 0;
  // NotFound unless the document exists, as seen inside tx (guards effects of a running
  // pipeline against a concurrent delete).
  virtual Status CheckExists(WriteTx& tx, DocumentId id) = 0;
  // The document whose ingest job this is; NotFound if none.
  virtual StatusOr<Document> FindByJob(int64_t job_id) = 0;
  // Documents with id > after_id in id order; subject_id filters when set.
  virtual StatusOr<std::vector<Document>> List(DocumentId after_id, size_t limit,
                                               const std::optional<std::string>& subject_id) = 0;

  // Pipeline effects (inside the step's transaction). NotFound if the document is gone.
  // Stores (or replaces) the document's text; with counts, also records what was redacted.
  virtual Status PutText(WriteTx& tx, DocumentId id, const DocumentText& text,
                         const RedactionCounts* redactions = nullptr) = 0;
  virtual StatusOr<DocumentText> GetText(DocumentId id) = 0;
  virtual Status ReplaceChunks(WriteTx& tx, DocumentId id, const std::vector<NewChunk>& chunks) = 0;
  virtual StatusOr<std::vector<Chunk>> ListChunks(DocumentId id) = 0;
  virtual StatusOr<std::vector<Chunk>> GetChunks(const std::vector<ChunkId>& ids) = 0;
  // vectors: one row of `dimension` floats per chunk id, in the order of chunk_ids.
  virtual Status PutVectors(WriteTx& tx, const std::string& embed_version, size_t dimension,
                            const std::vector<ChunkId>& chunk_ids,
                            const std::vector<float>& vectors) = 0;
  virtual Status MarkReady(WriteTx& tx, DocumentId id, const std::string& embed_version) = 0;
  // Calls fn for every stored vector of a version (index rebuild), in chunk id order, with the
  // subject of the chunk's document.
  virtual Status ForEachVector(
      const std::string& embed_version,
      const std::function<void(ChunkId, DocumentId, const std::string& subject_id,
                               std::span<const float>)>& fn) = 0;
  virtual StatusOr<std::vector<std::pair<ChunkId, std::vector<float>>>> DocumentVectors(
      DocumentId id, const std::string& embed_version) = 0;

  // Embedding cache and embed_version coverage (R-G1). The cache is the vectors table: for each
  // text hash, a stored vector of `embed_version` on any live chunk with that text, or nullopt.
  // Vectors of another dimension than `dimension` are never returned.
  virtual StatusOr<std::vector<std::optional<std::vector<float>>>> CachedVectors(
      const std::string& embed_version, size_t dimension,
      const std::vector<std::string>& text_sha256s) = 0;
  // Live chunks that have no vector of the version, in id order after `after_id`.
  virtual StatusOr<std::vector<Chunk>> ChunksWithoutVector(const std::string& embed_version,
                                                           ChunkId after_id, size_t limit) = 0;
  // Chunks of ready (fully ingested) documents that have no vector of the version: what keeps a
  // version from being complete. Documents still in the pipeline are not counted.
  virtual StatusOr<int64_t> CountReadyChunksWithoutVector(const std::string& embed_version) = 0;
  virtual StatusOr<int64_t> CountVectors(const std::string& embed_version) = 0;
  // Deletes up to `limit` vectors of the version in one transaction; returns how many (0: none
  // left). Small transactions keep the writer free for ingest while a version is retired.
  virtual StatusOr<int64_t> DeleteVectorsOfVersion(const std::string& embed_version,
                                                   size_t limit) = 0;

  // Cascade delete inside tx: the document, its text, chunks and vectors. NotFound if absent.
  virtual StatusOr<DeletedDocument> Delete(WriteTx& tx, DocumentId id) = 0;

  // Ids of every document of a subject ("" = documents without a subject), in id order.
  virtual StatusOr<std::vector<DocumentId>> DocumentsOfSubject(const std::string& subject_id) = 0;
  virtual StatusOr<SubjectFootprint> FootprintOfSubject(const std::string& subject_id) = 0;

  // Retention (R-G3). NotFound for an unknown document.
  virtual Status SetLegalHold(DocumentId id, bool hold) = 0;
  // Documents created before the cutoff and not on hold, oldest first.
  virtual StatusOr<std::vector<DocumentId>> ExpiredDocuments(int64_t created_before_ms,
                                                             size_t limit) = 0;
  virtual StatusOr<ContentRetentionStats> RetentionStats(int64_t cutoff_ms) = 0;
  // Ready documents whose row changed at or after `since_ms` (updated_at), oldest change first:
  // (id, updated_at) pairs. How a process that does not run the pipeline itself (the API node of
  // a scale-out deployment) learns about documents other processes indexed.
  virtual StatusOr<std::vector<std::pair<DocumentId, int64_t>>> ReadyDocumentsSince(
      int64_t since_ms, size_t limit) = 0;
  // Every blob key referenced by a document (the orphan detector's "rows" side).
  virtual Status ForEachBlobPath(const std::function<void(const std::string&)>& fn) = 0;
};

}  // namespace scriptgen::store
