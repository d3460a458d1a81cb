// Thin: builds targets and headers, delegates the exchange to HttpClient and the interpretation to
// api_errors. The token lives only in the Authorization header, never in a message.
#include "client/api_client.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "client/api_errors.h"
#include "client/url_encode.h"

namespace scriptgen::client {

ApiClient::ApiClient(ServerAddress server, std::string token, HttpClientOptions options)
    : http_(std::move(server), options), token_(std::move(token)) {}

Headers ApiClient::AuthHeaders() const {
  Headers h;
  if (!token_.empty()) h.emplace_back("Authorization", "Bearer " + token_);
  return h;
}

StatusOr<boost::json::value> ApiClient::Get(const std::string& target) {
  StatusOr<HttpResponse> r = http_.Send("GET", target, AuthHeaders());
  if (!r.ok()) return r.status();
  return ParseApiResponse(*r, !token_.empty());
}

StatusOr<boost::json::value> ApiClient::Post(const std::string& target,
                                             const boost::json::value& body) {
  StatusOr<HttpResponse> r =
      http_.Send("POST", target, AuthHeaders(), body.is_null() ? "" : boost::json::serialize(body));
  if (!r.ok()) return r.status();
  return ParseApiResponse(*r, !token_.empty());
}

StatusOr<boost::json::value> ApiClient::Delete(const std::string& target) {
  StatusOr<HttpResponse> r = http_.Send("DELETE", target, AuthHeaders());
  if (!r.ok()) return r.status();
  return ParseApiResponse(*r, !token_.empty());
}

StatusOr<boost::json::value> ApiClient::Upload(const std::filesystem::path& file,
                                               const std::string& filename,
                                               const std::string& content_type,
                                               const std::string& idempotency_key,
                                               const std::string& subject_id) {
  Headers h = AuthHeaders();
  h.emplace_back("Content-Type", content_type);
  if (!idempotency_key.empty()) h.emplace_back("Idempotency-Key", idempotency_key);
  const std::string target =
      "/v1/documents" + QueryString({{"filename", filename}, {"subject_id", subject_id}});
  StatusOr<HttpResponse> r = http_.PostFile(target, h, file);
  // The Idempotency-Key makes a repeated upload safe even if the first one did get through.
  for (int attempt = 0; attempt < busy_retries && r.ok() && r->retry_after_s > 0 &&
                        (r->status == 503 || r->status == 507);
       ++attempt) {
    std::fprintf(stderr, "scriptgen: server busy (HTTP %d), retrying %s in %d s\n", r->status,
                 filename.c_str(), std::min(r->retry_after_s, 60));
    std::this_thread::sleep_for(std::chrono::seconds(std::min(r->retry_after_s, 60)));
    r = http_.PostFile(target, h, file);
  }
  if (!r.ok()) return r.status();
  return ParseApiResponse(*r, !token_.empty());
}

Status ApiClient::FollowEvents(const std::string& job_id, std::string* last_event_id,
                               const SseParser::Callback& on_event) {
  Headers h = AuthHeaders();
  if (!last_event_id->empty()) h.emplace_back("Last-Event-ID", *last_event_id);
  StatusOr<HttpResponse> r =
      http_.ReadSse("/v1/jobs/" + PercentEncode(job_id) + "/events", h, [&](const SseEvent& e) {
        if (!e.id.empty()) *last_event_id = e.id;
        return on_event(e);
      });
  if (!r.ok()) return r.status();
  if (r->status != 200) return StatusFromResponse(*r, !token_.empty());
  return {};
}

}  // namespace scriptgen::client
