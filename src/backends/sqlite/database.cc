#include "backends/sqlite/database.h"

#include "backends/sqlite/schema.h"

namespace scriptgen::sqlite {

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, bool migrate) {
  std::unique_ptr<Database> db(new Database());
  db->path_ = path;
  StatusOr<std::unique_ptr<Writer>> writer = Writer::Open(path);
  if (!writer.ok()) return writer.status();
  db->writer_ = std::move(*writer);
  if (migrate) SG_RETURN_IF_ERROR(Migrate(*db->writer_));
  db->readers_ = std::make_unique<ReaderPool>(path);
  return db;
}

Status Database::CheckpointAndTruncateWal() {
  // Any connection may checkpoint; a private one keeps the writer thread free meanwhile.
  StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(path_, ConnectionOptions{});
  if (!conn.ok()) return conn.status();
  for (int attempt = 0; attempt < 20; ++attempt) {
    StatusOr<Statement*> st = (*conn)->Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!st.ok()) return st.status();
    int64_t busy = 1;
    StatusOr<bool> row = (*st)->One([&](const Statement& s) { busy = s.Int(0); });
    if (!row.ok()) return row.status();
    if (busy == 0) return Status::Ok();
  }
  return Unavailable("the WAL could not be checkpointed: readers kept it busy");
}

}  // namespace scriptgen::sqlite
