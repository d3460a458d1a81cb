// /v1/dlq: the dead-letter queue (R-Q4). Listing shows each dead job with its error history and
// its class's recommendation; retry one, retry a whole class, purge one or all (of a class).
#include <boost/json/array.hpp>

#include "api/json_views.h"
#include "api/request_parsing.h"
#include "api/routes_internal.h"
#include "jobs/queue.h"

namespace scriptgen::api {
namespace {

StatusOr<std::optional<jobs::ErrorClass>> ClassParam(const std::optional<std::string>& raw) {
  if (!raw || raw->empty()) return std::optional<jobs::ErrorClass>();
  std::optional<jobs::ErrorClass> c = jobs::ParseErrorClass(*raw);
  if (!c) {
    return InvalidArgument("unknown error_class '" + raw->substr(0, 64) +
                           "' (bad_input, unsupported_type, rate_limited, provider_unavailable, "
                           "timeout, internal, cancelled, storage_full)");
  }
  return c;
}

http::Response List(const ApiServices& s, http::Request& req) {
  StatusOr<Paging> p = ParsePaging(req, 500);
  if (!p.ok()) return http::ErrorResponse(p.status());
  StatusOr<std::optional<jobs::ErrorClass>> cls = ClassParam(req.QueryParam("error_class"));
  if (!cls.ok()) return http::ErrorResponse(cls.status());
  jobs::JobFilter f;
  f.state = jobs::JobState::kDead;
  f.error_class = *cls;
  f.after_id = p->after_id;
  f.limit = p->limit + 1;
  StatusOr<std::vector<jobs::Job>> dead = s.queue->List(f);
  if (!dead.ok()) return http::ErrorResponse(dead.status());
  boost::json::array out;
  for (size_t i = 0; i < dead->size() && i < p->limit; ++i) {
    const jobs::Job& j = (*dead)[i];
    StatusOr<std::vector<jobs::ErrorRecord>> history = s.queue->ErrorHistory(j.id);
    out.push_back(DeadJobJson(j, history.ok() ? *history : std::vector<jobs::ErrorRecord>{}));
  }
  boost::json::value next = nullptr;
  if (dead->size() > p->limit) next = std::to_string((*dead)[p->limit - 1].id);
  return Json(200, {{"jobs", std::move(out)}, {"next", next}});
}

}  // namespace

void AddDlqRoutes(RouteTable& routes, const ApiServices& s) {
  // The dead-letter queue is an operator's tool: admin only.
  routes.Add("GET", "/v1/dlq", Access::kAdmin,
             [s](http::Request& req, const auth::Principal&) { return List(s, req); });

  routes.Add("POST", "/v1/dlq/{id}/retry", Access::kAdmin,
             [s](http::Request& req, const auth::Principal&) {
               StatusOr<int64_t> id = ParsePublicId(req.path_params.at("id"), kJobPrefix, "job");
               if (!id.ok()) return http::ErrorResponse(id.status());
               if (Status r = s.queue->RetryDead(*id); !r.ok()) return http::ErrorResponse(r);
               return Json(200, {{"id", PublicId(kJobPrefix, *id)}, {"state", "queued"}});
             });

  routes.Add("POST", "/v1/dlq/retry", Access::kAdmin,
             [s](http::Request& req, const auth::Principal&) {
               StatusOr<boost::json::object> body = ParseJsonObject(req.body);
               if (!body.ok()) return http::ErrorResponse(body.status());
               const boost::json::value* c = body->if_contains("error_class");
               if (c == nullptr || !c->is_string()) {
                 return http::ErrorResponse(400, "invalid_argument",
                                            "body must be {\"error_class\": \"<class>\"}");
               }
               StatusOr<std::optional<jobs::ErrorClass>> cls =
                   ClassParam(std::string(c->as_string().c_str()));
               if (!cls.ok()) return http::ErrorResponse(cls.status());
               StatusOr<int> n = s.queue->RetryDeadByClass(**cls);
               if (!n.ok()) return http::ErrorResponse(n.status());
               return Json(200, {{"error_class", jobs::ErrorClassName(**cls)}, {"retried", *n}});
             });

  routes.Add("DELETE", "/v1/dlq/{id}", Access::kAdmin,
             [s](http::Request& req, const auth::Principal&) {
               StatusOr<int64_t> id = ParsePublicId(req.path_params.at("id"), kJobPrefix, "job");
               if (!id.ok()) return http::ErrorResponse(id.status());
               if (Status r = s.queue->PurgeDead(*id); !r.ok()) return http::ErrorResponse(r);
               return Json(200, {{"id", PublicId(kJobPrefix, *id)}, {"purged", true}});
             });

  routes.Add("DELETE", "/v1/dlq", Access::kAdmin, [s](http::Request& req, const auth::Principal&) {
    StatusOr<std::optional<jobs::ErrorClass>> cls = ClassParam(req.QueryParam("error_class"));
    if (!cls.ok()) return http::ErrorResponse(cls.status());
    StatusOr<int> n = s.queue->PurgeDeadByClass(*cls);
    if (!n.ok()) return http::ErrorResponse(n.status());
    return Json(200, {{"purged", *n}});
  });
}

}  // namespace scriptgen::api
