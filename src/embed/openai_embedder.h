// OpenAiEmbedder: an Embedder that calls an OpenAI-compatible embeddings endpoint (OpenAI, Ollama,
// vLLM, text-embeddings-inference, llama.cpp server): POST {base_url}/embeddings with
// {"model": M, "input": [...]} (plus "dimensions": N when send_dimensions is set, for models that
// can shorten their vectors), "Authorization: Bearer <key>" when a key is set. The answer's
// data[].embedding are put in input order by their "index", checked (one per input, each of
// `dimension` floats) and L2-normalised; an all-zero vector stays zero.
//
// Texts that are empty or only whitespace are not sent (providers reject empty inputs) and embed
// to the zero vector, as the Embedder port promises.
//
// version() is "openai:<model>:<dimension>" unless options.version names it: stable across
// restarts, and different whenever the model or the dimension differs. Two base URLs serving the
// same model share a version on purpose (same model, same vectors); if they do not, name the
// versions explicitly.
//
// Failures, after the in-call retries below are used up, carry the Status codes the job layer
// classifies (jobs/error_class.h):
//   429 (and the rate limiter's own wait exceeding the budget)  ResourceExhausted   rate_limited
//   5xx, connection or TLS transport errors, malformed answer   Unavailable provider_unavailable no
//   answer within options.timeout                            DeadlineExceeded    timeout 401/403 or
//   an untrusted server certificate                  Unauthenticated     provider_unavailable other
//   4xx (input too long, unknown model, ...)              InvalidArgument     bad_input vectors of
//   the wrong dimension                              FailedPrecondition  bad_input
// The wrong-dimension case is FailedPrecondition because the request was fine and the
// configuration is not (SCRIPTGEN_EMBED_DIM disagrees with the model): "provider returned
// 32-dimensional vectors, version openai:m:64 expects 64". Retrying cannot fix it, so it is not
// retried and dead-letters at once.
//
// In-call retries: 429 and 503 wait for Retry-After (delta seconds or an HTTP date; without it, the
// backoff) and pause the shared rate limiter for that long, so every thread waits, not only this
// one; other 5xx, 408 and transport errors/timeouts retry after exponential backoff with jitter.
// At most max_attempts requests per call and no wait that would end after retry_budget from the
// start of the call; then the last failure is returned so the job's retry policy takes over.
//
// The API key is only ever put in the Authorization header. It is never logged and never part of a
// Status message; provider error text quoted in messages has any occurrence of it removed.
//
// Metrics (options.metrics, optional): every HTTP attempt counts in
// embedding_api_calls_total{provider="openai", outcome} with outcome ok, rate_limited,
// unavailable, timeout or error, and its latency in embedding_api_duration_seconds{provider}.
//
//   auto e = OpenAiEmbedder::Create({.base_url = "http://127.0.0.1:11434/v1",
//                                    .model = "nomic-embed-text", .dimension = 768});
//   if (!e.ok()) return e.status();
//
// Thread-safe; calls from several threads share the connection pool and the rate limiter.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "embed/embedder.h"
#include "embed/embedding_http_client.h"
#include "embed/embedding_rate_limiter.h"
#include "util/status.h"

namespace scriptgen::obs {
struct ServiceMetrics;
}

namespace scriptgen::embed {

struct OpenAiEmbedderOptions {
  std::string base_url;  // e.g. "https://api.openai.com/v1", "http://127.0.0.1:8080/v1"
  std::string model;
  size_t dimension = 0;          // required: what every vector must have
  bool send_dimensions = false;  // add "dimensions": dimension to requests
  std::string api_key;           // optional; never logged
  std::string ca_file;           // PEM; empty: system trust store
  std::string version;           // empty: "openai:<model>:<dimension>"

  std::chrono::milliseconds timeout{30000};  // per HTTP request
  size_t max_inputs_per_request = 2048;      // larger Embed calls are split (OpenAI's maximum)
  int max_attempts = 4;                      // HTTP requests per sub-request, including the first
  std::chrono::milliseconds retry_budget{120000};  // no retry wait ends later than this
  std::chrono::milliseconds initial_backoff{500};  // doubled per attempt, +-20 % jitter
  std::chrono::milliseconds max_backoff{8000};
  size_t max_idle_connections = 8;

  // Shared by everything calling the same provider account; null: unlimited except for pauses
  // (a private limiter is made so Retry-After still pauses every thread of this embedder).
  std::shared_ptr<EmbeddingRateLimiter> rate_limiter;
  obs::ServiceMetrics* metrics = nullptr;
};

class OpenAiEmbedder final : public Embedder {
 public:
  static StatusOr<std::unique_ptr<OpenAiEmbedder>> Create(OpenAiEmbedderOptions options);
  ~OpenAiEmbedder() override;

  const std::string& version() const override { return version_; }
  size_t dimension() const override { return options_.dimension; }
  std::string_view provider() const override { return "openai"; }
  Status Embed(std::span<const std::string> texts, std::vector<float>* out) override;

  // Makes waiting calls (rate limit, backoff) return Unavailable promptly and new calls fail; for
  // process shutdown. Requests already on the wire finish or time out.
  void Shutdown();

  EmbeddingRateLimiter& rate_limiter() { return *options_.rate_limiter; }
  const EmbeddingHttpClient& http_client() const { return *http_; }

 private:
  OpenAiEmbedder(OpenAiEmbedderOptions options, std::unique_ptr<EmbeddingHttpClient> http);

  // One provider request for texts (none empty), with retries; writes texts.size() rows to out.
  Status EmbedRequest(std::span<const std::string> texts, float* out);
  // Parses and checks a 200 answer for n inputs into out (n * dimension floats).
  Status ParseAnswer(const std::string& body, size_t n, float* out) const;
  // Removes the API key from text quoted from the provider.
  std::string Scrub(std::string text) const;

  OpenAiEmbedderOptions options_;
  std::string version_;
  std::unique_ptr<EmbeddingHttpClient> http_;
  std::stop_source stop_;
};

// Parses a Retry-After value: delta seconds (decimals accepted) or an HTTP date, relative to
// now_ms (Unix milliseconds). nullopt if absent or unparseable; never negative.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, int64_t now_ms);

}  // namespace scriptgen::embed
