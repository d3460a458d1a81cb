// DocumentService: the use cases behind /v1/documents: accept an upload, describe documents, and
// delete one with everything derived from it (R-G2).
//
// Upload: the staged file (already on disk and hashed by the HTTP layer) is checked by the
// FileSecurityValidator first (type sniffed from the content; executables, encrypted or active
// PDFs, zip bombs... refused at once, and nothing of theirs is kept), then adopted into the blob
// store, then the document row and its ingest job are created in ONE transaction. A replay with
// the same Idempotency-Key and the same bytes returns the first document; with other bytes it is
// a conflict.
//
// Delete works in any state: a queued job is cancelled, a running one is asked to stop, and in one
// transaction the document, its text, chunks, vectors and step marks go; after commit its blob
// file and its index entries are removed. Deleting an absent document is not an error.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/queue.h"
#include "jobs/step_store.h"
#include "store/audit_store.h"
#include "store/blob_store.h"
#include "store/document_store.h"

namespace scriptgen::search {
class SearchService;
}
namespace scriptgen::extract {
class FileSecurityValidator;
}
namespace scriptgen::obs {
struct ServiceMetrics;
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
  std::string trace_id;  // of the request, stored with the ingest job for its logs
  std::string correlation_id;
  std::string actor;  // token id, for the audit log
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
  std::map<std::string, int64_t> vectors_removed;  // per embed_version
};

struct DocumentServiceDeps {
  store::DocumentStore* documents = nullptr;
  store::Transactor* transactor = nullptr;
  store::BlobStore* blobs = nullptr;
  jobs::JobQueue* queue = nullptr;
  jobs::StepStore* steps = nullptr;
  search::SearchService* search = nullptr;
  const extract::FileSecurityValidator* validator = nullptr;
  obs::ServiceMetrics* metrics = nullptr;  // may be null
  store::AuditStore* audit = nullptr;      // uploads and deletes are recorded; may be null
  // Keyed hash of a subject id for audit entries (they never hold the raw id).
  std::function<std::string(const std::string&)> subject_hash;
};

// OK for a plain file name: 1-255 bytes, no path separators, no control characters (CR/LF
// included, so a name can never split a header or a log line), not "." or "..". Names never reach
// the filesystem (blobs are stored by content hash); this keeps them safe to show and return.
Status CheckFilename(std::string_view name);

class DocumentService {
 public:
  explicit DocumentService(DocumentServiceDeps deps) : deps_(deps) {}

  // `scope` is the subject a caller is confined to (nullopt: every subject, for admins). A
  // document outside the scope is reported exactly like an absent one (NotFound), so ids of
  // other subjects cannot be probed.
  using Scope = std::optional<std::string>;

  StatusOr<UploadResult> Upload(const UploadRequest& request);
  StatusOr<DocumentView> Get(store::DocumentId id, const Scope& scope = std::nullopt);
  StatusOr<DocumentPage> List(store::DocumentId after_id, size_t limit,
                              const std::optional<std::string>& subject_id);
  // Unscoped: deleting an absent document is not an error (deleted=false). Scoped: NotFound, as
  // for a document of another subject. `also` runs inside the delete's transaction with what was
  // deleted (an erasure keeps its tally there, so a crash cannot lose a count).
  using AlsoInTx = std::function<Status(store::WriteTx&, const store::DeletedDocument&)>;
  StatusOr<DeleteResult> Delete(store::DocumentId id, const Scope& scope = std::nullopt,
                                const std::string& actor = "", const AlsoInTx& also = nullptr);
  // OK if a caller in `scope` may see job `job_id` (the ingest job of one of its documents);
  // NotFound otherwise. Unscoped callers may see every job.
  Status CheckJobInScope(int64_t job_id, const Scope& scope);
  // A document on legal hold is exempt from retention sweeps. Recorded in the audit log.
  Status SetLegalHold(store::DocumentId id, bool hold, const std::string& actor);

 private:
  std::string StateOf(const store::Document& doc);
  Status Audit(store::WriteTx& tx, const std::string& actor, const std::string& action,
               store::DocumentId id, const std::string& subject_id, boost::json::object details);
  DocumentServiceDeps deps_;
};

}  // namespace scriptgen::ingest
