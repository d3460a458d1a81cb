// WAL mode lets readers run beside the single writer; synchronous=FULL makes each commit durable
// (the WAL is fsynced). Cost of one commit is one fsync, which group commit (writer.h) amortises.
#include "backends/sqlite/connection.h"

#include <sqlite3.h>

#include <cerrno>

namespace scriptgen::sqlite {
namespace {

// db supplies the OS errno behind an I/O error; message is SQLite's text for the failure.
Status SqliteError(sqlite3* db, int rc, std::string_view what, std::string_view message) {
  std::string msg(what);
  msg += ": ";
  msg += message;
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Unavailable(std::move(msg));
  if (primary == SQLITE_FULL) return StorageFull(std::move(msg));
  if (primary == SQLITE_IOERR) {
    // Running out of space while growing the WAL or the shared-memory file is reported as an
    // I/O error; the OS error tells it apart from a failing disk.
    const int os_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
    if (os_errno == ENOSPC || os_errno == EDQUOT) return StorageFull(std::move(msg));
    return Unavailable(std::move(msg));
  }
  if (primary == SQLITE_CONSTRAINT) return AlreadyExists(std::move(msg));
  return Internal(std::move(msg));  // SQLITE_CORRUPT, SQLITE_NOTADB, misuse: not retryable
}

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  return SqliteError(db, rc, what, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

}  // namespace

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindBlob(int index, const void* data, size_t size) {
  sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::BindTextOrNull(int index, std::string_view text) {
  return text.empty() ? BindNull(index) : Bind(index, text);
}

StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "sqlite step");
}

Status Statement::Run() {
  for (;;) {
    StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

Status Statement::Each(const std::function<void(const Statement&)>& fn) {
  for (;;) {
    StatusOr<bool> row = Step();
    if (!row.ok() || !*row) {
      Reset();
      return row.status();
    }
    fn(*this);
  }
}

StatusOr<bool> Statement::One(const std::function<void(const Statement&)>& fn) {
  StatusOr<bool> row = Step();
  if (row.ok() && *row) fn(*this);
  Reset();
  return row;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Statement::Double(int col) const {
  return sqlite3_column_double(stmt_, col);
}
std::string Statement::Text(int col) const {
  return std::string(TextView(col));
}
std::string_view Statement::TextView(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p == nullptr ? std::string_view() : std::string_view(p, sqlite3_column_bytes(stmt_, col));
}
std::string_view Statement::Blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  return p == nullptr ? std::string_view() : std::string_view(p, sqlite3_column_bytes(stmt_, col));
}
bool Statement::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                       const ConnectionOptions& options) {
  sqlite3* db = nullptr;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, rc, "open " + path);
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<Connection> conn(new Connection(db, options.busy_timeout_ms));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";
  if (!options.read_only) {
    pragmas += "PRAGMA journal_mode=WAL;";
    // Overwritten and deleted content is zeroed in the database pages rather than left in free
    // space: text replaced by its scrubbed form, and deleted documents, must not linger (R-G2).
    pragmas += "PRAGMA secure_delete=ON;";
    pragmas += options.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  }
  SG_RETURN_IF_ERROR(conn->Exec(pragmas));
  return conn;
}

Connection::~Connection() {
  cache_.clear();  // statements must be finalized before the connection closes
  sqlite3_close(db_);
}

Status Connection::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string owned(sql);
  const int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return SqliteError(db_, rc, "exec", msg);
}

StatusOr<Statement*> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare");
  auto owned = std::make_unique<Statement>(db_, stmt);
  Statement* raw = owned.get();
  cache_.emplace(std::string(sql), std::move(owned));
  return raw;
}

int64_t Connection::LastInsertId() const {
  return sqlite3_last_insert_rowid(db_);
}
int Connection::Changes() const {
  return sqlite3_changes(db_);
}
bool Connection::InTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

void Connection::TrackWal() {
  // Replaces the automatic checkpoint hook (sqlite3_wal_autocheckpoint installs one of these).
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Connection*>(self)->wal_frames_ = frames;
        return SQLITE_OK;
      },
      this);
}

StatusOr<bool> Connection::Checkpoint(CheckpointMode mode, int busy_wait_ms) {
  const bool waits = mode != CheckpointMode::kPassive;
  const int sqlite_mode = mode == CheckpointMode::kTruncate  ? SQLITE_CHECKPOINT_TRUNCATE
                          : mode == CheckpointMode::kRestart ? SQLITE_CHECKPOINT_RESTART
                                                             : SQLITE_CHECKPOINT_PASSIVE;
  if (waits) sqlite3_busy_timeout(db_, busy_wait_ms);
  int log = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db_, "main", sqlite_mode, &log, &copied);
  if (waits) sqlite3_busy_timeout(db_, busy_timeout_ms_);
  // SQLITE_BUSY: readers outlasted the wait, or another process holds the write lock. What could
  // be copied without them was; the caller tries again later.
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) return SqliteError(db_, rc, "checkpoint");
  const bool complete = rc == SQLITE_OK && copied == log;
  if (complete && waits) wal_frames_ = 0;
  return complete;
}

StatusOr<ReaderPool::Lease> ReaderPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  StatusOr<std::unique_ptr<Connection>> c = Connection::Open(path_, {.read_only = true});
  if (!c.ok()) return c.status();
  return Lease(this, std::move(*c));
}

void ReaderPool::Return(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
}

}  // namespace scriptgen::sqlite
