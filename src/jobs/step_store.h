// StepStore: the durable record of which steps of which unit of work are done (R-Q2).
//
// A step is identified by (key, step): key names the unit of work, e.g. "doc:42" for the ingest of
// document 42, and step its stage, e.g. "chunk". Commit() applies a step's effect and its mark in
// ONE transaction, so after any crash either both exist or neither does; a re-delivered job asks
// IsDone() and skips the step. This is what turns at-least-once delivery into exactly-once effects.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/write_tx.h"
#include "util/status.h"

namespace scriptgen::jobs {

class StepStore {
 public:
  using Effect = std::function<Status(store::WriteTx&)>;

  virtual ~StepStore() = default;
  virtual StatusOr<bool> IsDone(std::string_view key, std::string_view step) = 0;
  // Runs effect (may be empty) and records the mark in one transaction. If the mark already
  // exists, does nothing and returns OK: a concurrent duplicate delivery cannot apply an effect
  // twice. If effect fails, nothing is written and its Status is returned.
  virtual Status Commit(std::string_view key, std::string_view step, Effect effect) = 0;
  virtual StatusOr<std::vector<std::string>> DoneSteps(std::string_view key) = 0;
  // Forgets every mark of key (e.g. when its document is deleted), inside tx.
  virtual Status Clear(store::WriteTx& tx, std::string_view key) = 0;
};

}  // namespace scriptgen::jobs
