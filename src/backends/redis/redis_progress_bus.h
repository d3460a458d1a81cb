// RedisProgressBus: a ProgressBus shared by every process on one Redis, so an SSE client on any
// API node sees the progress of a job running on any worker (R-Q6).
//
//   auto pool = std::make_shared<redis::RedisPool>(endpoint);
//   redis::RedisProgressBus bus(pool);            // pass &bus to the queue and the WorkerPool
//   auto sub = bus.Subscribe(job_id, last_seen_seq, [&](const jobs::JobEvent& e) { ... });
//
// Same seq/resume semantics as MemoryProgressBus, with the state kept in Redis: each job's
// sequence number is assigned by Redis (so seqs are consistent across processes) and its last
// `history_per_job` events are kept in Redis (`<base>ev:<id>`) for `retain_live` after its first
// or latest queued/scheduled event, or `retain_finished` after its terminal one. Subscribe delivers
// the retained events with seq > after_seq before returning, then live ones. A subscriber that asks
// for events older than the history gets the retained ones, whose last is the job's latest state
// (the snapshot).
//
// Differences from the in-process bus, by design:
//  * Publish returns at once. A background thread sends the queued events in batches (one script
//    call per batch, which also PUBLISHes the whole batch as one message on `<base>events`), so a
//    job's events cost no round trip on the worker's path. Flush() waits for what was published.
//  * Callbacks run on the bus's subscriber thread (also for events published by this process),
//    under the bus's lock: keep them tiny, never call back into the bus. Subscribe's replay runs
//    on the caller's thread, under the same lock, so a subscriber never sees an event twice or
//    out of seq order.
//  * If Redis is unreachable, events are retried for a few seconds and then dropped (logged):
//    events are advisory, job state is not (Get is always authoritative). After the subscriber
//    connection drops, it reconnects and replays, from the history, what its subscribers missed.
//  * The subscriber connection (one per bus, one thread) is opened on the first Subscribe: a
//    worker process that only publishes never receives the event stream.
//
// Thread-safe. pool must outlive the bus.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backends/redis/redis_client.h"
#include "backends/redis/redis_keys.h"
#include "jobs/progress_bus.h"

namespace scriptgen::redis {

struct RedisProgressBusOptions {
  RedisKeyOptions keys;  // must match the queue's to share its hash tag
  size_t history_per_job = 64;
  std::chrono::milliseconds retain_live{std::chrono::hours(24)};
  std::chrono::milliseconds retain_finished{std::chrono::minutes(10)};
  size_t max_batch = 1000;  // events per publishing script call
  // How long the publisher waits for a batch to fill: a job's events that come close together
  // (claimed, finished) then share the script's per-job work. Adds at most this to event latency.
  std::chrono::milliseconds batch_window{2};
  size_t max_pending = 200000;  // events queued while Redis is slow; beyond, the oldest are dropped
  std::chrono::milliseconds subscribe_timeout{2000};  // Subscribe waits this long for SUBSCRIBE
};

class RedisProgressBus final : public jobs::ProgressBus {
 public:
  explicit RedisProgressBus(std::shared_ptr<RedisPool> pool, RedisProgressBusOptions options = {});
  ~RedisProgressBus() override;  // sends what is queued (Flush), then stops

  void Publish(jobs::JobEvent event) override;
  std::unique_ptr<Subscription> Subscribe(jobs::JobId id, uint64_t after_seq,
                                          Callback callback) override;

  // Waits until every event published before the call was sent to Redis (or dropped).
  void Flush();

  // Events sent to Redis, and dropped after failures, since construction.
  uint64_t published() const { return published_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  class Sub;
  struct Subscriber {
    Callback callback;
    uint64_t last_seq = 0;
    bool replaying = true;  // live events wait in `held` until the replay is done
    std::vector<jobs::JobEvent> held;
  };
  struct Pending {
    jobs::JobEvent event;
    uint64_t ticket = 0;
  };

  void PublishLoop();
  void ListenLoop();
  void Unsubscribe(jobs::JobId id, uint64_t token);
  // The retained events of a job, in seq order.
  StatusOr<std::vector<jobs::JobEvent>> ReadHistory(jobs::JobId id);
  // Delivers events (one job's, seq order) to every subscriber of that job. Caller holds mu_.
  void DeliverLocked(const std::vector<jobs::JobEvent>& events);
  void Resync();

  const std::shared_ptr<RedisPool> pool_;
  const RedisProgressBusOptions options_;
  const std::string base_;
  const RedisScript publish_script_;

  // Outgoing events.
  std::mutex out_mu_;
  std::condition_variable out_cv_;      // new events, or stop
  std::condition_variable flushed_cv_;  // sent_ticket_ advanced
  std::deque<Pending> outbox_;
  uint64_t next_ticket_ = 0;  // last ticket handed out
  uint64_t sent_ticket_ = 0;  // every ticket <= this was sent or dropped
  bool stop_publisher_ = false;
  std::thread publisher_;

  // Subscribers. Held while callbacks run.
  std::mutex mu_;
  std::condition_variable subscribed_cv_;
  std::unordered_map<jobs::JobId, std::map<uint64_t, Subscriber>> subs_;
  uint64_t next_token_ = 1;
  bool subscribed_ = false;  // the listener's SUBSCRIBE is confirmed
  std::thread listener_;     // started by the first Subscribe
  std::atomic<bool> stop_listener_{false};

  std::atomic<uint64_t> published_{0}, dropped_{0};
};

// Event wire format (exposed for tests): "<job>,<kind>,<state>,<percent>,<at_ms>," followed by
// three netstrings "<len>:<bytes>" for step, message and error. Redis prepends "<seq>,".
std::string EncodeEventBody(const jobs::JobEvent& e);
// Parses "<seq>,<body>". False when malformed.
bool DecodeEvent(std::string_view s, jobs::JobEvent* e);

}  // namespace scriptgen::redis
