// Builds the router from the route groups (each /v1 route registered through RouteTable with
// its access policy) and adds the two unauthenticated probes.
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "api/openapi_document.h"
#include "api/routes_internal.h"
#include "obs/metrics.h"
#include "obs/service_metrics.h"

namespace scriptgen::api {

http::Response Json(int status, const boost::json::object& body) {
  return http::JsonResponse(status, boost::json::serialize(body));
}

namespace {

void AddMetricsRoute(http::Router& router, RouteTable& routes, const ApiServices& s,
                     const ApiOptions& o) {
  if (s.metrics == nullptr || o.metrics_access == "off") return;
  auto render = [m = s.metrics]() {
    http::Response r;
    r.content_type = std::string(obs::kExpositionContentType);
    r.body = m->registry.Render();
    return r;
  };
  if (o.metrics_access == "token") {
    routes.Add("GET", "/metrics", Access::kAdmin,
               [render](http::Request&, const auth::Principal&) { return render(); });
  } else {
    router.Add("GET", "/metrics", [render](http::Request&) { return render(); });
  }
}

}  // namespace

http::Router BuildRouter(const ApiServices& s, const ApiOptions& o,
                         std::vector<RoutePolicy>* policies) {
  http::Router router;
  router.Add("GET", "/healthz", [](http::Request&) { return Json(200, {{"status", "ok"}}); });
  router.Add("GET", "/readyz", [s](http::Request&) {
    const std::string reason = s.not_ready_reason ? s.not_ready_reason() : std::string();
    if (!reason.empty()) return Json(503, {{"status", "not_ready"}, {"reason", reason}});
    return Json(200, {{"status", "ready"}});
  });
  // The API description, public like the probes: it holds no data.
  router.Add("GET", "/openapi.json", [](http::Request&) {
    return http::JsonResponse(200, std::string(OpenApiDocument()));
  });
  RouteTable routes(router, s);
  AddMetricsRoute(router, routes, s, o);
  AddDocumentRoutes(routes, s, o);
  AddJobRoutes(routes, s, o);
  AddDlqRoutes(routes, s);
  AddSearchRoutes(routes, s);
  AddTokenRoutes(routes, s);
  AddGovernanceRoutes(routes, s);
  AddEmbedVersionRoutes(routes, s);
  // Last, so it lists every route above (and itself).
  auto listed = std::make_shared<std::vector<RoutePolicy>>();
  routes.Add(
      "GET", "/v1/admin/routes", Access::kAdmin, [listed](http::Request&, const auth::Principal&) {
        boost::json::array out;
        for (const RoutePolicy& p : *listed) {
          out.push_back(boost::json::object{
              {"method", p.method}, {"pattern", p.pattern}, {"role", AccessLevelName(p.access)}});
        }
        return Json(200, {{"routes", std::move(out)}});
      });
  *listed = routes.policies();
  if (policies != nullptr) *policies = routes.policies();
  return router;
}

}  // namespace scriptgen::api
