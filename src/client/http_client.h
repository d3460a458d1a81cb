// HttpClient: a small blocking HTTP/1.1 client for the client commands (one server, one thread).
//
//   HttpClient c(address);
//   StatusOr<HttpResponse> r = c.Send("GET", "/v1/jobs", {{"Authorization", "Bearer ..."}});
//   StatusOr<HttpResponse> up = c.PostFile("/v1/documents?filename=a.txt", headers, "a.txt");
//   StatusOr<HttpResponse> ev = c.ReadSse("/v1/jobs/job_7/events", headers,
//                                         [](const SseEvent& e) { ...; return true; });
//
// - Any HTTP status is a successful exchange (the caller interprets 4xx/5xx bodies); a Status is
//   returned only when no response could be had: Unavailable for "cannot connect to http://...:
//   connection refused" and broken connections, DeadlineExceeded for timeouts, NotFound /
//   InvalidArgument for a local file that cannot be read. Transport errors never contain headers
//   (so never the token).
// - The connection is kept alive between requests; a request on a reused connection that the
//   server had meanwhile closed is retried once on a fresh one.
// - PostFile streams the file from disk (Content-Length, never loaded whole). If the server answers
//   before the body is sent (401, 413), that answer is returned.
// - ReadSse uses its own connection, parses the body as an event stream and returns when the
//   stream ends, the callback returns false (the connection is then dropped), or the server
//   answers something other than 200 (that response is returned with its body; no callback).
// - Timeouts are for inactivity: each connect, write or read must progress within
//   `io_timeout`, and an event stream must deliver something (a heartbeat at least) within
//   `sse_idle_timeout`.
// Not thread-safe: one HttpClient per thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/server_address.h"
#include "client/sse_parser.h"
#include "util/status.h"

namespace scriptgen::client {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  int retry_after_s = 0;  // Retry-After in seconds (503, 429, 507); 0 if absent or an HTTP date
};

struct HttpClientOptions {
  std::chrono::milliseconds io_timeout{60'000};
  std::chrono::milliseconds sse_idle_timeout{60'000};
};

class HttpClient {
 public:
  explicit HttpClient(ServerAddress server, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const ServerAddress& server() const;

  // `body` is sent with Content-Type application/json when non-empty.
  StatusOr<HttpResponse> Send(std::string_view method, const std::string& target,
                              const Headers& headers, std::string body = "");
  // POST with the file as the raw body; `headers` should include Content-Type.
  StatusOr<HttpResponse> PostFile(const std::string& target, const Headers& headers,
                                  const std::filesystem::path& file);
  StatusOr<HttpResponse> ReadSse(const std::string& target, const Headers& headers,
                                 const SseParser::Callback& on_event);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scriptgen::client
