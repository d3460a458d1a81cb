// embed_version administration over HTTP (admin only): list and register versions, reindex,
// activate (and so roll back), retire. The lifecycle rules are EmbedVersionService's; this file
// only parses and renders.
#include <boost/json.hpp>

#include "api/request_parsing.h"
#include "api/routes_internal.h"
#include "util/time_format.h"
#include "versioning/embed_version_service.h"

namespace scriptgen::api {
namespace {

boost::json::object VersionJson(const versioning::EmbedVersionStatus& st) {
  const store::EmbedVersion& v = st.version;
  auto time = [](int64_t ms) {
    return ms == 0 ? boost::json::value(nullptr) : boost::json::value(FormatTimestampMs(ms));
  };
  boost::system::error_code ec;
  boost::json::value params = boost::json::parse(v.params_json, ec);
  if (ec || !params.is_object()) params = boost::json::object{};
  return {{"version", v.name},
          {"provider", v.provider},
          {"model", v.model},
          {"dim", v.dimension},
          {"params", std::move(params)},
          {"state", store::EmbedVersionStateName(v.state)},
          {"vectors", st.vectors},
          {"missing", st.missing},
          {"complete", v.state != store::EmbedVersionState::kRetired && st.missing == 0},
          {"searchable", st.searchable},
          {"created_at", time(v.created_ms)},
          {"activated_at", time(v.activated_ms)},
          {"retired_at", time(v.retired_ms)}};
}

StatusOr<versioning::EmbedVersionSpec> ParseSpec(const boost::json::object& body) {
  versioning::EmbedVersionSpec spec;
  const boost::json::value* provider = body.if_contains("provider");
  if (provider == nullptr || !provider->is_string()) {
    return InvalidArgument("\"provider\" is required: \"hash\" or \"openai\"");
  }
  spec.provider = std::string(provider->as_string().c_str());
  if (const boost::json::value* model = body.if_contains("model")) {
    if (!model->is_string()) return InvalidArgument("\"model\" must be a string");
    spec.model = std::string(model->as_string().c_str());
  }
  const boost::json::value* dim = body.if_contains("dim");
  if (dim == nullptr || !dim->is_int64()) return InvalidArgument("\"dim\" must be an integer");
  spec.dimension = dim->as_int64();
  if (const boost::json::value* url = body.if_contains("url")) {
    if (!url->is_string()) return InvalidArgument("\"url\" must be a string");
    spec.params_json = boost::json::serialize(boost::json::object{{"url", url->as_string()}});
  }
  return spec;
}

http::Response Describe(const ApiServices& s, const std::string& name, int status) {
  StatusOr<versioning::EmbedVersionStatus> st = s.versions->Describe(name);
  if (!st.ok()) return http::ErrorResponse(st.status());
  return Json(status, VersionJson(*st));
}

}  // namespace

void AddEmbedVersionRoutes(RouteTable& routes, const ApiServices& s) {
  if (s.versions == nullptr) return;
  routes.Add("GET", "/v1/admin/embed-versions", Access::kAdmin,
             [s](http::Request&, const auth::Principal&) {
               StatusOr<std::vector<versioning::EmbedVersionStatus>> all = s.versions->List();
               if (!all.ok()) return http::ErrorResponse(all.status());
               boost::json::array out;
               for (const auto& st : *all) out.push_back(VersionJson(st));
               return Json(200, {{"versions", std::move(out)},
                                 {"active", s.versions->embedders()->active()->version()}});
             });
  routes.Add("POST", "/v1/admin/embed-versions", Access::kAdmin,
             [s](http::Request& req, const auth::Principal& who) {
               StatusOr<boost::json::object> body = ParseJsonObject(req.body);
               if (!body.ok()) return http::ErrorResponse(body.status());
               StatusOr<versioning::EmbedVersionSpec> spec = ParseSpec(*body);
               if (!spec.ok()) return http::ErrorResponse(spec.status());
               StatusOr<versioning::EmbedVersionService::Registered> r =
                   s.versions->Register(*spec, who.token_id);
               if (!r.ok()) return http::ErrorResponse(r.status());
               return Describe(s, r->version.name, r->created ? 201 : 200);
             });
  routes.Add("GET", "/v1/admin/embed-versions/{version}", Access::kAdmin,
             [s](http::Request& req, const auth::Principal&) {
               return Describe(s, req.path_params.at("version"), 200);
             });
  routes.Add("POST", "/v1/admin/embed-versions/{version}/activate", Access::kAdmin,
             [s](http::Request& req, const auth::Principal& who) {
               const std::string name = req.path_params.at("version");
               StatusOr<std::string> previous = s.versions->Activate(name, who.token_id);
               if (!previous.ok()) return http::ErrorResponse(previous.status());
               StatusOr<versioning::EmbedVersionStatus> st = s.versions->Describe(name);
               if (!st.ok()) return http::ErrorResponse(st.status());
               boost::json::object out = VersionJson(*st);
               out["previous"] =
                   previous->empty() ? boost::json::value(nullptr) : boost::json::value(*previous);
               return Json(200, out);
             });
  routes.Add("POST", "/v1/admin/embed-versions/{version}/retire", Access::kAdmin,
             [s](http::Request& req, const auth::Principal& who) {
               const std::string name = req.path_params.at("version");
               if (Status r = s.versions->Retire(name, who.token_id); !r.ok()) {
                 return http::ErrorResponse(r);
               }
               return Describe(s, name, 200);
             });
  routes.Add("POST", "/v1/admin/reindex", Access::kAdmin,
             [s](http::Request& req, const auth::Principal& who) {
               StatusOr<boost::json::object> body = ParseJsonObject(req.body);
               if (!body.ok()) return http::ErrorResponse(body.status());
               const boost::json::value* v = body->if_contains("version");
               if (v == nullptr || !v->is_string()) {
                 return http::ErrorResponse(
                     InvalidArgument("\"version\" is required: the embed_version to build"));
               }
               const std::string name(v->as_string().c_str());
               StatusOr<jobs::JobId> job = s.versions->StartReindex(name, who.token_id);
               if (!job.ok()) return http::ErrorResponse(job.status());
               const std::string id = PublicId(kJobPrefix, *job);
               return Json(202, {{"job_id", id},
                                 {"version", name},
                                 {"status_url", "/v1/jobs/" + id},
                                 {"events_url", "/v1/jobs/" + id + "/events"}});
             });
}

}  // namespace scriptgen::api
