#include "jobs/handler_registry.h"

#include "jobs/progress_bus.h"
#include "jobs/queue.h"

namespace scriptgen::jobs {

Status HandlerRegistry::Register(std::string type, Handler handler) {
  if (type.empty() || !handler) return InvalidArgument("handler needs a type and a function");
  auto [it, inserted] = handlers_.emplace(std::move(type), std::move(handler));
  if (!inserted) return AlreadyExists("a handler for job type '" + it->first + "' exists");
  return Status::Ok();
}

const Handler* HandlerRegistry::Find(const std::string& type) const {
  auto it = handlers_.find(type);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> HandlerRegistry::Types() const {
  std::vector<std::string> out;
  for (const auto& [type, handler] : handlers_) out.push_back(type);
  return out;
}

Status JobContext::CheckCancelled() const {
  if (cancelled()) return Cancelled("job " + std::to_string(job_.id) + " was cancelled");
  return Status::Ok();
}

void JobContext::ReportProgress(std::string step, int percent, std::string message) {
  Progress p{std::move(step), std::clamp(percent, 0, 100), std::move(message)};
  if (bus_ != nullptr) {
    JobEvent e;
    e.job_id = job_.id;
    e.kind = JobEvent::Kind::kProgress;
    e.state = JobState::kRunning;
    e.progress = p;
    bus_->Publish(std::move(e));
  }
  queue_->RecordProgress(job_.id, p);
}

}  // namespace scriptgen::jobs
