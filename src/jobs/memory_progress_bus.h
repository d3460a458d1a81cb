// MemoryProgressBus: the in-process ProgressBus. Retains the last `history_per_job` events of each
// job, and forgets a finished job's history `retain_finished` after its terminal event, so memory
// stays bounded however many jobs pass through.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>

#include "jobs/progress_bus.h"

namespace scriptgen::jobs {

struct MemoryProgressBusOptions {
  size_t history_per_job = 64;
  std::chrono::milliseconds retain_finished{std::chrono::minutes(10)};
  // Hard cap on jobs with history (a finished ingest job keeps ~20 events, a few KB); oldest
  // finished dropped first. Clients that come back later get a state snapshot instead.
  size_t max_jobs = 20000;
};

class MemoryProgressBus final : public ProgressBus {
 public:
  explicit MemoryProgressBus(MemoryProgressBusOptions options = {});
  ~MemoryProgressBus() override;

  void Publish(JobEvent event) override;
  std::unique_ptr<Subscription> Subscribe(JobId id, uint64_t after_seq, Callback callback) override;

  size_t tracked_jobs() const;

 private:
  class Sub;
  struct Topic {
    uint64_t last_seq = 0;
    std::deque<JobEvent> history;
    std::map<uint64_t, Callback> subscribers;  // by subscription token
    int64_t finished_at_ms = 0;                // 0 while the job is live
  };
  void Unsubscribe(JobId id, uint64_t token);
  void PruneLocked(int64_t now_ms);

  const MemoryProgressBusOptions options_;
  mutable std::mutex mu_;  // held while callbacks run: keeps each job's events in order
  std::unordered_map<JobId, Topic> topics_;
  uint64_t next_token_ = 1;
  int64_t last_prune_ms_ = 0;
  size_t size_after_prune_ = 0;
};

}  // namespace scriptgen::jobs
