// SqliteEraseStore: erase requests (store/erase_store.h) in the `erase_requests` table.
#pragma once

#include "backends/sqlite/database.h"
#include "store/erase_store.h"

namespace scriptgen::sqlite {

class SqliteEraseStore final : public store::EraseStore {
 public:
  explicit SqliteEraseStore(Database* db) : db_(db) {}

  Status Insert(store::WriteTx& tx, const store::EraseRequest& request) override;
  Status Attach(store::WriteTx& tx, const std::string& id, int64_t job_id,
                int64_t audit_from_seq) override;
  Status SetTally(store::WriteTx& tx, const std::string& id,
                  const std::string& deleted_json) override;
  StatusOr<store::EraseRequest> Get(const std::string& id) override;
  Status Complete(store::WriteTx& tx, const std::string& id, int64_t completed_ms,
                  const std::string& certificate_json) override;
  Status Fail(const std::string& id, const std::string& error) override;
  StatusOr<std::vector<store::EraseRequest>> ListPending() override;

 private:
  Database* const db_;
};

}  // namespace scriptgen::sqlite
