// Each command is one request; the human output reads the fields json_views.cc produces.
#include "client/jobs_command.h"

#include <cstdio>

#include "client/format.h"
#include "client/table.h"
#include "client/url_encode.h"

namespace scriptgen::client {

std::string ProgressText(const boost::json::value& job) {
  const boost::json::value* p = Field(job, "progress");
  if (p == nullptr || !p->is_object()) return "";
  const std::string step = StringField(*p, "step");
  if (step.empty()) return "";
  return step + " " + std::to_string(IntField(*p, "percent")) + "%";
}

std::string ErrorText(const boost::json::value& job) {
  const boost::json::value* e = Field(job, "error");
  if (e == nullptr || !e->is_object()) return "";
  const std::string cls = StringField(*e, "class");
  const std::string message = StringField(*e, "message");
  return cls.empty() ? message : cls + ": " + message;
}

int RunJobsList(const CommonOptions& common, const JobsOptions& options) {
  const std::string target = "/v1/jobs" + QueryString({{"state", options.state},
                                                       {"limit", std::to_string(options.limit)},
                                                       {"cursor", options.cursor}});
  ListPage page;
  if (std::optional<int> done = FetchListPage(common, target, "jobs", "no jobs", &page)) {
    return *done;
  }
  Table t({"ID", "TYPE", "STATE", "ATTEMPTS", "PROGRESS", "UPDATED", "ERROR"});
  for (const boost::json::value& job : *page.items) {
    t.AddRow({StringField(job, "id"), StringField(job, "type"), StringField(job, "state"),
              std::to_string(IntField(job, "attempts")) + "/" +
                  std::to_string(IntField(job, "max_attempts")),
              ProgressText(job), StringField(job, "updated_at"), Truncate(ErrorText(job), 60)});
  }
  std::fputs(t.Render().c_str(), stdout);
  if (!page.next.empty()) {
    std::fprintf(stderr, "more: scriptgen jobs ls --cursor %s\n", page.next.c_str());
  }
  return 0;
}

int RunJobsShow(const CommonOptions& common, const JobsOptions& options) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r = (*api)->Get("/v1/jobs/" + PercentEncode(options.job_id));
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
    return 0;
  }
  const boost::json::value& job = *r;
  std::vector<std::pair<std::string, std::string>> rows = {
      {"id", StringField(job, "id")},
      {"type", StringField(job, "type")},
      {"state", StringField(job, "state")},
      {"attempts", std::to_string(IntField(job, "attempts")) + " of " +
                       std::to_string(IntField(job, "max_attempts"))},
      {"progress", ProgressText(job)},
      {"cancel requested", ScalarText(Field(job, "cancel_requested"))},
      {"created", ScalarText(Field(job, "created_at"))},
      {"updated", ScalarText(Field(job, "updated_at"))},
      {"finished", ScalarText(Field(job, "finished_at"))},
      {"retry at", ScalarText(Field(job, "retry_at"))},
      {"error", ErrorText(job)}};
  if (const boost::json::value* p = Field(job, "progress")) {
    rows.insert(rows.begin() + 5, {"message", StringField(*p, "message")});
  }
  if (const boost::json::value* e = Field(job, "error")) {
    rows.push_back({"recommendation", StringField(*e, "recommendation")});
  }
  for (const auto& [key, value] : rows) {
    if (!value.empty()) std::printf("%s%s\n", PadRight(key, 18).c_str(), value.c_str());
  }
  return 0;
}

int RunJobsCancel(const CommonOptions& common, const JobsOptions& options) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r =
      (*api)->Post("/v1/jobs/" + PercentEncode(options.job_id) + "/cancel");
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
    return 0;
  }
  const boost::json::value* pending = Field(*r, "cancel_requested");
  if (pending != nullptr && pending->is_bool() && pending->as_bool()) {
    std::printf("%s: cancel requested (job is %s; it stops at its next checkpoint)\n",
                StringField(*r, "id").c_str(), StringField(*r, "state").c_str());
  } else {
    std::printf("%s: %s\n", StringField(*r, "id").c_str(), StringField(*r, "state").c_str());
  }
  return 0;
}

}  // namespace scriptgen::client
