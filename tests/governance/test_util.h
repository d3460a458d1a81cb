// Shared fixture of the governance tests: a fresh data directory per test with a migrated
// Database, the audit tables (kAuditSchemaSql, run here until it is a schema migration), the
// audit chain key and an audit store sealing with it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_audit_store.h"
#include "governance/audit_chain.h"
#include "governance/key_file.h"

namespace scriptgen::governance {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("sg-gov-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    StatusOr<std::string> key = LoadOrCreateKeyFile(AuditKeyPath(dir_));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    chain_key_ = *key;
    OpenDb();
  }
  void TearDown() override {
    CloseDb();
    std::filesystem::remove_all(dir_);
  }

  void OpenDb() {
    StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open(DatabasePath(dir_));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(Exec(sqlite::kAuditSchemaSql).ok());
    audit_ = std::make_unique<sqlite::SqliteAuditStore>(db_.get(), MakeChainHasher(chain_key_));
  }
  void CloseDb() {
    audit_.reset();
    db_.reset();
  }

  // Raw SQL through the writer, as a tamperer with database access would.
  Status Exec(const std::string& sql) {
    return db_->writer().Run([&](sqlite::Tx& tx) { return tx.conn().Exec(sql); });
  }

  void AppendN(int n) {
    for (int i = 0; i < n; ++i) {
      std::string target = "doc_";
      target += std::to_string(i + 1);
      StatusOr<store::AuditEntry> e = audit_->Append({.actor = "tok_test",
                                                      .action = "document.upload",
                                                      .target = target,
                                                      .details_json = R"({"bytes":12})"});
      ASSERT_TRUE(e.ok()) << e.status().ToString();
    }
  }

  std::string dir_;
  std::string chain_key_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<sqlite::SqliteAuditStore> audit_;
};

}  // namespace scriptgen::governance
