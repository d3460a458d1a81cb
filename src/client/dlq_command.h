// `scriptgen dlq ls [--error-class C]`, `scriptgen dlq retry JOB_ID | --error-class C`,
// `scriptgen dlq purge JOB_ID | --all [--error-class C]`: the dead-letter queue (/v1/dlq).
// Retry and purge take exactly one target; anything else is a usage error (exit 1).
#pragma once

#include <string>

#include "client/cli_common.h"

namespace scriptgen::client {

struct DlqOptions {
  std::string error_class;
  std::string job_id;
  bool all = false;
  int limit = 100;
  std::string cursor;
};

int RunDlqList(const CommonOptions& common, const DlqOptions& options);
int RunDlqRetry(const CommonOptions& common, const DlqOptions& options);
int RunDlqPurge(const CommonOptions& common, const DlqOptions& options);

}  // namespace scriptgen::client
