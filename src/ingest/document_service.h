// DocumentService: the use cases behind /v1/documents: accept an upload, describe documents, and
// delete one with everything derived from it (R-G2).
//
// Upload: the staged file (already on disk and hashed by the HTTP layer) is adopted into the blob
// store, then the document row and its ingest job are created in ONE transaction. A replay with
// the same Idempotency-Key and the same bytes returns the first document; with other bytes it is
// a conflict.
//
// Delete works in any state: a queued job is cancelled, a running one is asked to stop, and in one
// transaction the document, its text, chunks, vectors and step marks go; after commit its blob
// file and its index entries are removed. Deleting an absent document is not an error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jobs/queue.h"
#include "jobs/step_store.h"
#include "store/blob_store.h"
#include "store/document_store.h"

namespace scriptgen::search {
class SearchService;
}

namespace scriptgen::ingest {

struct UploadRequest {
  std::string staged_path;  // moved into the blob store on success, removed on failure
  std::string sha256_hex;
  uint64_t size = 0;
  std::string filename;
  std::string mime;
  std::string subject_id;
  std::string idempotency_key;
};

struct UploadResult {
  store::Document document;
  bool created = false;
};

// A document as clients see it: the stored row plus a state derived from its ingest job.
struct DocumentView {
  store::Document document;
  std::string state;  // queued | processing | ready | failed | cancelled
};

struct DocumentPage {
  std::vector<DocumentView> documents;
  std::optional<store::DocumentId> next_after;  // cursor for the next page
};

struct DeleteResult {
  bool deleted = false;  // false: there was no such document
  size_t chunks_removed = 0;
};

struct DocumentServiceDeps {
  store::DocumentStore* documents = nullptr;
  store::Transactor* transactor = nullptr;
  store::BlobStore* blobs = nullptr;
  jobs::JobQueue* queue = nullptr;
  jobs::StepStore* steps = nullptr;
  search::SearchService* search = nullptr;
};

class DocumentService {
 public:
  explicit DocumentService(DocumentServiceDeps deps) : deps_(deps) {}

  StatusOr<UploadResult> Upload(const UploadRequest& request);
  StatusOr<DocumentView> Get(store::DocumentId id);
  StatusOr<DocumentPage> List(store::DocumentId after_id, size_t limit,
                              const std::optional<std::string>& subject_id);
  StatusOr<DeleteResult> Delete(store::DocumentId id);

 private:
  std::string StateOf(const store::Document& doc);
  DocumentServiceDeps deps_;
};

}  // namespace scriptgen::ingest
