// Data governance over HTTP (admin only): GDPR erase requests and their signed certificates, and
// the public key that verifies them. POST /analytics/erase is the seed's name for the same call.
#include <boost/json/parse.hpp>

#include "api/request_parsing.h"
#include "api/routes_internal.h"
#include "governance/erase_service.h"
#include "governance/orphan_detector.h"
#include "governance/retention_service.h"
#include "governance/signing_key.h"
#include "obs/logger.h"
#include "obs/service_metrics.h"
#include "util/clock.h"
#include "util/time_format.h"

namespace scriptgen::api {
namespace {

std::string StringField(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string().c_str()) : std::string();
}

boost::json::object EraseJson(const store::EraseRequest& r) {
  boost::json::value certificate = nullptr;
  if (!r.certificate_json.empty()) {
    boost::system::error_code ec;
    certificate = boost::json::parse(r.certificate_json, ec);
    if (ec) certificate = nullptr;
  }
  auto time = [](int64_t ms) {
    return ms == 0 ? boost::json::value(nullptr) : boost::json::value(FormatTimestampMs(ms));
  };
  return {{"request_id", r.id},
          {"state", r.state},
          {"subject_hash", r.subject_hash},
          {"job_id", PublicId(kJobPrefix, r.job_id)},
          {"requested_at", time(r.requested_ms)},
          {"completed_at", time(r.completed_ms)},
          {"error", r.error.empty() ? boost::json::value(nullptr) : boost::json::value(r.error)},
          {"certificate", std::move(certificate)}};
}

http::Response RequestErase(const ApiServices& s, http::Request& req, const auth::Principal& who) {
  StatusOr<boost::json::object> body = ParseJsonObject(req.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  governance::EraseRequestInput in;
  in.subject_id = StringField(*body, "subject_id");
  in.confirm = StringField(*body, "confirm");
  in.reason = StringField(*body, "reason");
  in.actor = who.token_id;
  in.trace_id = obs::CurrentLogContext().trace_id;
  in.correlation_id = obs::CurrentLogContext().correlation_id;
  StatusOr<store::EraseRequest> r = s.erase->Request(in);
  if (s.metrics != nullptr) {
    s.metrics->erase_requests_total.WithLabels({r.ok() ? "accepted" : "refused"}).Inc();
  }
  if (!r.ok()) return http::ErrorResponse(r.status());
  boost::json::object out = EraseJson(*r);
  out["status_url"] = "/v1/admin/erase/" + r->id;
  return Json(202, out);
}

http::Response RunRetention(const ApiServices& s, http::Request& req, const auth::Principal& who) {
  StatusOr<boost::json::object> body = ParseJsonObject(req.body.empty() ? "{}" : req.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  int64_t as_of = SystemClock::Get()->NowMs();
  if (const std::string text = StringField(*body, "as_of"); !text.empty()) {
    StatusOr<int64_t> parsed = governance::ParseDate(text);
    if (!parsed.ok()) return http::ErrorResponse(parsed.status());
    as_of = *parsed;
  }
  StatusOr<governance::RetentionReport> r = s.retention->Run(as_of, who.token_id);
  if (!r.ok()) return http::ErrorResponse(r.status());
  return Json(200,
              {{"as_of", FormatTimestampMs(r->as_of_ms)},
               {"deleted", boost::json::object{{"documents", r->documents_deleted},
                                               {"chunks", r->chunks_deleted},
                                               {"audit_entries", r->audit_entries_truncated}}}});
}

http::Response Doctor(const ApiServices& s, http::Request& req) {
  StatusOr<boost::json::object> body = ParseJsonObject(req.body.empty() ? "{}" : req.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  const boost::json::value* fix = body->if_contains("fix");
  StatusOr<governance::OrphanReport> r =
      s.find_orphans(fix != nullptr && fix->is_bool() && fix->as_bool());
  if (!r.ok()) return http::ErrorResponse(r.status());
  auto list = [](const std::vector<std::string>& v) {
    boost::json::array a;
    for (const std::string& x : v) a.push_back(boost::json::string(x));
    return a;
  };
  return Json(200, {{"orphan_blobs", list(r->orphan_blobs)},
                    {"documents_missing_their_file", list(r->missing_blobs)},
                    {"stale_staging_files", list(r->stale_staging_files)},
                    {"removed", r->removed}});
}

}  // namespace

void AddGovernanceRoutes(RouteTable& routes, const ApiServices& s) {
  if (s.retention != nullptr) {
    routes.Add(
        "POST", "/v1/admin/retention/run", Access::kAdmin,
        [s](http::Request& req, const auth::Principal& who) { return RunRetention(s, req, who); });
    routes.Add("GET", "/v1/admin/compliance-report", Access::kAdmin,
               [s](http::Request&, const auth::Principal&) {
                 StatusOr<boost::json::object> r =
                     s.retention->ComplianceReport(SystemClock::Get()->NowMs());
                 if (!r.ok()) return http::ErrorResponse(r.status());
                 return Json(200, *r);
               });
    routes.Add("PUT", "/v1/documents/{id}/legal-hold", Access::kAdmin,
               [s](http::Request& req, const auth::Principal& who) {
                 StatusOr<int64_t> id =
                     ParsePublicId(req.path_params.at("id"), kDocumentPrefix, "document");
                 if (!id.ok()) return http::ErrorResponse(id.status());
                 StatusOr<boost::json::object> body = ParseJsonObject(req.body);
                 if (!body.ok()) return http::ErrorResponse(body.status());
                 const boost::json::value* hold = body->if_contains("hold");
                 if (hold == nullptr || !hold->is_bool()) {
                   return http::ErrorResponse(400, "invalid_argument",
                                              "body must be {\"hold\": true|false}");
                 }
                 Status st = s.documents->SetLegalHold(*id, hold->as_bool(), who.token_id);
                 if (!st.ok()) return http::ErrorResponse(st);
                 return Json(200, {{"document_id", PublicId(kDocumentPrefix, *id)},
                                   {"legal_hold", hold->as_bool()}});
               });
  }
  if (s.find_orphans) {
    routes.Add("POST", "/v1/admin/doctor", Access::kAdmin,
               [s](http::Request& req, const auth::Principal&) { return Doctor(s, req); });
  }
  if (s.erase == nullptr) return;
  for (const char* path : {"/v1/admin/erase", "/analytics/erase"}) {
    routes.Add("POST", path, Access::kAdmin, [s](http::Request& req, const auth::Principal& who) {
      return RequestErase(s, req, who);
    });
  }
  routes.Add("GET", "/v1/admin/erase/{id}", Access::kAdmin,
             [s](http::Request& req, const auth::Principal&) {
               StatusOr<store::EraseRequest> r = s.erase->Get(req.path_params.at("id"));
               if (!r.ok()) return http::ErrorResponse(r.status());
               return Json(200, EraseJson(*r));
             });
  routes.Add("GET", "/v1/admin/signing-key", Access::kAdmin,
             [s](http::Request&, const auth::Principal&) {
               return Json(200, {{"alg", "Ed25519"},
                                 {"public_key", s.signing_key->PublicKeyBase64()},
                                 {"key_id", s.signing_key->KeyId()}});
             });
}

}  // namespace scriptgen::api
