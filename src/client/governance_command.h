// Data-governance commands against a running server (admin token):
//   scriptgen retention run [--as-of DATE]   POST /v1/admin/retention/run: sweep what is past its
//                                            retention at DATE (default now); prints the report
//   scriptgen retention report               GET /v1/admin/compliance-report
//   scriptgen doctor --orphans [--fix]       POST /v1/admin/doctor: files without rows, rows
//                                            without files, stale staging files; --fix removes
//                                            the orphaned files
// Each prints the server's JSON (indented) and exits 0, or explains the error and exits 1.
#pragma once

#include <string>

#include "client/cli_common.h"

namespace scriptgen::client {

struct GovernanceOptions {
  std::string as_of;  // "2027-06-01" or RFC 3339; empty: now
  bool orphans = false;
  bool fix = false;
};

int RunRetention(const CommonOptions& common, const GovernanceOptions& options);
int RunComplianceReport(const CommonOptions& common, const GovernanceOptions& options);
int RunDoctor(const CommonOptions& common, const GovernanceOptions& options);

}  // namespace scriptgen::client
