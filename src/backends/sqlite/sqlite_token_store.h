// SqliteTokenStore: API tokens (store/token_store.h) in the `api_tokens` table of the shared
// Database. Lookups use the pooled readers; changes go through the writer.
#pragma once

#include "backends/sqlite/database.h"
#include "store/token_store.h"

namespace scriptgen::sqlite {

class SqliteTokenStore final : public store::TokenStore {
 public:
  explicit SqliteTokenStore(Database* db) : db_(db) {}

  Status Insert(const store::TokenRecord& token) override;
  StatusOr<std::optional<store::TokenRecord>> FindByHash(const std::string& hash_hex) override;
  StatusOr<std::vector<store::TokenRecord>> List() override;
  Status Revoke(const std::string& id, int64_t now_ms) override;

 private:
  Database* const db_;
};

}  // namespace scriptgen::sqlite
