// StepRunner: runs the named steps of one job, skipping those already done (R-Q2), checking for
// cancellation between steps and reporting progress (R-Q6).
//
// Each step has two parts: `work`, which computes (slow, outside any transaction, may be repeated
// after a crash), and the Effect it returns, which stores the result in the same transaction as
// the step mark (fast, exactly once).
//
//   StepRunner steps(ctx, step_store, "doc:" + id, {"extract", "chunk", "embed"});
//   SG_RETURN_IF_ERROR(steps.Run("extract", [&]() -> StatusOr<StepStore::Effect> {
//     std::string text = Extract(path);
//     return StepStore::Effect([&, text](store::WriteTx& tx) { return docs.PutText(tx, id, text);
//     });
//   }));
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "jobs/job_context.h"
#include "jobs/step_store.h"

namespace scriptgen::jobs {

class StepRunner {
 public:
  using Work = std::function<StatusOr<StepStore::Effect>()>;

  // all_steps: the job's steps in order, used to turn "step i of n" into a percentage.
  StepRunner(JobContext& ctx, StepStore& store, std::string key,
             std::vector<std::string> all_steps);

  // OK if the step ran now or had run before. Cancelled if the job was cancelled before it.
  Status Run(const std::string& step, const Work& work);

  int steps_run() const { return steps_run_; }
  int steps_skipped() const { return steps_skipped_; }

 private:
  int PercentAt(const std::string& step, bool done) const;
  Status RunAndCommit(const std::string& step, const Work& work);

  JobContext& ctx_;
  StepStore& store_;
  std::string key_;
  std::vector<std::string> all_steps_;
  int steps_run_ = 0;
  int steps_skipped_ = 0;
};

}  // namespace scriptgen::jobs
