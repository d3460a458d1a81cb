// `scriptgen migrate status|up|down --data-dir D [--to N]`: the embedded database's schema
// version, and moving it up or down (rolling a binary back, docs/ROLLBACK_PLAN.md).
//
//   status   the version the database is at, the latest this binary knows, each migration
//   up       applies the pending migrations (what `serve` does on start), or up to --to N
//   down     undoes migrations down to --to N (required): data the undone migrations added is
//            dropped, so stop the server and back the data directory up first
// Exit 0 on success, 1 with a message otherwise (no database, unknown version, a failed step:
// every command runs in one transaction, so a failure changes nothing).
#pragma once

#include <string>

namespace scriptgen::app {

struct MigrateOptions {
  std::string data_dir = "./var";
  int to = -1;  // -1: latest (up); required for down
};

int RunMigrateStatus(const MigrateOptions& options);
int RunMigrateUp(const MigrateOptions& options);
int RunMigrateDown(const MigrateOptions& options);

}  // namespace scriptgen::app
