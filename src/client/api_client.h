// ApiClient: the scriptgen /v1 API as the client commands use it. Adds the bearer token to every
// request and turns responses into parsed JSON or a Status (see api_errors.h).
//
//   ApiClient api(address, token);
//   StatusOr<boost::json::value> jobs = api.Get("/v1/jobs?state=dead");
//   StatusOr<boost::json::value> up = api.Upload(file, "a.txt", "text/plain", key, "");
//   std::string last_id;
//   Status s = api.FollowEvents("job_7", &last_id, [](const SseEvent& e) { return true; });
//
// One ApiClient per thread (it owns a keep-alive connection).
#pragma once

#include <boost/json/value.hpp>
#include <filesystem>
#include <string>

#include "client/http_client.h"
#include "client/sse_parser.h"
#include "util/status.h"

namespace scriptgen::client {

class ApiClient {
 public:
  ApiClient(ServerAddress server, std::string token, HttpClientOptions options = {});

  const ServerAddress& server() const { return http_.server(); }

  StatusOr<boost::json::value> Get(const std::string& target);
  // `body` null: no request body.
  StatusOr<boost::json::value> Post(const std::string& target,
                                    const boost::json::value& body = nullptr);
  StatusOr<boost::json::value> Delete(const std::string& target);

  // POST /v1/documents with the file streamed as the raw body. When the server is busy (503 or
  // 507 with Retry-After: a full queue, Redis down, a full disk), waits as told and tries again,
  // up to `busy_retries` times, before returning the error.
  int busy_retries = 8;
  StatusOr<boost::json::value> Upload(const std::filesystem::path& file,
                                      const std::string& filename, const std::string& content_type,
                                      const std::string& idempotency_key,
                                      const std::string& subject_id);

  // GET /v1/jobs/{id}/events, resuming after *last_event_id (updated as events arrive). Returns
  // OK when the stream ended or `on_event` returned false; a transport Status when it broke.
  Status FollowEvents(const std::string& job_id, std::string* last_event_id,
                      const SseParser::Callback& on_event);

 private:
  Headers AuthHeaders() const;

  HttpClient http_;
  std::string token_;
};

}  // namespace scriptgen::client
