// Builds the router from the route groups and adds the two unauthenticated probes. Bearer token
// comparison is constant-time so response timing does not leak how much of a guess was right.
#include <openssl/crypto.h>

#include <boost/json/serialize.hpp>

#include "api/routes_internal.h"

namespace scriptgen::api {

http::Response Json(int status, const boost::json::object& body) {
  return http::JsonResponse(status, boost::json::serialize(body));
}

http::Router BuildRouter(const ApiServices& s, const ApiOptions& o) {
  http::Router router;
  router.Add("GET", "/healthz", [](http::Request&) { return Json(200, {{"status", "ok"}}); });
  router.Add("GET", "/readyz", [s](http::Request&) {
    const std::string reason = s.not_ready_reason ? s.not_ready_reason() : std::string();
    if (!reason.empty()) return Json(503, {{"status", "not_ready"}, {"reason", reason}});
    return Json(200, {{"status", "ready"}});
  });
  AddDocumentRoutes(router, s, o);
  AddJobRoutes(router, s);
  AddDlqRoutes(router, s);
  AddSearchRoutes(router, s);
  return router;
}

std::function<std::optional<http::Response>(http::Request&)> MakeAuthenticator(
    std::string admin_token) {
  return [token = std::move(admin_token)](http::Request& req) -> std::optional<http::Response> {
    if (req.path.rfind("/v1/", 0) != 0 && req.path != "/v1") return std::nullopt;
    const std::optional<std::string> header = req.Header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (!header || header->size() <= kBearer.size() ||
        header->compare(0, kBearer.size(), kBearer) != 0) {
      http::Response r = http::ErrorResponse(401, "unauthenticated",
                                             "missing 'Authorization: Bearer <token>' header");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    const std::string_view given = std::string_view(*header).substr(kBearer.size());
    if (given.size() != token.size() ||
        CRYPTO_memcmp(given.data(), token.data(), token.size()) != 0) {
      http::Response r = http::ErrorResponse(401, "unauthenticated", "invalid bearer token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
    }
    return std::nullopt;
  };
}

}  // namespace scriptgen::api
