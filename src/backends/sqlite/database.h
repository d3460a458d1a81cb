// Database: one embedded SQLite database file: its writer (group commit), its readers, and its
// schema brought up to date on open. Every SQLite-backed port of a process (queue, step marks,
// documents, ...) shares one Database, so their writes can share transactions and commits.
#pragma once

#include <memory>
#include <string>

#include "backends/sqlite/connection.h"
#include "backends/sqlite/writer.h"

namespace scriptgen::sqlite {

class Database {
 public:
  // Opens or creates `path` (its directory must exist) and migrates it to the latest schema.
  // migrate=false leaves the schema as it is (for `scriptgen migrate`, nothing else).
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path, bool migrate = true);

  Writer& writer() { return *writer_; }
  ReaderPool& readers() { return *readers_; }
  const std::string& path() const { return path_; }

  // Copies every committed page from the WAL into the database file and truncates the WAL to
  // zero bytes, so content deleted with secure_delete (R-G2) lingers in neither file. Waits for
  // readers (up to ~10 s); Unavailable if they never let go.
  Status CheckpointAndTruncateWal();

 private:
  Database() = default;
  std::string path_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<ReaderPool> readers_;
};

}  // namespace scriptgen::sqlite
