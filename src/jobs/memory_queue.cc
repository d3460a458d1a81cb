// One mutex around plain containers: this backend favours obviousness over throughput (it is
// still far faster than any durable backend, having no I/O). Events are published while the lock
// is held so that a job's state events reach the bus in the order the states happened.
#include "jobs/memory_queue.h"

#include <algorithm>
#include <random>

#include "jobs/progress_bus.h"
#include "jobs/transitions.h"

namespace scriptgen::jobs {
namespace {

double Random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Status NoSuchJob(JobId id) {
  return NotFound("job " + std::to_string(id) + " does not exist");
}

}  // namespace

MemoryQueue::MemoryQueue(RetryPolicy policy, ProgressBus* bus, const Clock* clock,
                         size_t max_finished)
    : policy_(std::move(policy)), bus_(bus), clock_(clock), max_finished_(max_finished) {}

void MemoryQueue::SetWorkAvailableCallback(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  on_work_ = std::move(callback);
}

void MemoryQueue::NotifyWork() {
  std::function<void()> cb;
  {
    std::lock_guard lock(mu_);
    cb = on_work_;
  }
  if (cb) cb();
}

void MemoryQueue::SetStateLocked(Job& job, JobState to, int64_t now) {
  switch (job.state) {
    case JobState::kQueued:
      ready_.erase(job.id);
      break;
    case JobState::kScheduled:
      for (auto [it, end] = scheduled_.equal_range(job.run_at_ms); it != end; ++it) {
        if (it->second == job.id) {
          scheduled_.erase(it);
          break;
        }
      }
      break;
    default:
      break;
  }
  job.state = to;
  job.updated_ms = now;
  switch (to) {
    case JobState::kQueued:
      ready_.insert(job.id);
      break;
    case JobState::kScheduled:
      scheduled_.emplace(job.run_at_ms, job.id);
      break;
    default:
      break;
  }
  if (IsTerminal(to)) {
    job.finished_ms = now;
    finished_.insert(job.id);
    while (finished_.size() > max_finished_) {
      const JobId old = *finished_.begin();
      finished_.erase(finished_.begin());
      if (auto it = jobs_.find(old); it != jobs_.end()) {
        if (!it->second.idempotency_key.empty()) by_key_.erase(it->second.idempotency_key);
        jobs_.erase(it);
      }
      errors_.erase(old);
    }
  } else {
    finished_.erase(job.id);
    job.finished_ms = 0;
  }
  PublishLocked(job.id, to, job.last_error ? job.last_error->message : std::string());
}

void MemoryQueue::PublishLocked(JobId id, JobState state, std::string error) {
  if (bus_ == nullptr) return;
  JobEvent e;
  e.job_id = id;
  e.kind = JobEvent::Kind::kState;
  e.state = state;
  e.error = std::move(error);
  bus_->Publish(std::move(e));
}

EnqueueResult MemoryQueue::EnqueueLocked(const EnqueueRequest& request, int64_t now,
                                         bool claimable) {
  if (!request.idempotency_key.empty()) {
    if (auto it = by_key_.find(request.idempotency_key); it != by_key_.end()) {
      return {it->second, false};
    }
  }
  Job job;
  job.id = next_id_++;
  job.type = request.type;
  job.payload = request.payload;
  job.idempotency_key = request.idempotency_key;
  job.trace_id = request.trace_id;
  job.correlation_id = request.correlation_id;
  job.max_attempts =
      request.max_attempts > 0 ? request.max_attempts : policy_.options().max_attempts;
  job.created_ms = job.updated_ms = now;
  job.run_at_ms = now + request.delay.count();
  job.state = request.delay.count() > 0 ? JobState::kScheduled : JobState::kQueued;
  if (!claimable) {
    // Made claimable by EnqueueInTx's after-commit hook.
  } else if (job.state == JobState::kQueued) {
    ready_.insert(job.id);
  } else {
    scheduled_.emplace(job.run_at_ms, job.id);
  }
  if (!job.idempotency_key.empty()) by_key_[job.idempotency_key] = job.id;
  const JobId id = job.id;
  const JobState state = job.state;
  jobs_.emplace(id, std::move(job));
  PublishLocked(id, state, {});
  return {id, true};
}

StatusOr<EnqueueResult> MemoryQueue::Enqueue(const EnqueueRequest& request) {
  StatusOr<std::vector<EnqueueResult>> r = EnqueueBatch(std::span(&request, 1));
  if (!r.ok()) return r.status();
  return r->front();
}

StatusOr<EnqueueResult> MemoryQueue::EnqueueInTx(store::WriteTx& tx,
                                                 const EnqueueRequest& request) {
  if (request.type.empty()) return InvalidArgument("job type must not be empty");
  if (request.delay.count() < 0) return InvalidArgument("delay must not be negative");
  EnqueueResult result;
  {
    std::lock_guard lock(mu_);
    result = EnqueueLocked(request, clock_->NowMs(), /*claimable=*/false);
  }
  if (result.created) {
    tx.AfterCommit([this, id = result.id] {
      {
        std::lock_guard lock(mu_);
        auto it = jobs_.find(id);
        if (it == jobs_.end()) return;
        if (it->second.state == JobState::kQueued) ready_.insert(id);
        if (it->second.state == JobState::kScheduled) scheduled_.emplace(it->second.run_at_ms, id);
      }
      NotifyWork();
    });
  }
  return result;
}

StatusOr<std::vector<EnqueueResult>> MemoryQueue::EnqueueBatch(
    std::span<const EnqueueRequest> requests) {
  for (const EnqueueRequest& r : requests) {
    if (r.type.empty()) return InvalidArgument("job type must not be empty");
    if (r.delay.count() < 0) return InvalidArgument("delay must not be negative");
  }
  std::vector<EnqueueResult> out;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMs();
    for (const EnqueueRequest& r : requests) out.push_back(EnqueueLocked(r, now));
  }
  NotifyWork();
  return out;
}

StatusOr<std::vector<Job>> MemoryQueue::Claim(const ClaimRequest& request) {
  if (request.worker_id.empty()) return InvalidArgument("claim needs a worker id");
  std::lock_guard lock(mu_);
  const int64_t now = clock_->NowMs();
  // Promote due retries first so they are claimed in id order with the rest.
  while (!scheduled_.empty() && scheduled_.begin()->first <= now) {
    SetStateLocked(jobs_.at(scheduled_.begin()->second), JobState::kQueued, now);
  }
  std::vector<Job> out;
  for (auto it = ready_.begin(); it != ready_.end() && out.size() < request.max_jobs;) {
    Job& job = jobs_.at(*it++);
    if (!request.types.empty() &&
        std::find(request.types.begin(), request.types.end(), job.type) == request.types.end()) {
      continue;
    }
    job.attempts++;
    job.worker_id = request.worker_id;
    job.lease_until_ms = now + request.lease.count();
    SetStateLocked(job, JobState::kRunning, now);
    out.push_back(job);
  }
  return out;
}

StatusOr<HeartbeatResult> MemoryQueue::Heartbeat(const std::string& worker_id,
                                                 std::span<const JobId> ids,
                                                 std::chrono::milliseconds lease) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_->NowMs();
  HeartbeatResult result;
  for (JobId id : ids) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.state != JobState::kRunning ||
        it->second.worker_id != worker_id) {
      result.lost.push_back(id);
      continue;
    }
    it->second.lease_until_ms = now + lease.count();
    if (it->second.cancel_requested) result.cancel_requested.push_back(id);
  }
  return result;
}

void MemoryQueue::ApplyPlanLocked(Job& job, const FinishPlan& plan, int64_t now) {
  job.attempts = plan.attempts;
  if (plan.new_state == JobState::kQueued || plan.new_state == JobState::kScheduled) {
    job.run_at_ms = plan.run_at_ms;
  }
  if (plan.error) {
    job.last_error = plan.error;
    errors_[job.id].push_back({job.attempts, *plan.error, now});
  }
  job.worker_id.clear();
  job.lease_until_ms = 0;
  if (plan.new_state != JobState::kRunning) job.cancel_requested = false;
  SetStateLocked(job, plan.new_state, now);
}

std::vector<StatusOr<JobState>> MemoryQueue::Finish(std::span<const FinishRequest> requests) {
  std::vector<StatusOr<JobState>> out;
  bool requeued = false;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMs();
    for (const FinishRequest& r : requests) {
      auto it = jobs_.find(r.id);
      if (it == jobs_.end()) {
        out.emplace_back(NoSuchJob(r.id));
        continue;
      }
      StatusOr<FinishPlan> plan = PlanFinish(it->second, r, policy_, now, Random01());
      if (!plan.ok()) {
        out.emplace_back(plan.status());
        continue;
      }
      ApplyPlanLocked(it->second, *plan, now);
      requeued |= plan->new_state == JobState::kQueued;
      out.emplace_back(plan->new_state);
    }
  }
  if (requeued) NotifyWork();
  return out;
}

void MemoryQueue::RecordProgress(JobId id, const Progress& progress) {
  std::lock_guard lock(mu_);
  if (auto it = jobs_.find(id); it != jobs_.end() && it->second.state == JobState::kRunning) {
    it->second.progress = progress;
  }
}

StatusOr<JobState> MemoryQueue::Cancel(JobId id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NoSuchJob(id);
  Job& job = it->second;
  StatusOr<CancelPlan> plan = PlanCancel(job);
  if (!plan.ok()) return plan.status();
  if (plan->request_only) {
    job.cancel_requested = true;
  } else if (!plan->no_change) {
    SetStateLocked(job, JobState::kCancelled, clock_->NowMs());
  }
  return job.state;
}

StatusOr<int> MemoryQueue::ReapExpiredLeases() {
  int reaped = 0;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMs();
    for (auto& [id, job] : jobs_) {
      if (job.state != JobState::kRunning || job.lease_until_ms >= now) continue;
      ApplyPlanLocked(job, PlanReap(job, now), now);
      ++reaped;
    }
  }
  if (reaped > 0) NotifyWork();
  return reaped;
}

StatusOr<Job> MemoryQueue::Get(JobId id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NoSuchJob(id);
  return it->second;
}

StatusOr<std::vector<Job>> MemoryQueue::List(const JobFilter& filter) {
  std::lock_guard lock(mu_);
  std::vector<Job> out;
  for (auto it = jobs_.upper_bound(filter.after_id); it != jobs_.end() && out.size() < filter.limit;
       ++it) {
    const Job& job = it->second;
    if (filter.state && job.state != *filter.state) continue;
    if (filter.type && job.type != *filter.type) continue;
    if (filter.error_class &&
        (!job.last_error || job.last_error->error_class != *filter.error_class))
      continue;
    out.push_back(job);
  }
  return out;
}

StatusOr<QueueCounts> MemoryQueue::Counts() {
  std::lock_guard lock(mu_);
  QueueCounts counts;
  for (const auto& [id, job] : jobs_) counts.by_state[static_cast<int>(job.state)]++;
  return counts;
}

StatusOr<std::vector<ErrorRecord>> MemoryQueue::ErrorHistory(JobId id) {
  std::lock_guard lock(mu_);
  if (!jobs_.contains(id)) return NoSuchJob(id);
  auto it = errors_.find(id);
  return it == errors_.end() ? std::vector<ErrorRecord>{} : it->second;
}

Status MemoryQueue::RetryDead(JobId id) {
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return NoSuchJob(id);
    const int64_t now = clock_->NowMs();
    StatusOr<FinishPlan> plan = PlanRetryDead(it->second, now);
    if (!plan.ok()) return plan.status();
    ApplyPlanLocked(it->second, *plan, now);
  }
  NotifyWork();
  return Status::Ok();
}

StatusOr<int> MemoryQueue::RetryDeadByClass(ErrorClass c) {
  int n = 0;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMs();
    for (auto& [id, job] : jobs_) {
      if (job.state != JobState::kDead || !job.last_error || job.last_error->error_class != c)
        continue;
      StatusOr<FinishPlan> plan = PlanRetryDead(job, now);
      if (!plan.ok()) return plan.status();
      ApplyPlanLocked(job, *plan, now);
      ++n;
    }
  }
  if (n > 0) NotifyWork();
  return n;
}

Status MemoryQueue::PurgeDead(JobId id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NoSuchJob(id);
  if (it->second.state != JobState::kDead) {
    return FailedPrecondition("job " + std::to_string(id) + " is not dead-lettered");
  }
  if (!it->second.idempotency_key.empty()) by_key_.erase(it->second.idempotency_key);
  finished_.erase(id);
  errors_.erase(id);
  jobs_.erase(it);
  return Status::Ok();
}

StatusOr<int> MemoryQueue::PurgeDeadByClass(std::optional<ErrorClass> c) {
  std::vector<JobId> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, job] : jobs_) {
      if (job.state != JobState::kDead) continue;
      if (c && (!job.last_error || job.last_error->error_class != *c)) continue;
      ids.push_back(id);
    }
  }
  for (JobId id : ids) SG_RETURN_IF_ERROR(PurgeDead(id));
  return static_cast<int>(ids.size());
}

}  // namespace scriptgen::jobs
