// SqliteStepStore: step marks (jobs/step_store.h) in the `step_marks` table of the shared
// Database. Commit() runs the effect and inserts the mark in the same writer transaction.
#pragma once

#include "backends/sqlite/database.h"
#include "jobs/step_store.h"
#include "util/clock.h"

namespace scriptgen::sqlite {

class SqliteStepStore final : public jobs::StepStore {
 public:
  explicit SqliteStepStore(Database* db, const Clock* clock = SystemClock::Get())
      : db_(db), clock_(clock) {}

  StatusOr<bool> IsDone(std::string_view key, std::string_view step) override;
  Status Commit(std::string_view key, std::string_view step, Effect effect) override;
  StatusOr<std::vector<std::string>> DoneSteps(std::string_view key) override;
  Status Clear(store::WriteTx& tx, std::string_view key) override;

 private:
  Database* const db_;
  const Clock* const clock_;
};

}  // namespace scriptgen::sqlite
