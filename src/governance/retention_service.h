// RetentionService: how long each class of data is kept (R-G3), the sweep that enforces it, and
// the compliance report that shows where things stand.
//
// Classes and defaults: user content (documents and everything derived from them) 180 days;
// system logs 90 days and metrics 30 days (scriptgen keeps neither: its logs go to stderr and the
// log pipeline, metrics to Prometheus, whose retention the deployment sets to these values; the
// report says so); audit log 7 years.
// A document on legal hold is never swept. The sweep deletes through the same complete cascade
// as DELETE /v1/documents (DocumentService::Delete), truncates the audit log behind a signed
// checkpoint (so the rest stays verifiable), compacts the store, and records what it did in the
// audit log. It is idempotent: running it twice with the same as_of deletes nothing the second
// time. The server runs it daily; `POST /v1/admin/retention/run` and `scriptgen retention run
// --as-of DATE` run it on demand.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>

#include "governance/signing_key.h"
#include "ingest/document_service.h"
#include "store/audit_store.h"
#include "store/document_store.h"
#include "store/erase_store.h"
#include "util/clock.h"

namespace scriptgen::governance {

struct RetentionPolicy {
  int user_content_days = 180;
  int system_logs_days = 90;
  int metrics_days = 30;
  int audit_days = 7 * 365;
};

struct RetentionDeps {
  store::DocumentStore* documents = nullptr;
  ingest::DocumentService* document_service = nullptr;
  store::AuditStore* audit = nullptr;
  store::EraseStore* erases = nullptr;
  const SigningKey* signer = nullptr;
  std::string audit_key;
  std::function<Status()> compact_store;
  const Clock* clock = SystemClock::Get();
};

struct RetentionReport {
  int64_t as_of_ms = 0;
  int64_t documents_deleted = 0;
  int64_t chunks_deleted = 0;
  int64_t audit_entries_truncated = 0;
};

class RetentionService {
 public:
  RetentionService(RetentionDeps deps, RetentionPolicy policy)
      : deps_(std::move(deps)), policy_(policy) {}

  // Deletes what is past its retention at as_of_ms (normally now; a later time previews the
  // future: "what will be gone by then"). `actor` goes into the audit entry.
  StatusOr<RetentionReport> Run(int64_t as_of_ms, const std::string& actor);

  // Counts per class, the oldest item per class, items overdue, pending erase requests and their
  // age against the 30-day legal deadline.
  StatusOr<boost::json::object> ComplianceReport(int64_t as_of_ms);

  const RetentionPolicy& policy() const { return policy_; }

 private:
  RetentionDeps deps_;
  RetentionPolicy policy_;
};

// "2027-06-01" or "2027-06-01T12:00:00Z" -> unix ms; InvalidArgument otherwise.
StatusOr<int64_t> ParseDate(std::string_view text);

}  // namespace scriptgen::governance
