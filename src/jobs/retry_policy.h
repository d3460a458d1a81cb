// RetryPolicy: when a failed job runs again, or that it never does (R-Q3).
//
// The one owner of the backoff schedule. Default: retry after 1 s, 5 s, 25 s, 125 s (each
// multiplied by a random factor in [1-jitter, 1+jitter] so a burst of failures does not come
// back as a burst), at most 5 attempts in all, then dead-letter. Permanent error classes are
// dead-lettered at once whatever the attempt count.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "jobs/error_class.h"

namespace scriptgen::jobs {

struct RetryPolicyOptions {
  std::vector<std::chrono::milliseconds> delays = {std::chrono::seconds(1), std::chrono::seconds(5),
                                                   std::chrono::seconds(25),
                                                   std::chrono::seconds(125)};
  double jitter = 0.2;   // fraction; 0 disables
  int max_attempts = 5;  // attempts in all, the first run included
};

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};  // only meaningful when retry
};

class RetryPolicy {
 public:
  RetryPolicy() = default;
  explicit RetryPolicy(RetryPolicyOptions options);

  // attempts: how many runs have happened, including the one that just failed (>= 1).
  // random01: a uniform number in [0,1) for the jitter (injected so tests are deterministic).
  RetryDecision Decide(int attempts, ErrorClass error_class, double random01) const;

  // Same as Decide with a thread-local random source.
  RetryDecision Decide(int attempts, ErrorClass error_class) const;

  const RetryPolicyOptions& options() const { return options_; }

 private:
  RetryPolicyOptions options_;
};

}  // namespace scriptgen::jobs
