// WorkerPool: N threads that claim jobs from a JobQueue and run their handlers.
//
// One dispatcher thread talks to the queue (claim, finish, heartbeat, reap) in batches, and
// `threads` worker threads run handlers. Claiming a few jobs ahead (`prefetch`) and finishing
// jobs in batches is what lets a durable queue run tens of thousands of short jobs per second:
// the cost of a commit is shared by every job in it. Leases of all held jobs (running or
// prefetched) are renewed by one heartbeat every lease/3.
//
// Shutdown(deadline): stop claiming, hand prefetched jobs back at once, let running handlers
// finish until the deadline, then cancel them (their jobs are released back to the queue, not
// failed, so another worker picks them up immediately).
//
//   HandlerRegistry registry;
//   registry.Register("ingest", IngestHandler);
//   WorkerPool pool(&queue, &registry, &bus, {.threads = 4});
//   pool.Start();
//   ...
//   pool.Shutdown(std::chrono::seconds(10));
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jobs/handler_registry.h"
#include "jobs/job_context.h"
#include "jobs/job_observer.h"
#include "jobs/queue.h"

namespace scriptgen::jobs {

class ProgressBus;

struct WorkerPoolOptions {
  int threads = 0;    // 0: one per core
  int prefetch = -1;  // jobs claimed beyond the free threads; -1: same as threads
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds poll_interval{200};  // idle re-check (work from other processes)
  std::chrono::milliseconds reap_interval{1000};
  std::string worker_id;            // empty: host:pid:random
  std::vector<std::string> types;   // empty: every registered type
  JobObserver* observer = nullptr;  // metrics and logs of every attempt; may be null
};

struct WorkerPoolStats {
  uint64_t claimed = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;  // retried or dead-lettered
  uint64_t cancelled = 0;
  uint64_t released = 0;
  uint64_t lost_leases = 0;
  uint64_t finish_retries = 0;  // outcomes the queue refused at first and that were sent again
};

class WorkerPool {
 public:
  WorkerPool(JobQueue* queue, const HandlerRegistry* registry, ProgressBus* bus,
             WorkerPoolOptions options);
  ~WorkerPool();  // Shutdown(0) if still running

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  void Shutdown(std::chrono::milliseconds deadline);

  // Wakes the dispatcher: new work is claimable. Safe from any thread.
  void Notify();

  bool running() const { return started_ && !stopping_; }
  const std::string& worker_id() const { return options_.worker_id; }
  WorkerPoolStats stats() const;

 private:
  struct Held {
    std::shared_ptr<CancelToken> cancel = std::make_shared<CancelToken>();
    bool shutdown_cancel = false;  // cancelled by us at shutdown, not by a user
    bool lost_cancel = false;      // cancelled by us because the queue took the lease back
  };
  struct Done {
    Job job;
    Status status;
  };
  // An outcome the queue has not recorded yet: Finish failed for a reason other than the lease
  // being gone (the store or Redis was unavailable, the disk full). Retried with backoff while we
  // keep the job's lease alive, so a finished job is not run again just because one write failed.
  struct Unfinished {
    Job job;
    Status status;
    FinishRequest request;
    int refusals = 0;  // how often the queue refused it so far
  };

  void DispatchLoop();
  void WorkLoop();
  void RunOne(const Job& job);
  void FlushFinished(std::vector<Done> done);
  void SendFinishes(std::vector<Unfinished> batch);
  void RetryUnfinished(bool give_up);
  void HeartbeatHeld();
  void ReleasePrefetched();

  JobQueue* const queue_;
  const HandlerRegistry* const registry_;
  ProgressBus* const bus_;
  WorkerPoolOptions options_;

  std::mutex mu_;
  std::condition_variable work_cv_;      // worker threads wait for inbox_
  std::condition_variable dispatch_cv_;  // dispatcher waits for done_ / wakeups
  std::deque<Job> inbox_;                // claimed, not yet started
  std::vector<Done> done_;               // finished, not yet reported
  std::map<JobId, Held> held_;           // every job we hold a lease on
  // Dispatcher thread only: finished jobs whose outcome the queue has not taken yet.
  std::vector<Unfinished> unfinished_;
  std::chrono::steady_clock::time_point next_finish_retry_{};
  std::chrono::milliseconds finish_retry_delay_{0};
  // Set by Shutdown: past it, outcomes the queue still refuses are left to lease expiry.
  std::chrono::steady_clock::time_point give_up_finishing_ =
      std::chrono::steady_clock::time_point::max();
  bool wakeup_ = false;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  bool claims_stopped_ = false;  // set by the dispatcher once it has seen stopping_
  bool workers_exit_ = false;
  int busy_ = 0;

  std::atomic<uint64_t> claimed_{0}, succeeded_{0}, failed_{0}, cancelled_{0}, released_{0},
      lost_{0}, finish_retries_{0};

  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

std::string DefaultWorkerId();

}  // namespace scriptgen::jobs
