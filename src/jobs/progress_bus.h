// ProgressBus: live job events (progress and state changes) for whoever is watching (R-Q6),
// e.g. the SSE endpoint.
//
// Events of one job carry increasing sequence numbers, so a client that reconnects with the last
// id it saw gets exactly the events after it (resume). The bus keeps a short history per job
// (bounded, and dropped some time after the job ended); a subscriber that asks for events older
// than the history gets the latest state snapshot instead, which is always enough to continue.
//
// Callbacks run on the publisher's thread and must be quick and must not call back into the bus
// (hand the event to your own queue). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "jobs/job.h"

namespace scriptgen::jobs {

struct JobEvent {
  enum class Kind { kProgress, kState };
  JobId job_id = 0;
  uint64_t seq = 0;  // per job, starts at 1
  Kind kind = Kind::kState;
  JobState state = JobState::kQueued;  // state at the time of the event
  Progress progress;                   // for kProgress
  std::string error;                   // for kState into scheduled/dead: the last error message
  int64_t at_ms = 0;
};

class ProgressBus {
 public:
  class Subscription {
   public:
    virtual ~Subscription() = default;  // unsubscribes
  };
  using Callback = std::function<void(const JobEvent&)>;

  virtual ~ProgressBus() = default;

  // Assigns the next sequence number for the job and delivers the event to its subscribers.
  virtual void Publish(JobEvent event) = 0;

  // Delivers (synchronously, before returning) the retained events with seq > after_seq, then
  // every new one until the Subscription is destroyed.
  virtual std::unique_ptr<Subscription> Subscribe(JobId id, uint64_t after_seq,
                                                  Callback callback) = 0;
};

}  // namespace scriptgen::jobs
