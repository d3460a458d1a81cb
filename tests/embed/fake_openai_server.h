// FakeOpenAiServer: an OpenAI-compatible embeddings endpoint for tests, served over real HTTP (or
// HTTPS) on 127.0.0.1 from a background thread, on a port chosen by the kernel.
//
// POST /v1/embeddings answers {"data": [{"index", "embedding"}...]} with RawVector(text) for each
// input (not normalised, listed in reverse order so clients must sort by index). Every request is
// recorded (inputs, Authorization header, arrival time). Answers can be scripted: the next ones in
// order (Script), then the default (SetDefault): any status with a Retry-After and a body, a delay
// before answering, vectors of the wrong dimension, the wrong number of vectors, malformed JSON.
//
//   FakeOpenAiServer fake({.dim = 8});
//   fake.Script({{.status = 429, .retry_after = "1"}});
//   OpenAiEmbedder::Create({.base_url = fake.base_url(), .model = "m", .dimension = 8});
//
// Thread-safe. Connections are served concurrently (one Asio thread, coroutines), so a delayed
// answer does not hold up other connections.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::embed::testing {

struct FakeReply {
  enum class Kind { kNormal, kWrongDimension, kWrongCount, kMalformedJson };
  int status = 200;
  std::string retry_after;  // sent as Retry-After when not empty
  std::chrono::milliseconds delay{0};
  Kind kind = Kind::kNormal;
  std::string body;  // for non-200 answers; default {"error":{"message":"fake error"}}
};

struct FakeCall {
  size_t inputs = 0;
  std::vector<std::string> texts;
  std::string authorization;
  std::string model;
  std::optional<int64_t> dimensions;
  int status = 0;  // what was answered
  std::chrono::steady_clock::time_point received;
};

struct FakeServerOptions {
  size_t dim = 8;
  std::string cert_file;  // with key_file: serve HTTPS
  std::string key_file;
  std::chrono::milliseconds latency{0};  // added to every answer
};

class FakeOpenAiServer {
 public:
  explicit FakeOpenAiServer(FakeServerOptions options = {});
  ~FakeOpenAiServer();
  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  uint16_t port() const;
  // "http://<host>:<port>/v1" (https when serving TLS).
  std::string base_url(std::string_view host = "127.0.0.1") const;

  void Script(std::vector<FakeReply> replies);
  void SetDefault(FakeReply reply);

  std::vector<FakeCall> calls() const;
  size_t call_count() const;
  size_t connections_accepted() const;

  // The vector the fake answers for text, before normalisation (deterministic, never zero).
  static std::vector<float> RawVector(std::string_view text, size_t dim);
  // RawVector scaled to unit length: what a client should return.
  static std::vector<float> ExpectedVector(std::string_view text, size_t dim);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scriptgen::embed::testing
