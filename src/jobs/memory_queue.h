// MemoryQueue: a JobQueue that keeps everything in this process's memory (USE_DURABLE_WORKER=false,
// R-Q8). Same semantics as the durable backends (state machine, retries, DLQ, idempotency keys,
// leases) but NOTHING survives a restart: jobs accepted and not finished are lost when the process
// dies. It exists as the instant rollback switch to the old in-process "background tasks"
// behaviour, and as a fast backend for tests. Finished jobs are kept up to `max_finished`, oldest
// dropped first, so memory stays bounded.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "jobs/queue.h"
#include "util/clock.h"

namespace scriptgen::jobs {

class ProgressBus;

class MemoryQueue final : public JobQueue {
 public:
  MemoryQueue(RetryPolicy policy, ProgressBus* bus, const Clock* clock = SystemClock::Get(),
              size_t max_finished = 100000);

  StatusOr<EnqueueResult> Enqueue(const EnqueueRequest& request) override;
  // The job exists at once (its id is needed inside tx) but becomes claimable only after tx
  // commits, so a worker never sees a job whose subject row is not yet visible.
  StatusOr<EnqueueResult> EnqueueInTx(store::WriteTx& tx, const EnqueueRequest& request) override;
  StatusOr<std::vector<EnqueueResult>> EnqueueBatch(
      std::span<const EnqueueRequest> requests) override;
  StatusOr<std::vector<Job>> Claim(const ClaimRequest& request) override;
  StatusOr<HeartbeatResult> Heartbeat(const std::string& worker_id, std::span<const JobId> ids,
                                      std::chrono::milliseconds lease) override;
  std::vector<StatusOr<JobState>> Finish(std::span<const FinishRequest> requests) override;
  void RecordProgress(JobId id, const Progress& progress) override;
  StatusOr<JobState> Cancel(JobId id) override;
  StatusOr<int> ReapExpiredLeases() override;
  StatusOr<Job> Get(JobId id) override;
  StatusOr<std::vector<Job>> List(const JobFilter& filter) override;
  StatusOr<QueueCounts> Counts() override;
  StatusOr<std::vector<ErrorRecord>> ErrorHistory(JobId id) override;
  Status RetryDead(JobId id) override;
  StatusOr<int> RetryDeadByClass(ErrorClass c) override;
  Status PurgeDead(JobId id) override;
  StatusOr<int> PurgeDeadByClass(std::optional<ErrorClass> c) override;
  void SetWorkAvailableCallback(std::function<void()> callback) override;
  const RetryPolicy& retry_policy() const override { return policy_; }

 private:
  EnqueueResult EnqueueLocked(const EnqueueRequest& request, int64_t now, bool claimable = true);
  // Moves job to a new state, keeping the indexes in step and publishing the change.
  void SetStateLocked(Job& job, JobState to, int64_t now);
  void PublishLocked(JobId id, JobState state, std::string error);
  void ApplyPlanLocked(Job& job, const struct FinishPlan& plan, int64_t now);
  void NotifyWork();

  const RetryPolicy policy_;
  ProgressBus* const bus_;
  const Clock* const clock_;
  const size_t max_finished_;

  std::mutex mu_;
  JobId next_id_ = 1;
  std::map<JobId, Job> jobs_;
  std::set<JobId> ready_;                          // queued, FIFO by id
  std::multimap<int64_t, JobId> scheduled_;        // by run_at
  std::set<JobId> finished_;                       // terminal, oldest first
  std::unordered_map<std::string, JobId> by_key_;  // idempotency keys
  std::unordered_map<JobId, std::vector<ErrorRecord>> errors_;
  std::function<void()> on_work_;
};

}  // namespace scriptgen::jobs
