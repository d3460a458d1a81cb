// EmbeddingHttpClient: the blocking HTTP/1.1 client an embedding provider is called through, over
// plain TCP or TLS, with a small pool of keep-alive connections shared by all calling threads.
//
// TLS always verifies the server: the chain against the system trust store (or only the CA file
// given), and the certificate's names against the URL's host (DNS name or IP address); SNI is
// sent for DNS names. There is no switch to turn verification off.
//
//   StatusOr<HttpEndpoint> ep = ParseBaseUrl("https://api.openai.com/v1");
//   StatusOr<std::unique_ptr<EmbeddingHttpClient>> client = EmbeddingHttpClient::Create(*ep, {});
//   StatusOr<HttpReply> r = (*client)->Post("/embeddings", {{"Authorization", "Bearer ..."}},
//   json);
//
// Error model: an HTTP answer of any status (429, 500, ...) is a reply, not an error. A Status is
// returned only when no answer could be had: Unavailable for DNS, connect, reset and TLS failures,
// Unauthenticated when the server's certificate is not trusted or not for that host (a
// configuration problem; retrying will not help), DeadlineExceeded when the whole exchange
// (connect, handshake, send, receive) did not finish within `timeout`. Messages name the endpoint
// (scheme://host:port), never header values, so a key passed in a header cannot leak into them.
//
// Thread-safe: each call checks a connection out of the pool (or opens one) and uses it alone. A
// request that fails on a reused connection because the server had closed it while idle is
// resent once on a fresh connection, so only use this client for idempotent requests (embedding
// calls are).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace scriptgen::embed {

// Where a provider lives. From "http[s]://host[:port][/path]"; the path (without a trailing '/')
// is the prefix of every request target ("/v1" + "/embeddings").
struct HttpEndpoint {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::string port;  // "80" / "443" unless given
  std::string path_prefix;

  // "https://host:port" for messages and logs.
  std::string Origin() const;
};

// InvalidArgument for anything but http/https, a missing host, a query or fragment, or user
// credentials in the URL (keys belong in SCRIPTGEN_EMBED_API_KEY; the URL is then not echoed).
StatusOr<HttpEndpoint> ParseBaseUrl(std::string_view url);

struct EmbeddingHttpClientOptions {
  std::string ca_file;                       // PEM bundle; empty: the system's default trust store
  std::chrono::milliseconds timeout{30000};  // per request, whole exchange
  size_t max_idle_connections = 8;
  std::chrono::milliseconds max_idle_time{30000};  // older idle connections are not reused
  size_t max_response_bytes = size_t{256} << 20;
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  // raw Retry-After header value, empty if absent
};

class EmbeddingHttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Fails (InvalidArgument) if the CA file cannot be loaded.
  static StatusOr<std::unique_ptr<EmbeddingHttpClient>> Create(HttpEndpoint endpoint,
                                                               EmbeddingHttpClientOptions options);
  ~EmbeddingHttpClient();
  EmbeddingHttpClient(const EmbeddingHttpClient&) = delete;
  EmbeddingHttpClient& operator=(const EmbeddingHttpClient&) = delete;

  // POST path_prefix + path with a JSON body.
  StatusOr<HttpReply> PostJson(std::string_view path, const Headers& headers, std::string body);

  const HttpEndpoint& endpoint() const;
  // Connections opened so far (tests: keep-alive reuse) and connections idle in the pool now.
  uint64_t connections_opened() const;
  size_t idle_connections() const;

 private:
  struct Impl;
  explicit EmbeddingHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace scriptgen::embed
