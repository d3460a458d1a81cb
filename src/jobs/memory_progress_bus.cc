// Design: one mutex for the whole bus, held while subscriber callbacks run. That makes ordering
// trivial (a subscriber sees a job's events in seq order, with no gap between the replayed history
// and live events) at the cost of serialising publishers; callbacks are required to be tiny
// (enqueue into an SSE stream), so the lock is held for microseconds. Pruning is amortised: at
// most once per second, on publish.
#include "jobs/memory_progress_bus.h"

#include <algorithm>
#include <vector>

#include "util/clock.h"

namespace scriptgen::jobs {

class MemoryProgressBus::Sub final : public ProgressBus::Subscription {
 public:
  Sub(MemoryProgressBus* bus, JobId id, uint64_t token) : bus_(bus), id_(id), token_(token) {}
  ~Sub() override { bus_->Unsubscribe(id_, token_); }

 private:
  MemoryProgressBus* bus_;
  JobId id_;
  uint64_t token_;
};

MemoryProgressBus::MemoryProgressBus(MemoryProgressBusOptions options) : options_(options) {}
MemoryProgressBus::~MemoryProgressBus() = default;

void MemoryProgressBus::Publish(JobEvent event) {
  const int64_t now = SystemClock::Get()->NowMs();
  if (event.at_ms == 0) event.at_ms = now;
  std::lock_guard lock(mu_);
  Topic& topic = topics_[event.job_id];
  event.seq = ++topic.last_seq;
  if (event.kind == JobEvent::Kind::kState) {
    topic.finished_at_ms = IsTerminal(event.state) ? now : 0;
  }
  topic.history.push_back(event);
  while (topic.history.size() > options_.history_per_job) topic.history.pop_front();
  for (auto& [token, callback] : topic.subscribers) callback(event);
  // Amortised: at most once a second, or when the map has grown by a quarter since the last prune
  // (live jobs cannot be pruned, so "over the cap" alone could mean pruning on every event).
  const size_t grown = std::max(options_.max_jobs, size_after_prune_ + size_after_prune_ / 4);
  if (now - last_prune_ms_ >= 1000 || topics_.size() > grown) PruneLocked(now);
}

std::unique_ptr<ProgressBus::Subscription> MemoryProgressBus::Subscribe(JobId id,
                                                                        uint64_t after_seq,
                                                                        Callback callback) {
  std::lock_guard lock(mu_);
  Topic& topic = topics_[id];
  for (const JobEvent& e : topic.history) {
    if (e.seq > after_seq) callback(e);
  }
  const uint64_t token = next_token_++;
  topic.subscribers.emplace(token, std::move(callback));
  return std::make_unique<Sub>(this, id, token);
}

void MemoryProgressBus::Unsubscribe(JobId id, uint64_t token) {
  std::lock_guard lock(mu_);
  auto it = topics_.find(id);
  if (it == topics_.end()) return;
  it->second.subscribers.erase(token);
  if (it->second.subscribers.empty() && it->second.history.empty()) topics_.erase(it);
}

size_t MemoryProgressBus::tracked_jobs() const {
  std::lock_guard lock(mu_);
  return topics_.size();
}

void MemoryProgressBus::PruneLocked(int64_t now_ms) {
  last_prune_ms_ = now_ms;
  const int64_t keep = options_.retain_finished.count();
  std::vector<JobId> finished;
  for (auto it = topics_.begin(); it != topics_.end();) {
    Topic& t = it->second;
    if (t.subscribers.empty() && t.finished_at_ms != 0 && now_ms - t.finished_at_ms >= keep) {
      it = topics_.erase(it);
    } else {
      if (t.subscribers.empty() && t.finished_at_ms != 0) finished.push_back(it->first);
      ++it;
    }
  }
  // Over the cap: drop finished jobs' history, lowest (oldest) ids first.
  if (topics_.size() > options_.max_jobs) {
    std::sort(finished.begin(), finished.end());
    for (JobId id : finished) {
      if (topics_.size() <= options_.max_jobs) break;
      topics_.erase(id);
    }
  }
  size_after_prune_ = topics_.size();
}

}  // namespace scriptgen::jobs
