// Pure decisions shared by every JobQueue backend: given a job's current row and a request, what
// its new state and fields are. Backends only read the row, call one of these, and write the
// result, so the semantics of finish/cancel/reap live in one place and are tested once.
#pragma once

#include <optional>

#include "jobs/job.h"
#include "jobs/retry_policy.h"

namespace scriptgen::jobs {

struct FinishPlan {
  JobState new_state = JobState::kQueued;
  int attempts = 0;               // the attempts column afterwards
  int64_t run_at_ms = 0;          // for scheduled/queued
  std::optional<JobError> error;  // the error to store as last error and append to history
  bool finished = false;          // terminal: set finished_at
};

// FailedPrecondition if the job is not running under request.worker_id (lease lost).
StatusOr<FinishPlan> PlanFinish(const Job& current, const FinishRequest& request,
                                const RetryPolicy& policy, int64_t now_ms, double random01);

struct CancelPlan {
  JobState new_state = JobState::kCancelled;
  bool request_only = false;  // running: only set cancel_requested
  bool no_change = false;     // already cancelled
};
StatusOr<CancelPlan> PlanCancel(const Job& current);

// A running job whose lease expired: back to queued, or dead once it has used all its attempts.
FinishPlan PlanReap(const Job& current, int64_t now_ms);

// DLQ retry: dead -> queued with a fresh attempt budget.
StatusOr<FinishPlan> PlanRetryDead(const Job& current, int64_t now_ms);

}  // namespace scriptgen::jobs
