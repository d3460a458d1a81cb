// The embedded database's schema and its migrations. PRAGMA user_version records how many
// migrations have been applied; each runs once, in order, inside the writer's transaction.
// Migrations only ever append: never edit one that has shipped. Each has a down step too, for
// rolling a binary back (`scriptgen migrate down`).
#pragma once

#include <string>

#include "backends/sqlite/writer.h"

namespace scriptgen::sqlite {

int LatestSchemaVersion();
// One line saying what migration `version` (1..LatestSchemaVersion()) adds; "" if none.
std::string MigrationDescription(int version);
// The version the database is at (PRAGMA user_version).
StatusOr<int> SchemaVersion(Writer& writer);

// Brings the schema up to the latest version (what Database::Open does). FailedPrecondition if
// the database is newer than this binary.
Status Migrate(Writer& writer);
// Runs up steps, or (with allow_down) down steps, until the schema is at `target`, all in one
// transaction: it either reaches the target or changes nothing. Down steps drop what the up
// steps created, data included.
Status MigrateTo(Writer& writer, int target, bool allow_down);

}  // namespace scriptgen::sqlite
