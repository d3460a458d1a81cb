// The embedded database's schema and its migrations. PRAGMA user_version records how many
// migrations have been applied; each runs once, in order, inside the writer's transaction.
// Migrations only ever append: never edit one that has shipped.
#pragma once

#include "backends/sqlite/writer.h"

namespace scriptgen::sqlite {

int LatestSchemaVersion();
Status Migrate(Writer& writer);

}  // namespace scriptgen::sqlite
