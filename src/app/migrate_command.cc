#include "app/migrate_command.h"

#include <cstdio>
#include <filesystem>

#include "backends/sqlite/database.h"
#include "backends/sqlite/schema.h"

namespace scriptgen::app {
namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "scriptgen migrate: %s\n", message.c_str());
  return 1;
}

// Opens an existing database without migrating it.
StatusOr<std::unique_ptr<sqlite::Database>> OpenExisting(const std::string& data_dir) {
  const std::filesystem::path path = std::filesystem::path(data_dir) / "scriptgen.db";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFound("no database at " + path.string() + " (check --data-dir)");
  }
  return sqlite::Database::Open(path.string(), /*migrate=*/false);
}

}  // namespace

int RunMigrateStatus(const MigrateOptions& o) {
  StatusOr<std::unique_ptr<sqlite::Database>> db = OpenExisting(o.data_dir);
  if (!db.ok()) return Fail(db.status().message());
  StatusOr<int> current = sqlite::SchemaVersion((*db)->writer());
  if (!current.ok()) return Fail(current.status().ToString());
  const int latest = sqlite::LatestSchemaVersion();
  std::printf("schema version %d; this binary knows up to %d", *current, latest);
  if (*current < latest) std::printf(" (%d pending: scriptgen migrate up)", latest - *current);
  if (*current > latest) std::printf(" (the database is newer: upgrade scriptgen)");
  std::printf("\n");
  for (int v = 1; v <= latest; ++v) {
    std::printf("  %s %d  %s\n", v <= *current ? "applied" : "pending", v,
                sqlite::MigrationDescription(v).c_str());
  }
  return 0;
}

int RunMigrateUp(const MigrateOptions& o) {
  StatusOr<std::unique_ptr<sqlite::Database>> db = OpenExisting(o.data_dir);
  if (!db.ok()) return Fail(db.status().message());
  StatusOr<int> before = sqlite::SchemaVersion((*db)->writer());
  if (!before.ok()) return Fail(before.status().ToString());
  const int target = o.to < 0 ? sqlite::LatestSchemaVersion() : o.to;
  if (target < *before) {
    return Fail("the database is at " + std::to_string(*before) + "; use `migrate down --to " +
                std::to_string(target) + "` to go back");
  }
  if (Status s = sqlite::MigrateTo((*db)->writer(), target, /*allow_down=*/false); !s.ok()) {
    return Fail(s.ToString());
  }
  std::printf("schema version %d -> %d\n", *before, target);
  return 0;
}

int RunMigrateDown(const MigrateOptions& o) {
  if (o.to < 0) return Fail("down needs --to N, the version to go back to");
  StatusOr<std::unique_ptr<sqlite::Database>> db = OpenExisting(o.data_dir);
  if (!db.ok()) return Fail(db.status().message());
  StatusOr<int> before = sqlite::SchemaVersion((*db)->writer());
  if (!before.ok()) return Fail(before.status().ToString());
  if (o.to > *before) {
    return Fail("the database is at " + std::to_string(*before) + "; use `migrate up`");
  }
  for (int v = *before; v > o.to; --v) {
    std::printf("undoing %d  %s\n", v, sqlite::MigrationDescription(v).c_str());
  }
  if (Status s = sqlite::MigrateTo((*db)->writer(), o.to, /*allow_down=*/true); !s.ok()) {
    return Fail(s.ToString());
  }
  std::printf("schema version %d -> %d\n", *before, o.to);
  return 0;
}

}  // namespace scriptgen::app
