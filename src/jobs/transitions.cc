#include "jobs/transitions.h"

#include <string>

namespace scriptgen::jobs {
namespace {

Status LeaseLost(const Job& job, const std::string& worker) {
  return FailedPrecondition("job " + std::to_string(job.id) + " is not held by worker '" + worker +
                            "' (state " + std::string(StateName(job.state)) + ")");
}

}  // namespace

StatusOr<FinishPlan> PlanFinish(const Job& current, const FinishRequest& request,
                                const RetryPolicy& policy, int64_t now_ms, double random01) {
  if (current.state != JobState::kRunning || current.worker_id != request.worker_id) {
    return LeaseLost(current, request.worker_id);
  }
  FinishPlan plan;
  plan.attempts = current.attempts;
  switch (request.outcome) {
    case Outcome::kSucceeded:
      plan.new_state = JobState::kSucceeded;
      break;
    case Outcome::kCancelled:
      plan.new_state = JobState::kCancelled;
      break;
    case Outcome::kReleased:
      // Released at shutdown: the run did not fail, so it does not use up an attempt.
      plan.new_state = JobState::kQueued;
      plan.attempts = std::max(0, current.attempts - 1);
      plan.run_at_ms = now_ms;
      break;
    case Outcome::kFailed: {
      plan.error = request.error;
      const int max_attempts =
          current.max_attempts > 0 ? current.max_attempts : policy.options().max_attempts;
      RetryPolicyOptions o = policy.options();
      o.max_attempts = max_attempts;
      const RetryDecision d =
          RetryPolicy(o).Decide(current.attempts, request.error.error_class, random01);
      if (d.retry) {
        plan.new_state = JobState::kScheduled;
        plan.run_at_ms = now_ms + d.delay.count();
      } else {
        plan.new_state = JobState::kDead;
      }
      break;
    }
  }
  SG_RETURN_IF_ERROR(CheckTransition(current.state, plan.new_state));
  plan.finished = IsTerminal(plan.new_state);
  return plan;
}

StatusOr<CancelPlan> PlanCancel(const Job& current) {
  CancelPlan plan;
  switch (current.state) {
    case JobState::kCancelled:
      plan.no_change = true;
      return plan;
    case JobState::kRunning:
      plan.request_only = true;
      plan.new_state = JobState::kRunning;
      return plan;
    default:
      SG_RETURN_IF_ERROR(CheckTransition(current.state, JobState::kCancelled));
      return plan;
  }
}

FinishPlan PlanReap(const Job& current, int64_t now_ms) {
  FinishPlan plan;
  plan.attempts = current.attempts;
  if (current.max_attempts > 0 && current.attempts >= current.max_attempts) {
    plan.new_state = JobState::kDead;
    plan.finished = true;
    plan.error = JobError{ErrorClass::kTimeout,
                          "lease expired on every one of " + std::to_string(current.attempts) +
                              " attempts (the worker died or hung each time)"};
  } else {
    plan.new_state = JobState::kQueued;
    plan.run_at_ms = now_ms;
  }
  return plan;
}

StatusOr<FinishPlan> PlanRetryDead(const Job& current, int64_t now_ms) {
  SG_RETURN_IF_ERROR(CheckTransition(current.state, JobState::kQueued));
  if (current.state != JobState::kDead) {
    return FailedPrecondition("job " + std::to_string(current.id) + " is not dead-lettered");
  }
  FinishPlan plan;
  plan.new_state = JobState::kQueued;
  plan.attempts = 0;
  plan.run_at_ms = now_ms;
  return plan;
}

}  // namespace scriptgen::jobs
