#include "app/job_telemetry.h"

#include "jobs/error_class.h"
#include "jobs/job_state.h"
#include "util/clock.h"

namespace scriptgen::app {
namespace {

double Seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

obs::LogContext JobTelemetry::ContextOf(const jobs::Job& job) {
  obs::LogContext ctx;
  ctx.job_id = "job_" + std::to_string(job.id);
  ctx.trace_id = job.trace_id;
  ctx.correlation_id = job.correlation_id;
  return ctx;
}

void JobTelemetry::RunAttempt(const jobs::Job& job, const std::function<void()>& run) {
  obs::ScopedLogContext scope(ContextOf(job), obs::ScopedLogContext::Mode::kReplace);
  metrics_->worker_jobs_total.WithLabels({job.type, "running"}).Inc();
  metrics_->worker_threads_busy.Add(1);
  log_->Info("job attempt started", {{"type", job.type}, {"attempt", job.attempts}});
  const auto start = std::chrono::steady_clock::now();
  run();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  metrics_->worker_threads_busy.Add(-1);
  metrics_->worker_processing_duration_seconds.WithLabels({job.type, "job"})
      .Observe(Seconds(elapsed));
}

void JobTelemetry::OnStep(const jobs::Job& job, std::string_view step,
                          std::chrono::nanoseconds elapsed, const Status& status) {
  metrics_->worker_processing_duration_seconds.WithLabels({job.type, step})
      .Observe(Seconds(elapsed));
  const double ms = Seconds(elapsed) * 1000;
  if (status.ok()) {
    log_->Info("step done", {{"step", step}, {"duration_ms", ms}});
  } else {
    log_->Warn("step failed",
               {{"step", step},
                {"duration_ms", ms},
                {"error_class", jobs::ErrorClassName(jobs::JobError::From(status).error_class)}});
  }
}

void JobTelemetry::OnFinished(const jobs::Job& job, const Status& status, jobs::JobState state) {
  obs::ScopedLogContext scope(ContextOf(job), obs::ScopedLogContext::Mode::kReplace);
  const std::string_view state_name = jobs::StateName(state);
  metrics_->worker_jobs_total.WithLabels({job.type, state_name}).Inc();
  if (state == jobs::JobState::kSucceeded) {
    const double age_s = static_cast<double>(SystemClock::Get()->NowMs() - job.created_ms) / 1000.0;
    metrics_->job_end_to_end_duration_seconds.WithLabels({job.type}).Observe(age_s);
    log_->Info("job succeeded", {{"type", job.type}, {"attempt", job.attempts}});
    return;
  }
  const std::string_view error_class =
      status.ok() ? std::string_view("none")
                  : jobs::ErrorClassName(jobs::JobError::From(status).error_class);
  if (state == jobs::JobState::kDead) {
    metrics_->dlq_jobs_total.WithLabels({error_class}).Inc();
    log_->Error("job dead-lettered",
                {{"type", job.type}, {"attempt", job.attempts}, {"error_class", error_class}});
  } else {
    log_->Info("job attempt ended", {{"type", job.type},
                                     {"attempt", job.attempts},
                                     {"state", state_name},
                                     {"error_class", error_class}});
  }
}

}  // namespace scriptgen::app
