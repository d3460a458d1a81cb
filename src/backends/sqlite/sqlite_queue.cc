// Each public write method is one Writer op: read the affected rows inside the transaction, ask
// jobs/transitions.h what they become, write that. Reading inside the writer's transaction is what
// makes the read-decide-write atomic without row locks: there is exactly one writer per database.
//
// Claim is a single UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING over a partial index of
// queued jobs, so claiming n jobs costs one statement, not n.
#include "backends/sqlite/sqlite_queue.h"

#include <algorithm>
#include <random>

#include "jobs/progress_bus.h"
#include "jobs/transitions.h"

namespace scriptgen::sqlite {

using jobs::ErrorClass;
using jobs::Job;
using jobs::JobId;
using jobs::JobState;

namespace {

constexpr const char* kJobColumns =
    "id, type, payload, idempotency_key, state, attempts, max_attempts, run_at, lease_until, "
    "worker_id, cancel_requested, progress_step, progress_percent, progress_message, error_class, "
    "error_message, created_at, updated_at, finished_at, trace_id, correlation_id";

std::string Sql(std::string_view before, std::string_view after = {}) {
  std::string s(before);
  s += kJobColumns;
  s += after;
  return s;
}

Job ReadJob(const Statement& st) {
  Job j;
  j.id = st.Int(0);
  j.type = st.Text(1);
  j.payload = st.Text(2);
  j.idempotency_key = st.Text(3);
  j.state = static_cast<JobState>(st.Int(4));
  j.attempts = static_cast<int>(st.Int(5));
  j.max_attempts = static_cast<int>(st.Int(6));
  j.run_at_ms = st.Int(7);
  j.lease_until_ms = st.Int(8);
  j.worker_id = st.Text(9);
  j.cancel_requested = st.Int(10) != 0;
  j.progress = {st.Text(11), static_cast<int>(st.Int(12)), st.Text(13)};
  if (!st.IsNull(14)) {
    j.last_error = jobs::JobError{static_cast<ErrorClass>(st.Int(14)), st.Text(15)};
  }
  j.created_ms = st.Int(16);
  j.updated_ms = st.Int(17);
  j.finished_ms = st.Int(18);
  j.trace_id = st.Text(19);
  j.correlation_id = st.Text(20);
  return j;
}

double Random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// A JSON array of strings, for json_each() in SQL.
std::string JsonStrings(const std::vector<std::string>& values) {
  std::string json = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) json += ',';
    json += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') json += '\\';
      if (static_cast<unsigned char>(c) < 0x20) continue;  // never in a type or worker id
      json += c;
    }
    json += '"';
  }
  return json + "]";
}

Status NoSuchJob(JobId id) {
  return NotFound("job " + std::to_string(id) + " does not exist");
}

// Reads one job through conn: the writer's (inside a transaction) or a pooled reader's.
StatusOr<Job> LoadJob(Connection& conn, JobId id) {
  StatusOr<Statement*> st = conn.Prepare(Sql("SELECT ", " FROM jobs WHERE id = ?"));
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  Job job;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { job = ReadJob(s); });
  if (!found.ok()) return found.status();
  if (!*found) return NoSuchJob(id);
  return job;
}

// Every job a query returns.
StatusOr<std::vector<Job>> ReadJobs(Statement& st) {
  std::vector<Job> jobs;
  SG_RETURN_IF_ERROR(st.Each([&](const Statement& s) { jobs.push_back(ReadJob(s)); }));
  return jobs;
}

// Writes a plan made by jobs/transitions.h.
Status ApplyPlan(Tx& tx, const Job& job, const jobs::FinishPlan& plan, int64_t now) {
  SG_RETURN_IF_ERROR(jobs::CheckTransition(job.state, plan.new_state));
  StatusOr<Statement*> st = tx.Prepare(
      "UPDATE jobs SET state = ?, attempts = ?, run_at = ?, lease_until = 0, worker_id = NULL, "
      "cancel_requested = 0, updated_at = ?, finished_at = ?, "
      "error_class = coalesce(?, error_class), error_message = coalesce(?, error_message) "
      "WHERE id = ?");
  if (!st.ok()) return st.status();
  Statement& s = **st;
  s.Bind(1, static_cast<int>(plan.new_state)).Bind(2, plan.attempts);
  s.Bind(3, plan.run_at_ms != 0 ? plan.run_at_ms : job.run_at_ms).Bind(4, now);
  s.Bind(5, plan.finished ? now : int64_t{0});
  if (plan.error) {
    s.Bind(6, static_cast<int>(plan.error->error_class)).Bind(7, plan.error->message);
  } else {
    s.BindNull(6).BindNull(7);
  }
  s.Bind(8, job.id);
  SG_RETURN_IF_ERROR(s.Run());
  if (plan.error) {
    StatusOr<Statement*> e = tx.Prepare(
        "INSERT INTO job_errors(job_id, attempt, error_class, message, at) VALUES (?,?,?,?,?)");
    if (!e.ok()) return e.status();
    (*e)->Bind(1, job.id).Bind(2, job.attempts).Bind(3, static_cast<int>(plan.error->error_class));
    (*e)->Bind(4, plan.error->message).Bind(5, now);
    SG_RETURN_IF_ERROR((*e)->Run());
  }
  return Status::Ok();
}

}  // namespace

SqliteQueue::SqliteQueue(Database* db, jobs::RetryPolicy policy, jobs::ProgressBus* bus,
                         const Clock* clock, jobs::LeaseOwners* owners)
    : db_(db), policy_(std::move(policy)), bus_(bus), clock_(clock), owners_(owners) {}

SqliteQueue::~SqliteQueue() {
  // Pending progress flushes capture `this`: let the writer finish them first.
  (void)db_->writer().Run([](Tx&) { return Status::Ok(); });
}

void SqliteQueue::SetWorkAvailableCallback(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  on_work_ = std::move(callback);
}

void SqliteQueue::NotifyWorkAfter(Tx& tx) {
  tx.AfterCommit([this] {
    std::function<void()> cb;
    {
      std::lock_guard lock(mu_);
      cb = on_work_;
    }
    if (cb) cb();
  });
}

void SqliteQueue::PublishState(Tx& tx, JobId id, JobState state, std::string error) {
  if (bus_ == nullptr) return;
  tx.AfterCommit([this, id, state, error = std::move(error)] {
    jobs::JobEvent e;
    e.job_id = id;
    e.kind = jobs::JobEvent::Kind::kState;
    e.state = state;
    e.error = error;
    bus_->Publish(std::move(e));
  });
}

StatusOr<jobs::EnqueueResult> SqliteQueue::EnqueueInTx(store::WriteTx& wtx,
                                                       const jobs::EnqueueRequest& request) {
  Tx& tx = Tx::From(wtx);
  if (request.type.empty()) return InvalidArgument("job type must not be empty");
  if (request.delay.count() < 0) return InvalidArgument("delay must not be negative");
  if (!request.idempotency_key.empty()) {
    StatusOr<Statement*> q = tx.Prepare("SELECT id FROM jobs WHERE idempotency_key = ?");
    if (!q.ok()) return q.status();
    (*q)->Bind(1, request.idempotency_key);
    JobId existing = 0;
    StatusOr<bool> found = (*q)->One([&](const Statement& s) { existing = s.Int(0); });
    if (!found.ok()) return found.status();
    if (*found) return jobs::EnqueueResult{existing, false};
  }
  const int64_t now = clock_->NowMs();
  const JobState state = request.delay.count() > 0 ? JobState::kScheduled : JobState::kQueued;
  StatusOr<Statement*> ins = tx.Prepare(
      "INSERT INTO jobs(type, payload, idempotency_key, state, max_attempts, run_at, created_at, "
      "updated_at, trace_id, correlation_id) VALUES (?,?,?,?,?,?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  Statement& s = **ins;
  s.Bind(1, request.type).Bind(2, request.payload).BindTextOrNull(3, request.idempotency_key);
  s.Bind(4, static_cast<int>(state));
  s.Bind(5, request.max_attempts > 0 ? request.max_attempts : policy_.options().max_attempts);
  s.Bind(6, now + request.delay.count()).Bind(7, now).Bind(8, now);
  s.Bind(9, request.trace_id).Bind(10, request.correlation_id);
  SG_RETURN_IF_ERROR(s.Run());
  const JobId id = tx.conn().LastInsertId();
  PublishState(tx, id, state);
  if (state == JobState::kQueued) NotifyWorkAfter(tx);
  return jobs::EnqueueResult{id, true};
}

StatusOr<jobs::EnqueueResult> SqliteQueue::Enqueue(const jobs::EnqueueRequest& request) {
  StatusOr<std::vector<jobs::EnqueueResult>> r = EnqueueBatch(std::span(&request, 1));
  if (!r.ok()) return r.status();
  return r->front();
}

StatusOr<std::vector<jobs::EnqueueResult>> SqliteQueue::EnqueueBatch(
    std::span<const jobs::EnqueueRequest> requests) {
  std::vector<jobs::EnqueueResult> out;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    out.clear();
    for (const jobs::EnqueueRequest& r : requests) {
      StatusOr<jobs::EnqueueResult> one = EnqueueInTx(tx, r);
      if (!one.ok()) return one.status();
      out.push_back(*one);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

StatusOr<std::vector<Job>> SqliteQueue::Claim(const jobs::ClaimRequest& request) {
  if (request.worker_id.empty()) return InvalidArgument("claim needs a worker id");
  if (request.max_jobs == 0) return std::vector<Job>{};
  // The SQL below moves scheduled->queued and queued->running; keep it honest to the table.
  SG_RETURN_IF_ERROR(jobs::CheckTransition(JobState::kScheduled, JobState::kQueued));
  SG_RETURN_IF_ERROR(jobs::CheckTransition(JobState::kQueued, JobState::kRunning));
  const std::string types_json = JsonStrings(request.types);
  // Before any job is leased to this worker id. If it fails, its leases are reaped by expiry only.
  if (owners_ != nullptr) (void)owners_->Register(request.worker_id);

  std::vector<Job> out;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    out.clear();
    const int64_t now = clock_->NowMs();
    StatusOr<Statement*> promote = tx.Prepare(
        "UPDATE jobs SET state = 0, updated_at = ?1 WHERE state = 1 AND run_at <= ?1 RETURNING id");
    if (!promote.ok()) return promote.status();
    (*promote)->Bind(1, now);
    SG_RETURN_IF_ERROR((*promote)->Each(
        [&](const Statement& s) { PublishState(tx, s.Int(0), JobState::kQueued); }));
    StatusOr<Statement*> claim = tx.Prepare(Sql(
        "UPDATE jobs SET state = 2, attempts = attempts + 1, lease_until = ?1, worker_id = ?2, "
        "updated_at = ?3 WHERE id IN (SELECT id FROM jobs WHERE state = 0 AND (?4 = '[]' OR type "
        "IN (SELECT value FROM json_each(?4))) ORDER BY id LIMIT ?5) RETURNING "));
    if (!claim.ok()) return claim.status();
    Statement& c = **claim;
    c.Bind(1, now + request.lease.count()).Bind(2, request.worker_id).Bind(3, now);
    c.Bind(4, types_json).Bind(5, static_cast<int64_t>(request.max_jobs));
    StatusOr<std::vector<Job>> claimed = ReadJobs(c);
    if (!claimed.ok()) return claimed.status();
    out = std::move(*claimed);
    for (const Job& job : out) PublishState(tx, job.id, JobState::kRunning);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
  return out;
}

StatusOr<jobs::HeartbeatResult> SqliteQueue::Heartbeat(const std::string& worker_id,
                                                       std::span<const JobId> ids,
                                                       std::chrono::milliseconds lease) {
  jobs::HeartbeatResult result;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    result = {};
    const int64_t now = clock_->NowMs();
    StatusOr<Statement*> st = tx.Prepare(
        "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 2 AND worker_id = ? "
        "RETURNING cancel_requested");
    if (!st.ok()) return st.status();
    for (JobId id : ids) {
      (*st)->Reset();
      (*st)->Bind(1, now + lease.count()).Bind(2, id).Bind(3, worker_id);
      StatusOr<bool> row = (*st)->Step();
      if (!row.ok()) return row.status();
      if (!*row) {
        result.lost.push_back(id);
      } else if ((*st)->Int(0) != 0) {
        result.cancel_requested.push_back(id);
      }
      (*st)->Reset();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

std::vector<StatusOr<JobState>> SqliteQueue::Finish(std::span<const jobs::FinishRequest> requests) {
  std::vector<StatusOr<JobState>> out;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    out.clear();
    const int64_t now = clock_->NowMs();
    bool requeued = false;
    for (const jobs::FinishRequest& r : requests) {
      StatusOr<Job> job = LoadJob(tx.conn(), r.id);
      if (!job.ok()) {
        out.emplace_back(job.status());
        continue;
      }
      StatusOr<jobs::FinishPlan> plan = jobs::PlanFinish(*job, r, policy_, now, Random01());
      if (!plan.ok()) {
        out.emplace_back(plan.status());
        continue;
      }
      SG_RETURN_IF_ERROR(ApplyPlan(tx, *job, *plan, now));
      PublishState(tx, r.id, plan->new_state, plan->error ? plan->error->message : "");
      requeued |= plan->new_state == JobState::kQueued;
      out.emplace_back(plan->new_state);
    }
    if (requeued) NotifyWorkAfter(tx);
    return Status::Ok();
  });
  if (!s.ok()) out.assign(requests.size(), s);
  return out;
}

void SqliteQueue::RecordProgress(JobId id, const jobs::Progress& progress) {
  {
    std::lock_guard lock(mu_);
    pending_progress_[id] = progress;
    if (progress_flush_scheduled_) return;
    progress_flush_scheduled_ = true;
  }
  db_->writer().Submit([this](Tx& tx) -> Status {
    std::unordered_map<JobId, jobs::Progress> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_progress_);
      progress_flush_scheduled_ = false;
    }
    StatusOr<Statement*> st = tx.Prepare(
        "UPDATE jobs SET progress_step = ?, progress_percent = ?, progress_message = ? "
        "WHERE id = ? AND state = 2");
    if (!st.ok()) return st.status();
    for (const auto& [id, p] : batch) {
      (*st)->Reset();
      (*st)->Bind(1, p.step).Bind(2, p.percent).Bind(3, p.message).Bind(4, id);
      SG_RETURN_IF_ERROR((*st)->Run());
    }
    return Status::Ok();
  });
}

StatusOr<JobState> SqliteQueue::Cancel(JobId id) {
  JobState result = JobState::kCancelled;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Job> job = LoadJob(tx.conn(), id);
    if (!job.ok()) return job.status();
    StatusOr<jobs::CancelPlan> plan = jobs::PlanCancel(*job);
    if (!plan.ok()) return plan.status();
    result = job->state;
    if (plan->no_change) return Status::Ok();
    StatusOr<Statement*> st =
        plan->request_only
            ? tx.Prepare("UPDATE jobs SET cancel_requested = 1, updated_at = ?1 WHERE id = ?2")
            : tx.Prepare(
                  "UPDATE jobs SET state = 5, finished_at = ?1, updated_at = ?1 WHERE id = ?2");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, clock_->NowMs()).Bind(2, id);
    SG_RETURN_IF_ERROR((*st)->Run());
    if (!plan->request_only) {
      result = JobState::kCancelled;
      PublishState(tx, id, JobState::kCancelled);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

StatusOr<int> SqliteQueue::ReapExpiredLeases() {
  std::vector<jobs::LeaseOwners::Dead> dead;
  std::vector<std::string> dead_ids, own_ids;
  if (owners_ != nullptr) {
    dead = owners_->FindDead();
    for (const jobs::LeaseOwners::Dead& d : dead) dead_ids.push_back(d.worker_id());
    own_ids = owners_->Held();
  }
  const std::string dead_json = JsonStrings(dead_ids);
  const std::string own_json = JsonStrings(own_ids);
  int reaped = 0;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    reaped = 0;
    const int64_t now = clock_->NowMs();
    // Every lease of an owner whose process is gone, whatever its expiry; and expired leases,
    // except this process's own: it is demonstrably alive and heartbeating them (the same
    // dispatcher calls this), and after a forward jump of the wall clock every lease looks
    // expired.
    StatusOr<Statement*> q = tx.Prepare(Sql("SELECT ",
                                            " FROM jobs WHERE state = 2 AND ((lease_until < ?1 AND "
                                            "coalesce(worker_id, '') NOT IN (SELECT "
                                            "value FROM json_each(?3))) OR worker_id IN (SELECT "
                                            "value FROM json_each(?2))) LIMIT 1000"));
    if (!q.ok()) return q.status();
    (*q)->Bind(1, now).Bind(2, dead_json).Bind(3, own_json);
    StatusOr<std::vector<Job>> expired = ReadJobs(**q);
    if (!expired.ok()) return expired.status();
    for (const Job& job : *expired) {
      const jobs::FinishPlan plan = jobs::PlanReap(job, now);
      SG_RETURN_IF_ERROR(ApplyPlan(tx, job, plan, now));
      PublishState(tx, job.id, plan.new_state, plan.error ? plan.error->message : "");
      ++reaped;
    }
    if (reaped > 0) NotifyWorkAfter(tx);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  // Only now that their jobs are back in the queue (committed); a dead owner with more than
  // 1000 running jobs stays for the next round.
  if (reaped < 1000) {
    for (jobs::LeaseOwners::Dead& d : dead) owners_->Forget(std::move(d));
  }
  return reaped;
}

StatusOr<Job> SqliteQueue::Get(JobId id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  return LoadJob(**conn, id);
}

StatusOr<std::vector<Job>> SqliteQueue::List(const jobs::JobFilter& filter) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      Sql("SELECT ",
          " FROM jobs WHERE id > ?1 AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR "
          "error_class = ?3) AND (?4 IS NULL OR type = ?4) ORDER BY id LIMIT ?5"));
  if (!st.ok()) return st.status();
  Statement& s = **st;
  s.Bind(1, filter.after_id);
  filter.state ? s.Bind(2, static_cast<int>(*filter.state)) : s.BindNull(2);
  filter.error_class ? s.Bind(3, static_cast<int>(*filter.error_class)) : s.BindNull(3);
  filter.type ? s.Bind(4, *filter.type) : s.BindNull(4);
  s.Bind(5, static_cast<int64_t>(std::min<size_t>(filter.limit, 10000)));
  return ReadJobs(s);
}

StatusOr<jobs::QueueCounts> SqliteQueue::Counts() {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare("SELECT state, count(*) FROM jobs GROUP BY state");
  if (!st.ok()) return st.status();
  jobs::QueueCounts counts;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) {
    const int64_t state = s.Int(0);
    if (state >= 0 && state < jobs::kJobStateCount) counts.by_state[state] = s.Int(1);
  }));
  return counts;
}

StatusOr<std::vector<jobs::ErrorRecord>> SqliteQueue::ErrorHistory(JobId id) {
  SG_RETURN_IF_ERROR(Get(id).status());
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT attempt, error_class, message, at FROM job_errors WHERE job_id = ? ORDER BY rowid");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  std::vector<jobs::ErrorRecord> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) {
    out.push_back(
        {static_cast<int>(s.Int(0)), {static_cast<ErrorClass>(s.Int(1)), s.Text(2)}, s.Int(3)});
  }));
  return out;
}

Status SqliteQueue::RetryDead(JobId id) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Job> job = LoadJob(tx.conn(), id);
    if (!job.ok()) return job.status();
    const int64_t now = clock_->NowMs();
    StatusOr<jobs::FinishPlan> plan = jobs::PlanRetryDead(*job, now);
    if (!plan.ok()) return plan.status();
    SG_RETURN_IF_ERROR(ApplyPlan(tx, *job, *plan, now));
    PublishState(tx, id, JobState::kQueued);
    NotifyWorkAfter(tx);
    return Status::Ok();
  });
}

StatusOr<int> SqliteQueue::RetryDeadByClass(ErrorClass c) {
  int n = 0;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    n = 0;
    const int64_t now = clock_->NowMs();
    StatusOr<Statement*> q =
        tx.Prepare(Sql("SELECT ", " FROM jobs WHERE state = 4 AND error_class = ? ORDER BY id"));
    if (!q.ok()) return q.status();
    (*q)->Bind(1, static_cast<int>(c));
    StatusOr<std::vector<Job>> dead = ReadJobs(**q);
    if (!dead.ok()) return dead.status();
    for (const Job& job : *dead) {
      StatusOr<jobs::FinishPlan> plan = jobs::PlanRetryDead(job, now);
      if (!plan.ok()) return plan.status();
      SG_RETURN_IF_ERROR(ApplyPlan(tx, job, *plan, now));
      PublishState(tx, job.id, JobState::kQueued);
      ++n;
    }
    if (n > 0) NotifyWorkAfter(tx);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

Status SqliteQueue::PurgeDead(JobId id) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Job> job = LoadJob(tx.conn(), id);
    if (!job.ok()) return job.status();
    if (job->state != JobState::kDead) {
      return FailedPrecondition("job " + std::to_string(id) + " is not dead-lettered (state " +
                                std::string(jobs::StateName(job->state)) + ")");
    }
    StatusOr<Statement*> st = tx.Prepare("DELETE FROM jobs WHERE id = ?");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, id);
    return (*st)->Run();
  });
}

StatusOr<int> SqliteQueue::PurgeDeadByClass(std::optional<ErrorClass> c) {
  int n = 0;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> st =
        tx.Prepare("DELETE FROM jobs WHERE state = 4 AND (?1 IS NULL OR error_class = ?1)");
    if (!st.ok()) return st.status();
    c ? (*st)->Bind(1, static_cast<int>(*c)) : (*st)->BindNull(1);
    SG_RETURN_IF_ERROR((*st)->Run());
    n = tx.conn().Changes();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

}  // namespace scriptgen::sqlite
