// RouteTable: the only way API routes are registered, so that no route exists without an access
// policy (R-S5). Each route names the least role it needs; the wrapper it installs
//   1. authenticates the bearer token (401, with WWW-Authenticate, when missing or not valid),
//   2. checks the role against the route's Access (403 when the role may not),
//   3. applies the per-token request rate limit (429 with Retry-After),
// and only then calls the handler with the Principal, which handlers use to scope every read and
// write to the caller's subject. Internal to src/api.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api.h"
#include "auth/principal.h"
#include "http/router.h"
#include "http/sse_stream.h"

namespace scriptgen::api {

using AuthedHandler = std::function<http::Response(http::Request&, const auth::Principal&)>;
using AuthedSseHandler = std::function<std::optional<http::Response>(
    http::Request&, const auth::Principal&, std::shared_ptr<http::SseStream>)>;

class RouteTable {
 public:
  RouteTable(http::Router& router, const ApiServices& services)
      : router_(router), services_(services) {}

  void Add(std::string method, std::string pattern, Access access, AuthedHandler handler,
           http::RouteOptions options = {});
  void AddSse(std::string pattern, Access access, AuthedSseHandler handler);

  // Every route added so far with its policy (GET /v1/admin/routes, the route-policy tests).
  const std::vector<RoutePolicy>& policies() const { return policies_; }

 private:
  http::Router& router_;
  const ApiServices services_;
  std::vector<RoutePolicy> policies_;
};

}  // namespace scriptgen::api
