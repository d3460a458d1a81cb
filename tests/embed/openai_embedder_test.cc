// OpenAiEmbedder against the fake provider over real HTTP on loopback: request format, vector
// order and normalisation, the API key (sent, never in errors), keep-alive, and the failure
// paths with their Status codes and job error classes: 429 + Retry-After (pausing every caller),
// retry exhaustion, 5xx, timeouts, wrong dimension or count, malformed answers.
#include "embed/openai_embedder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "fake_openai_server.h"
#include "jobs/error_class.h"
#include "obs/service_metrics.h"

namespace scriptgen::embed {
namespace {

using namespace std::chrono_literals;
using testing::FakeCall;
using testing::FakeOpenAiServer;
using testing::FakeReply;

constexpr size_t kDim = 8;

OpenAiEmbedderOptions Options(const FakeOpenAiServer& fake) {
  OpenAiEmbedderOptions o;
  o.base_url = fake.base_url();
  o.model = "fake-embed";
  o.dimension = kDim;
  o.timeout = 5s;
  o.initial_backoff = 10ms;
  o.max_backoff = 40ms;
  return o;
}

std::unique_ptr<OpenAiEmbedder> Make(OpenAiEmbedderOptions o) {
  StatusOr<std::unique_ptr<OpenAiEmbedder>> e = OpenAiEmbedder::Create(std::move(o));
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(*e) : nullptr;
}

void ExpectRow(const std::vector<float>& out, size_t row, std::string_view text) {
  const std::vector<float> want = FakeOpenAiServer::ExpectedVector(text, kDim);
  for (size_t k = 0; k < kDim; ++k) {
    EXPECT_NEAR(out[row * kDim + k], want[k], 1e-5) << "row " << row << " (" << text << ") k " << k;
  }
}

double Norm(const std::vector<float>& out, size_t row) {
  double s = 0;
  for (size_t k = 0; k < kDim; ++k)
    s += static_cast<double>(out[row * kDim + k]) * out[row * kDim + k];
  return std::sqrt(s);
}

jobs::ErrorClass ClassOf(const Status& s) {
  return jobs::ClassifyStatus(s);
}

TEST(OpenAiEmbedderTest, VersionNamesModelAndDimension) {
  FakeOpenAiServer fake({.dim = kDim});
  auto e = Make(Options(fake));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->version(), "openai:fake-embed:8");
  EXPECT_EQ(e->provider(), "openai");
  EXPECT_EQ(e->dimension(), kDim);
  OpenAiEmbedderOptions named = Options(fake);
  named.version = "v7";
  EXPECT_EQ(Make(named)->version(), "v7");
}

TEST(OpenAiEmbedderTest, ReturnsNormalisedVectorsInInputOrder) {
  FakeOpenAiServer fake({.dim = kDim});
  auto e = Make(Options(fake));
  const std::vector<std::string> texts = {"alpha", "beta", "gamma", "delta", "epsilon"};
  std::vector<float> out;
  ASSERT_TRUE(e->Embed(texts, &out).ok());
  ASSERT_EQ(out.size(), texts.size() * kDim);
  for (size_t i = 0; i < texts.size(); ++i) {
    ExpectRow(out, i, texts[i]);  // the fake lists them in reverse: sorted by "index"
    EXPECT_NEAR(Norm(out, i), 1.0, 1e-5);
  }
  const std::vector<FakeCall> calls = fake.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].texts, texts);
  EXPECT_EQ(calls[0].model, "fake-embed");
  EXPECT_FALSE(calls[0].dimensions.has_value());
  EXPECT_TRUE(calls[0].authorization.empty());
}

TEST(OpenAiEmbedderTest, SendsDimensionsOnlyWhenConfigured) {
  FakeOpenAiServer fake({.dim = kDim});
  OpenAiEmbedderOptions o = Options(fake);
  o.send_dimensions = true;
  auto e = Make(o);
  std::vector<float> out;
  ASSERT_TRUE(e->Embed(std::vector<std::string>{"x"}, &out).ok());
  ASSERT_EQ(fake.call_count(), 1u);
  EXPECT_EQ(fake.calls()[0].dimensions, std::optional<int64_t>(8));
}

TEST(OpenAiEmbedderTest, BlankTextsAreZeroVectorsAndNotSent) {
  FakeOpenAiServer fake({.dim = kDim});
  auto e = Make(Options(fake));
  const std::vector<std::string> texts = {"one", "", " \n\t", "two"};
  std::vector<float> out;
  ASSERT_TRUE(e->Embed(texts, &out).ok());
  ExpectRow(out, 0, "one");
  ExpectRow(out, 3, "two");
  EXPECT_EQ(Norm(out, 1), 0.0);
  EXPECT_EQ(Norm(out, 2), 0.0);
  ASSERT_EQ(fake.call_count(), 1u);
  EXPECT_EQ(fake.calls()[0].texts, (std::vector<std::string>{"one", "two"}));

  // Nothing but blanks: no call at all.
  ASSERT_TRUE(e->Embed(std::vector<std::string>{"", "  "}, &out).ok());
  EXPECT_EQ(out.size(), 2 * kDim);
  EXPECT_EQ(fake.call_count(), 1u);
}

TEST(OpenAiEmbedderTest, SplitsCallsLargerThanTheRequestLimit) {
  FakeOpenAiServer fake({.dim = kDim});
  OpenAiEmbedderOptions o = Options(fake);
  o.max_inputs_per_request = 3;
  auto e = Make(o);
  std::vector<std::string> texts;
  for (int i = 0; i < 7; ++i) texts.push_back("t" + std::to_string(i));
  std::vector<float> out;
  ASSERT_TRUE(e->Embed(texts, &out).ok());
  for (size_t i = 0; i < texts.size(); ++i) ExpectRow(out, i, texts[i]);
  const std::vector<FakeCall> calls = fake.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].inputs, 3u);
  EXPECT_EQ(calls[1].inputs, 3u);
  EXPECT_EQ(calls[2].inputs, 1u);
}

TEST(OpenAiEmbedderTest, ReusesKeepAliveConnections) {
  FakeOpenAiServer fake({.dim = kDim});
  auto e = Make(Options(fake));
  std::vector<float> out;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(e->Embed(std::vector<std::string>{"call " + std::to_string(i)}, &out).ok());
  }
  EXPECT_EQ(fake.call_count(), 5u);
  EXPECT_EQ(fake.connections_accepted(), 1u);
  EXPECT_EQ(e->http_client().connections_opened(), 1u);
}

TEST(OpenAiEmbedderTest, SendsApiKeyAndNeverPutsItInErrors) {
  const std::string key = "sk-test-Very-Secret-0123456789";
  FakeOpenAiServer fake({.dim = kDim});
  OpenAiEmbedderOptions o = Options(fake);
  o.api_key = key;
  o.max_attempts = 2;
  auto e = Make(o);
  std::vector<float> out;
  ASSERT_TRUE(e->Embed(std::vector<std::string>{"hello"}, &out).ok());
  EXPECT_EQ(fake.calls().back().authorization, "Bearer " + key);

  // Providers that echo the key back in error bodies.
  const std::string echo = R"({"error":{"message":"bad request for key )" + key + R"("}})";
  fake.Script({{.status = 400, .body = echo}});
  Status s = e->Embed(std::vector<std::string>{"hello"}, &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("bad request for key"), std::string::npos) << s.message();
  EXPECT_EQ(s.ToString().find(key), std::string::npos) << s.ToString();

  fake.Script({{.status = 401, .body = echo}});
  s = e->Embed(std::vector<std::string>{"hello"}, &out);
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_EQ(s.ToString().find(key), std::string::npos) << s.ToString();
  EXPECT_EQ(s.ToString().find("Very-Secret"), std::string::npos) << s.ToString();

  fake.Script({{.status = 500, .body = echo}, {.status = 500, .body = echo}});
  s = e->Embed(std::vector<std::string>{"hello"}, &out);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.ToString().find(key), std::string::npos) << s.ToString();

  fake.Script({{.status = 429, .retry_after = "0", .body = echo},
               {.status = 429, .retry_after = "0", .body = echo}});
  s = e->Embed(std::vector<std::string>{"hello"}, &out);
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_EQ(s.ToString().find(key), std::string::npos) << s.ToString();
}

TEST(OpenAiEmbedderTest, RetryAfterIsHonouredThenSucceeds) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.Script({{.status = 429, .retry_after = "1"}});
  auto e = Make(Options(fake));
  std::vector<float> out;
  ASSERT_TRUE(e->Embed(std::vector<std::string>{"patient"}, &out).ok());
  ExpectRow(out, 0, "patient");
  const std::vector<FakeCall> calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].status, 429);
  EXPECT_EQ(calls[1].status, 200);
  EXPECT_GE(calls[1].received - calls[0].received, 950ms);
}

// The 429 is seen by one caller; callers that start during the pause, and never saw a 429
// themselves, must wait for it too.
TEST(OpenAiEmbedderConcurrentTest, RetryAfterPausesEveryCaller) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.Script({{.status = 429, .retry_after = "2"}});
  auto e = Make(Options(fake));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  auto embed = [&](std::string text) {
    std::vector<float> out;
    const std::vector<std::string> texts = {text};
    Status s = e->Embed(texts, &out);
    if (!s.ok() || Norm(out, 0) < 0.99) ++failures;
  };
  threads.emplace_back(embed, "first");
  const auto start = std::chrono::steady_clock::now();
  while (e->rate_limiter().paused_until_ms() == 0) {
    ASSERT_LT(std::chrono::steady_clock::now() - start, 5s) << "the 429 never paused the limiter";
    std::this_thread::sleep_for(2ms);
  }
  for (int i = 0; i < 3; ++i) threads.emplace_back(embed, "other " + std::to_string(i));
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const std::vector<FakeCall> calls = fake.calls();
  ASSERT_EQ(calls.size(), 5u);  // the 429, then the retry and three others
  EXPECT_EQ(calls[0].status, 429);
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GE(calls[i].received - calls[0].received, 1900ms) << "call " << i << " did not wait";
  }
}

TEST(OpenAiEmbedderTest, RateLimitRetriesExhaustedAreResourceExhausted) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.SetDefault({.status = 429, .retry_after = "0"});
  OpenAiEmbedderOptions o = Options(fake);
  o.max_attempts = 3;
  obs::ServiceMetrics metrics({.process_metrics = false});
  o.metrics = &metrics;
  auto e = Make(o);
  std::vector<float> out;
  const Status s = e->Embed(std::vector<std::string>{"x"}, &out);
  EXPECT_EQ(s.code(), Code::kResourceExhausted) << s.ToString();
  EXPECT_EQ(ClassOf(s), jobs::ErrorClass::kRateLimited);
  EXPECT_EQ(jobs::ErrorClassName(ClassOf(s)), "rate_limited");
  EXPECT_NE(s.message().find("429"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("3 attempts"), std::string::npos) << s.message();
  EXPECT_EQ(fake.call_count(), 3u);
  EXPECT_EQ(metrics.embedding_api_calls_total.WithLabels({"openai", "rate_limited"}).Value(), 3u);
  EXPECT_EQ(metrics.embedding_api_calls_total.WithLabels({"openai", "ok"}).Value(), 0u);
}

TEST(OpenAiEmbedderTest, RetryAfterLongerThanTheBudgetFailsAtOnceAndPausesEverybody) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.Script({{.status = 429, .retry_after = "30"}});
  OpenAiEmbedderOptions o = Options(fake);
  o.retry_budget = 2s;
  auto e = Make(o);
  std::vector<float> out;
  const auto start = std::chrono::steady_clock::now();
  const Status s = e->Embed(std::vector<std::string>{"x"}, &out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(s.code(), Code::kResourceExhausted) << s.ToString();
  EXPECT_EQ(fake.call_count(), 1u);
  const int64_t now_ms = e->rate_limiter().clock()->NowMs();
  EXPECT_GT(e->rate_limiter().paused_until_ms(), now_ms + 25'000);
  // A second call cannot wait 30 s within its 2 s budget either: refused without calling.
  EXPECT_EQ(e->Embed(std::vector<std::string>{"y"}, &out).code(), Code::kResourceExhausted);
  EXPECT_EQ(fake.call_count(), 1u);
}

TEST(OpenAiEmbedderTest, ServerErrorsAreRetriedThenUnavailable) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.Script({{.status = 500}, {.status = 502}});
  OpenAiEmbedderOptions o = Options(fake);
  o.max_attempts = 3;
  auto e = Make(o);
  std::vector<float> out;
  ASSERT_TRUE(e->Embed(std::vector<std::string>{"recovers"}, &out).ok());
  ExpectRow(out, 0, "recovers");
  EXPECT_EQ(fake.call_count(), 3u);

  fake.SetDefault({.status = 500});
  const Status s = e->Embed(std::vector<std::string>{"never"}, &out);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_EQ(ClassOf(s), jobs::ErrorClass::kProviderUnavailable);
  EXPECT_NE(s.message().find("HTTP 500"), std::string::npos) << s.message();
  EXPECT_EQ(fake.call_count(), 6u);
}

TEST(OpenAiEmbedderTest, ServiceUnavailableWithRetryAfterIsUnavailableWhenExhausted) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.SetDefault({.status = 503, .retry_after = "0"});
  OpenAiEmbedderOptions o = Options(fake);
  o.max_attempts = 2;
  auto e = Make(o);
  std::vector<float> out;
  const Status s = e->Embed(std::vector<std::string>{"x"}, &out);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_EQ(fake.call_count(), 2u);
}

TEST(OpenAiEmbedderTest, SlowProviderTimesOut) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.SetDefault({.delay = 2s});
  OpenAiEmbedderOptions o = Options(fake);
  o.timeout = 200ms;
  o.max_attempts = 2;
  auto e = Make(o);
  std::vector<float> out;
  const auto start = std::chrono::steady_clock::now();
  const Status s = e->Embed(std::vector<std::string>{"x"}, &out);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), Code::kDeadlineExceeded) << s.ToString();
  EXPECT_EQ(ClassOf(s), jobs::ErrorClass::kTimeout);
  EXPECT_NE(s.message().find("within 200 ms"), std::string::npos) << s.message();
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(fake.call_count(), 2u);

  // A slow first answer, then a fast one: the retry succeeds.
  fake.SetDefault({});
  fake.Script({{.delay = 1s}});
  ASSERT_TRUE(e->Embed(std::vector<std::string>{"second try"}, &out).ok());
  ExpectRow(out, 0, "second try");
}

TEST(OpenAiEmbedderTest, WrongDimensionIsAClearPermanentError) {
  FakeOpenAiServer fake({.dim = kDim});
  fake.SetDefault({.kind = FakeReply::Kind::kWrongDimension});
  auto e = Make(Options(fake));
  std::vector<float> out;
  const Status s = e->Embed(std::vector<std::string>{"x", "y"}, &out);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("returned 16-dimensional vectors, version openai:fake-embed:8 "
                             "expects 8"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(ClassOf(s), jobs::ErrorClass::kBadInput);
  EXPECT_EQ(fake.call_count(), 1u);  // not retried: it cannot get better
}

TEST(OpenAiEmbedderTest, WrongCountAndMalformedAnswersAreUnavailable) {
  FakeOpenAiServer fake({.dim = kDim});
  auto e = Make(Options(fake));
  std::vector<float> out;
  fake.Script({{.kind = FakeReply::Kind::kWrongCount}});
  Status s = e->Embed(std::vector<std::string>{"a", "b", "c", "d"}, &out);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("returned 3 embeddings for 4 inputs"), std::string::npos)
      << s.message();

  fake.Script({{.kind = FakeReply::Kind::kMalformedJson}});
  s = e->Embed(std::vector<std::string>{"a"}, &out);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("malformed"), std::string::npos) << s.message();
}

TEST(OpenAiEmbedderTest, ConnectionRefusedIsUnavailable) {
  uint16_t port = 0;
  {
    FakeOpenAiServer gone({.dim = kDim});
    port = gone.port();
  }
  OpenAiEmbedderOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  o.model = "m";
  o.dimension = kDim;
  o.max_attempts = 2;
  o.initial_backoff = 5ms;
  auto e = Make(o);
  std::vector<float> out;
  const Status s = e->Embed(std::vector<std::string>{"x"}, &out);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("cannot connect"), std::string::npos) << s.message();
}

TEST(OpenAiEmbedderTest, RejectsBadOptions) {
  EXPECT_EQ(OpenAiEmbedder::Create({.base_url = "ftp://x/v1", .model = "m", .dimension = 4})
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(OpenAiEmbedder::Create({.base_url = "http://h/v1", .model = "", .dimension = 4})
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(OpenAiEmbedder::Create({.base_url = "http://h/v1", .model = "m", .dimension = 0})
                .status()
                .code(),
            Code::kInvalidArgument);
  const Status creds = OpenAiEmbedder::Create(
                           {.base_url = "https://user:hunter2@h/v1", .model = "m", .dimension = 4})
                           .status();
  EXPECT_EQ(creds.code(), Code::kInvalidArgument);
  EXPECT_EQ(creds.message().find("hunter2"), std::string::npos) << creds.message();
}

TEST(OpenAiEmbedderTest, ParsesBaseUrls) {
  StatusOr<HttpEndpoint> ep = ParseBaseUrl("https://api.example.com/v1/");
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "api.example.com");
  EXPECT_EQ(ep->port, "443");
  EXPECT_EQ(ep->path_prefix, "/v1");
  ep = ParseBaseUrl("http://[::1]:8080");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, "8080");
  EXPECT_EQ(ep->path_prefix, "");
  EXPECT_EQ(ep->Origin(), "http://[::1]:8080");
  EXPECT_FALSE(ParseBaseUrl("http://h/v1?x=1").ok());
  EXPECT_FALSE(ParseBaseUrl("not a url").ok());
}

TEST(OpenAiEmbedderTest, ParsesRetryAfter) {
  const int64_t now = 1'700'000'000'000;
  EXPECT_EQ(ParseRetryAfter("2", now), std::optional(2000ms));
  EXPECT_EQ(ParseRetryAfter(" 1.5 ", now), std::optional(1500ms));
  EXPECT_EQ(ParseRetryAfter("0", now), std::optional(0ms));
  // 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT.
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now), std::optional(10000ms));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now), std::optional(0ms));
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("5s", now), std::nullopt);
}

}  // namespace
}  // namespace scriptgen::embed
