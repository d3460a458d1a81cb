// RedisQueue design.
//
// Key layout: redis_keys.h. One HASH per job (short field names, optional fields omitted) plus
// one sorted set per state (queued jobs per type scored by id, scheduled by run_at, running by
// lease expiry, succeeded/cancelled by finish time, dead by id) and `all` by id for List. A job
// is in exactly one state index at any time, so Counts() is a handful of ZCARDs and never drifts.
//
// Scripts (redis_lua_scripts.cc), each loaded once and called with EVALSHA:
//   Enqueue        a whole batch: idempotency check, INCR id, HSET, index; one PUBLISH "work"
//   Claim          promote due retries, then ZPOPMIN up to N queued jobs (FIFO by id), lease
//                  them and return them: one call per batch, not per job
//   Heartbeat      extend the leases of all held jobs; report cancel requests and lost leases
//   Apply          compare-and-set a batch of state changes planned in C++ (finish, reap, DLQ
//                  retry), append error history, and sweep expired finished jobs
//   Cancel, Purge, ExpiredLeases, DeadByClass, Progress, List, Counts
// Why batching: a Redis round trip costs ~30 us here and Redis executes a script call in a few
// microseconds plus ~1-2 us per job touched, so with hundreds of jobs per call the worker needs
// far less than one round trip per job (the WorkerPool claims `threads + prefetch` at a time
// and finishes whatever completed since the last call). Per-job Lua work is O(1) commands
// (O(log n) each); the per-call overhead (promotion scan, sweep) is amortised over the batch.
//
// Redis CPU per job is then what limits a busy queue (Redis is single-threaded and shares the
// machine), so the hot path is kept to the commands the semantics need: a claim is one HGETALL
// (the job to run) and one HSET (state, attempts, holder, lease) per job plus its share of one
// ZPOPMIN and one ZADD to `leases`; a success is one HMGET (the compare-and-set) and one HSET
// plus its share of the index updates, or with finished_ttl 0 one DEL instead of the HSET, the
// `succeeded` ZADD and the later sweep. The claim returns each hash as read and the client
// applies the claim's changes itself, so the script builds no modified copy; numbers go to
// redis.call as strings (Redis would snprintf a Lua number); and Apply takes plain successes as
// (id, state) pairs with the worker once, not 10 strings each. Profile with INFO commandstats
// and SLOWLOG (slowlog-log-slower-than 0 gives every EVALSHA's own time).
//
// Who decides: the semantics stay in jobs/transitions.h. Decisions that need a job's current row
// (a failure's retry delay from its attempt count, a reaped job's poison-pill check, DLQ retry)
// are made in C++ from values read first, and applied by Apply only if the job still has exactly
// those values (state, holder, attempts, lease): a compare-and-set, so a concurrent reaper or
// claimer in another process can never be overwritten. Successes, cancellations and releases need
// no read: Apply checks "running and held by this worker" itself, so a batch of successes is one
// round trip. Cancel maps each state to the action PlanCancel gives it (computed once, passed to
// the script), so that decision is not duplicated in Lua either.
//
// Atomic: every script (Redis runs scripts one at a time; with AOF a script's writes are one
// MULTI/EXEC in the log, so a crash leaves all or none of them). Not atomic: the read-then-apply
// pairs (a lost race is detected by the compare-and-set and reported as FailedPrecondition, as if
// the other side had come first); events to the ProgressBus (published after the script returned:
// a crash in between loses an event, never a state change); progress writes (coalesced, a crash
// loses the last one).
//
// Time: "now" is the caller's injected Clock, passed into every script as a string. Redis TIME
// is never used, so tests run on a ManualClock and Lua never does float arithmetic on times.
//
// Finished-job TTL: Apply (every Finish and ReapExpiredLeases) deletes up to `sweep_batch` jobs
// that finished before now - finished_ttl, with their error history, idempotency key and `all`
// entry. An explicit sweep instead of PEXPIRE keeps every index consistent (an expired hash would
// leave dangling ids behind) and follows the injected clock. Dead jobs are never swept. A TTL of
// 0 (BullMQ's removeOnComplete) deletes the job in the Apply that ends it.
//
// Durability: what an OK reply means depends on the server's AOF setting. appendfsync always: the
// script's effects were fsynced before the reply, nothing acknowledged is lost by a Redis crash.
// everysec: up to ~1 s of acknowledged writes can be lost on a host crash (a Redis process crash
// alone loses nothing already written to the kernel): lost enqueues are lost jobs, lost claims or
// finishes make jobs run again. no AOF: everything since the last RDB snapshot.
//
// Cross-process wake-up: scripts that make work claimable PUBLISH on `<base>work`; a queue with a
// work callback keeps one SUBSCRIBE connection and calls the callback per message. Without it a
// worker in another process would find new work only at its next poll (200 ms by default), which
// would dominate enqueue-to-start latency; a PUBLISH costs the server ~1 us per subscriber.
#include "backends/redis/redis_queue.h"

#include <algorithm>
#include <charconv>
#include <random>

#include "backends/redis/redis_lua_scripts.h"
#include "jobs/progress_bus.h"
#include "jobs/transitions.h"
#include "obs/logger.h"

namespace scriptgen::redis {

using jobs::ErrorClass;
using jobs::Job;
using jobs::JobId;
using jobs::JobState;

namespace {

double Random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Status NoSuchJob(JobId id) {
  return NotFound("job " + std::to_string(id) + " does not exist");
}

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int64_t ReplyInt(const RedisReply& r) {
  return r.type == RedisReply::Type::kInteger ? r.integer : ToInt(r.str);
}

std::string Str(int64_t v) {
  return std::to_string(v);
}

bool IsArray(const RedisReply& r) {
  return r.type == RedisReply::Type::kArray;
}

Status Malformed(std::string_view what) {
  return Internal("redis queue: unexpected reply to " + std::string(what));
}

// A job from its hash's field/value pairs; later pairs override earlier ones. Takes the strings
// out of `flat` (a claim parses hundreds of jobs per call: copying every payload would show).
Job ParseJob(JobId id, RedisReply& flat) {
  Job j;
  j.id = id;
  std::optional<ErrorClass> ec;
  std::string em;
  for (size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
    const std::string& f = flat.elements[i].str;
    std::string& v = flat.elements[i + 1].str;
    if (f.empty()) continue;
    switch (f[0]) {
      case 't':
        if (f == "t") j.type = std::move(v);
        if (f == "ti") j.trace_id = std::move(v);
        break;
      case 'p':
        if (f == "p") j.payload = std::move(v);
        if (f == "ps") j.progress.step = v;
        if (f == "pp") j.progress.percent = static_cast<int>(ToInt(v));
        if (f == "pm") j.progress.message = v;
        break;
      case 'k':
        j.idempotency_key = std::move(v);
        break;
      case 's':
        j.state = static_cast<JobState>(ToInt(v));
        break;
      case 'a':
        j.attempts = static_cast<int>(ToInt(v));
        break;
      case 'm':
        j.max_attempts = static_cast<int>(ToInt(v));
        break;
      case 'r':
        j.run_at_ms = ToInt(v);
        break;
      case 'l':
        j.lease_until_ms = ToInt(v);
        break;
      case 'w':
        j.worker_id = std::move(v);
        break;
      case 'c':
        if (f == "c") j.cancel_requested = v == "1";
        if (f == "cr") j.created_ms = ToInt(v);
        if (f == "ci") j.correlation_id = std::move(v);
        break;
      case 'e':
        if (f == "ec" && !v.empty()) ec = static_cast<ErrorClass>(ToInt(v));
        if (f == "em") em = v;
        break;
      case 'u':
        j.updated_ms = ToInt(v);
        break;
      case 'f':
        j.finished_ms = ToInt(v);
        break;
      default:
        break;
    }
  }
  if (ec) j.last_error = jobs::JobError{*ec, em};
  return j;
}

// {id, fields, id, fields, ...} as returned by the Claim and List scripts.
std::vector<Job> ParseJobs(RedisReply& flat) {
  std::vector<Job> jobs;
  jobs.reserve(flat.elements.size() / 2);
  for (size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
    jobs.push_back(ParseJob(ReplyInt(flat.elements[i]), flat.elements[i + 1]));
  }
  return jobs;
}

// The message PlanFinish gives a job that is not held by the worker, for a compare-and-set that
// failed in the script.
Status NotHeld(JobId id, const std::string& worker, JobState state) {
  Job j;
  j.id = id;
  j.state = state;
  jobs::FinishRequest r{id, worker, jobs::Outcome::kSucceeded, {}};
  StatusOr<jobs::FinishPlan> plan = jobs::PlanFinish(j, r, jobs::RetryPolicy(), 0, 0);
  if (!plan.ok()) return plan.status();
  return FailedPrecondition("job " + std::to_string(id) + " changed concurrently");
}

}  // namespace

struct RedisQueue::Scripts {
  RedisScript enqueue{lua::Enqueue()};
  RedisScript claim{lua::Claim()};
  RedisScript heartbeat{lua::Heartbeat()};
  RedisScript apply{lua::Apply()};
  RedisScript cancel{lua::Cancel()};
  RedisScript expired{lua::ExpiredLeases()};
  RedisScript dead_by_class{lua::DeadByClass()};
  RedisScript purge{lua::Purge()};
  RedisScript progress{lua::Progress()};
  RedisScript list{lua::List()};
  RedisScript counts{lua::Counts()};

  std::vector<const RedisScript*> all() const {
    return {&enqueue,       &claim, &heartbeat, &apply, &cancel, &expired,
            &dead_by_class, &purge, &progress,  &list,  &counts};
  }
};

struct RedisQueue::ApplyEntry {
  JobId id = 0;
  std::string want_worker;  // empty: any
  JobState want_state = JobState::kRunning;
  int want_attempts = -1;  // -1: any
  std::string want_lease;  // empty: any
  JobState new_state = JobState::kQueued;
  int new_attempts = -1;  // -1 keep, -2 one less, >= 0 set
  std::string run_at;     // empty: keep
  std::optional<jobs::JobError> error;
};

StatusOr<std::unique_ptr<RedisQueue>> MakeRedisQueue(std::shared_ptr<RedisPool> pool,
                                                     const Clock* clock, jobs::ProgressBus* bus,
                                                     jobs::RetryPolicy policy,
                                                     RedisQueueOptions options) {
  if (pool == nullptr || clock == nullptr) return InvalidArgument("redis queue needs a pool");
  std::unique_ptr<RedisQueue> q(
      new RedisQueue(std::move(pool), clock, bus, std::move(policy), std::move(options)));
  // Load every script up front: a wrong server (no Lua, no permission) fails here, not at the
  // first claim. Later NOSCRIPT replies (restart, SCRIPT FLUSH) reload transparently.
  Status s = q->pool_->Run([&](RedisConnection& c) -> Status {
    for (const RedisScript* script : q->scripts_->all()) SG_RETURN_IF_ERROR(script->Load(c));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return q;
}

RedisQueue::RedisQueue(std::shared_ptr<RedisPool> pool, const Clock* clock, jobs::ProgressBus* bus,
                       jobs::RetryPolicy policy, RedisQueueOptions options)
    : pool_(std::move(pool)),
      clock_(clock),
      bus_(bus),
      policy_(std::move(policy)),
      options_(std::move(options)),
      base_(KeyBase(options_.keys)),
      scripts_(std::make_unique<Scripts>()) {
  for (int s = 0; s < jobs::kJobStateCount; ++s) {
    Job j;
    j.state = static_cast<JobState>(s);
    StatusOr<jobs::CancelPlan> plan = jobs::PlanCancel(j);
    cancel_actions_[s] = !plan.ok() ? "x" : plan->no_change ? "n" : plan->request_only ? "r" : "c";
  }
  progress_thread_ = std::thread([this] { ProgressLoop(); });
}

RedisQueue::~RedisQueue() {
  {
    std::lock_guard lock(progress_mu_);
    stopping_ = true;
  }
  progress_cv_.notify_all();
  progress_thread_.join();
  (void)FlushProgress();
  listen_stop_ = true;
  if (listen_thread_.joinable()) listen_thread_.join();
}

StatusOr<RedisReply> RedisQueue::Eval(const RedisScript& script, std::vector<std::string> args) {
  RedisReply reply;
  Status s = pool_->Run([&](RedisConnection& c) -> Status {
    StatusOr<RedisReply> r = script.Run(c, {CounterKey(base_)}, args);
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (reply.is_error()) return Internal("redis queue script failed: " + reply.str);
  return reply;
}

void RedisQueue::PublishState(JobId id, JobState state, const std::string& error) {
  if (bus_ == nullptr) return;
  jobs::JobEvent e;
  e.job_id = id;
  e.kind = jobs::JobEvent::Kind::kState;
  e.state = state;
  e.error = error;
  bus_->Publish(std::move(e));
}

void RedisQueue::SetWorkAvailableCallback(std::function<void()> callback) {
  std::lock_guard lock(callback_mu_);
  const bool start = callback != nullptr && options_.listen_for_work && !listen_thread_.joinable();
  on_work_ = std::move(callback);
  if (start) listen_thread_ = std::thread([this] { ListenLoop(); });
}

void RedisQueue::NotifyWork() {
  std::lock_guard lock(callback_mu_);
  if (on_work_) on_work_();
}

void RedisQueue::ListenLoop() {
  std::unique_ptr<RedisConnection> conn;
  auto backoff = std::chrono::milliseconds(50);
  while (!listen_stop_) {
    if (conn == nullptr) {
      StatusOr<std::unique_ptr<RedisConnection>> c = RedisConnection::Connect(pool_->endpoint());
      if (c.ok() && (*c)->Send({"SUBSCRIBE", WorkChannel(base_)}).ok()) {
        conn = std::move(*c);
        backoff = std::chrono::milliseconds(50);
        NotifyWork();  // work may have been announced while we were not listening
      } else {
        for (auto slept = std::chrono::milliseconds(0); slept < backoff && !listen_stop_;
             slept += std::chrono::milliseconds(10)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
    }
    StatusOr<RedisReply> r = conn->ReadReply(std::chrono::milliseconds(100));
    if (!r.ok()) {
      if (r.status().code() != Code::kDeadlineExceeded || !conn->healthy()) conn.reset();
      continue;
    }
    if (IsArray(*r) && !r->elements.empty() && r->elements[0].str == "message") NotifyWork();
  }
}

// ---------------------------------------------------------------------------------------------
// Enqueue

StatusOr<jobs::EnqueueResult> RedisQueue::Enqueue(const jobs::EnqueueRequest& request) {
  StatusOr<std::vector<jobs::EnqueueResult>> r = EnqueueBatch(std::span(&request, 1));
  if (!r.ok()) return r.status();
  return r->front();
}

StatusOr<jobs::EnqueueResult> RedisQueue::EnqueueInTx(store::WriteTx& tx,
                                                      const jobs::EnqueueRequest& request) {
  (void)tx;  // cannot join it: see the header
  return Enqueue(request);
}

StatusOr<std::vector<jobs::EnqueueResult>> RedisQueue::EnqueueBatch(
    std::span<const jobs::EnqueueRequest> requests) {
  for (const jobs::EnqueueRequest& r : requests) {
    if (r.type.empty()) return InvalidArgument("job type must not be empty");
    if (r.delay.count() < 0) return InvalidArgument("delay must not be negative");
  }
  if (requests.empty()) return std::vector<jobs::EnqueueResult>{};
  const int64_t now = clock_->NowMs();
  std::vector<std::string> args;
  args.reserve(3 + requests.size() * 8);
  args.insert(args.end(), {base_, Str(now), Str(static_cast<int64_t>(requests.size()))});
  for (const jobs::EnqueueRequest& r : requests) {
    const int max_attempts = r.max_attempts > 0 ? r.max_attempts : policy_.options().max_attempts;
    args.push_back(r.type);
    args.push_back(r.payload);
    args.push_back(r.idempotency_key);
    args.push_back(Str(max_attempts));
    args.push_back(Str(now + r.delay.count()));
    args.push_back(r.delay.count() > 0 ? "1" : "0");
    args.push_back(r.trace_id);
    args.push_back(r.correlation_id);
  }
  StatusOr<RedisReply> reply = Eval(scripts_->enqueue, std::move(args));
  if (!reply.ok()) return reply.status();
  if (!IsArray(*reply) || reply->elements.size() != 2 * requests.size()) {
    return Malformed("enqueue");
  }
  std::vector<jobs::EnqueueResult> out;
  out.reserve(requests.size());
  bool claimable = false;
  for (size_t i = 0; i < requests.size(); ++i) {
    jobs::EnqueueResult r{ReplyInt(reply->elements[2 * i]),
                          ReplyInt(reply->elements[2 * i + 1]) == 1};
    if (r.created) {
      const bool delayed = requests[i].delay.count() > 0;
      PublishState(r.id, delayed ? JobState::kScheduled : JobState::kQueued);
      claimable |= !delayed;
    }
    out.push_back(r);
  }
  if (claimable) NotifyWork();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Claim, heartbeat, finish

StatusOr<std::vector<Job>> RedisQueue::Claim(const jobs::ClaimRequest& request) {
  if (request.worker_id.empty()) return InvalidArgument("claim needs a worker id");
  if (request.max_jobs == 0) return std::vector<Job>{};
  // The script moves scheduled->queued and queued->running; keep it honest to the table.
  SG_RETURN_IF_ERROR(jobs::CheckTransition(JobState::kScheduled, JobState::kQueued));
  SG_RETURN_IF_ERROR(jobs::CheckTransition(JobState::kQueued, JobState::kRunning));
  const int64_t now = clock_->NowMs();
  std::vector<std::string> args = {base_,
                                   Str(now),
                                   Str(now + request.lease.count()),
                                   request.worker_id,
                                   Str(static_cast<int64_t>(request.max_jobs)),
                                   Str(options_.promote_batch),
                                   Str(static_cast<int64_t>(request.types.size()))};
  args.insert(args.end(), request.types.begin(), request.types.end());
  StatusOr<RedisReply> reply = Eval(scripts_->claim, std::move(args));
  if (!reply.ok()) return reply.status();
  if (!IsArray(*reply) || reply->elements.size() != 2) return Malformed("claim");
  for (const RedisReply& id : reply->elements[0].elements) {
    PublishState(ReplyInt(id), JobState::kQueued);
  }
  std::vector<Job> jobs = ParseJobs(reply->elements[1]);
  for (Job& j : jobs) {  // the script returns the hashes as they were before the claim
    j.state = JobState::kRunning;
    ++j.attempts;
    j.worker_id = request.worker_id;
    j.lease_until_ms = now + request.lease.count();
    j.updated_ms = now;
  }
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
  for (const Job& j : jobs) PublishState(j.id, JobState::kRunning);
  return jobs;
}

StatusOr<jobs::HeartbeatResult> RedisQueue::Heartbeat(const std::string& worker_id,
                                                      std::span<const JobId> ids,
                                                      std::chrono::milliseconds lease) {
  (void)FlushProgress();
  jobs::HeartbeatResult result;
  if (ids.empty()) return result;
  const int64_t now = clock_->NowMs();
  std::vector<std::string> args = {base_, Str(now + lease.count()), worker_id};
  for (JobId id : ids) args.push_back(Str(id));
  StatusOr<RedisReply> reply = Eval(scripts_->heartbeat, std::move(args));
  if (!reply.ok()) return reply.status();
  if (!IsArray(*reply) || reply->elements.size() != 2) return Malformed("heartbeat");
  for (const RedisReply& id : reply->elements[0].elements) {
    result.cancel_requested.push_back(ReplyInt(id));
  }
  for (const RedisReply& id : reply->elements[1].elements) result.lost.push_back(ReplyInt(id));
  return result;
}

StatusOr<std::vector<int64_t>> RedisQueue::RunApply(const std::vector<ApplyEntry>& entries,
                                                    int64_t now) {
  // Plain "running, held by W -> succeeded/cancelled" entries (a batch of successes) travel as
  // 2 strings each instead of 10: W is sent once (the first such entry's worker).
  std::string compact_worker;
  auto compact = [&](const ApplyEntry& e) {
    return e.want_state == JobState::kRunning && !e.want_worker.empty() &&
           e.want_worker == compact_worker && e.want_attempts == -1 && e.want_lease.empty() &&
           (e.new_state == JobState::kSucceeded || e.new_state == JobState::kCancelled) &&
           e.new_attempts == -1 && e.run_at.empty() && !e.error;
  };
  for (const ApplyEntry& e : entries) {
    if (e.want_state == JobState::kRunning && !e.want_worker.empty()) {
      compact_worker = e.want_worker;
      break;
    }
  }
  std::vector<size_t> order;  // entry index of each script result
  order.reserve(entries.size());
  std::vector<std::string> args;
  args.reserve(6 + entries.size() * 2);
  args.insert(args.end(), {base_, Str(now), Str(now - options_.finished_ttl.count()),
                           Str(options_.sweep_batch), "", compact_worker});
  for (size_t k = 0; k < entries.size(); ++k) {
    const ApplyEntry& e = entries[k];
    SG_RETURN_IF_ERROR(jobs::CheckTransition(e.want_state, e.new_state));
    if (compact(e)) continue;
    order.push_back(k);
    args.push_back(Str(e.id));
    args.push_back(e.want_worker);
    args.push_back(Str(static_cast<int>(e.want_state)));
    args.push_back(Str(e.want_attempts));
    args.push_back(e.want_lease);
    args.push_back(Str(static_cast<int>(e.new_state)));
    args.push_back(Str(e.new_attempts));
    args.push_back(e.run_at);
    args.push_back(e.error ? Str(static_cast<int>(e.error->error_class)) : std::string());
    args.push_back(e.error ? e.error->message : std::string());
  }
  args[4] = Str(static_cast<int64_t>(order.size()));
  for (size_t k = 0; k < entries.size(); ++k) {
    const ApplyEntry& e = entries[k];
    if (!compact(e)) continue;
    order.push_back(k);
    args.push_back(Str(e.id));
    args.push_back(Str(static_cast<int>(e.new_state)));
  }
  StatusOr<RedisReply> reply = Eval(scripts_->apply, std::move(args));
  if (!reply.ok()) return reply.status();
  if (!IsArray(*reply) || reply->elements.size() != entries.size()) return Malformed("apply");
  std::vector<int64_t> out(entries.size());
  for (size_t i = 0; i < order.size(); ++i) out[order[i]] = ReplyInt(reply->elements[i]);
  return out;
}

std::vector<StatusOr<JobState>> RedisQueue::Finish(std::span<const jobs::FinishRequest> requests) {
  (void)FlushProgress();
  std::vector<StatusOr<JobState>> out(requests.size(), Internal("not processed"));
  if (requests.empty()) return out;
  const int64_t now = clock_->NowMs();

  // Failures need the job's attempts for the retry decision: read them first (one pipeline).
  std::vector<size_t> failed;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].outcome == jobs::Outcome::kFailed) failed.push_back(i);
  }
  std::vector<RedisReply> rows;
  if (!failed.empty()) {
    std::vector<std::vector<std::string>> cmds;
    for (size_t i : failed) {
      cmds.push_back({"HMGET", JobKey(base_, requests[i].id), "s", "w", "a", "m"});
    }
    Status s = pool_->Run([&](RedisConnection& c) -> Status {
      StatusOr<std::vector<RedisReply>> r = c.Pipeline(cmds);
      if (!r.ok()) return r.status();
      rows = std::move(*r);
      return Status::Ok();
    });
    if (!s.ok()) {
      out.assign(requests.size(), s);
      return out;
    }
  }

  std::vector<ApplyEntry> entries;
  std::vector<size_t> entry_of;  // request index of each entry
  size_t next_failed = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const jobs::FinishRequest& r = requests[i];
    ApplyEntry e;
    e.id = r.id;
    e.want_worker = r.worker_id;
    e.want_state = JobState::kRunning;
    switch (r.outcome) {
      case jobs::Outcome::kSucceeded:
        e.new_state = JobState::kSucceeded;
        break;
      case jobs::Outcome::kCancelled:
        e.new_state = JobState::kCancelled;
        break;
      case jobs::Outcome::kReleased:
        e.new_state = JobState::kQueued;
        e.new_attempts = -2;  // a release does not use up an attempt (see PlanFinish)
        e.run_at = Str(now);
        break;
      case jobs::Outcome::kFailed: {
        const RedisReply& row = rows[next_failed++];
        if (row.is_error()) {
          out[i] = Internal("redis HMGET failed: " + row.str);
          continue;
        }
        if (!IsArray(row) || row.elements.size() != 4 || row.elements[0].is_nil()) {
          out[i] = NoSuchJob(r.id);
          continue;
        }
        Job job;
        job.id = r.id;
        job.state = static_cast<JobState>(ToInt(row.elements[0].str));
        job.worker_id = row.elements[1].str;
        job.attempts = static_cast<int>(ToInt(row.elements[2].str));
        job.max_attempts = static_cast<int>(ToInt(row.elements[3].str));
        StatusOr<jobs::FinishPlan> plan = jobs::PlanFinish(job, r, policy_, now, Random01());
        if (!plan.ok()) {
          out[i] = plan.status();
          continue;
        }
        e.want_attempts = job.attempts;
        e.new_state = plan->new_state;
        e.new_attempts = plan->attempts;
        if (plan->run_at_ms != 0) e.run_at = Str(plan->run_at_ms);
        e.error = plan->error;
        break;
      }
    }
    entries.push_back(std::move(e));
    entry_of.push_back(i);
  }
  if (entries.empty()) return out;
  StatusOr<std::vector<int64_t>> applied = RunApply(entries, now);
  if (!applied.ok()) {
    for (size_t k = 0; k < entries.size(); ++k) out[entry_of[k]] = applied.status();
    return out;
  }
  bool requeued = false;
  for (size_t k = 0; k < entries.size(); ++k) {
    const int64_t code = (*applied)[k];
    const size_t i = entry_of[k];
    if (code == -1) {
      out[i] = NoSuchJob(entries[k].id);
    } else if (code <= -10) {
      out[i] = NotHeld(entries[k].id, requests[i].worker_id, static_cast<JobState>(-code - 10));
    } else {
      const JobState state = static_cast<JobState>(code);
      out[i] = state;
      PublishState(entries[k].id, state, entries[k].error ? entries[k].error->message : "");
      requeued |= state == JobState::kQueued;
    }
  }
  if (requeued) NotifyWork();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Progress

void RedisQueue::RecordProgress(JobId id, const jobs::Progress& progress) {
  {
    std::lock_guard lock(progress_mu_);
    pending_progress_[id] = progress;
  }
  progress_cv_.notify_one();
}

Status RedisQueue::FlushProgress() {
  std::lock_guard flush_lock(flush_mu_);
  std::unordered_map<JobId, jobs::Progress> batch;
  {
    std::lock_guard lock(progress_mu_);
    if (pending_progress_.empty()) return Status::Ok();
    batch.swap(pending_progress_);
  }
  std::vector<std::string> args = {base_};
  for (const auto& [id, p] : batch) {
    args.insert(args.end(), {Str(id), p.step, Str(p.percent), p.message});
  }
  StatusOr<RedisReply> r = Eval(scripts_->progress, std::move(args));
  if (!r.ok()) {
    obs::Logger::Global().Warn("redis queue: progress update lost",
                               {{"jobs", batch.size()}, {"error", r.status().message()}});
  }
  return r.status();
}

void RedisQueue::ProgressLoop() {
  std::unique_lock lock(progress_mu_);
  while (!stopping_) {
    progress_cv_.wait(lock, [this] { return stopping_ || !pending_progress_.empty(); });
    if (stopping_) break;
    lock.unlock();
    (void)FlushProgress();
    lock.lock();
  }
}

// ---------------------------------------------------------------------------------------------
// Cancel, reap

StatusOr<JobState> RedisQueue::Cancel(JobId id) {
  std::vector<std::string> args = {base_, Str(clock_->NowMs()), Str(id)};
  for (const std::string& a : cancel_actions_) args.push_back(a);
  StatusOr<RedisReply> reply = Eval(scripts_->cancel, std::move(args));
  if (!reply.ok()) return reply.status();
  if (!IsArray(*reply) || reply->elements.size() != 2) return Malformed("cancel");
  const int64_t code = ReplyInt(reply->elements[0]);
  if (code == -1) return NoSuchJob(id);
  if (code <= -10) {
    Job j;
    j.id = id;
    j.state = static_cast<JobState>(-code - 10);
    StatusOr<jobs::CancelPlan> plan = jobs::PlanCancel(j);
    return plan.ok() ? FailedPrecondition("job " + std::to_string(id) + " cannot be cancelled")
                     : plan.status();
  }
  if (ReplyInt(reply->elements[1]) == 1) PublishState(id, JobState::kCancelled);
  return static_cast<JobState>(code);
}

StatusOr<int> RedisQueue::ReapExpiredLeases() {
  const int64_t now = clock_->NowMs();
  StatusOr<RedisReply> reply = Eval(scripts_->expired, {base_, Str(now), Str(options_.reap_batch)});
  if (!reply.ok()) return reply.status();
  std::vector<ApplyEntry> entries;
  for (const RedisReply& row : reply->elements) {
    if (!IsArray(row) || row.elements.size() != 6) return Malformed("expired leases");
    Job job;
    job.id = ReplyInt(row.elements[0]);
    job.state = static_cast<JobState>(ToInt(row.elements[1].str));
    job.worker_id = row.elements[2].str;
    job.attempts = static_cast<int>(ToInt(row.elements[3].str));
    job.max_attempts = static_cast<int>(ToInt(row.elements[4].str));
    const jobs::FinishPlan plan = jobs::PlanReap(job, now);
    ApplyEntry e;
    e.id = job.id;
    e.want_worker = job.worker_id;
    e.want_state = JobState::kRunning;
    e.want_attempts = job.attempts;
    e.want_lease = row.elements[5].str;  // a heartbeat since the read wins
    e.new_state = plan.new_state;
    e.new_attempts = plan.attempts;
    if (plan.run_at_ms != 0) e.run_at = Str(plan.run_at_ms);
    e.error = plan.error;
    entries.push_back(std::move(e));
  }
  // Runs even with no entries: the call also sweeps expired finished jobs.
  StatusOr<std::vector<int64_t>> applied = RunApply(entries, now);
  if (!applied.ok()) return applied.status();
  int reaped = 0;
  bool requeued = false;
  for (size_t k = 0; k < entries.size(); ++k) {
    if ((*applied)[k] < 0) continue;  // heartbeat or finish came first
    const JobState state = static_cast<JobState>((*applied)[k]);
    PublishState(entries[k].id, state, entries[k].error ? entries[k].error->message : "");
    requeued |= state == JobState::kQueued;
    ++reaped;
  }
  if (requeued) NotifyWork();
  return reaped;
}

// ---------------------------------------------------------------------------------------------
// Reads

StatusOr<Job> RedisQueue::Get(JobId id) {
  (void)FlushProgress();
  RedisReply reply;
  Status s = pool_->Run([&](RedisConnection& c) -> Status {
    StatusOr<RedisReply> r = c.Command({"HGETALL", JobKey(base_, id)});
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (reply.is_error()) return Internal("redis HGETALL failed: " + reply.str);
  if (reply.elements.empty()) return NoSuchJob(id);
  return ParseJob(id, reply);
}

StatusOr<std::vector<Job>> RedisQueue::List(const jobs::JobFilter& filter) {
  const size_t limit = std::min<size_t>(filter.limit, 10000);
  std::vector<Job> out;
  std::string cursor = Str(filter.after_id);
  while (out.size() < limit) {
    std::vector<std::string> args = {
        base_,
        cursor,
        Str(filter.state ? static_cast<int>(*filter.state) : -1),
        filter.error_class ? Str(static_cast<int>(*filter.error_class)) : std::string(),
        filter.type ? *filter.type : std::string(),
        Str(static_cast<int64_t>(limit - out.size())),
        "2000"};  // jobs inspected per call: bounds the time one call blocks Redis
    StatusOr<RedisReply> reply = Eval(scripts_->list, std::move(args));
    if (!reply.ok()) return reply.status();
    if (!IsArray(*reply) || reply->elements.size() != 3) return Malformed("list");
    for (Job& j : ParseJobs(reply->elements[2])) out.push_back(std::move(j));
    cursor = reply->elements[0].type == RedisReply::Type::kInteger ? Str(reply->elements[0].integer)
                                                                   : reply->elements[0].str;
    if (ReplyInt(reply->elements[1]) == 1) break;
  }
  return out;
}

StatusOr<jobs::QueueCounts> RedisQueue::Counts() {
  StatusOr<RedisReply> reply = Eval(scripts_->counts, {base_});
  if (!reply.ok()) return reply.status();
  if (!IsArray(*reply) || reply->elements.size() != jobs::kJobStateCount) {
    return Malformed("counts");
  }
  jobs::QueueCounts counts;
  for (int s = 0; s < jobs::kJobStateCount; ++s) counts.by_state[s] = reply->elements[s].integer;
  return counts;
}

StatusOr<std::vector<jobs::ErrorRecord>> RedisQueue::ErrorHistory(JobId id) {
  std::vector<RedisReply> replies;
  Status s = pool_->Run([&](RedisConnection& c) -> Status {
    StatusOr<std::vector<RedisReply>> r =
        c.Pipeline({{"EXISTS", JobKey(base_, id)}, {"LRANGE", ErrorsKey(base_, id), "0", "-1"}});
    if (!r.ok()) return r.status();
    replies = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (replies.size() != 2 || replies[0].is_error() || replies[1].is_error()) {
    return Malformed("error history");
  }
  if (replies[0].integer == 0) return NoSuchJob(id);
  std::vector<jobs::ErrorRecord> out;
  for (const RedisReply& e : replies[1].elements) {
    // "attempt|class|at|message": the message may itself contain '|', so it goes last.
    const std::string& v = e.str;
    const size_t a = v.find('|');
    const size_t b = a == std::string::npos ? a : v.find('|', a + 1);
    const size_t c = b == std::string::npos ? b : v.find('|', b + 1);
    if (c == std::string::npos) continue;
    jobs::ErrorRecord rec;
    rec.attempt = static_cast<int>(ToInt(std::string_view(v).substr(0, a)));
    rec.error.error_class =
        static_cast<ErrorClass>(ToInt(std::string_view(v).substr(a + 1, b - a - 1)));
    rec.at_ms = ToInt(std::string_view(v).substr(b + 1, c - b - 1));
    rec.error.message = v.substr(c + 1);
    out.push_back(std::move(rec));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dead-letter queue

Status RedisQueue::RetryDead(JobId id) {
  StatusOr<Job> job = Get(id);
  if (!job.ok()) return job.status();
  const int64_t now = clock_->NowMs();
  StatusOr<jobs::FinishPlan> plan = jobs::PlanRetryDead(*job, now);
  if (!plan.ok()) return plan.status();
  ApplyEntry e;
  e.id = id;
  e.want_state = JobState::kDead;
  e.new_state = plan->new_state;
  e.new_attempts = plan->attempts;
  e.run_at = Str(plan->run_at_ms);
  StatusOr<std::vector<int64_t>> applied = RunApply({e}, now);
  if (!applied.ok()) return applied.status();
  const int64_t code = applied->front();
  if (code == -1) return NoSuchJob(id);
  if (code < 0) return FailedPrecondition("job " + std::to_string(id) + " is not dead-lettered");
  PublishState(id, JobState::kQueued);
  NotifyWork();
  return Status::Ok();
}

StatusOr<int> RedisQueue::RetryDeadByClass(ErrorClass c) {
  int n = 0;
  std::string cursor = "0";
  for (;;) {
    StatusOr<RedisReply> reply =
        Eval(scripts_->dead_by_class, {base_, cursor, Str(static_cast<int>(c)), "1000"});
    if (!reply.ok()) return reply.status();
    if (!IsArray(*reply) || reply->elements.size() != 2) return Malformed("dead by class");
    const int64_t now = clock_->NowMs();
    std::vector<ApplyEntry> entries;
    for (const RedisReply& id : reply->elements[1].elements) {
      ApplyEntry e;
      e.id = ReplyInt(id);
      e.want_state = JobState::kDead;
      e.new_state = JobState::kQueued;
      e.new_attempts = 0;  // a fresh budget, as PlanRetryDead
      e.run_at = Str(now);
      entries.push_back(std::move(e));
    }
    if (!entries.empty()) {
      StatusOr<std::vector<int64_t>> applied = RunApply(entries, now);
      if (!applied.ok()) return applied.status();
      for (size_t k = 0; k < entries.size(); ++k) {
        if ((*applied)[k] != static_cast<int64_t>(JobState::kQueued)) continue;
        PublishState(entries[k].id, JobState::kQueued);
        ++n;
      }
    }
    if (reply->elements[0].is_nil() || reply->elements[0].str.empty()) break;
    cursor = reply->elements[0].str;
  }
  if (n > 0) NotifyWork();
  return n;
}

Status RedisQueue::PurgeDead(JobId id) {
  StatusOr<RedisReply> reply = Eval(scripts_->purge, {base_, Str(id)});
  if (!reply.ok()) return reply.status();
  if (!IsArray(*reply) || reply->elements.size() != 1) return Malformed("purge");
  const int64_t code = ReplyInt(reply->elements[0]);
  if (code == -1) return NoSuchJob(id);
  if (code <= -10) {
    return FailedPrecondition("job " + std::to_string(id) + " is not dead-lettered (state " +
                              std::string(jobs::StateName(static_cast<JobState>(-code - 10))) +
                              ")");
  }
  return Status::Ok();
}

StatusOr<int> RedisQueue::PurgeDeadByClass(std::optional<ErrorClass> c) {
  int n = 0;
  std::string cursor = "0";
  for (;;) {
    StatusOr<RedisReply> reply =
        Eval(scripts_->dead_by_class,
             {base_, cursor, c ? Str(static_cast<int>(*c)) : std::string(), "1000"});
    if (!reply.ok()) return reply.status();
    if (!IsArray(*reply) || reply->elements.size() != 2) return Malformed("dead by class");
    if (!reply->elements[1].elements.empty()) {
      std::vector<std::string> args = {base_};
      for (const RedisReply& id : reply->elements[1].elements) args.push_back(id.str);
      StatusOr<RedisReply> purged = Eval(scripts_->purge, std::move(args));
      if (!purged.ok()) return purged.status();
      for (const RedisReply& code : purged->elements) n += ReplyInt(code) == 4 ? 1 : 0;
    }
    if (reply->elements[0].is_nil() || reply->elements[0].str.empty()) break;
    cursor = reply->elements[0].str;
  }
  return n;
}

}  // namespace scriptgen::redis
