// `scriptgen jobs ls [--state S] [--limit N] [--cursor C]`, `scriptgen jobs show JOB_ID`,
// `scriptgen jobs cancel JOB_ID`: the /v1/jobs endpoints as tables and key/value listings.
#pragma once

#include <string>

#include "client/cli_common.h"

namespace scriptgen::client {

struct JobsOptions {
  std::string state;
  int limit = 50;
  std::string cursor;
  std::string job_id;
};

int RunJobsList(const CommonOptions& common, const JobsOptions& options);
int RunJobsShow(const CommonOptions& common, const JobsOptions& options);
int RunJobsCancel(const CommonOptions& common, const JobsOptions& options);

// Shared with dlq: "embed 60%" for a job's progress object, "" if none.
std::string ProgressText(const boost::json::value& job);
// "bad_input: message" for a job's error object, "" if none.
std::string ErrorText(const boost::json::value& job);

}  // namespace scriptgen::client
