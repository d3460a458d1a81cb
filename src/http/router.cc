// Router: a linear scan over the routes.
//
// An API has a few dozen routes, so scanning them all per request (comparing a handful of short
// strings each) is cheaper than building and walking a trie, and it makes the precedence rule easy
// to state: among matching routes of the request method, the one whose first non-shared segment is
// a literal wins. The same scan collects the methods of every route matching the path, which is
// exactly the Allow header a 405 or OPTIONS needs.
#include "http/router.h"

#include <algorithm>
#include <stdexcept>

namespace scriptgen::http {
namespace {

bool IsCapture(const std::string& seg) {
  return seg.size() >= 3 && seg.front() == '{' && seg.back() == '}';
}

std::vector<std::string> SplitPattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  std::vector<std::string> out;
  if (pattern == "/") return out;
  size_t pos = 1;
  while (true) {
    size_t next = pattern.find('/', pos);
    std::string seg(pattern.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (seg.empty())
      throw std::invalid_argument("empty segment in pattern " + std::string(pattern));
    bool has_brace = seg.find_first_of("{}") != std::string::npos;
    if (has_brace && !IsCapture(seg)) {
      throw std::invalid_argument("bad capture segment in pattern " + std::string(pattern));
    }
    out.push_back(std::move(seg));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

// Literal-vs-capture flags per segment; lexicographically larger = more specific.
std::vector<bool> Specificity(const Router::Route& r) {
  std::vector<bool> s;
  s.reserve(r.segments.size());
  for (const auto& seg : r.segments) s.push_back(!IsCapture(seg));
  return s;
}

bool MatchSegments(const Router::Route& r, const std::vector<std::string>& segments) {
  if (r.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (IsCapture(r.segments[i])) {
      if (segments[i].empty()) return false;
    } else if (r.segments[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::Add(std::string method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
  if (!handler) throw std::invalid_argument("empty handler for " + std::string(pattern));
  auto r = std::make_unique<Route>();
  r->method = std::move(method);
  r->pattern = std::string(pattern);
  r->segments = SplitPattern(pattern);
  r->handler = std::move(handler);
  r->options = options;
  AddRoute(std::move(r));
}

void Router::AddSse(std::string_view pattern, SseHandler handler) {
  if (!handler) throw std::invalid_argument("empty SSE handler for " + std::string(pattern));
  auto r = std::make_unique<Route>();
  r->method = "GET";
  r->pattern = std::string(pattern);
  r->segments = SplitPattern(pattern);
  r->sse_handler = std::move(handler);
  AddRoute(std::move(r));
}

void Router::AddRoute(std::unique_ptr<Route> route) {
  for (const auto& r : routes_) {
    if (r->method == route->method && r->segments == route->segments) {
      throw std::invalid_argument("duplicate route " + route->method + " " + route->pattern);
    }
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(std::string_view method,
                           const std::vector<std::string>& segments) const {
  Match m;
  const Route* best = nullptr;
  const Route* get_route = nullptr;  // for HEAD fallback
  std::vector<std::string> methods;
  auto more_specific = [](const Route* a, const Route* b) {
    return b == nullptr || Specificity(*a) > Specificity(*b);
  };
  for (const auto& r : routes_) {
    if (!MatchSegments(*r, segments)) continue;
    m.path_known = true;
    if (std::find(methods.begin(), methods.end(), r->method) == methods.end()) {
      methods.push_back(r->method);
    }
    if (r->method == method && more_specific(r.get(), best)) best = r.get();
    if (r->method == "GET" && !r->sse_handler && more_specific(r.get(), get_route)) {
      get_route = r.get();
    }
  }
  if (!m.path_known) return m;
  bool has_get = std::find(methods.begin(), methods.end(), "GET") != methods.end();
  if (has_get && std::find(methods.begin(), methods.end(), "HEAD") == methods.end()) {
    methods.push_back("HEAD");
  }
  if (std::find(methods.begin(), methods.end(), "OPTIONS") == methods.end()) {
    methods.push_back("OPTIONS");
  }
  for (const auto& name : methods) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += name;
  }
  if (best == nullptr && method == "HEAD" && get_route != nullptr) {
    best = get_route;
    m.head_via_get = true;
  }
  if (best == nullptr) return m;
  m.route = best;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = best->segments[i];
    if (IsCapture(seg)) m.params[seg.substr(1, seg.size() - 2)] = segments[i];
  }
  return m;
}

}  // namespace scriptgen::http
