// JobTelemetry: the JobObserver that turns the worker runtime's reports into Prometheus metrics
// and JSON log lines (R-O1..R-O3).
//
// Every log line of a job attempt carries the job's public id ("job_42") and the trace and
// correlation ids of the request that created the job (stored with the job), whichever worker
// thread or process runs it: RunAttempt installs them as the thread's log context for the whole
// attempt. Log lines hold ids, types, durations and error classes only: never document content,
// file names or error messages (which may quote user input).
#pragma once

#include "jobs/job_observer.h"
#include "obs/logger.h"
#include "obs/service_metrics.h"

namespace scriptgen::app {

class JobTelemetry final : public jobs::JobObserver {
 public:
  JobTelemetry(obs::ServiceMetrics* metrics, obs::Logger* log) : metrics_(metrics), log_(log) {}

  void RunAttempt(const jobs::Job& job, const std::function<void()>& run) override;
  void OnStep(const jobs::Job& job, std::string_view step, std::chrono::nanoseconds elapsed,
              const Status& status) override;
  void OnFinished(const jobs::Job& job, const Status& status, jobs::JobState state) override;

  // The log context of a job: its public id and the ids of the request that created it.
  static obs::LogContext ContextOf(const jobs::Job& job);

 private:
  obs::ServiceMetrics* const metrics_;
  obs::Logger* const log_;
};

}  // namespace scriptgen::app
