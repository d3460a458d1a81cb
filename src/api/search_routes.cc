// POST /v1/search {"query": "...", "k": 5}.
#include <boost/json/array.hpp>
#include <chrono>

#include "api/json_views.h"
#include "api/request_parsing.h"
#include "api/routes_internal.h"

namespace scriptgen::api {

void AddSearchRoutes(RouteTable& routes, const ApiServices& s) {
  routes.Add(
      "POST", "/v1/search", Access::kRead, [s](http::Request& req, const auth::Principal& who) {
        const auto t0 = std::chrono::steady_clock::now();
        StatusOr<boost::json::object> body = ParseJsonObject(req.body);
        if (!body.ok()) return http::ErrorResponse(body.status());
        const boost::json::value* q = body->if_contains("query");
        if (q == nullptr || !q->is_string()) {
          return http::ErrorResponse(400, "invalid_argument", "\"query\" must be a string");
        }
        int64_t k = 5;
        if (const boost::json::value* kv = body->if_contains("k")) {
          if (!kv->is_int64())
            return http::ErrorResponse(400, "invalid_argument", "\"k\" must be an integer");
          k = kv->as_int64();
        }
        if (k < 1) return http::ErrorResponse(400, "invalid_argument", "\"k\" must be at least 1");
        std::string version;
        StatusOr<std::vector<search::SearchResult>> results =
            s.search->Search(std::string(q->as_string().c_str(), q->as_string().size()),
                             static_cast<size_t>(k), who.subject_scope(), &version);
        if (!results.ok()) return http::ErrorResponse(results.status());
        boost::json::array out;
        for (const search::SearchResult& r : *results) out.push_back(SearchResultJson(r));
        const double took =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        return Json(200,
                    {{"results", std::move(out)}, {"embed_version", version}, {"took_ms", took}});
      });
}

}  // namespace scriptgen::api
