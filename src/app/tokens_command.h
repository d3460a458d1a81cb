// `scriptgen tokens create|ls|revoke`: manage API tokens directly in a data directory (the
// bootstrap path: whoever can read the data directory is an administrator anyway). The same
// operations exist over HTTP under /v1/admin/tokens for remote administration.
#pragma once

#include <optional>
#include <string>

namespace scriptgen::app {

struct TokensCommandOptions {
  std::string data_dir = "./var";
  std::string action;   // "create" | "ls" | "revoke"
  std::string role;     // create
  std::string subject;  // create
  std::string expires;  // create: "30d", "12h"...; empty: never
  std::string note;     // create
  std::string id;       // revoke
  bool json = false;
};

// Prints to stdout (the new token only for create); errors to stderr. Returns an exit code.
int RunTokensCommand(const TokensCommandOptions& options);

}  // namespace scriptgen::app
