#include "api/json_views.h"

#include "api/request_parsing.h"
#include "util/time_format.h"

namespace scriptgen::api {
namespace {

boost::json::value Timestamp(int64_t ms) {
  if (ms == 0) return nullptr;
  return boost::json::string(FormatTimestampMs(ms));
}

boost::json::object ProgressJson(const jobs::Progress& p) {
  return {{"step", p.step}, {"percent", p.percent}, {"message", p.message}};
}

boost::json::value ErrorJson(const std::optional<jobs::JobError>& e) {
  if (!e) return nullptr;
  return boost::json::object{{"class", jobs::ErrorClassName(e->error_class)},
                             {"message", e->message},
                             {"recommendation", jobs::Recommendation(e->error_class)}};
}

// Counts per kind of what the scrubbers replaced; the values themselves are never stored.
boost::json::object RedactionsJson(const store::RedactionCounts& counts) {
  boost::json::object o;
  for (const auto& [kind, n] : counts) o[kind] = n;
  return o;
}

}  // namespace

boost::json::object JobJson(const jobs::Job& job) {
  boost::json::object o{
      {"id", PublicId(kJobPrefix, job.id)},       {"type", job.type},
      {"state", jobs::StateName(job.state)},      {"attempts", job.attempts},
      {"max_attempts", job.max_attempts},         {"cancel_requested", job.cancel_requested},
      {"progress", ProgressJson(job.progress)},   {"error", ErrorJson(job.last_error)},
      {"created_at", Timestamp(job.created_ms)},  {"updated_at", Timestamp(job.updated_ms)},
      {"finished_at", Timestamp(job.finished_ms)}};
  if (job.state == jobs::JobState::kScheduled) o["retry_at"] = Timestamp(job.run_at_ms);
  return o;
}

boost::json::object DeadJobJson(const jobs::Job& job,
                                const std::vector<jobs::ErrorRecord>& history) {
  boost::json::object o = JobJson(job);
  boost::json::array h;
  for (const jobs::ErrorRecord& r : history) {
    h.push_back(boost::json::object{{"attempt", r.attempt},
                                    {"class", jobs::ErrorClassName(r.error.error_class)},
                                    {"message", r.error.message},
                                    {"at", Timestamp(r.at_ms)}});
  }
  o["error_history"] = std::move(h);
  return o;
}

boost::json::object DocumentJson(const ingest::DocumentView& view) {
  const store::Document& d = view.document;
  return {{"id", PublicId(kDocumentPrefix, d.id)},
          {"filename", d.filename},
          {"state", view.state},
          {"mime", d.mime},
          {"declared_mime", d.declared_mime},
          {"size", d.size},
          {"sha256", d.sha256},
          {"subject_id",
           d.subject_id.empty() ? boost::json::value(nullptr) : boost::json::value(d.subject_id)},
          {"job_id", PublicId(kJobPrefix, d.job_id)},
          {"chunk_count", d.chunk_count},
          {"redactions", RedactionsJson(d.redactions)},
          {"legal_hold", d.legal_hold},
          {"embed_version", d.embed_version.empty() ? boost::json::value(nullptr)
                                                    : boost::json::value(d.embed_version)},
          {"created_at", Timestamp(d.created_ms)},
          {"updated_at", Timestamp(d.updated_ms)}};
}

boost::json::object SearchResultJson(const search::SearchResult& r) {
  return {
      {"document_id", PublicId(kDocumentPrefix, r.document_id)},
      {"chunk_id", PublicId(kChunkPrefix, r.chunk_id)},
      {"score", r.score},
      {"text", r.text},
      {"filename", r.filename},
      {"page", r.page > 0 ? boost::json::value(r.page) : boost::json::value(nullptr)},
      {"heading", r.heading.empty() ? boost::json::value(nullptr) : boost::json::value(r.heading)}};
}

boost::json::object EventJson(const jobs::JobEvent& e) {
  boost::json::object o{{"job_id", PublicId(kJobPrefix, e.job_id)},
                        {"seq", e.seq},
                        {"state", jobs::StateName(e.state)},
                        {"at", Timestamp(e.at_ms)}};
  if (e.kind == jobs::JobEvent::Kind::kProgress) o["progress"] = ProgressJson(e.progress);
  if (!e.error.empty()) o["error"] = e.error;
  return o;
}

boost::json::object TokenJson(const store::TokenRecord& t, int64_t now_ms) {
  const char* state = t.revoked_ms != 0                             ? "revoked"
                      : t.expires_ms != 0 && now_ms >= t.expires_ms ? "expired"
                                                                    : "active";
  auto optional_time = [](int64_t ms) {
    return ms == 0 ? boost::json::value(nullptr) : Timestamp(ms);
  };
  return {{"id", t.id},
          {"role", t.role},
          {"subject_id",
           t.subject_id.empty() ? boost::json::value(nullptr) : boost::json::value(t.subject_id)},
          {"note", t.note},
          {"state", state},
          {"created_at", Timestamp(t.created_ms)},
          {"expires_at", optional_time(t.expires_ms)},
          {"revoked_at", optional_time(t.revoked_ms)}};
}

}  // namespace scriptgen::api
