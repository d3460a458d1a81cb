// Router: the table from (method, path pattern) to handler that a Server dispatches on.
//
// Patterns are absolute paths whose segments are literals or `{name}` captures; a capture matches
// exactly one non-empty path segment (percent-decoded, so "%2F" inside a segment is allowed) and
// lands in Request::path_params. When several patterns match, the one with a literal at the first
// differing segment wins ("/v1/dlq/retry" beats "/v1/dlq/{job_id}").
//
//   Router router;
//   router.Add("GET", "/v1/jobs/{id}", GetJob);
//   router.Add("POST", "/v1/documents", Upload,
//              {.stream_body_to_file = true, .max_body_bytes = 50 << 20});
//   router.AddSse("/v1/jobs/{id}/events", StreamJobEvents);
//
// The server answers by itself: an unknown path with 404, a known path with another method with
// 405 and an Allow header, HEAD on a GET route by running the GET handler and dropping the body,
// and OPTIONS (unless routed explicitly) with 204 and Allow.
//
// Thread safety: build the Router completely, then move it into the Server; it is read-only (and
// so safe to use from all threads) from then on. Add() throws std::invalid_argument on a malformed
// pattern or a duplicate (method, pattern): those are programming errors.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"

namespace scriptgen::http {

class SseStream;

// A handler runs on the server's handler pool (never on a network thread), so it may block, e.g.
// on a database commit. Exceptions escaping it become a 500 error response.
using Handler = std::function<Response(Request&)>;

// An SSE handler decides whether to open an event stream: return a Response to refuse it (e.g. a
// 404), or nullopt to accept. On accept, the server sends the event-stream headers and then
// whatever is Send() on the stream, from any thread, until Close() or the client goes away.
// Events sent before the handler returns (e.g. a replay after Last-Event-ID) are delivered first.
using SseHandler =
    std::function<std::optional<Response>(Request&, std::shared_ptr<SseStream> stream)>;

struct RouteOptions {
  // Spool the body to a temp file in ServerOptions::upload_dir while hashing it (see
  // Request::body_file) instead of holding it in Request::body.
  bool stream_body_to_file = false;
  // Larger bodies get 413: up front from Content-Length, or as soon as a chunked body exceeds it.
  uint64_t max_body_bytes = uint64_t{1} << 20;
  // Run the handler (and ServerOptions::before) on the connection's network thread instead of
  // the handler pool. Saves the two thread hand-offs that otherwise dominate a small request
  // (about 40 % of the CPU of GET /v1/jobs/{id} on 2 cores), so only for handlers that are
  // short and never wait: in-memory or local SQLite reads, no network calls, no locks held by
  // slow work. A handler that blocks here stalls every connection sharing its network thread.
  bool run_on_network_thread = false;
};

class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" entries are captures
    Handler handler;                    // set for plain routes
    SseHandler sse_handler;             // set for SSE routes (method GET)
    RouteOptions options;
  };

  // The result of Find: a route (with captures), or why there is none.
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    bool path_known = false;    // some route matches the path with another method (405)
    std::string allow;          // for 405/OPTIONS: "GET, HEAD, POST, OPTIONS"
    bool head_via_get = false;  // HEAD answered by the GET route; send no body
  };

  void Add(std::string method, std::string_view pattern, Handler handler,
           RouteOptions options = {});
  void AddSse(std::string_view pattern, SseHandler handler);

  // `segments` are the percent-decoded segments of the request path ("/a/b" -> {"a","b"}).
  Match Find(std::string_view method, const std::vector<std::string>& segments) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  void AddRoute(std::unique_ptr<Route> route);

  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace scriptgen::http
