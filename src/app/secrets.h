// Server secrets (R-S4): the bootstrap admin token, the key that hashes API tokens, and the key of
// the PII pseudonyms. Each comes, in this order of precedence, from
//   1. the environment variable NAME (tokens only; keys are never taken from the environment
//      directly, since environments leak into process listings and crash reports),
//   2. a file named by NAME_FILE (e.g. a mounted Kubernetes/Docker secret),
//   3. a file in the data directory, created on first start with 32 random bytes (hex), mode 0600.
// Secrets are never read from repo-tracked configuration and never printed.
#pragma once

#include <string>

#include "util/status.h"

namespace scriptgen::app {

struct Secret {
  std::string value;
  bool generated = false;  // true: created by this start
  std::string source;      // "env NAME", "file PATH": for messages, never the value
};

struct SecretSpec {
  std::string env_name;          // e.g. "SCRIPTGEN_ADMIN_TOKEN"
  bool allow_env_value = false;  // whether env_name itself may hold the value
  std::string data_file;         // path used when neither env variable is set
  size_t min_length = 16;
};

StatusOr<Secret> LoadOrCreateSecret(const SecretSpec& spec);

// The three secrets of a data directory.
StatusOr<Secret> LoadAdminToken(const std::string& data_dir);
StatusOr<Secret> LoadTokenHashKey(const std::string& data_dir);
StatusOr<Secret> LoadPseudonymKey(const std::string& data_dir);

}  // namespace scriptgen::app
