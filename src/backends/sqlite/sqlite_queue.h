// SqliteQueue: the embedded, durable JobQueue (the default backend).
//
// Jobs live in the `jobs` table of the shared Database; every change goes through its Writer, so
// enqueues, claims and finishes from all threads share group commits. An Enqueue that returned OK
// is on disk (synchronous=FULL). Several processes may share one database file (e.g. a crashed
// worker's replacement): SQLite's file lock serialises their writers, and leases make delivery
// at-least-once across processes.
//
// Leases of a process that died are taken back as soon as that is provable (jobs/lease_owners.h:
// its lock file is no longer locked), not after they expire: a restarted server resumes the jobs
// it was running at once. Without `owners`, only lease expiry reaps.
//
// State events are published to the ProgressBus after the commit that made them true. Progress
// updates are coalesced: at most one pending write per job, flushed with the next group commit.
#pragma once

#include <mutex>
#include <unordered_map>

#include "backends/sqlite/database.h"
#include "jobs/lease_owners.h"
#include "jobs/queue.h"
#include "util/clock.h"

namespace scriptgen::jobs {
class ProgressBus;
}

namespace scriptgen::sqlite {

class SqliteQueue final : public jobs::JobQueue {
 public:
  // owners, if not null, must outlive the queue; every worker id that claims is registered there.
  SqliteQueue(Database* db, jobs::RetryPolicy policy, jobs::ProgressBus* bus,
              const Clock* clock = SystemClock::Get(), jobs::LeaseOwners* owners = nullptr);
  ~SqliteQueue() override;

  StatusOr<jobs::EnqueueResult> Enqueue(const jobs::EnqueueRequest& request) override;
  // Joins the caller's transaction (tx must come from this queue's Database).
  StatusOr<jobs::EnqueueResult> EnqueueInTx(store::WriteTx& tx,
                                            const jobs::EnqueueRequest& request) override;
  StatusOr<std::vector<jobs::EnqueueResult>> EnqueueBatch(
      std::span<const jobs::EnqueueRequest> requests) override;
  StatusOr<std::vector<jobs::Job>> Claim(const jobs::ClaimRequest& request) override;
  StatusOr<jobs::HeartbeatResult> Heartbeat(const std::string& worker_id,
                                            std::span<const jobs::JobId> ids,
                                            std::chrono::milliseconds lease) override;
  std::vector<StatusOr<jobs::JobState>> Finish(
      std::span<const jobs::FinishRequest> requests) override;
  void RecordProgress(jobs::JobId id, const jobs::Progress& progress) override;
  StatusOr<jobs::JobState> Cancel(jobs::JobId id) override;
  StatusOr<int> ReapExpiredLeases() override;
  StatusOr<jobs::Job> Get(jobs::JobId id) override;
  StatusOr<std::vector<jobs::Job>> List(const jobs::JobFilter& filter) override;
  StatusOr<jobs::QueueCounts> Counts() override;
  StatusOr<std::vector<jobs::ErrorRecord>> ErrorHistory(jobs::JobId id) override;
  Status RetryDead(jobs::JobId id) override;
  StatusOr<int> RetryDeadByClass(jobs::ErrorClass c) override;
  Status PurgeDead(jobs::JobId id) override;
  StatusOr<int> PurgeDeadByClass(std::optional<jobs::ErrorClass> c) override;
  void SetWorkAvailableCallback(std::function<void()> callback) override;
  const jobs::RetryPolicy& retry_policy() const override { return policy_; }

 private:
  void PublishState(Tx& tx, jobs::JobId id, jobs::JobState state, std::string error = {});
  void NotifyWorkAfter(Tx& tx);
  void FlushProgress();

  Database* const db_;
  const jobs::RetryPolicy policy_;
  jobs::ProgressBus* const bus_;
  const Clock* const clock_;
  jobs::LeaseOwners* const owners_;

  std::mutex mu_;
  std::function<void()> on_work_;
  std::unordered_map<jobs::JobId, jobs::Progress> pending_progress_;
  bool progress_flush_scheduled_ = false;
};

}  // namespace scriptgen::sqlite
