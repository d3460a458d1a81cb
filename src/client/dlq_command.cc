// The list ends with one line per error class on the page: its count and the server's recovery
// recommendation, so the table itself stays narrow.
#include "client/dlq_command.h"

#include <cstdio>
#include <map>

#include "client/format.h"
#include "client/jobs_command.h"
#include "client/table.h"
#include "client/url_encode.h"

namespace scriptgen::client {
namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr, "scriptgen: %s\n", message.c_str());
  return kExitFailure;
}

}  // namespace

int RunDlqList(const CommonOptions& common, const DlqOptions& options) {
  const std::string target = "/v1/dlq" + QueryString({{"error_class", options.error_class},
                                                      {"limit", std::to_string(options.limit)},
                                                      {"cursor", options.cursor}});
  ListPage page;
  if (std::optional<int> done =
          FetchListPage(common, target, "jobs", "the dead-letter queue is empty", &page)) {
    return *done;
  }
  struct ClassInfo {
    int count = 0;
    std::string recommendation;
  };
  std::map<std::string, ClassInfo> classes;
  Table t({"ID", "TYPE", "ATTEMPTS", "FAILED", "CLASS", "ERROR"});
  for (const boost::json::value& job : *page.items) {
    const boost::json::value* e = Field(job, "error");
    const std::string cls = e != nullptr ? StringField(*e, "class") : "";
    ClassInfo& info = classes[cls.empty() ? "unknown" : cls];
    ++info.count;
    if (e != nullptr) info.recommendation = StringField(*e, "recommendation");
    t.AddRow({StringField(job, "id"), StringField(job, "type"),
              std::to_string(IntField(job, "attempts")), StringField(job, "finished_at"), cls,
              Truncate(e != nullptr ? StringField(*e, "message") : "", 70)});
  }
  std::fputs(t.Render().c_str(), stdout);
  std::printf("\n");
  for (const auto& [cls, info] : classes) {
    std::printf("%s (%d): %s\n", cls.c_str(), info.count, info.recommendation.c_str());
  }
  if (!page.next.empty()) {
    std::fprintf(stderr, "more: scriptgen dlq ls --cursor %s\n", page.next.c_str());
  }
  return 0;
}

int RunDlqRetry(const CommonOptions& common, const DlqOptions& options) {
  if (options.job_id.empty() == options.error_class.empty()) {
    return Usage("dlq retry: give either a JOB_ID or --error-class CLASS");
  }
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r =
      options.job_id.empty()
          ? (*api)->Post("/v1/dlq/retry", boost::json::object{{"error_class", options.error_class}})
          : (*api)->Post("/v1/dlq/" + PercentEncode(options.job_id) + "/retry");
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
  } else if (options.job_id.empty()) {
    std::printf("requeued %lld dead jobs of class %s\n",
                static_cast<long long>(IntField(*r, "retried")), options.error_class.c_str());
  } else {
    std::printf("%s: requeued\n", StringField(*r, "id").c_str());
  }
  return 0;
}

int RunDlqPurge(const CommonOptions& common, const DlqOptions& options) {
  if (options.job_id.empty() == !options.all) {
    return Usage("dlq purge: give either a JOB_ID or --all [--error-class CLASS]");
  }
  if (!options.job_id.empty() && !options.error_class.empty()) {
    return Usage("dlq purge: --error-class goes with --all, not with a JOB_ID");
  }
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r =
      options.all ? (*api)->Delete("/v1/dlq" + QueryString({{"error_class", options.error_class}}))
                  : (*api)->Delete("/v1/dlq/" + PercentEncode(options.job_id));
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
  } else if (options.all) {
    std::printf("purged %lld dead jobs%s\n", static_cast<long long>(IntField(*r, "purged")),
                options.error_class.empty() ? "" : (" of class " + options.error_class).c_str());
  } else {
    std::printf("%s: purged\n", StringField(*r, "id").c_str());
  }
  return 0;
}

}  // namespace scriptgen::client
