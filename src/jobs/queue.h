// JobQueue: the one queue interface the rest of scriptgen talks to (R-Q9, the seed's
// WorkerAdapter). Backends: SQLite (embedded, durable), memory (USE_DURABLE_WORKER=false, not
// durable), Redis (distributed).
//
// Contract every backend keeps:
//  * A job whose Enqueue returned OK survives a crash of any process (durable backends).
//  * Delivery is at-least-once: a job whose worker dies is claimed again after its lease expires.
//    Handlers make their effects idempotent with step marks (see step_runner.h).
//  * Every state change passes CheckTransition() (job_state.h); illegal requests get
//    FailedPrecondition, unknown ids NotFound; nothing is ever half-applied.
//  * Retry timing and dead-lettering are decided by the queue's RetryPolicy, not by workers.
//
// All methods are thread-safe. Methods may block for a group commit (a few milliseconds).
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "jobs/job.h"
#include "jobs/retry_policy.h"
#include "store/write_tx.h"
#include "util/status.h"

namespace scriptgen::jobs {

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // Adds a job (state queued, or scheduled when delayed). With an idempotency key that is already
  // known, returns the existing job with created=false and changes nothing.
  virtual StatusOr<EnqueueResult> Enqueue(const EnqueueRequest& request) = 0;
  // Enqueues as part of the caller's store transaction, so e.g. a document row and its ingest job
  // exist together or not at all. Backends that live in the store's database (SQLite) join tx;
  // the others (memory, Redis) enqueue at once: their job may be claimed before tx commits
  // (handlers allow for that, see jobs/subject_read.h), and a job whose transaction rolls back
  // finds its subject missing and ends as a cancelled or bad_input job.
  virtual StatusOr<EnqueueResult> EnqueueInTx(store::WriteTx& tx,
                                              const EnqueueRequest& request) = 0;
  // Many jobs in one transaction; results in request order.
  virtual StatusOr<std::vector<EnqueueResult>> EnqueueBatch(
      std::span<const EnqueueRequest> requests) = 0;

  // Takes up to max_jobs claimable jobs (queued, or scheduled and due) in FIFO order, marks them
  // running under the worker's lease and returns them. Never blocks waiting for work.
  virtual StatusOr<std::vector<Job>> Claim(const ClaimRequest& request) = 0;

  // Extends the lease of every listed job the worker still holds.
  virtual StatusOr<HeartbeatResult> Heartbeat(const std::string& worker_id,
                                              std::span<const JobId> ids,
                                              std::chrono::milliseconds lease) = 0;

  // Ends the worker's hold on each job: succeeded; failed (-> scheduled retry or dead, as the
  // RetryPolicy decides); cancelled; or released (back to queued, the attempt not counted, for
  // shutdown). A request for a job the worker no longer holds yields FailedPrecondition for that
  // entry only. Results in request order: the state each job is in afterwards.
  virtual std::vector<StatusOr<JobState>> Finish(std::span<const FinishRequest> requests) = 0;

  // Records progress of a running job. Fire-and-forget: backends may coalesce updates.
  virtual void RecordProgress(JobId id, const Progress& progress) = 0;

  // Queued or scheduled jobs are cancelled at once; a running job gets cancel_requested and its
  // worker stops cooperatively. Cancelling a cancelled job is OK; a succeeded or dead one is
  // FailedPrecondition. Returns the job's state afterwards.
  virtual StatusOr<JobState> Cancel(JobId id) = 0;

  // Returns running jobs whose lease expired to the queue (or to dead when they have used up
  // their attempts: a job that keeps killing its worker is a poison pill). Returns how many.
  virtual StatusOr<int> ReapExpiredLeases() = 0;

  virtual StatusOr<Job> Get(JobId id) = 0;
  virtual StatusOr<std::vector<Job>> List(const JobFilter& filter) = 0;
  virtual StatusOr<QueueCounts> Counts() = 0;

  // Dead-letter queue (R-Q4).
  virtual StatusOr<std::vector<ErrorRecord>> ErrorHistory(JobId id) = 0;
  virtual Status RetryDead(JobId id) = 0;                    // dead -> queued, attempts reset
  virtual StatusOr<int> RetryDeadByClass(ErrorClass c) = 0;  // returns how many
  virtual Status PurgeDead(JobId id) = 0;                    // deletes a dead job for good
  virtual StatusOr<int> PurgeDeadByClass(std::optional<ErrorClass> c) = 0;  // nullopt: all

  // Called (from any thread) after new work became claimable in this process, so idle workers can
  // wake at once instead of at their next poll. Optional.
  virtual void SetWorkAvailableCallback(std::function<void()> callback) = 0;

  virtual const RetryPolicy& retry_policy() const = 0;
};

}  // namespace scriptgen::jobs
