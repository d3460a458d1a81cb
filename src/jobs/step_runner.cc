#include "jobs/step_runner.h"

#include <algorithm>
#include <chrono>

namespace scriptgen::jobs {

StepRunner::StepRunner(JobContext& ctx, StepStore& store, std::string key,
                       std::vector<std::string> all_steps)
    : ctx_(ctx), store_(store), key_(std::move(key)), all_steps_(std::move(all_steps)) {}

int StepRunner::PercentAt(const std::string& step, bool done) const {
  auto it = std::find(all_steps_.begin(), all_steps_.end(), step);
  if (it == all_steps_.end() || all_steps_.empty()) return done ? 100 : 0;
  const int index = static_cast<int>(it - all_steps_.begin()) + (done ? 1 : 0);
  return index * 100 / static_cast<int>(all_steps_.size());
}

Status StepRunner::Run(const std::string& step, const Work& work) {
  SG_RETURN_IF_ERROR(ctx_.CheckCancelled());
  StatusOr<bool> done = store_.IsDone(key_, step);
  if (!done.ok()) return done.status();
  if (*done) {
    ++steps_skipped_;
    ctx_.ReportProgress(step, PercentAt(step, true), "already done");
    return Status::Ok();
  }
  ctx_.ReportProgress(step, PercentAt(step, false), "started");
  const auto start = std::chrono::steady_clock::now();
  Status s = RunAndCommit(step, work);
  if (JobObserver* observer = ctx_.observer(); observer != nullptr) {
    observer->OnStep(ctx_.job(), step, std::chrono::steady_clock::now() - start, s);
  }
  SG_RETURN_IF_ERROR(s);
  ++steps_run_;
  ctx_.ReportProgress(step, PercentAt(step, true), "done");
  return Status::Ok();
}

Status StepRunner::RunAndCommit(const std::string& step, const Work& work) {
  StatusOr<StepStore::Effect> effect = work();
  if (!effect.ok()) return effect.status();
  // A cancel that arrived during the work wins: the effect is not stored.
  SG_RETURN_IF_ERROR(ctx_.CheckCancelled());
  return store_.Commit(key_, step, std::move(*effect));
}

}  // namespace scriptgen::jobs
