// /v1/admin/tokens: create, list and revoke API tokens (admin only). A new token's secret is in
// the creation reply and nowhere else: it is not stored, listed or logged.
#include <boost/json/array.hpp>

#include "api/json_views.h"
#include "api/request_parsing.h"
#include "api/routes_internal.h"
#include "auth/access_control.h"
#include "util/clock.h"

namespace scriptgen::api {
namespace {

// "expires_in": "30d" | "12h" | seconds as an integer; absent or null: never expires.
StatusOr<std::optional<std::chrono::milliseconds>> ExpiresIn(const boost::json::object& body) {
  const boost::json::value* v = body.if_contains("expires_in");
  if (v == nullptr || v->is_null()) return std::optional<std::chrono::milliseconds>();
  if (v->is_int64()) {
    if (v->as_int64() <= 0) return InvalidArgument("\"expires_in\" must be positive");
    return std::optional(std::chrono::milliseconds(v->as_int64() * 1000));
  }
  if (v->is_string()) {
    StatusOr<std::chrono::milliseconds> d = auth::ParseDuration(v->as_string().c_str());
    if (!d.ok()) return d.status();
    return std::optional(*d);
  }
  return InvalidArgument("\"expires_in\" must be like \"30d\" or a number of seconds");
}

StatusOr<std::string> OptionalString(const boost::json::object& body, std::string_view name) {
  const boost::json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidArgument("\"" + std::string(name) + "\" must be a string");
  return std::string(v->as_string().c_str(), v->as_string().size());
}

http::Response Create(const ApiServices& s, http::Request& req, const auth::Principal& who) {
  StatusOr<boost::json::object> body = ParseJsonObject(req.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  StatusOr<std::string> role_name = OptionalString(*body, "role");
  if (!role_name.ok()) return http::ErrorResponse(role_name.status());
  std::optional<auth::Role> role = auth::ParseRole(*role_name);
  if (!role) {
    return http::ErrorResponse(400, "invalid_argument",
                               "\"role\" must be one of admin, writer, reader");
  }
  StatusOr<std::string> subject = OptionalString(*body, "subject_id");
  if (!subject.ok()) return http::ErrorResponse(subject.status());
  StatusOr<std::string> note = OptionalString(*body, "note");
  if (!note.ok()) return http::ErrorResponse(note.status());
  StatusOr<std::optional<std::chrono::milliseconds>> expires = ExpiresIn(*body);
  if (!expires.ok()) return http::ErrorResponse(expires.status());
  StatusOr<auth::CreatedToken> t = s.access->Create(*role, *subject, *expires, *note, who.token_id);
  if (!t.ok()) return http::ErrorResponse(t.status());
  boost::json::object out = TokenJson(t->record, SystemClock::Get()->NowMs());
  out["token"] = t->token;
  return Json(201, out);
}

}  // namespace

void AddTokenRoutes(RouteTable& routes, const ApiServices& s) {
  routes.Add("POST", "/v1/admin/tokens", Access::kAdmin,
             [s](http::Request& req, const auth::Principal& who) { return Create(s, req, who); });
  routes.Add("GET", "/v1/admin/tokens", Access::kAdmin,
             [s](http::Request&, const auth::Principal&) {
               StatusOr<std::vector<store::TokenRecord>> list = s.access->List();
               if (!list.ok()) return http::ErrorResponse(list.status());
               const int64_t now = SystemClock::Get()->NowMs();
               boost::json::array out;
               for (const store::TokenRecord& t : *list) out.push_back(TokenJson(t, now));
               return Json(200, {{"tokens", std::move(out)}});
             });
  routes.Add("DELETE", "/v1/admin/tokens/{id}", Access::kAdmin,
             [s](http::Request& req, const auth::Principal& who) {
               const std::string& id = req.path_params.at("id");
               if (Status r = s.access->Revoke(id, who.token_id); !r.ok()) {
                 return http::ErrorResponse(r);
               }
               return Json(200, {{"id", id}, {"revoked", true}});
             });
}

}  // namespace scriptgen::api
