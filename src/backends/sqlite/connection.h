// Thin RAII wrappers over the SQLite C API: a Connection (with the pragmas scriptgen relies on)
// and a prepared Statement. Nothing here knows about jobs or documents.
//
// A Connection is NOT thread-safe: it belongs to one thread at a time (the writer thread, or a
// reader checked out of a ReaderPool). Statements are cached per connection by their SQL text, so
// hot queries are prepared once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace scriptgen::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, const void* data, size_t size);
  Statement& BindNull(int index);
  // Binds NULL for an empty string.
  Statement& BindTextOrNull(int index, std::string_view text);

  // true: a row is available; false: done. Errors carry SQLite's message.
  StatusOr<bool> Step();
  // Steps to completion, expecting no rows or ignoring them.
  Status Run();
  // Steps to completion calling fn for every row, then resets.
  Status Each(const std::function<void(const Statement&)>& fn);
  // Steps once: fn is called if there is a row; returns whether there was. Then resets.
  StatusOr<bool> One(const std::function<void(const Statement&)>& fn);
  void Reset();  // resets and clears bindings; called automatically before reuse

  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::string_view TextView(int col) const;  // valid until the next Step/Reset
  std::string_view Blob(int col) const;      // valid until the next Step/Reset
  bool IsNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

struct ConnectionOptions {
  bool read_only = false;
  int busy_timeout_ms = 10000;   // other processes hold the write lock for at most one group commit
  bool synchronous_full = true;  // fsync on every commit: what makes an accepted job durable
};

class Connection {
 public:
  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& path,
                                                    const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Exec(std::string_view sql);  // one or more statements, no results
  // The cached prepared statement for sql, reset and ready for binding. Valid for the connection's
  // life; do not hold two uses of the same SQL at once.
  StatusOr<Statement*> Prepare(std::string_view sql);
  int64_t LastInsertId() const;
  int Changes() const;
  // Whether a transaction is open (SQLite may roll one back on its own after an I/O error).
  bool InTransaction() const;

  // WAL upkeep, for the writer connection. TrackWal() turns off SQLite's automatic (PASSIVE)
  // checkpoint on this connection and records the log's size after each commit instead, in
  // WalFrames(); the caller then checkpoints itself with Checkpoint().
  void TrackWal();
  int WalFrames() const { return wal_frames_; }
  enum class CheckpointMode {
    kPassive,   // copy what no reader still needs; never waits
    kRestart,   // wait (up to busy_wait_ms) for readers on older snapshots, copy everything, so
                // that the next commit writes the log from its start again (the file is kept,
                // trimmed to journal_size_limit: overwriting is cheaper than growing a file)
    kTruncate,  // wait (up to busy_wait_ms) for readers on older snapshots, copy everything,
                // then cut the log file to zero bytes; degrades to kPassive if readers stay
  };
  // true: every frame was copied (and, for kTruncate, the file cut); false: readers still needed
  // some frames (or another process was checkpointing), which a later checkpoint copies.
  StatusOr<bool> Checkpoint(CheckpointMode mode, int busy_wait_ms = 0);

 private:
  Connection(sqlite3* db, int busy_timeout_ms) : db_(db), busy_timeout_ms_(busy_timeout_ms) {}
  sqlite3* db_;
  const int busy_timeout_ms_;
  int wal_frames_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// A small pool of read-only connections for concurrent readers (WAL readers never block the
// writer or each other).
class ReaderPool {
 public:
  ReaderPool(std::string path, size_t max_idle = 8) : path_(std::move(path)), max_idle_(max_idle) {}

  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
    ~Lease() {
      if (conn_) pool_->Return(std::move(conn_));
    }
    Lease(Lease&&) = default;
    Connection* operator->() { return conn_.get(); }
    Connection& operator*() { return *conn_; }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  StatusOr<Lease> Acquire();

 private:
  void Return(std::unique_ptr<Connection> c);

  const std::string path_;
  const size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace scriptgen::sqlite
