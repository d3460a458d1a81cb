// The error taxonomy of failed jobs (R-Q4) and what an operator should do about each class.
//
// A handler that fails returns a JobError: a class plus a message. The class alone decides
// whether the queue retries (transient classes) or dead-letters at once (permanent classes), and
// the dead-letter view shows the class's recommendation next to the error history.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace scriptgen::jobs {

enum class ErrorClass : int {
  kBadInput = 0,             // malformed or policy-violating content: permanent
  kUnsupportedType = 1,      // a file type we cannot process: permanent
  kRateLimited = 2,          // provider said 429: transient
  kProviderUnavailable = 3,  // provider/network/5xx/I-O trouble: transient
  kTimeout = 4,              // step or lease timed out: transient
  kInternal = 5,             // a bug: permanent (retrying a bug rarely helps; fix and retry DLQ)
  kCancelled = 6,            // not an error: cooperative cancellation
  kStorageFull = 7,          // the data directory's disk (or quota) is full: transient
};
inline constexpr int kErrorClassCount = 8;

std::string_view ErrorClassName(ErrorClass c);
std::optional<ErrorClass> ParseErrorClass(std::string_view name);
bool IsRetryable(ErrorClass c);
// One sentence an operator can act on, shown with every dead job of the class.
std::string_view Recommendation(ErrorClass c);

// Maps a Status from a library call to the class a job failure should carry.
ErrorClass ClassifyStatus(const Status& status);

struct JobError {
  ErrorClass error_class = ErrorClass::kInternal;
  std::string message;

  static JobError From(const Status& status) { return {ClassifyStatus(status), status.message()}; }
};

}  // namespace scriptgen::jobs
