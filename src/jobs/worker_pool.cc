// Threads and locks: one mutex guards the inbox, the done list and the held map; the queue is only
// ever called from the dispatcher thread with the mutex released, so a slow commit never blocks a
// worker thread that wants its next job. Outcomes are decided by the dispatcher, which alone knows
// whether a cancelled handler was cancelled by a user (-> cancelled) or by our shutdown
// (-> released, so the job runs again elsewhere).
#include "jobs/worker_pool.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <random>

#include "jobs/progress_bus.h"

namespace scriptgen::jobs {

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device rd;
  char suffix[9];
  snprintf(suffix, sizeof(suffix), "%08x", rd());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
}

WorkerPool::WorkerPool(JobQueue* queue, const HandlerRegistry* registry, ProgressBus* bus,
                       WorkerPoolOptions options)
    : queue_(queue), registry_(registry), bus_(bus), options_(std::move(options)) {
  if (options_.threads <= 0) {
    options_.threads = std::max(1u, std::thread::hardware_concurrency());
  }
  if (options_.prefetch < 0) options_.prefetch = options_.threads;
  if (options_.worker_id.empty()) options_.worker_id = DefaultWorkerId();
}

WorkerPool::~WorkerPool() {
  if (started_) Shutdown(std::chrono::milliseconds(0));
}

void WorkerPool::Start() {
  if (started_) return;
  started_ = true;
  // Resolved now, not at construction: handlers may be registered until the pool starts.
  if (options_.types.empty()) options_.types = registry_->Types();
  queue_->SetWorkAvailableCallback([this] { Notify(); });
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { WorkLoop(); });
  dispatcher_ = std::thread([this] { DispatchLoop(); });
}

void WorkerPool::Notify() {
  {
    std::lock_guard lock(mu_);
    wakeup_ = true;
  }
  dispatch_cv_.notify_one();
}

WorkerPoolStats WorkerPool::stats() const {
  return {claimed_.load(),  succeeded_.load(), failed_.load(),        cancelled_.load(),
          released_.load(), lost_.load(),      finish_retries_.load()};
}

void WorkerPool::Shutdown(std::chrono::milliseconds deadline) {
  if (!started_ || workers_exit_) return;
  queue_->SetWorkAvailableCallback(nullptr);
  stopping_ = true;
  dispatch_cv_.notify_one();
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::unique_lock lock(mu_);
  give_up_finishing_ = until;
  // A claim may be in flight: wait until the dispatcher has seen the stop (after which it never
  // claims again) so that every job it holds is in held_.
  while (!claims_stopped_) {
    dispatch_cv_.notify_one();
    work_cv_.wait_for(lock, std::chrono::milliseconds(5));
  }
  // Prefetched jobs are released by the dispatcher; running ones get until the deadline.
  while (!held_.empty() && std::chrono::steady_clock::now() < until) {
    dispatch_cv_.notify_one();
    work_cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
  for (auto& [id, held] : held_) {
    held.shutdown_cancel = true;
    held.cancel->Cancel();
  }
  // Handlers observe the cancel token; wait for them to hand their jobs back.
  while (!held_.empty()) {
    dispatch_cv_.notify_one();
    work_cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
  workers_exit_ = true;
  lock.unlock();
  work_cv_.notify_all();
  dispatch_cv_.notify_all();
  for (auto& t : workers_) t.join();
  dispatcher_.join();
  workers_.clear();
}

void WorkerPool::WorkLoop() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return workers_exit_ || !inbox_.empty(); });
      if (workers_exit_ && inbox_.empty()) return;
      job = std::move(inbox_.front());
      inbox_.pop_front();
      ++busy_;
    }
    RunOne(job);
  }
}

void WorkerPool::RunOne(const Job& job) {
  std::shared_ptr<CancelToken> cancel;
  {
    std::lock_guard lock(mu_);
    cancel = held_[job.id].cancel;
  }
  Status status;
  if (const Handler* handler = registry_->Find(job.type); handler == nullptr) {
    status = Internal("no handler registered for job type '" + job.type + "'");
  } else if (cancel->cancelled()) {
    status = Cancelled("cancelled before start");
  } else {
    JobContext ctx(job, cancel, queue_, bus_, options_.observer);
    auto run = [&] {
      try {
        status = (*handler)(ctx);
      } catch (const std::exception& e) {
        status = Internal(std::string("handler threw: ") + e.what());
      } catch (...) {
        status = Internal("handler threw a non-standard exception");
      }
    };
    if (options_.observer != nullptr) {
      options_.observer->RunAttempt(job, run);
    } else {
      run();
    }
  }
  {
    std::lock_guard lock(mu_);
    done_.push_back({job, std::move(status)});
    --busy_;
  }
  dispatch_cv_.notify_one();
}

void WorkerPool::FlushFinished(std::vector<Done> done) {
  if (done.empty()) return;
  std::vector<Unfinished> batch;
  batch.reserve(done.size());
  {
    std::lock_guard lock(mu_);
    for (Done& d : done) {
      auto it = held_.find(d.job.id);
      // Cancelled by us, not by a user: the job is handed back, not ended. (If the lease really
      // is someone else's now, the queue refuses the release and the other owner reports.)
      const bool ours = it != held_.end() && (it->second.shutdown_cancel || it->second.lost_cancel);
      FinishRequest r{d.job.id, options_.worker_id, Outcome::kSucceeded, {}};
      if (d.status.ok()) {
        r.outcome = Outcome::kSucceeded;
      } else if (ours && d.status.code() == Code::kCancelled) {
        r.outcome = Outcome::kReleased;
      } else if (it != held_.end() && it->second.shutdown_cancel) {
        r.outcome = Outcome::kReleased;
      } else if (d.status.code() == Code::kCancelled) {
        r.outcome = Outcome::kCancelled;
      } else {
        r.outcome = Outcome::kFailed;
        r.error = JobError::From(d.status);
      }
      batch.push_back({std::move(d.job), std::move(d.status), std::move(r)});
    }
  }
  SendFinishes(std::move(batch));
}

void WorkerPool::SendFinishes(std::vector<Unfinished> batch) {
  std::vector<FinishRequest> requests;
  requests.reserve(batch.size());
  for (const Unfinished& u : batch) requests.push_back(u.request);
  std::vector<StatusOr<JobState>> results = queue_->Finish(requests);
  std::vector<JobId> ended;
  bool refused = false;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!results[i].ok()) {
      const Code code = results[i].status().code();
      // Not recorded because the store is unavailable (disk full, Redis restarting): the job
      // stays held, its lease kept alive by our heartbeats, and the outcome is sent again
      // shortly, for as long as it takes. Dropping it would leave the job running until its
      // lease expired and then run it a second time. Other errors (e.g. Redis still loading its
      // AOF) get a few tries; if they persist the lease is left to expire, as before.
      const bool transient = code == Code::kUnavailable || code == Code::kDeadlineExceeded ||
                             code == Code::kResourceExhausted || code == Code::kStorageFull;
      const bool lease_gone = code == Code::kFailedPrecondition || code == Code::kNotFound;
      if (!lease_gone && (transient || batch[i].refusals < 10)) {
        ++batch[i].refusals;
        unfinished_.push_back(std::move(batch[i]));
        refused = true;
        continue;
      }
      ++lost_;  // the lease was taken back while we ran (the other owner reports), or given up
      ended.push_back(batch[i].request.id);
      continue;
    }
    ended.push_back(batch[i].request.id);
    if (options_.observer != nullptr) {
      options_.observer->OnFinished(batch[i].job, batch[i].status, *results[i]);
    }
    switch (batch[i].request.outcome) {
      case Outcome::kSucceeded:
        ++succeeded_;
        break;
      case Outcome::kFailed:
        ++failed_;
        break;
      case Outcome::kCancelled:
        ++cancelled_;
        break;
      case Outcome::kReleased:
        ++released_;
        break;
    }
  }
  if (refused) {
    // Backoff from 50 ms to 2 s: prompt once the store is back, cheap while it is not.
    finish_retry_delay_ = std::clamp(finish_retry_delay_ * 2, std::chrono::milliseconds(50),
                                     std::chrono::milliseconds(2000));
    next_finish_retry_ = std::chrono::steady_clock::now() + finish_retry_delay_;
  } else if (unfinished_.empty()) {
    finish_retry_delay_ = std::chrono::milliseconds(0);
  }
  {
    std::lock_guard lock(mu_);
    for (JobId id : ended) held_.erase(id);
  }
  work_cv_.notify_all();  // Shutdown waits for held_ to drain
}

void WorkerPool::RetryUnfinished(bool give_up) {
  if (unfinished_.empty()) return;
  if (give_up) {
    // Shutting down and out of time: the lease expires and the job runs again elsewhere
    // (at-least-once), which is better than never exiting while the store is down.
    std::lock_guard lock(mu_);
    for (const Unfinished& u : unfinished_) held_.erase(u.request.id);
    unfinished_.clear();
    work_cv_.notify_all();
    return;
  }
  if (std::chrono::steady_clock::now() < next_finish_retry_) return;
  std::vector<Unfinished> batch;
  batch.swap(unfinished_);
  finish_retries_ += batch.size();
  SendFinishes(std::move(batch));
}

void WorkerPool::HeartbeatHeld() {
  std::vector<JobId> ids;
  {
    std::lock_guard lock(mu_);
    ids.reserve(held_.size());
    for (const auto& [id, held] : held_) ids.push_back(id);
  }
  if (ids.empty()) return;
  StatusOr<HeartbeatResult> hb = queue_->Heartbeat(options_.worker_id, ids, options_.lease);
  if (!hb.ok()) return;  // retried at the next beat; the lease has two more beats of slack
  std::lock_guard lock(mu_);
  for (JobId id : hb->cancel_requested) {
    if (auto it = held_.find(id); it != held_.end()) it->second.cancel->Cancel();
  }
  for (JobId id : hb->lost) {
    if (auto it = held_.find(id); it != held_.end()) {
      it->second.lost_cancel = true;
      it->second.cancel->Cancel();
    }
  }
}

void WorkerPool::ReleasePrefetched() {
  std::vector<FinishRequest> requests;
  {
    std::lock_guard lock(mu_);
    for (const Job& job : inbox_) {
      requests.push_back({job.id, options_.worker_id, Outcome::kReleased, {}});
    }
    inbox_.clear();
  }
  if (requests.empty()) return;
  (void)queue_->Finish(requests);  // a failure leaves the lease to expire: still not lost
  released_ += requests.size();
  {
    std::lock_guard lock(mu_);
    for (const FinishRequest& r : requests) held_.erase(r.id);
  }
  work_cv_.notify_all();
}

void WorkerPool::DispatchLoop() {
  using Clock = std::chrono::steady_clock;
  const auto beat = std::max(options_.lease / 3, std::chrono::milliseconds(10));
  auto next_beat = Clock::now() + beat;
  auto next_reap = Clock::now();
  const size_t capacity = static_cast<size_t>(options_.threads + options_.prefetch);

  for (;;) {
    std::vector<Done> done;
    size_t held_count;
    bool exit;
    Clock::time_point give_up;
    {
      std::lock_guard lock(mu_);
      done.swap(done_);
      held_count = held_.size();
      exit = workers_exit_;
      wakeup_ = false;
      give_up = give_up_finishing_;
    }
    if (exit) return;
    RetryUnfinished(Clock::now() >= give_up);
    FlushFinished(std::move(done));
    const bool stopping = stopping_.load();
    if (stopping) {
      ReleasePrefetched();
      std::lock_guard lock(mu_);
      claims_stopped_ = true;
    }

    const auto now = Clock::now();
    if (now >= next_beat) {
      HeartbeatHeld();
      next_beat = now + beat;
    }
    if (!stopping && now >= next_reap) {
      (void)queue_->ReapExpiredLeases();
      next_reap = now + options_.reap_interval;
    }

    bool more = false;
    {
      std::lock_guard lock(mu_);
      held_count = held_.size();
    }
    if (!stopping && held_count < capacity) {
      ClaimRequest req{options_.worker_id, capacity - held_count, options_.lease, options_.types};
      StatusOr<std::vector<Job>> claimed = queue_->Claim(req);
      if (claimed.ok() && !claimed->empty()) {
        more = claimed->size() == req.max_jobs;
        claimed_ += claimed->size();
        {
          std::lock_guard lock(mu_);
          for (Job& job : *claimed) {
            // A job we still hold came back: its lease was reaped while we ran it (a wall-clock
            // jump makes every lease look expired) and the claim gave it to us again. The run
            // in progress continues under the new lease (same worker id); starting a second
            // one would run the job twice at once.
            if (held_.try_emplace(job.id).second) inbox_.push_back(std::move(job));
          }
        }
        work_cv_.notify_all();
      }
    }

    std::unique_lock lock(mu_);
    if (more && held_.size() < capacity) continue;
    auto wake = std::min(next_beat, Clock::now() + options_.poll_interval);
    if (!unfinished_.empty()) wake = std::min(wake, std::max(next_finish_retry_, Clock::now()));
    dispatch_cv_.wait_until(lock, wake, [&] {
      return workers_exit_ || !done_.empty() || wakeup_ || (stopping_ && !inbox_.empty());
    });
  }
}

}  // namespace scriptgen::jobs
