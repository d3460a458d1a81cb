// Job: the unit of durable work, as every queue backend stores and returns it.
//
// The payload is opaque to the queue (JSON by convention, produced and parsed by the handler of
// the job's type). A job's id is assigned by the backend, is never reused, and is what clients
// see in URLs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jobs/error_class.h"
#include "jobs/job_state.h"

namespace scriptgen::jobs {

using JobId = int64_t;

struct Progress {
  std::string step;     // e.g. "embed"
  int percent = 0;      // 0..100, of the whole job
  std::string message;  // free text for humans
};

struct Job {
  JobId id = 0;
  std::string type;
  std::string payload;
  std::string idempotency_key;  // empty when the job was enqueued without one
  JobState state = JobState::kQueued;
  int attempts = 0;            // runs started so far (a claim starts a run)
  int max_attempts = 0;        // from the RetryPolicy unless the enqueuer set it
  int64_t run_at_ms = 0;       // not claimable before this time (retry backoff)
  int64_t lease_until_ms = 0;  // while running: the worker must heartbeat before this
  std::string worker_id;       // while running: who holds the lease
  bool cancel_requested = false;
  Progress progress;
  std::optional<JobError> last_error;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t finished_ms = 0;  // 0 until terminal
  // Of the request that created the job (W3C trace id, and the caller's X-Request-Id or a
  // generated one), so every log line of its processing, on any worker, can carry them.
  std::string trace_id;
  std::string correlation_id;
};

struct ErrorRecord {
  int attempt = 0;
  JobError error;
  int64_t at_ms = 0;
};

struct EnqueueRequest {
  std::string type;
  std::string payload;
  std::string
      idempotency_key;   // optional: a second enqueue with the same key returns the first job
  int max_attempts = 0;  // 0: the queue's RetryPolicy decides
  std::chrono::milliseconds delay{0};
  std::string trace_id;        // optional, see Job
  std::string correlation_id;  // optional, see Job
};

struct EnqueueResult {
  JobId id = 0;
  bool created = false;  // false when an existing job was returned for the idempotency key
};

struct ClaimRequest {
  std::string worker_id;
  size_t max_jobs = 1;
  std::chrono::milliseconds lease{30000};
  std::vector<std::string> types;  // empty: any type
};

enum class Outcome { kSucceeded, kFailed, kCancelled, kReleased };

// How a worker ends its hold on a job.
struct FinishRequest {
  JobId id = 0;
  std::string worker_id;
  Outcome outcome = Outcome::kSucceeded;
  JobError error;  // for kFailed
};

struct HeartbeatResult {
  std::vector<JobId> cancel_requested;  // still ours, but a user asked to cancel them
  std::vector<JobId> lost;              // no longer ours (lease expired and taken back)
};

struct JobFilter {
  std::optional<JobState> state;
  std::optional<ErrorClass> error_class;  // of the last error
  std::optional<std::string> type;
  JobId after_id = 0;  // cursor: only jobs with a greater id
  size_t limit = 100;
};

struct QueueCounts {
  int64_t by_state[kJobStateCount] = {};
};

}  // namespace scriptgen::jobs
