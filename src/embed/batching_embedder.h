// BatchingEmbedder: an Embedder decorator that gathers Embed calls from many threads into
// provider batches, so ten jobs embedding two chunks each make one provider call, not ten.
//
// A call's texts join a queue; a batch is sent when max_batch inputs are waiting or the oldest
// has waited max_wait, whichever comes first. A call's texts may be split across batches (and a
// call larger than max_batch always is). Each caller gets exactly its own vectors back, in order;
// if a batch fails, every caller with texts in it gets that batch's Status (and its texts still
// queued are dropped). Up to max_concurrent_batches batches are in flight at once, each sent from
// one of the decorator's own threads, so a slow provider does not serialise everybody.
//
// The cost is latency: a lone call waits up to max_wait for company. EmbedQuery (search queries,
// where a single short call is latency-critical and batching cannot help) skips the queue.
//
// Metrics: each batch sent observes inputs / max_batch in embedding_batch_efficiency (when
// options.metrics is set) and calls options.on_batch. Provider call counts and latencies are the
// inner embedder's business (OpenAiEmbedder counts every HTTP attempt).
//
//   auto batched = std::make_shared<BatchingEmbedder>(std::move(openai), {.max_batch = 64});
//   batched->Embed(texts, &vectors);   // from any number of threads
//
// Thread-safe. Shutdown() (also run by the destructor) fails calls still queued with Unavailable
// and every later call, lets batches in flight finish, and joins the threads. Destroying the
// object while a thread is still inside Embed is a bug, as with any object.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "embed/embedder.h"
#include "util/status.h"

namespace scriptgen::obs {
struct ServiceMetrics;
}

namespace scriptgen::embed {

struct BatchingEmbedderOptions {
  size_t max_batch = 64;                   // inputs per provider call, >= 1
  std::chrono::milliseconds max_wait{20};  // longest a queued input waits for company
  size_t max_concurrent_batches = 4;       // batches in flight at once, >= 1
  // > 0: once this many calls are waiting, send at once instead of waiting out max_wait. Set it
  // to the number of threads that embed (the worker pool): when all of them wait here, nothing
  // else can arrive, and waiting longer would only cap throughput at threads / max_wait.
  size_t flush_when_callers = 0;
  obs::ServiceMetrics* metrics = nullptr;
  // Called after each batch returns, with its size (tests, logs). Runs on a batch thread.
  std::function<void(size_t inputs, size_t max_batch, const Status& result)> on_batch;
};

class BatchingEmbedder final : public Embedder {
 public:
  // Throws std::invalid_argument for a null inner embedder or zero sizes (programming errors).
  BatchingEmbedder(std::shared_ptr<Embedder> inner, BatchingEmbedderOptions options = {});
  ~BatchingEmbedder() override;
  BatchingEmbedder(const BatchingEmbedder&) = delete;
  BatchingEmbedder& operator=(const BatchingEmbedder&) = delete;

  const std::string& version() const override { return inner_->version(); }
  size_t dimension() const override { return inner_->dimension(); }
  std::string_view provider() const override { return inner_->provider(); }
  Status Embed(std::span<const std::string> texts, std::vector<float>* out) override;
  // Search queries do not wait for company: straight to the inner embedder.
  Status EmbedQuery(const std::string& text, std::vector<float>* out) override {
    return inner_->EmbedQuery(text, out);
  }

  void Shutdown();

  Embedder& inner() { return *inner_; }
  // Batches sent and inputs embedded so far.
  uint64_t batches_sent() const;
  uint64_t inputs_sent() const;

 private:
  struct Call;
  // A run of one call's texts waiting in the queue.
  struct Piece {
    Call* call;
    size_t begin;
    size_t count;
    std::chrono::steady_clock::time_point enqueued;
  };

  void RunBatches();
  bool AllCallersWaiting() const;  // under mu_
  // With mu_ held: takes up to max_batch inputs off the queue front.
  std::vector<Piece> TakeBatch();
  void Finish(Call* call, const Status& status);

  std::shared_ptr<Embedder> inner_;
  const BatchingEmbedderOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // batch threads: queue changed or shutdown
  std::condition_variable done_cv_;  // callers: a call's pieces finished
  std::deque<Piece> queue_;
  size_t queued_inputs_ = 0;
  bool shutting_down_ = false;
  uint64_t batches_sent_ = 0;
  uint64_t inputs_sent_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace scriptgen::embed
