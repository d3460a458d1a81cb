// `scriptgen search "query" [-k 5]`: POST /v1/search and print the ranked results as a table
// (rank, score, filename, document id, a one-line snippet of the matching chunk).
#pragma once

#include <string>

#include "client/cli_common.h"

namespace scriptgen::client {

struct SearchOptions {
  std::string query;
  int k = 5;
};

int RunSearch(const CommonOptions& common, const SearchOptions& options);

}  // namespace scriptgen::client
