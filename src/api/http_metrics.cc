// Route templates are recovered from the path by matching it against the registered patterns
// (literal segments must be equal, {captures} match any one segment; the pattern with the most
// literal segments wins, as in the router). A few dozen patterns: a linear scan is cheaper than
// any index and runs once per response.
#include <sstream>

#include "api/api.h"
#include "obs/service_metrics.h"

namespace scriptgen::api {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

struct Template {
  std::string pattern;
  std::vector<std::string> segments;
  int literals = 0;
};

}  // namespace

std::function<void(const http::Request&, int, std::chrono::nanoseconds)> MakeHttpMetricsHook(
    const std::vector<RoutePolicy>& policies, obs::ServiceMetrics* metrics) {
  auto templates = std::make_shared<std::vector<Template>>();
  std::vector<std::string> patterns = {"/healthz", "/readyz", "/metrics"};
  for (const RoutePolicy& p : policies) patterns.push_back(p.pattern);
  for (const std::string& p : patterns) {
    Template t{p, Split(p)};
    for (const std::string& s : t.segments) t.literals += s.empty() || s.front() != '{';
    templates->push_back(std::move(t));
  }
  return [templates, metrics](const http::Request& req, int status,
                              std::chrono::nanoseconds elapsed) {
    const std::vector<std::string> segments = Split(req.path);
    const Template* best = nullptr;
    for (const Template& t : *templates) {
      if (t.segments.size() != segments.size()) continue;
      bool match = true;
      for (size_t i = 0; i < segments.size() && match; ++i) {
        const std::string& s = t.segments[i];
        match = (!s.empty() && s.front() == '{') || s == segments[i];
      }
      if (match && (best == nullptr || t.literals > best->literals)) best = &t;
    }
    const std::string_view route = best != nullptr ? std::string_view(best->pattern) : "unmatched";
    // Methods are a closed set for metrics: anything unusual is "other".
    static const std::vector<std::string_view> kMethods = {"GET",    "POST",    "PUT", "PATCH",
                                                           "DELETE", "OPTIONS", "HEAD"};
    std::string_view method = "other";
    for (std::string_view m : kMethods) {
      if (req.method == m) method = m;
    }
    const std::string code = std::to_string(status);
    metrics->http_requests_total.WithLabels({route, method, code}).Inc();
    metrics->http_request_duration_seconds.WithLabels({route, method})
        .Observe(std::chrono::duration<double>(elapsed).count());
  };
}

}  // namespace scriptgen::api
