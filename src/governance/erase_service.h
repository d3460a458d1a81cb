// EraseService: GDPR erasure of a data subject (R-G4), and its signed deletion certificate.
//
//   POST /v1/admin/erase -> Request(): validates the double confirmation, then creates the erase
//       request, its "erase" job and the first audit entry in ONE transaction.
//   the "erase" job -> RunJob(): deletes every document of the subject through the complete
//       cascade of DocumentService::Delete (rows, vectors of every version, step marks, blob file,
//       index entries), keeping a tally in the same transaction as each delete, so a crash and a
//       re-delivered job neither lose nor double-count anything; then compacts the store (WAL
//       checkpointed and truncated; deleted pages were zeroed by secure_delete), re-queries
//       that nothing of the subject is left, and in one transaction appends the closing audit
//       entry and stores the certificate signed with the server's Ed25519 key.
//
// The raw subject id lives only in the pending request; completing it keeps the keyed hash.
// Certificates and audit entries name the subject only by that hash.
#pragma once

#include <functional>
#include <string>

#include "governance/signing_key.h"
#include "ingest/document_service.h"
#include "jobs/job_context.h"
#include "jobs/queue.h"
#include "store/audit_store.h"
#include "store/blob_store.h"
#include "store/document_store.h"
#include "store/erase_store.h"
#include "util/clock.h"

namespace scriptgen::governance {

inline constexpr const char* kEraseJobType = "erase";

struct EraseDeps {
  store::EraseStore* erases = nullptr;
  store::DocumentStore* documents = nullptr;
  store::Transactor* transactor = nullptr;
  store::AuditStore* audit = nullptr;
  jobs::JobQueue* queue = nullptr;
  ingest::DocumentService* document_service = nullptr;
  store::BlobStore* blobs = nullptr;  // to check the subject's files are gone
  const SigningKey* signer = nullptr;
  std::string subject_key;  // keys SubjectHash
  // Makes deleted content unrecoverable from the store's files (WAL checkpoint + truncate).
  std::function<Status()> compact_store;
  const Clock* clock = SystemClock::Get();
};

struct EraseRequestInput {
  std::string subject_id;
  std::string confirm;  // must repeat subject_id: erasure cannot be undone
  std::string reason;   // why (ticket, legal basis); kept in the request, not in the audit log
  std::string actor;    // token id of the admin
  std::string trace_id;
  std::string correlation_id;
};

class EraseService {
 public:
  explicit EraseService(EraseDeps deps) : deps_(std::move(deps)) {}

  // InvalidArgument unless subject_id is 1-255 bytes, confirm equals it and a reason is given.
  StatusOr<store::EraseRequest> Request(const EraseRequestInput& input);
  StatusOr<store::EraseRequest> Get(const std::string& id) { return deps_.erases->Get(id); }
  // The handler of "erase" jobs. Payload: {"request_id": "era_..."}.
  Status RunJob(jobs::JobContext& ctx);

 private:
  Status Erase(jobs::JobContext& ctx, const store::EraseRequest& request);
  EraseDeps deps_;
};

}  // namespace scriptgen::governance
