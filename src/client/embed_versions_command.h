// embed_version administration against a running server (admin token), R-G1:
//   scriptgen embed-versions ls                      every version, its state and completeness
//   scriptgen embed-versions add --provider P --dim N [--model M] [--url U]
//                                                    registers a version (state building)
//   scriptgen embed-versions activate VERSION        switches search to it (refused while
//                                                    incomplete); activating the previous one
//                                                    is the rollback
//   scriptgen embed-versions retire VERSION          deletes its vectors (not the active one)
//   scriptgen reindex --version VERSION [--wait]     embeds every chunk that lacks a vector of
//                                                    VERSION in a background job; --wait follows
//                                                    it to the end
// Exit codes as for every client command (cli_common.h); `reindex --wait` exits 1 unless the job
// succeeded.
#pragma once

#include <cstdint>
#include <string>

#include "client/cli_common.h"

namespace scriptgen::client {

struct EmbedVersionOptions {
  std::string version;
  std::string provider;
  std::string model;
  int64_t dim = 0;
  std::string url;
  bool wait = false;
};

int RunEmbedVersionsList(const CommonOptions& common, const EmbedVersionOptions& options);
int RunEmbedVersionsAdd(const CommonOptions& common, const EmbedVersionOptions& options);
int RunEmbedVersionsActivate(const CommonOptions& common, const EmbedVersionOptions& options);
int RunEmbedVersionsRetire(const CommonOptions& common, const EmbedVersionOptions& options);
int RunReindex(const CommonOptions& common, const EmbedVersionOptions& options);

}  // namespace scriptgen::client
