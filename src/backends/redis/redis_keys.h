// Key names of the Redis queue and progress bus: one place that knows how a key is spelled.
//
// Every key of one queue starts with `<prefix>{<name>}:`, e.g. "sg:{jobs}:j:42". The braces are a
// Redis Cluster hash tag: only "jobs" is hashed, so all keys of a queue live in one slot and every
// multi-key Lua script runs on one node. (The scripts compute most key names from this base
// instead of declaring them in KEYS; Redis Cluster accepts that for keys of the script's own slot,
// which the hash tag guarantees. A cluster therefore holds each queue on one node: scale-out is by
// running several queues with different names, not by spreading one queue over nodes.)
//
//   <base>id              STRING  INCR counter: job ids (int64, increasing, never reused)
//   <base>j:<id>          HASH    the job (fields below)
//   <base>e:<id>          LIST    error history: "attempt|class|at_ms|message"
//   <base>idem            HASH    idempotency key -> job id
//   <base>all             ZSET    every job id, score = id (List's cursor)
//   <base>types           SET     every job type ever enqueued
//   <base>q:<type>        ZSET    queued jobs of a type, score = id (FIFO claim)
//   <base>sched           ZSET    scheduled jobs, score = run_at_ms
//   <base>leases          ZSET    running jobs, score = lease_until_ms (reaper)
//   <base>succeeded       ZSET    succeeded jobs, score = finished_ms (TTL sweep)
//   <base>cancelled       ZSET    cancelled jobs, score = finished_ms (TTL sweep)
//   <base>dead            ZSET    dead letters, score = id (kept until purged)
//   <base>work            channel "work is claimable" (pub/sub, no payload meaning)
//   <base>ev:<id>         HASH    progress bus: "seq" and a ring of the last events of a job
//   <base>events          channel progress bus: batches of events of all jobs
//
// Job hash fields: t type, p payload, k idempotency key, s state (JobState as int), a attempts,
// m max_attempts, r run_at_ms, l lease_until_ms, w worker_id, c cancel_requested (0/1),
// ps/pp/pm progress step/percent/message, ec/em last error class/message, cr created_ms,
// up updated_ms, f finished_ms, ti trace_id, ci correlation_id. Absent fields read as empty/0.
#pragma once

#include <cstdint>
#include <string>

namespace scriptgen::redis {

struct RedisKeyOptions {
  std::string prefix = "sg:";  // shared by everything scriptgen stores in this Redis database
  std::string name = "jobs";   // the queue's name, used as the Cluster hash tag
};

// "<prefix>{<name>}:", the start of every key of the queue.
inline std::string KeyBase(const RedisKeyOptions& o) {
  return o.prefix + "{" + o.name + "}:";
}

inline std::string JobKey(const std::string& base, int64_t id) {
  return base + "j:" + std::to_string(id);
}
inline std::string ErrorsKey(const std::string& base, int64_t id) {
  return base + "e:" + std::to_string(id);
}
inline std::string CounterKey(const std::string& base) {
  return base + "id";
}
inline std::string WorkChannel(const std::string& base) {
  return base + "work";
}
inline std::string EventsKey(const std::string& base, int64_t id) {
  return base + "ev:" + std::to_string(id);
}
inline std::string EventsChannel(const std::string& base) {
  return base + "events";
}

}  // namespace scriptgen::redis
