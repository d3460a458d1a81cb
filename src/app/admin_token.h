// The admin bearer token: from SCRIPTGEN_ADMIN_TOKEN, else from <data-dir>/admin.token, else newly
// generated (32 random bytes, hex), written there with mode 0600 and shown once on stdout.
#pragma once

#include <string>

#include "util/status.h"

namespace scriptgen::app {

struct AdminToken {
  std::string token;
  bool generated = false;  // true: new this start; the caller shows it once
  std::string path;        // the file it is kept in (empty when from the environment)
};

StatusOr<AdminToken> LoadOrCreateAdminToken(const std::string& data_dir);

}  // namespace scriptgen::app
