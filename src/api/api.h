// The scriptgen HTTP API (/v1, /healthz, /readyz): routes from HTTP requests to the use cases.
//
// This layer parses and validates requests, calls a service, and renders JSON; it holds no state
// of its own and never touches a backend directly. Every error is {"error":{"code","message"}} with
// the HTTP status of its Status code (see http::ErrorResponse). The reference for every endpoint
// is docs/API.md.
//
// Access (R-S5): every /v1 route declares the least role it needs (RoutePolicy); requests carry a
// bearer token that AccessControlManager turns into a Principal; non-admin principals only ever
// see their own subject's documents, jobs and search results (others' are 404, not 403).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "governance/orphan_detector.h"
#include "http/router.h"
#include "util/status.h"

namespace scriptgen {
class KeyedRateLimiter;
namespace obs {
struct ServiceMetrics;
}
namespace auth {
class AccessControlManager;
}
namespace governance {
class EraseService;
class RetentionService;
class SigningKey;
}  // namespace governance
namespace ingest {
class DocumentService;
}
namespace jobs {
class JobQueue;
class ProgressBus;
}  // namespace jobs
namespace search {
class SearchService;
}
namespace versioning {
class EmbedVersionService;
}
}  // namespace scriptgen

namespace scriptgen::api {

struct ApiServices {
  ingest::DocumentService* documents = nullptr;
  jobs::JobQueue* queue = nullptr;
  jobs::ProgressBus* bus = nullptr;
  search::SearchService* search = nullptr;
  auth::AccessControlManager* access = nullptr;
  KeyedRateLimiter* rate_limiter = nullptr;   // per non-admin token; nullptr: no limit
  obs::ServiceMetrics* metrics = nullptr;     // GET /metrics and API counters; may be null
  governance::EraseService* erase = nullptr;  // null: no governance routes
  const governance::SigningKey* signing_key = nullptr;
  governance::RetentionService* retention = nullptr;
  versioning::EmbedVersionService* versions = nullptr;  // null: no embed_version routes
  std::function<StatusOr<governance::OrphanReport>(bool fix)> find_orphans;
  // Called before an upload is accepted: a non-OK status (Unavailable: the queue is too deep)
  // refuses it. Empty: always admitted.
  std::function<Status()> admit_upload;
  // For /readyz: empty string when ready, else what is not ready yet.
  std::function<std::string()> not_ready_reason;
};

struct ApiOptions {
  uint64_t max_upload_bytes = 50ull << 20;
  std::string upload_dir;  // where upload bodies are staged (same filesystem as the blobs)
  // GET /metrics: "open" (no token: for a scraper on a private network), "token" (admin token),
  // "off" (no route).
  std::string metrics_access = "open";
  // True when the job queue and the stores answer reads from this host without waiting on a
  // network (the embedded SQLite or in-memory queue). Then the hot polling read
  // (GET /v1/jobs/{id}) runs on the network thread, skipping two thread hand-offs; with a Redis
  // queue that read is a network round trip and stays on the handler pool.
  bool local_reads = true;
};

// The least role a route needs: reader < writer < admin.
enum class Access { kRead, kWrite, kAdmin };
std::string_view AccessLevelName(Access access);  // "reader" | "writer" | "admin"

struct RoutePolicy {
  std::string method;
  std::string pattern;
  Access access;
};

// `policies` (optional) receives the access policy of every /v1 route.
http::Router BuildRouter(const ApiServices& services, const ApiOptions& options,
                         std::vector<RoutePolicy>* policies = nullptr);

// The server's `after` hook: http_requests_total{route,method,status} and
// http_request_duration_seconds{route,method} for every response, the server's own 404/413/431
// included. `route` is the matching pattern of `policies` (or /healthz, /readyz, /metrics), else
// "unmatched": never a raw path, so label values stay bounded.
std::function<void(const http::Request&, int, std::chrono::nanoseconds)> MakeHttpMetricsHook(
    const std::vector<RoutePolicy>& policies, obs::ServiceMetrics* metrics);

}  // namespace scriptgen::api
