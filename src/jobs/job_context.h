// JobContext: what a handler gets besides the job itself: a way to notice cancellation and a way
// to report progress (R-Q6).
//
// Handlers must poll cancelled() between units of work (the StepRunner does it between steps) and
// return a Cancelled status promptly when it is set. Progress() both persists (coalesced) and
// publishes to live watchers.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "jobs/job.h"
#include "jobs/job_observer.h"
#include "util/status.h"

namespace scriptgen::jobs {

class JobQueue;
class ProgressBus;

// Shared between the worker runtime (which sets it when a heartbeat reports a cancel request or
// at shutdown deadline) and the handler (which reads it).
class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

class JobContext {
 public:
  JobContext(const Job& job, std::shared_ptr<CancelToken> cancel, JobQueue* queue, ProgressBus* bus,
             JobObserver* observer = nullptr)
      : job_(job), cancel_(std::move(cancel)), queue_(queue), bus_(bus), observer_(observer) {}

  const Job& job() const { return job_; }
  JobObserver* observer() const { return observer_; }  // may be null
  bool cancelled() const { return cancel_->cancelled(); }
  // Cancelled status to return from the handler, or OK.
  Status CheckCancelled() const;

  // percent is of the whole job, 0..100.
  void ReportProgress(std::string step, int percent, std::string message = {});

 private:
  const Job& job_;
  std::shared_ptr<CancelToken> cancel_;
  JobQueue* queue_;
  ProgressBus* bus_;  // may be null
  JobObserver* observer_;
};

}  // namespace scriptgen::jobs
