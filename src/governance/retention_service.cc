// Documents are swept in batches of 100 (oldest first) so one sweep never holds a long
// transaction; each delete is its own transaction, as for a user's DELETE.
#include "governance/retention_service.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>

#include "governance/audit_chain.h"
#include "util/time_format.h"

namespace scriptgen::governance {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kEraseDeadlineDays = 30;  // GDPR art. 12(3): one month

boost::json::value Time(int64_t ms) {
  return ms == 0 ? boost::json::value(nullptr) : boost::json::value(FormatTimestampMs(ms));
}

}  // namespace

StatusOr<int64_t> ParseDate(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const std::string t(text);
  int n = std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s);
  const bool date_only = n == 3 && t.size() == 10;
  const bool full = n == 6 && (t.size() == 19 || (t.size() == 20 && t.back() == 'Z'));
  if (!date_only && !full) {
    return InvalidArgument("date '" + t + "' is not like 2027-06-01 or 2027-06-01T12:00:00Z");
  }
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59)
    return InvalidArgument("date '" + t + "' is invalid");
  const auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  return duration_cast<milliseconds>(tp.time_since_epoch()).count();
}

StatusOr<RetentionReport> RetentionService::Run(int64_t as_of_ms, const std::string& actor) {
  RetentionReport report;
  report.as_of_ms = as_of_ms;
  const int64_t content_cutoff = as_of_ms - policy_.user_content_days * kDayMs;
  for (;;) {
    StatusOr<std::vector<store::DocumentId>> batch =
        deps_.documents->ExpiredDocuments(content_cutoff, 100);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    for (store::DocumentId id : *batch) {
      StatusOr<ingest::DeleteResult> r =
          deps_.document_service->Delete(id, std::nullopt, "system:retention");
      if (!r.ok()) return r.status();
      if (r->deleted) {
        ++report.documents_deleted;
        report.chunks_deleted += static_cast<int64_t>(r->chunks_removed);
      }
    }
  }

  // The audit log keeps 7 years; older entries go behind a signed checkpoint.
  const int64_t audit_cutoff = as_of_ms - policy_.audit_days * kDayMs;
  int64_t through = 0;
  SG_RETURN_IF_ERROR(deps_.audit->ForEach(0, [&](const store::AuditEntry& e) {
    if (e.at_ms >= audit_cutoff) return false;
    through = e.seq;
    ++report.audit_entries_truncated;
    return true;
  }));
  if (through > 0) {
    StatusOr<store::AuditCheckpoint> cp = TruncateAuditLog(
        *deps_.audit, deps_.audit_key, *deps_.signer, through, deps_.clock->NowMs());
    if (!cp.ok()) return cp.status();
  }

  store::NewAuditEntry e;
  e.actor = actor.empty() ? "system:retention" : actor;
  e.action = "retention.sweep";
  e.target = "retention";
  e.details_json = boost::json::serialize(
      boost::json::object{{"as_of", FormatTimestampMs(as_of_ms)},
                          {"documents", report.documents_deleted},
                          {"chunks", report.chunks_deleted},
                          {"audit_entries", report.audit_entries_truncated}});
  StatusOr<store::AuditEntry> appended = deps_.audit->Append(e);
  if (!appended.ok()) return appended.status();
  if (report.documents_deleted > 0 && deps_.compact_store) {
    SG_RETURN_IF_ERROR(deps_.compact_store());
  }
  return report;
}

StatusOr<boost::json::object> RetentionService::ComplianceReport(int64_t as_of_ms) {
  StatusOr<store::ContentRetentionStats> content =
      deps_.documents->RetentionStats(as_of_ms - policy_.user_content_days * kDayMs);
  if (!content.ok()) return content.status();

  int64_t audit_count = 0, audit_oldest = 0, audit_overdue = 0;
  const int64_t audit_cutoff = as_of_ms - policy_.audit_days * kDayMs;
  SG_RETURN_IF_ERROR(deps_.audit->ForEach(0, [&](const store::AuditEntry& e) {
    if (audit_count++ == 0) audit_oldest = e.at_ms;
    if (e.at_ms < audit_cutoff) ++audit_overdue;
    return true;
  }));

  StatusOr<std::vector<store::EraseRequest>> pending = deps_.erases->ListPending();
  if (!pending.ok()) return pending.status();
  boost::json::array requests;
  int64_t overdue_erasures = 0;
  for (const store::EraseRequest& r : *pending) {
    const double age_days = static_cast<double>(as_of_ms - r.requested_ms) / kDayMs;
    const bool overdue = age_days > kEraseDeadlineDays;
    overdue_erasures += overdue;
    requests.push_back(boost::json::object{{"request_id", r.id},
                                           {"state", r.state},
                                           {"requested_at", Time(r.requested_ms)},
                                           {"age_days", age_days},
                                           {"deadline_days", kEraseDeadlineDays},
                                           {"overdue", overdue}});
  }

  return boost::json::object{
      {"as_of", FormatTimestampMs(as_of_ms)},
      {"classes",
       boost::json::object{
           {"user_content", boost::json::object{{"retention_days", policy_.user_content_days},
                                                {"count", content->count},
                                                {"oldest", Time(content->oldest_created_ms)},
                                                {"overdue", content->overdue},
                                                {"on_legal_hold", content->on_hold}}},
           {"audit", boost::json::object{{"retention_days", policy_.audit_days},
                                         {"count", audit_count},
                                         {"oldest", Time(audit_oldest)},
                                         {"overdue", audit_overdue}}},
           {"system_logs",
            boost::json::object{{"retention_days", policy_.system_logs_days},
                                {"kept_by", "the log pipeline (scriptgen logs to stderr)"}}},
           {"metrics", boost::json::object{{"retention_days", policy_.metrics_days},
                                           {"kept_by", "Prometheus (--storage.tsdb.retention)"}}}}},
      {"erase_requests", boost::json::object{{"pending", static_cast<int64_t>(pending->size())},
                                             {"overdue", overdue_erasures},
                                             {"requests", std::move(requests)}}}};
}

}  // namespace scriptgen::governance
