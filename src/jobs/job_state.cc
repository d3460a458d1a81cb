// The transition table is a constexpr matrix rather than a switch so that it reads as one table
// and can be enumerated by tests and by SQL builders.
#include "jobs/job_state.h"

#include <string>

namespace scriptgen::jobs {
namespace {

using S = JobState;
constexpr int I(S s) {
  return static_cast<int>(s);
}

struct Table {
  bool legal[kJobStateCount][kJobStateCount] = {};
  constexpr void Allow(S from, S to) { legal[I(from)][I(to)] = true; }
};

constexpr Table MakeTable() {
  Table t;
  t.Allow(S::kQueued, S::kRunning);       // claimed
  t.Allow(S::kQueued, S::kCancelled);     // cancelled before it ran
  t.Allow(S::kScheduled, S::kQueued);     // retry time came
  t.Allow(S::kScheduled, S::kCancelled);  // cancelled while waiting to retry
  t.Allow(S::kRunning, S::kSucceeded);    // handler returned OK
  t.Allow(S::kRunning, S::kScheduled);    // retryable failure, attempts left
  t.Allow(S::kRunning, S::kDead);         // permanent failure or attempts exhausted
  t.Allow(S::kRunning, S::kCancelled);    // handler observed a cancel request
  t.Allow(S::kRunning, S::kQueued);       // lease expired (crash) or released at shutdown
  t.Allow(S::kDead, S::kQueued);          // DLQ retry
  return t;
}
constexpr Table kTable = MakeTable();

constexpr std::array<std::string_view, kJobStateCount> kNames = {
    "queued", "scheduled", "running", "succeeded", "dead", "cancelled"};

}  // namespace

std::string_view StateName(JobState state) {
  return kNames.at(I(state));
}

std::optional<JobState> ParseState(std::string_view name) {
  for (int i = 0; i < kJobStateCount; ++i) {
    if (kNames[i] == name) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

bool IsTerminal(JobState state) {
  return state == S::kSucceeded || state == S::kDead || state == S::kCancelled;
}

bool IsLegalTransition(JobState from, JobState to) {
  const int f = I(from), t = I(to);
  if (f < 0 || f >= kJobStateCount || t < 0 || t >= kJobStateCount) return false;
  return kTable.legal[f][t];
}

Status CheckTransition(JobState from, JobState to) {
  if (IsLegalTransition(from, to)) return Status::Ok();
  return FailedPrecondition("illegal job state transition " + std::string(StateName(from)) +
                            " -> " + std::string(StateName(to)));
}

std::array<bool, kJobStateCount> StatesThatMayBecome(JobState to) {
  std::array<bool, kJobStateCount> out{};
  for (int f = 0; f < kJobStateCount; ++f) out[f] = kTable.legal[f][I(to)];
  return out;
}

}  // namespace scriptgen::jobs
