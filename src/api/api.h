// The scriptgen HTTP API (/v1, /healthz, /readyz): routes from HTTP requests to the use cases.
//
// This layer parses and validates requests, calls a service, and renders JSON; it holds no state
// of its own and never touches a backend directly. Every error is {"error":{"code","message"}} with
// the HTTP status of its Status code (see http::ErrorResponse). The reference for every endpoint
// is docs/API.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "http/router.h"

namespace scriptgen {
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
}  // namespace scriptgen

namespace scriptgen::api {

struct ApiServices {
  ingest::DocumentService* documents = nullptr;
  jobs::JobQueue* queue = nullptr;
  jobs::ProgressBus* bus = nullptr;
  search::SearchService* search = nullptr;
  // For /readyz: empty string when ready, else what is not ready yet.
  std::function<std::string()> not_ready_reason;
};

struct ApiOptions {
  uint64_t max_upload_bytes = 50ull << 20;
  std::string upload_dir;   // where upload bodies are staged (same filesystem as the blobs)
  std::string admin_token;  // every /v1 request needs "Authorization: Bearer <admin_token>"
};

http::Router BuildRouter(const ApiServices& services, const ApiOptions& options);

// The `before` hook of the server: answers 401 for /v1 requests without the right bearer token.
std::function<std::optional<http::Response>(http::Request&)> MakeAuthenticator(
    std::string admin_token);

}  // namespace scriptgen::api
