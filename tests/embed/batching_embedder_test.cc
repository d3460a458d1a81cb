// BatchingEmbedder: concurrent callers are gathered into few provider calls and each gets exactly
// its own vectors; calls are split across batches; a failed batch fails every caller in it and
// nobody else; max_wait and full batches; efficiency metric; shutdown. Both with an in-process
// recording embedder and end to end with OpenAiEmbedder and the fake provider over HTTP.
#include "embed/batching_embedder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdio>
#include <thread>

#include "embed/hash_embedder.h"
#include "embed/openai_embedder.h"
#include "fake_openai_server.h"
#include "obs/service_metrics.h"

namespace scriptgen::embed {
namespace {

using namespace std::chrono_literals;

// Embeds with a HashEmbedder, records each batch's size, optionally sleeps per call and fails
// any batch that contains "poison".
class RecordingEmbedder final : public Embedder {
 public:
  explicit RecordingEmbedder(std::chrono::milliseconds delay = 0ms) : delay_(delay) {}
  const std::string& version() const override { return hash_.version(); }
  size_t dimension() const override { return hash_.dimension(); }
  std::string_view provider() const override { return "recording"; }
  Status Embed(std::span<const std::string> texts, std::vector<float>* out) override {
    {
      std::lock_guard lock(mu_);
      batch_sizes_.push_back(texts.size());
    }
    started_.fetch_add(1);
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    for (const std::string& t : texts) {
      if (t == "poison") return Unavailable("provider choked on poison");
    }
    return hash_.Embed(texts, out);
  }
  std::vector<size_t> batch_sizes() const {
    std::lock_guard lock(mu_);
    return batch_sizes_;
  }
  int started() const { return started_.load(); }
  HashEmbedder& hash() { return hash_; }

 private:
  HashEmbedder hash_{HashEmbedderOptions{.dimension = 16}};
  std::chrono::milliseconds delay_;
  mutable std::mutex mu_;
  std::vector<size_t> batch_sizes_;
  std::atomic<int> started_{0};
};

std::vector<std::string> TextsFor(int caller, int n) {
  std::vector<std::string> texts;
  for (int i = 0; i < n; ++i) {
    texts.push_back("caller " + std::to_string(caller) + " chunk " + std::to_string(i));
  }
  return texts;
}

TEST(BatchingEmbedderConcurrentTest, TenCallersShareOneProviderCall) {
  auto inner = std::make_shared<RecordingEmbedder>();
  obs::ServiceMetrics metrics({.process_metrics = false});
  BatchingEmbedder batcher(inner, {.max_batch = 64, .max_wait = 100ms, .metrics = &metrics});
  EXPECT_EQ(batcher.version(), inner->version());
  EXPECT_EQ(batcher.dimension(), 16u);

  constexpr int kCallers = 10;
  std::vector<std::vector<float>> results(kCallers);
  std::vector<Status> statuses(kCallers);
  std::barrier start(kCallers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kCallers; ++c) {
    threads.emplace_back([&, c] {
      const std::vector<std::string> texts = TextsFor(c, 2);
      start.arrive_and_wait();
      statuses[c] = batcher.Embed(texts, &results[c]);
    });
  }
  for (std::thread& t : threads) t.join();

  for (int c = 0; c < kCallers; ++c) {
    ASSERT_TRUE(statuses[c].ok()) << statuses[c].ToString();
    std::vector<float> want;
    ASSERT_TRUE(inner->hash().Embed(TextsFor(c, 2), &want).ok());
    EXPECT_EQ(results[c], want) << "caller " << c << " got someone else's vectors";
  }
  const std::vector<size_t> sizes = inner->batch_sizes();
  EXPECT_LE(sizes.size(), 2u) << "ten callers should share one or two calls";
  size_t total = 0;
  for (size_t s : sizes) total += s;
  EXPECT_EQ(total, 20u);
  EXPECT_EQ(batcher.batches_sent(), sizes.size());
  EXPECT_EQ(batcher.inputs_sent(), 20u);
  const obs::Histogram::Snapshot eff = metrics.embedding_batch_efficiency.Snap();
  EXPECT_EQ(eff.count, sizes.size());
  EXPECT_NEAR(eff.sum, 20.0 / 64.0, 1e-9);
}

TEST(BatchingEmbedderTest, LargeCallIsSplitAcrossBatchesInOrder) {
  auto inner = std::make_shared<RecordingEmbedder>();
  BatchingEmbedder batcher(inner, {.max_batch = 64, .max_wait = 10ms});
  const std::vector<std::string> texts = TextsFor(0, 150);
  std::vector<float> out, want;
  ASSERT_TRUE(batcher.Embed(texts, &out).ok());
  ASSERT_TRUE(inner->hash().Embed(texts, &want).ok());
  EXPECT_EQ(out, want);
  EXPECT_EQ(inner->batch_sizes(), (std::vector<size_t>{64, 64, 22}));
}

TEST(BatchingEmbedderTest, FullBatchDoesNotWaitAndLoneCallWaitsAtMostMaxWait) {
  auto inner = std::make_shared<RecordingEmbedder>();
  BatchingEmbedder full(inner, {.max_batch = 8, .max_wait = 5s});
  std::vector<float> out;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(full.Embed(TextsFor(0, 8), &out).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);

  BatchingEmbedder lone(inner, {.max_batch = 64, .max_wait = 50ms});
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(lone.Embed(TextsFor(1, 1), &out).ok());
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 45ms);
  EXPECT_LT(took, 2s);
}

TEST(BatchingEmbedderTest, EmptyCallIsFree) {
  auto inner = std::make_shared<RecordingEmbedder>();
  BatchingEmbedder batcher(inner, {});
  std::vector<float> out = {1, 2, 3};
  ASSERT_TRUE(batcher.Embed({}, &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(inner->batch_sizes().empty());
}

TEST(BatchingEmbedderConcurrentTest, FailedBatchFailsEveryCallerInItAndNoOneElse) {
  auto inner = std::make_shared<RecordingEmbedder>();
  std::atomic<int> failed_batches{0};
  BatchingEmbedder batcher(
      inner, {.max_batch = 64, .max_wait = 100ms, .on_batch = [&](size_t, size_t, const Status& s) {
                if (!s.ok()) ++failed_batches;
              }});
  constexpr int kCallers = 5;
  std::vector<Status> statuses(kCallers);
  std::barrier start(kCallers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kCallers; ++c) {
    threads.emplace_back([&, c] {
      std::vector<std::string> texts = TextsFor(c, 2);
      if (c == 2) texts.push_back("poison");
      std::vector<float> out;
      start.arrive_and_wait();
      statuses[c] = batcher.Embed(texts, &out);
    });
  }
  for (std::thread& t : threads) t.join();
  // Callers batched with the poison fail with its error; any that went in another batch succeed.
  int failed = 0;
  for (const Status& s : statuses) {
    if (!s.ok()) {
      ++failed;
      EXPECT_EQ(s.code(), Code::kUnavailable);
      EXPECT_NE(s.message().find("poison"), std::string::npos);
    }
  }
  EXPECT_FALSE(statuses[2].ok());
  EXPECT_EQ(failed_batches.load(), 1);
  EXPECT_GE(failed, 2) << "the callers sharing the failed batch must all see the failure";
  // The batcher keeps working afterwards.
  std::vector<float> out;
  EXPECT_TRUE(batcher.Embed(TextsFor(9, 3), &out).ok());
}

TEST(BatchingEmbedderConcurrentTest, ShutdownFailsQueuedCallsAndFinishesTheOneInFlight) {
  auto inner = std::make_shared<RecordingEmbedder>(300ms);
  BatchingEmbedder batcher(inner, {.max_batch = 4, .max_wait = 0ms, .max_concurrent_batches = 1});
  Status in_flight, queued;
  std::thread a([&] {
    std::vector<float> out;
    in_flight = batcher.Embed(TextsFor(0, 4), &out);
  });
  while (inner->started() == 0) std::this_thread::sleep_for(1ms);
  std::thread b([&] {
    std::vector<float> out;
    queued = batcher.Embed(TextsFor(1, 4), &out);
  });
  std::this_thread::sleep_for(50ms);  // b is queued behind the only batch thread
  batcher.Shutdown();
  a.join();
  b.join();
  EXPECT_TRUE(in_flight.ok()) << in_flight.ToString();
  EXPECT_EQ(queued.code(), Code::kUnavailable) << queued.ToString();
  EXPECT_EQ(inner->started(), 1);
  std::vector<float> out;
  EXPECT_EQ(batcher.Embed(TextsFor(2, 1), &out).code(), Code::kUnavailable);
}

TEST(BatchingEmbedderConcurrentTest, ManyCallersManyBatchesUnderLoad) {
  auto inner = std::make_shared<RecordingEmbedder>(2ms);
  BatchingEmbedder batcher(inner, {.max_batch = 16, .max_wait = 2ms, .max_concurrent_batches = 3});
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < 8; ++c) {
    threads.emplace_back([&, c] {
      for (int round = 0; round < 20; ++round) {
        const std::vector<std::string> texts = TextsFor(c * 100 + round, 1 + (c + round) % 7);
        std::vector<float> out, want;
        if (!batcher.Embed(texts, &out).ok()) ++wrong;
        if (!inner->hash().Embed(texts, &want).ok() || out != want) ++wrong;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  for (size_t s : inner->batch_sizes()) EXPECT_LE(s, 16u);
}

TEST(BatchingEmbedderConcurrentTest, TenDocumentsMakeOneHttpCall) {
  testing::FakeOpenAiServer fake({.dim = 8, .latency = 20ms});
  obs::ServiceMetrics metrics({.process_metrics = false});
  StatusOr<std::unique_ptr<OpenAiEmbedder>> openai = OpenAiEmbedder::Create(
      {.base_url = fake.base_url(), .model = "m", .dimension = 8, .metrics = &metrics});
  ASSERT_TRUE(openai.ok());
  BatchingEmbedder batcher(std::shared_ptr<Embedder>(std::move(*openai)),
                           {.max_batch = 64, .max_wait = 100ms, .metrics = &metrics});
  constexpr int kDocs = 10;
  std::vector<std::vector<float>> results(kDocs);
  std::vector<Status> statuses(kDocs);
  std::barrier start(kDocs);
  std::vector<std::thread> threads;
  for (int d = 0; d < kDocs; ++d) {
    threads.emplace_back([&, d] {
      const std::vector<std::string> texts = TextsFor(d, 3);
      start.arrive_and_wait();
      statuses[d] = batcher.Embed(texts, &results[d]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int d = 0; d < kDocs; ++d) {
    ASSERT_TRUE(statuses[d].ok()) << statuses[d].ToString();
    const std::vector<std::string> texts = TextsFor(d, 3);
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::vector<float> want = testing::FakeOpenAiServer::ExpectedVector(texts[i], 8);
      for (size_t k = 0; k < 8; ++k) EXPECT_NEAR(results[d][i * 8 + k], want[k], 1e-5);
    }
  }
  EXPECT_LE(fake.call_count(), 2u) << "ten documents should not make ten calls";
  size_t inputs = 0;
  for (const auto& c : fake.calls()) inputs += c.inputs;
  EXPECT_EQ(inputs, 30u);
  EXPECT_EQ(metrics.embedding_api_calls_total.WithLabels({"openai", "ok"}).Value(),
            fake.call_count());
  EXPECT_EQ(metrics.embedding_api_duration_seconds.WithLabels({"openai"}).Snap().count,
            fake.call_count());
  EXPECT_EQ(metrics.embedding_batch_efficiency.Snap().count, fake.call_count());
}

// Throughput through the whole stack (batcher -> OpenAiEmbedder -> HTTP -> fake at a fixed 20 ms
// latency), printed for the record; the assertion is that batching actually happened.
TEST(BatchingEmbedderConcurrentTest, ThroughputAtFixedProviderLatency) {
  testing::FakeOpenAiServer fake({.dim = 64, .latency = 20ms});
  StatusOr<std::unique_ptr<OpenAiEmbedder>> openai =
      OpenAiEmbedder::Create({.base_url = fake.base_url(), .model = "m", .dimension = 64});
  ASSERT_TRUE(openai.ok());
  BatchingEmbedder batcher(std::shared_ptr<Embedder>(std::move(*openai)),
                           {.max_batch = 64, .max_wait = 5ms, .max_concurrent_batches = 4});
  constexpr int kThreads = 8, kCalls = 25, kChunks = 4;
  std::atomic<int> failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        std::vector<float> out;
        if (!batcher.Embed(TextsFor(t * 1000 + c, kChunks), &out).ok()) ++failed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int chunks = kThreads * kCalls * kChunks;
  EXPECT_EQ(failed.load(), 0);
  std::printf(
      "[ measure  ] %d chunks in %.2f s = %.0f chunks/s, %zu provider calls (%.1f per call)\n",
      chunks, seconds, chunks / seconds, fake.call_count(),
      static_cast<double>(chunks) / static_cast<double>(fake.call_count()));
  EXPECT_LE(fake.call_count(), static_cast<size_t>(chunks / (2 * kChunks)));
}

}  // namespace
}  // namespace scriptgen::embed
