// `scriptgen ingest PATH... [--wait] [--subject-id S] [--concurrency N]`: uploads files and
// folders to a running server and, with --wait, follows every ingest job to its end.
//
// Uploads run on N threads; with --wait, max(2N, 16) more threads follow the jobs' event streams
// (resuming with Last-Event-ID if a stream breaks) while later files are still uploading. The
// summary lists what was uploaded, what succeeded, every failure with its reason, bytes, time and
// MB/s. Exit code: 0 all good, 1 anything failed (a path, an upload, a job), 2 server unreachable
// (the run stops at the first such failure).
#pragma once

#include <string>
#include <vector>

#include "client/cli_common.h"

namespace scriptgen::client {

struct IngestOptions {
  std::vector<std::string> paths;
  bool wait = false;
  std::string subject_id;
  int concurrency = 4;
};

int RunIngest(const CommonOptions& common, const IngestOptions& options);

}  // namespace scriptgen::client
