// HandlerRegistry: which function runs a job of which type.
//
// Register all handlers before the WorkerPool starts; lookups afterwards are lock-free reads of an
// immutable map. A handler returns OK (job succeeded), a Cancelled status (job cancelled), or any
// other Status, which is classified by its code (ClassifyStatus in error_class.h) to decide between
// retry and dead-letter: return Unavailable for a flaky dependency, InvalidArgument for bad input.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "jobs/error_class.h"
#include "jobs/job_context.h"

namespace scriptgen::jobs {

using Handler = std::function<Status(JobContext&)>;

class HandlerRegistry {
 public:
  // AlreadyExists if the type has a handler.
  Status Register(std::string type, Handler handler);
  const Handler* Find(const std::string& type) const;
  std::vector<std::string> Types() const;

 private:
  std::map<std::string, Handler> handlers_;
};

}  // namespace scriptgen::jobs
