#include "backends/sqlite/database.h"

#include "backends/sqlite/schema.h"

namespace scriptgen::sqlite {

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  std::unique_ptr<Database> db(new Database());
  db->path_ = path;
  StatusOr<std::unique_ptr<Writer>> writer = Writer::Open(path);
  if (!writer.ok()) return writer.status();
  db->writer_ = std::move(*writer);
  SG_RETURN_IF_ERROR(Migrate(*db->writer_));
  db->readers_ = std::make_unique<ReaderPool>(path);
  return db;
}

}  // namespace scriptgen::sqlite
