// EraseStore: the port through which GDPR erase requests (R-G4) are kept.
//
// A request holds the raw subject id only while it is pending (the erase job needs it to find
// the subject's data); completing it clears the raw id and keeps the keyed hash and the signed
// certificate, so the record of an erasure is not itself personal data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/write_tx.h"
#include "util/status.h"

namespace scriptgen::store {

struct EraseRequest {
  std::string id;            // public id, "era_<hex>"
  std::string subject_id;    // raw; empty once completed
  std::string subject_hash;  // keyed hash of the subject id
  std::string reason;
  std::string actor;  // token id of the admin who asked
  std::string state;  // "pending" | "done" | "failed"
  int64_t job_id = 0;
  int64_t requested_ms = 0;
  int64_t completed_ms = 0;      // 0 while pending
  std::string certificate_json;  // set when done
  std::string error;             // set when failed
  std::string deleted_json;      // running tally of what the erase job deleted (JSON object)
  int64_t audit_from_seq = 0;    // the audit entry of the request
};

class EraseStore {
 public:
  virtual ~EraseStore() = default;
  // Inside the caller's transaction, so the request and its job are created together.
  virtual Status Insert(WriteTx& tx, const EraseRequest& request) = 0;
  // Records the request's job and its first audit entry.
  virtual Status Attach(WriteTx& tx, const std::string& id, int64_t job_id,
                        int64_t audit_from_seq) = 0;
  // Replaces the running tally (inside the transaction that deleted what it counts).
  virtual Status SetTally(WriteTx& tx, const std::string& id, const std::string& deleted_json) = 0;
  virtual StatusOr<EraseRequest> Get(const std::string& id) = 0;
  // pending -> done: stores the certificate and forgets the raw subject id.
  virtual Status Complete(WriteTx& tx, const std::string& id, int64_t completed_ms,
                          const std::string& certificate_json) = 0;
  virtual Status Fail(const std::string& id, const std::string& error) = 0;
  virtual StatusOr<std::vector<EraseRequest>> ListPending() = 0;
};

}  // namespace scriptgen::store
