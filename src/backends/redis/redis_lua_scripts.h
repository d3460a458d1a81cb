// The Lua scripts of the Redis queue and progress bus: every state change that must be atomic is
// one of these, run with EVALSHA (RedisScript). Key layout: redis_keys.h.
//
// Conventions shared by all of them: ARGV[1] is the key base ("sg:{jobs}:"), KEYS[1] is the
// queue's id counter (an anchor key that routes the call to the queue's slot in a cluster), times
// are computed by the caller from its injected Clock and passed as decimal strings (the scripts
// never call TIME, so tests can drive time, and Lua's doubles never do arithmetic on them), job
// ids travel as strings. Per-call work is O(entries), each entry O(log n).
#pragma once

#include <string>

namespace scriptgen::redis::lua {

// ARGV: base, now, count, then per job 8 fields: type, payload, idempotency key, max_attempts,
// run_at, state (0 queued / 1 scheduled), trace id, correlation id.
// Returns a flat array: id, created (1/0) per job.
const std::string& Enqueue();

// ARGV: base, now, lease_until, worker, max_jobs, promote_limit, ntypes, types...
// Promotes due scheduled jobs, then claims up to max_jobs queued jobs in id order.
// Returns {promoted ids, jobs}: jobs is flat: id, then the job's field/value array as it was
// before the claim (the caller applies the claim: running, attempts + 1, worker, lease, updated).
const std::string& Claim();

// ARGV: base, lease_until, worker, ids... Returns {cancel_requested ids, lost ids}.
const std::string& Heartbeat();

// ARGV: base, now, sweep_cutoff, sweep_limit, count, compact_worker, then `count` entries of 10
// fields:
//   id, want_worker ('' any), want_state, want_attempts (-1 any), want_lease ('' any),
//   new_state, new_attempts (-1 keep, -2 one less, >= 0 set), run_at ('' keep),
//   error class ('' none), error message,
// then compact entries of 2 fields, id and new_state, each meaning "running and held by
// compact_worker -> new_state" with everything else kept (a batch of successes costs the
// client and the server 2 strings per job instead of 10).
// Applies each entry whose preconditions hold (compare-and-set), appends errors to the history,
// then deletes finished jobs older than the cutoff. A cutoff >= now (finished_ttl 0) deletes a job
// that becomes succeeded or cancelled at once instead of storing its final state. Returns per
// entry (the 10-field ones first) the new state, -1 when the job does not exist, or
// -(10 + current state) when a precondition failed.
const std::string& Apply();

// ARGV: base, now, id, then the action for each of the 6 states: n (no change), r (request
// cooperative cancel), c (cancel now), x (refuse). Returns {state or -1 or -(10+state), changed}.
const std::string& Cancel();

// ARGV: base, now, limit. Running jobs whose lease_until < now:
// {{id, state, worker, attempts, max_attempts, lease_until}, ...}.
const std::string& ExpiredLeases();

// ARGV: base, after_id, error class ('' any), limit. Dead jobs with id > after_id of that class:
// {last scanned id or '', {ids}}.
const std::string& DeadByClass();

// ARGV: base, ids... Deletes dead jobs. Per id: 4 deleted, -1 missing, -(10+state) not dead.
const std::string& Purge();

// ARGV: base, then per job 4 fields: id, step, percent, message. Only running jobs are updated.
const std::string& Progress();

// ARGV: base, after_id, state (-1 any), error class ('' any), type ('' any), limit, scan budget.
// Returns {cursor, done (1/0), jobs} with jobs as in Claim.
const std::string& List();

// ARGV: base. Returns the number of jobs in each state (JobState order).
const std::string& Counts();

// Progress bus. ARGV: base, history, live_ttl_ms, finished_ttl_ms, then per event 3 fields:
// job id, flag, body. The flag says how the event moves the key's TTL: t (terminal state) sets
// finished_ttl, s (queued/scheduled) sets live_ttl, n (running, progress) keeps it (but the
// job's first event always sets live_ttl): a PEXPIRE per event would cost a third of the bus's
// Redis time. Assigns each event the job's
// next seq (HINCRBY), stores "<seq>,<body>" in the job's ring of `history` events, and PUBLISHes
// all events of the call as one message of netstrings "<len>:<seq>,<body>".
const std::string& PublishEvents();

}  // namespace scriptgen::redis::lua
