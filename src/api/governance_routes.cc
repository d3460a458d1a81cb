// Data governance over HTTP (admin only): GDPR erase requests and their signed certificates, and
// the public key that verifies them. POST /analytics/erase is the seed's name for the same call.
#include <boost/json/parse.hpp>

#include "api/request_parsing.h"
#include "api/routes_internal.h"
#include "governance/erase_service.h"
#include "governance/signing_key.h"
#include "obs/logger.h"
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
  if (!r.ok()) return http::ErrorResponse(r.status());
  boost::json::object out = EraseJson(*r);
  out["status_url"] = "/v1/admin/erase/" + r->id;
  return Json(202, out);
}

}  // namespace

void AddGovernanceRoutes(RouteTable& routes, const ApiServices& s) {
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
