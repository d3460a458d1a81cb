// SqliteAuditStore: the audit log (store/audit_store.h) in the `audit_log` and `audit_checkpoints`
// tables of the shared Database. Appends and truncation go through the writer (so they serialise
// with every other write and can share a caller's transaction); reads use the pooled readers.
//
// The tables are created by kAuditSchemaSql (a schema migration of the Database). The statements
// are idempotent (IF NOT EXISTS), so a test or tool may also run them on a database that has them.
//
// Thread-safe: any number of threads may call any method at once. Like every writer-backed call,
// Append(entry) and TruncateThrough must not be called from inside a writer op (deadlock); inside
// one, use Append(tx, entry).
#pragma once

#include "backends/sqlite/database.h"
#include "store/audit_store.h"
#include "util/clock.h"

namespace scriptgen::sqlite {

// Columns are declared with their types (TEXT for text) so the sqlite3 CLI and tools see what
// they hold. seq is the chain position, not an autoincrement: Append computes it from the head.
inline constexpr const char* kAuditSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  head_hash TEXT NOT NULL,
  entry_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  signature TEXT NOT NULL
);
)sql";

class SqliteAuditStore final : public store::AuditStore {
 public:
  // hasher seals each appended entry (governance::MakeChainHasher); clock stamps entries without
  // at_ms. db and clock are not owned and must outlive the store.
  SqliteAuditStore(Database* db, store::AuditChainHasher hasher,
                   const Clock* clock = SystemClock::Get())
      : db_(db), hasher_(std::move(hasher)), clock_(clock) {}

  StatusOr<store::AuditEntry> Append(store::WriteTx& tx,
                                     const store::NewAuditEntry& entry) override;
  StatusOr<store::AuditEntry> Append(const store::NewAuditEntry& entry) override;
  Status ForEach(int64_t from_seq,
                 const std::function<bool(const store::AuditEntry&)>& fn) override;
  StatusOr<std::vector<store::AuditEntry>> List(int64_t from_seq, size_t limit) override;
  StatusOr<std::optional<store::AuditEntry>> Head() override;
  Status ScanChain(
      const std::function<void(const std::optional<store::AuditCheckpoint>&)>& on_checkpoint,
      const std::function<bool(const store::AuditEntry&)>& on_entry) override;
  Status TruncateThrough(const store::AuditCheckpoint& checkpoint) override;
  StatusOr<std::optional<store::AuditCheckpoint>> LatestCheckpoint() override;

 private:
  Database* const db_;
  const store::AuditChainHasher hasher_;
  const Clock* const clock_;
};

}  // namespace scriptgen::sqlite
