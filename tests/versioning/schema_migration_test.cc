// Every schema migration has a down step that undoes its up step: walking the whole chain down and
// up again must give back the same schema, and a failing step must change nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "backends/sqlite/database.h"
#include "backends/sqlite/schema.h"

namespace scriptgen::sqlite {
namespace {

namespace stdfs = std::filesystem;

class SchemaMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("sg-schema-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_);
  }
  void TearDown() override { stdfs::remove_all(dir_); }

  // The schema as SQLite describes it (names and DDL, sorted), for comparisons.
  static std::string SchemaOf(Database& db) {
    std::string out;
    Status s = db.writer().Run([&](Tx& tx) -> Status {
      StatusOr<Statement*> st = tx.Prepare(
          "SELECT type, name, coalesce(sql, '') FROM sqlite_schema "
          "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
      if (!st.ok()) return st.status();
      return (*st)->Each([&](const Statement& r) {
        out += r.Text(0) + " " + r.Text(1) + ": " + r.Text(2) + "\n";
      });
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  stdfs::path dir_;
};

TEST_F(SchemaMigrationTest, DownToZeroAndUpAgainRestoresTheSameSchema) {
  StatusOr<std::unique_ptr<Database>> db = Database::Open((dir_ / "db").string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string latest = SchemaOf(**db);
  ASSERT_NE(latest.find("embed_versions"), std::string::npos);

  for (int v = LatestSchemaVersion() - 1; v >= 0; --v) {
    ASSERT_TRUE(MigrateTo((*db)->writer(), v, /*allow_down=*/true).ok()) << "down to " << v;
    StatusOr<int> now = SchemaVersion((*db)->writer());
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(*now, v);
  }
  EXPECT_EQ(SchemaOf(**db), "") << "version 0 must hold no tables";
  ASSERT_TRUE(Migrate((*db)->writer()).ok());
  EXPECT_EQ(SchemaOf(**db), latest);
}

TEST_F(SchemaMigrationTest, EachDownStepUndoesExactlyItsUpStep) {
  StatusOr<std::unique_ptr<Database>> db = Database::Open((dir_ / "db").string());
  ASSERT_TRUE(db.ok());
  for (int v = 1; v <= LatestSchemaVersion(); ++v) {
    ASSERT_TRUE(MigrateTo((*db)->writer(), v - 1, true).ok());
    const std::string before = SchemaOf(**db);
    ASSERT_TRUE(MigrateTo((*db)->writer(), v, false).ok());
    ASSERT_TRUE(MigrateTo((*db)->writer(), v - 1, true).ok()) << "down step " << v;
    EXPECT_EQ(SchemaOf(**db), before) << "migration " << v << " is not undone exactly";
    ASSERT_TRUE(Migrate((*db)->writer()).ok());
    EXPECT_FALSE(MigrationDescription(v).empty());
  }
}

TEST_F(SchemaMigrationTest, RefusesUnknownTargetsAndImplicitDowngrades) {
  StatusOr<std::unique_ptr<Database>> db = Database::Open((dir_ / "db").string());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(MigrateTo((*db)->writer(), LatestSchemaVersion() + 1, true).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(MigrateTo((*db)->writer(), 2, /*allow_down=*/false).code(), Code::kFailedPrecondition);
  StatusOr<int> now = SchemaVersion((*db)->writer());
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(*now, LatestSchemaVersion());
}

TEST_F(SchemaMigrationTest, ADatabaseNewerThanTheBinaryIsRefusedWithAWayOut) {
  {
    StatusOr<std::unique_ptr<Database>> db = Database::Open((dir_ / "db").string());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->writer()
                    .Run([](Tx& tx) {
                      return tx.conn().Exec("PRAGMA user_version = " +
                                            std::to_string(LatestSchemaVersion() + 3));
                    })
                    .ok());
  }
  StatusOr<std::unique_ptr<Database>> db = Database::Open((dir_ / "db").string());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("migrate down"), std::string::npos);
}

}  // namespace
}  // namespace scriptgen::sqlite
