// Group commit. The loop swaps out every pending op at once, so while one group commits (fsync),
// the next group accumulates: under load the group size grows until the fsync cost per op is
// negligible; at low load a lone op commits immediately (no artificial delay).
//
// Failure handling: an op that fails is rolled back to its savepoint and told its own Status; the
// others still commit. If COMMIT itself fails (disk full, I/O error) the whole group is rolled back
// and every op in it gets that error: nobody is told "done" for something that was not stored.
#include "backends/sqlite/writer.h"

#include <exception>
#include <future>

namespace scriptgen::sqlite {

StatusOr<std::unique_ptr<Writer>> Writer::Open(const std::string& path,
                                               const WriterOptions& options) {
  StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(path, {});
  if (!conn.ok()) return conn.status();
  (*conn)->TrackWal();  // the writer checkpoints itself: KeepWalBounded
  // When SQLite restarts the log on its own (a passive checkpoint found no reader in it), the file
  // is cut back to the size the log is allowed to reach, rather than kept at its high-water mark.
  int64_t page_size = 4096;
  StatusOr<Statement*> ps = (*conn)->Prepare("PRAGMA page_size");
  if (ps.ok()) (void)(*ps)->One([&](const Statement& s) { page_size = s.Int(0); });
  SG_RETURN_IF_ERROR((*conn)->Exec("PRAGMA journal_size_limit=" +
                                   std::to_string(options.wal_truncate_frames * (page_size + 24))));
  return std::unique_ptr<Writer>(new Writer(std::move(*conn), options));
}

Writer::Writer(std::unique_ptr<Connection> conn, const WriterOptions& options)
    : conn_(std::move(conn)), options_(options) {
  thread_ = std::thread([this] { Loop(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Status Writer::Run(Op op) {
  std::promise<Status> promise;
  std::future<Status> result = promise.get_future();
  Submit(std::move(op), [&promise](const Status& s) { promise.set_value(s); });
  return result.get();
}

void Writer::Submit(Op op, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      pending_.push_back({std::move(op), std::move(done)});
      op = nullptr;
    }
  }
  if (op != nullptr) {  // the writer is shutting down: refuse rather than lose silently
    if (done) done(Unavailable("the store is shutting down"));
    return;
  }
  cv_.notify_one();
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Writer::Loop() {
  std::vector<Pending> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
      if (pending_.empty() && stop_) return;
      if (pending_.size() <= options_.max_ops_per_commit) {
        group.swap(pending_);
      } else {
        auto split = pending_.begin() + static_cast<ptrdiff_t>(options_.max_ops_per_commit);
        group.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(split));
        pending_.erase(pending_.begin(), split);
      }
    }
    const bool refused = CommitGroup(group);
    group.clear();
    KeepWalBounded(refused);
  }
}

void Writer::KeepWalBounded(bool store_refused) {
  if (!store_refused && conn_->WalFrames() < options_.wal_truncate_frames) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_truncate_) {
    // Readers outlasted the last attempt: meanwhile copy what they allow, as SQLite would have.
    (void)conn_->Checkpoint(Connection::CheckpointMode::kPassive);
    return;
  }
  // A refused commit wants the log's space back now; otherwise the log is restarted and reused.
  StatusOr<bool> complete = conn_->Checkpoint(
      store_refused ? Connection::CheckpointMode::kTruncate : Connection::CheckpointMode::kRestart,
      static_cast<int>(options_.wal_truncate_wait.count()));
  const bool done = complete.ok() && *complete;
  // After a refusal the checkpoint may itself lack space (the database file grows as frames are
  // copied into it); it is retried after wal_retry_after like a busy one, not on every commit.
  next_truncate_ = done ? std::chrono::steady_clock::time_point{} : now + options_.wal_retry_after;
  std::lock_guard lock(mu_);
  ++(done ? stats_.wal_checkpoints : stats_.wal_busy);
}

bool Writer::CommitGroup(std::vector<Pending>& group) {
  std::vector<Status> results(group.size());
  std::vector<std::function<void()>> after_commit;
  Status begin = conn_->Exec("BEGIN IMMEDIATE");
  if (begin.ok()) {
    size_t first = 0;  // the first op of the transaction now open
    for (size_t i = 0; i < group.size(); ++i) {
      Tx tx(*conn_);
      Status s = conn_->Exec("SAVEPOINT op");
      if (s.ok()) {
        try {
          s = group[i].op(tx);
        } catch (const std::exception& e) {
          s = Internal(std::string("store op threw: ") + e.what());
        }
        if (s.ok()) {
          s = conn_->Exec("RELEASE op");
        } else {
          (void)conn_->Exec("ROLLBACK TO op");
          (void)conn_->Exec("RELEASE op");
        }
      }
      if (!conn_->InTransaction()) {
        // SQLite rolled back the whole transaction, not just the op's statement (it may on
        // SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM): the ops before this one are gone too.
        // Without this check they would be told "done", and the next op's SAVEPOINT would open
        // a transaction of its own that RELEASE commits outside the group.
        const Status lost = s.ok() ? Unavailable("the store rolled back the transaction") : s;
        for (size_t j = first; j <= i; ++j) results[j] = lost;
        after_commit.clear();
        first = i + 1;
        begin = conn_->Exec("BEGIN IMMEDIATE");
        if (!begin.ok()) {
          for (size_t j = first; j < group.size(); ++j) results[j] = begin;
          break;
        }
        continue;
      }
      if (s.ok()) {
        for (auto& fn : tx.after_commit_) after_commit.push_back(std::move(fn));
      }
      results[i] = std::move(s);
    }
    if (begin.ok()) {
      Status commit = conn_->Exec("COMMIT");
      if (!commit.ok()) {
        (void)conn_->Exec("ROLLBACK");
        after_commit.clear();
        for (size_t j = first; j < group.size(); ++j) {
          if (results[j].ok()) results[j] = commit;
        }
      }
    }
  } else {
    for (Status& s : results) s = begin;
  }
  {
    std::lock_guard lock(mu_);
    stats_.commits += begin.ok() ? 1 : 0;
    stats_.ops += group.size();
  }
  for (auto& fn : after_commit) fn();
  bool refused = false;
  for (size_t i = 0; i < group.size(); ++i) {
    const Code code = results[i].code();
    refused = refused || code == Code::kUnavailable || code == Code::kStorageFull;
    if (group[i].done) group[i].done(results[i]);
  }
  return refused;
}

}  // namespace scriptgen::sqlite
