// The job state machine (R-Q5): the states a job can be in and the only legal moves between them.
//
// This file is the single owner of that knowledge. Every backend asks CheckTransition() before it
// writes a new state, and set-based updates (claim, reap) build their WHERE clauses from
// StatesThatMayBecome(), so a transition that is not in the table below cannot happen anywhere.
//
//   queued ──claim──> running ──complete──> succeeded
//     ^  \               │ \──fail (retryable)──> scheduled ──due──> queued
//     │   \cancel        │ \──fail (permanent or last attempt)──> dead ──dlq retry──> queued
//     │    v             │ \──cancel (cooperative)──> cancelled
//     │  cancelled       └──lease expired / released──> queued
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "util/status.h"

namespace scriptgen::jobs {

enum class JobState : int {
  kQueued = 0,     // waiting to be claimed
  kScheduled = 1,  // waiting for its retry time (run_at) to come
  kRunning = 2,    // claimed by a worker holding a lease
  kSucceeded = 3,  // terminal
  kDead = 4,       // dead-lettered; leaves only by an explicit DLQ retry
  kCancelled = 5,  // terminal
};
inline constexpr int kJobStateCount = 6;

std::string_view StateName(JobState state);
std::optional<JobState> ParseState(std::string_view name);

// True for succeeded, dead and cancelled: no worker will touch the job again by itself.
bool IsTerminal(JobState state);

bool IsLegalTransition(JobState from, JobState to);

// OK, or FailedPrecondition naming both states. The one check every state write goes through.
Status CheckTransition(JobState from, JobState to);

// All states from which `to` may be entered, e.g. for `WHERE state IN (...)`.
std::array<bool, kJobStateCount> StatesThatMayBecome(JobState to);

}  // namespace scriptgen::jobs
