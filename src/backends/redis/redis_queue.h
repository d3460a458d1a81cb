// RedisQueue: the distributed JobQueue. Any number of API and worker processes share one Redis
// (`--queue redis://host:port/db` or `rediss://...`); the semantics are those of the embedded
// SQLite queue (jobs/queue.h), enforced by the same contract test suite.
//
//   auto pool = std::make_shared<redis::RedisPool>(*redis::ParseRedisUrl(url));
//   redis::RedisProgressBus bus(pool);                       // cross-process events (optional)
//   StatusOr<std::unique_ptr<redis::RedisQueue>> q =
//       redis::MakeRedisQueue(pool, SystemClock::Get(), &bus, jobs::RetryPolicy(), {});
//
// What to know before using it:
//  * Durability is Redis's: an Enqueue that returned OK survives a Redis crash only with AOF and
//    `appendfsync always`. With `everysec` (the Redis default for AOF) up to about one second of
//    acknowledged writes (enqueues, claims, finishes) can be lost when the Redis host crashes;
//    lost finishes mean jobs run again (at-least-once still holds), lost enqueues are lost jobs.
//    Without AOF a restart loses everything since the last RDB snapshot.
//  * "Now" comes from the injected Clock of the calling process and is passed into every script:
//    processes sharing a queue need clocks in step (NTP); a skew of s seconds shortens or extends
//    leases and retry delays by s.
//  * EnqueueInTx cannot join the caller's store transaction (Redis is another system): it
//    enqueues at once. If the transaction then rolls back, the job runs, finds its subject
//    missing and ends as a bad_input dead letter (the memory backend behaves the same).
//  * Finished jobs (succeeded, cancelled) are deleted `finished_ttl` after they finished, by a
//    sweep that runs inside Finish and ReapExpiredLeases calls (so within about a second of the
//    TTL on a queue with live workers). Until then Get/List return them; afterwards Get answers
//    NotFound and their idempotency keys are free again. Dead jobs are kept until purged. With
//    finished_ttl 0 the Finish that ends a job deletes it (Get answers NotFound at once).
//  * State events are published to `bus` after the script that made them true returned. Events
//    of one job published by different processes reach the bus in the order their Publish calls
//    reach it, so in a rare race a subscriber can see "running" before "queued".
//  * SetWorkAvailableCallback: called after local enqueues/requeues, and (listen_for_work) when
//    another process announces claimable work on the queue's pub/sub channel, so idle workers
//    everywhere wake at once instead of at their next poll.
//
// Thread-safe. Every method is one or two round trips to Redis whatever the batch size.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "backends/redis/redis_client.h"
#include "backends/redis/redis_keys.h"
#include "jobs/queue.h"
#include "util/clock.h"

namespace scriptgen::jobs {
class ProgressBus;
}

namespace scriptgen::redis {

struct RedisQueueOptions {
  RedisKeyOptions keys;  // prefix (default "sg:") and queue name (the Cluster hash tag)
  std::chrono::milliseconds finished_ttl{std::chrono::hours(24 * 7)};
  int sweep_batch = 1000;    // finished jobs deleted per Finish/Reap call, at most
  int promote_batch = 1000;  // due retries promoted per Claim, at most
  int reap_batch = 1000;     // expired leases handled per ReapExpiredLeases call, at most
  // SUBSCRIBE to the queue's work channel (one extra connection and thread, only while a
  // callback is set) so work enqueued by other processes wakes this one at once.
  bool listen_for_work = true;
};

// Connects (through pool), loads the scripts and returns the queue; Unavailable when Redis cannot
// be reached. pool and clock must outlive the queue; bus may be null.
class RedisQueue;
StatusOr<std::unique_ptr<RedisQueue>> MakeRedisQueue(std::shared_ptr<RedisPool> pool,
                                                     const Clock* clock, jobs::ProgressBus* bus,
                                                     jobs::RetryPolicy policy,
                                                     RedisQueueOptions options = {});

class RedisQueue final : public jobs::JobQueue {
 public:
  ~RedisQueue() override;

  StatusOr<jobs::EnqueueResult> Enqueue(const jobs::EnqueueRequest& request) override;
  // Enqueues at once, not as part of tx (see the top of this file).
  StatusOr<jobs::EnqueueResult> EnqueueInTx(store::WriteTx& tx,
                                            const jobs::EnqueueRequest& request) override;
  // One script call for the whole batch.
  StatusOr<std::vector<jobs::EnqueueResult>> EnqueueBatch(
      std::span<const jobs::EnqueueRequest> requests) override;
  // One script call: promotes due retries, then claims up to max_jobs.
  StatusOr<std::vector<jobs::Job>> Claim(const jobs::ClaimRequest& request) override;
  // One script call for all ids.
  StatusOr<jobs::HeartbeatResult> Heartbeat(const std::string& worker_id,
                                            std::span<const jobs::JobId> ids,
                                            std::chrono::milliseconds lease) override;
  // One script call for the batch; a second (a read) first when the batch holds failures, whose
  // retry decision needs the jobs' attempt counts.
  std::vector<StatusOr<jobs::JobState>> Finish(
      std::span<const jobs::FinishRequest> requests) override;
  // Coalesced: written by a background thread, and before the next Heartbeat/Finish/Get of this
  // queue object, so "record, then heartbeat, then Get" sees the progress.
  void RecordProgress(jobs::JobId id, const jobs::Progress& progress) override;
  StatusOr<jobs::JobState> Cancel(jobs::JobId id) override;
  StatusOr<int> ReapExpiredLeases() override;
  StatusOr<jobs::Job> Get(jobs::JobId id) override;
  StatusOr<std::vector<jobs::Job>> List(const jobs::JobFilter& filter) override;
  StatusOr<jobs::QueueCounts> Counts() override;
  StatusOr<std::vector<jobs::ErrorRecord>> ErrorHistory(jobs::JobId id) override;
  Status RetryDead(jobs::JobId id) override;
  StatusOr<int> RetryDeadByClass(jobs::ErrorClass c) override;
  Status PurgeDead(jobs::JobId id) override;
  StatusOr<int> PurgeDeadByClass(std::optional<jobs::ErrorClass> c) override;
  void SetWorkAvailableCallback(std::function<void()> callback) override;
  const jobs::RetryPolicy& retry_policy() const override { return policy_; }

  const std::string& key_base() const { return base_; }

 private:
  friend StatusOr<std::unique_ptr<RedisQueue>> MakeRedisQueue(std::shared_ptr<RedisPool>,
                                                              const Clock*, jobs::ProgressBus*,
                                                              jobs::RetryPolicy, RedisQueueOptions);
  struct Scripts;
  struct ApplyEntry;

  RedisQueue(std::shared_ptr<RedisPool> pool, const Clock* clock, jobs::ProgressBus* bus,
             jobs::RetryPolicy policy, RedisQueueOptions options);

  StatusOr<RedisReply> Eval(const RedisScript& script, std::vector<std::string> args);
  // Runs the Apply script; results per entry as documented in redis_lua_scripts.h.
  StatusOr<std::vector<int64_t>> RunApply(const std::vector<ApplyEntry>& entries, int64_t now);
  void PublishState(jobs::JobId id, jobs::JobState state, const std::string& error = {});
  void NotifyWork();
  Status FlushProgress();
  void ProgressLoop();
  void ListenLoop();

  const std::shared_ptr<RedisPool> pool_;
  const Clock* const clock_;
  jobs::ProgressBus* const bus_;
  const jobs::RetryPolicy policy_;
  const RedisQueueOptions options_;
  const std::string base_;
  std::unique_ptr<Scripts> scripts_;
  std::string cancel_actions_[jobs::kJobStateCount];  // from jobs::PlanCancel, per state

  // The work callback; held while it runs so that clearing it waits for a running call.
  std::mutex callback_mu_;
  std::function<void()> on_work_;

  // Coalesced progress. flush_mu_ orders flushes so an older value never overwrites a newer one.
  std::mutex progress_mu_;
  std::condition_variable progress_cv_;
  std::unordered_map<jobs::JobId, jobs::Progress> pending_progress_;
  std::mutex flush_mu_;
  bool stopping_ = false;
  std::thread progress_thread_;

  std::atomic<bool> listen_stop_{false};
  std::thread listen_thread_;  // started by the first non-null work callback
};

}  // namespace scriptgen::redis
