// ReadJobSubject: reads the record a job works on (its document, its erase request), allowing for
// a queue that lives outside the store.
//
// A handler first loads its subject, created in the same store transaction that enqueued the job.
// With the embedded queue the job cannot be claimed before that transaction commits. With Redis
// it can: the job is in Redis at once while the store commit is still in flight, so a fast worker
// may look for the subject a few milliseconds too early. On a job's first attempt, NotFound is
// therefore retried for a short grace period before it is believed (the subject was deleted, or
// the upload's transaction rolled back).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "jobs/job_context.h"
#include "util/status.h"

namespace scriptgen::jobs {

template <typename T>
StatusOr<T> ReadJobSubject(const JobContext& ctx, const std::function<StatusOr<T>()>& read,
                           std::chrono::milliseconds grace = std::chrono::seconds(2)) {
  StatusOr<T> r = read();
  if (ctx.job().attempts > 1) return r;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!r.ok() && r.status().code() == Code::kNotFound &&
         std::chrono::steady_clock::now() < deadline && !ctx.cancelled()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r = read();
  }
  return r;
}

}  // namespace scriptgen::jobs
