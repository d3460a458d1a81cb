// One mutex guards the queue and every Call's bookkeeping; the provider call and the copying of
// texts and vectors happen outside it. That is safe without copying the callers' inputs up front
// because a caller stays blocked in Embed until every piece of its call has been accounted for
// (Call::outstanding == 0), so its span and output buffer outlive every batch thread that reads
// or writes them; pieces of one call cover disjoint rows, so concurrent batches never write the
// same floats, and the mutex hand-off at the end orders those writes before the caller reads.
//
// Splitting: a batch takes pieces from the queue front until it holds max_batch inputs, cutting
// the last piece if needed; the remainder stays at the front with its original enqueue time, so
// it is due at once and leaves in the next batch. FIFO order keeps waiting times fair and bounded.
//
// A batch thread waits for "max_batch inputs queued" or "the oldest input is max_wait old". With
// several threads idle they all wake at the deadline; one takes the batch and the rest go back to
// sleep, which is cheap for the handful of threads this uses.
#include "embed/batching_embedder.h"

#include <stdexcept>

#include "obs/service_metrics.h"

namespace scriptgen::embed {

struct BatchingEmbedder::Call {
  std::span<const std::string> texts;
  float* out = nullptr;
  size_t outstanding = 0;  // pieces queued or in flight
  bool failed = false;
  Status status;
};

BatchingEmbedder::BatchingEmbedder(std::shared_ptr<Embedder> inner, BatchingEmbedderOptions options)
    : inner_(std::move(inner)), options_(std::move(options)) {
  if (!inner_) throw std::invalid_argument("BatchingEmbedder needs an inner embedder");
  if (options_.max_batch == 0 || options_.max_concurrent_batches == 0) {
    throw std::invalid_argument(
        "BatchingEmbedder max_batch and max_concurrent_batches must be > 0");
  }
  threads_.reserve(options_.max_concurrent_batches);
  for (size_t i = 0; i < options_.max_concurrent_batches; ++i) {
    threads_.emplace_back([this] { RunBatches(); });
  }
}

BatchingEmbedder::~BatchingEmbedder() {
  Shutdown();
}

void BatchingEmbedder::Shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    const Status stopped = Unavailable("embedding batcher is shutting down");
    for (Piece& p : queue_) Finish(p.call, stopped);
    queue_.clear();
    queued_inputs_ = 0;
    threads.swap(threads_);
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  for (std::thread& t : threads) t.join();
}

uint64_t BatchingEmbedder::batches_sent() const {
  std::lock_guard lock(mu_);
  return batches_sent_;
}

uint64_t BatchingEmbedder::inputs_sent() const {
  std::lock_guard lock(mu_);
  return inputs_sent_;
}

Status BatchingEmbedder::Embed(std::span<const std::string> texts, std::vector<float>* out) {
  out->assign(texts.size() * inner_->dimension(), 0.0f);
  if (texts.empty()) return Status::Ok();
  Call call{.texts = texts, .out = out->data(), .outstanding = 1};
  std::unique_lock lock(mu_);
  if (shutting_down_) return Unavailable("embedding batcher is shut down");
  queue_.push_back({&call, 0, texts.size(), std::chrono::steady_clock::now()});
  queued_inputs_ += texts.size();
  work_cv_.notify_one();
  done_cv_.wait(lock, [&call] { return call.outstanding == 0; });
  return call.status;
}

void BatchingEmbedder::Finish(Call* call, const Status& status) {
  if (!status.ok() && !call->failed) {
    call->failed = true;
    call->status = status;
  }
  --call->outstanding;
}

std::vector<BatchingEmbedder::Piece> BatchingEmbedder::TakeBatch() {
  std::vector<Piece> batch;
  size_t n = 0;
  while (!queue_.empty() && n < options_.max_batch) {
    Piece& front = queue_.front();
    if (front.call->failed) {  // another piece of this call failed: do not spend a call on it
      queued_inputs_ -= front.count;
      Finish(front.call, Status::Ok());
      queue_.pop_front();
      done_cv_.notify_all();
      continue;
    }
    const size_t take = std::min(front.count, options_.max_batch - n);
    if (take == front.count) {
      batch.push_back(front);
      queue_.pop_front();
    } else {
      batch.push_back({front.call, front.begin, take, front.enqueued});
      front.begin += take;
      front.count -= take;
      ++front.call->outstanding;
    }
    queued_inputs_ -= take;
    n += take;
  }
  return batch;
}

bool BatchingEmbedder::AllCallersWaiting() const {
  if (options_.flush_when_callers == 0) return false;
  // Pieces of one call are adjacent in the queue: count the changes of call.
  size_t calls = 0;
  const Call* last = nullptr;
  for (const Piece& p : queue_) {
    if (p.call != last) ++calls;
    last = p.call;
  }
  return calls >= options_.flush_when_callers;
}

void BatchingEmbedder::RunBatches() {
  const size_t dim = inner_->dimension();
  std::vector<std::string> texts;
  std::vector<float> vectors;
  std::unique_lock lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (shutting_down_) return;
      work_cv_.wait(lock);
      continue;
    }
    if (queued_inputs_ < options_.max_batch && !AllCallersWaiting()) {
      const auto due = queue_.front().enqueued + options_.max_wait;
      if (std::chrono::steady_clock::now() < due) {
        work_cv_.wait_until(lock, due);
        continue;
      }
    }
    std::vector<Piece> batch = TakeBatch();
    if (!queue_.empty()) work_cv_.notify_one();  // more is due: let another thread look
    if (batch.empty()) continue;
    lock.unlock();

    texts.clear();
    for (const Piece& p : batch) {
      for (size_t i = 0; i < p.count; ++i) texts.push_back(p.call->texts[p.begin + i]);
    }
    Status status = inner_->Embed(texts, &vectors);
    if (status.ok() && vectors.size() != texts.size() * dim) {
      status =
          Internal("embedder " + inner_->version() + " returned " + std::to_string(vectors.size()) +
                   " floats for " + std::to_string(texts.size()) + " texts");
    }
    if (status.ok()) {
      size_t row = 0;
      for (const Piece& p : batch) {
        std::copy_n(vectors.data() + row * dim, p.count * dim, p.call->out + p.begin * dim);
        row += p.count;
      }
    }
    if (options_.metrics != nullptr) {
      options_.metrics->embedding_batch_efficiency.Observe(static_cast<double>(texts.size()) /
                                                           static_cast<double>(options_.max_batch));
    }
    if (options_.on_batch) options_.on_batch(texts.size(), options_.max_batch, status);

    lock.lock();
    ++batches_sent_;
    inputs_sent_ += texts.size();
    for (const Piece& p : batch) Finish(p.call, status);
    done_cv_.notify_all();
  }
}

}  // namespace scriptgen::embed
