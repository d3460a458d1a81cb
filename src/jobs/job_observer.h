// JobObserver: how the worker runtime tells the rest of the process what its jobs are doing, for
// metrics and logs (R-O1, R-O2), without the job runtime knowing about either.
//
// The WorkerPool calls, for every attempt of a job:
//   RunAttempt  on the worker thread, wrapping the handler call: set per-thread context here
//               (e.g. the job's trace id for every log line of the attempt) and time it;
//   OnStep      from the StepRunner, after each step that ran (not for skipped ones);
//   OnFinished  once the queue has recorded the attempt's end, with the job's resulting state
//               (succeeded, scheduled for a retry, dead, cancelled, or queued when released).
// Implementations must be thread-safe and fast: they run on worker and dispatcher threads.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "jobs/job.h"
#include "util/status.h"

namespace scriptgen::jobs {

class JobObserver {
 public:
  virtual ~JobObserver() = default;

  // Must call run() exactly once.
  virtual void RunAttempt(const Job& job, const std::function<void()>& run) { (void)job, run(); }
  virtual void OnStep(const Job& job, std::string_view step, std::chrono::nanoseconds elapsed,
                      const Status& status) {
    (void)job, (void)step, (void)elapsed, (void)status;
  }
  // status: what the handler returned.
  virtual void OnFinished(const Job& job, const Status& status, JobState state) {
    (void)job, (void)status, (void)state;
  }
};

}  // namespace scriptgen::jobs
