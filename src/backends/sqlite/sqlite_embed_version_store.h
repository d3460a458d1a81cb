// SqliteEmbedVersionStore: the embed_version registry (store/embed_version_store.h) in the
// `embed_versions` table. Writes go through the database's writer; reads use a pooled reader.
#pragma once

#include "backends/sqlite/database.h"
#include "store/embed_version_store.h"

namespace scriptgen::sqlite {

class SqliteEmbedVersionStore final : public store::EmbedVersionStore {
 public:
  explicit SqliteEmbedVersionStore(Database* db) : db_(db) {}

  StatusOr<std::vector<store::EmbedVersion>> List() override;
  StatusOr<store::EmbedVersion> Get(const std::string& name) override;
  Status Insert(const store::EmbedVersion& version) override;
  Status SetState(const std::string& name, store::EmbedVersionState state, int64_t at_ms) override;
  StatusOr<std::string> Activate(const std::string& name, int64_t at_ms) override;

 private:
  Database* const db_;
};

}  // namespace scriptgen::sqlite
