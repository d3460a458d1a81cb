#include "jobs/retry_policy.h"

#include <algorithm>
#include <random>

namespace scriptgen::jobs {

RetryPolicy::RetryPolicy(RetryPolicyOptions options) : options_(std::move(options)) {
  options_.max_attempts = std::max(1, options_.max_attempts);
  options_.jitter = std::clamp(options_.jitter, 0.0, 1.0);
}

RetryDecision RetryPolicy::Decide(int attempts, ErrorClass error_class, double random01) const {
  if (!IsRetryable(error_class) || attempts >= options_.max_attempts || options_.delays.empty()) {
    return {};
  }
  // The n-th retry uses delays[n-1]; past the end of the list the last delay repeats.
  const size_t index = std::min<size_t>(std::max(attempts, 1) - 1, options_.delays.size() - 1);
  const double base = static_cast<double>(options_.delays[index].count());
  const double factor = 1.0 + options_.jitter * (2.0 * random01 - 1.0);
  return {true, std::chrono::milliseconds(static_cast<int64_t>(base * factor))};
}

RetryDecision RetryPolicy::Decide(int attempts, ErrorClass error_class) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return Decide(attempts, error_class, dist(rng));
}

}  // namespace scriptgen::jobs
