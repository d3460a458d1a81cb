// Thin: each command is one request to /v1/admin/embed-versions or /v1/admin/reindex; the
// lifecycle rules and their error messages are the server's.
#include "client/embed_versions_command.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "client/jobs_command.h"
#include "client/table.h"
#include "client/url_encode.h"

namespace scriptgen::client {
namespace {

void PrintVersion(const boost::json::value& v) {
  std::printf("%s  %s  %lld vectors, %lld missing%s\n", StringField(v, "version").c_str(),
              StringField(v, "state").c_str(), static_cast<long long>(IntField(v, "vectors")),
              static_cast<long long>(IntField(v, "missing")),
              ScalarText(Field(v, "searchable")) == "true" ? ", searched" : "");
}

int PostAndPrint(const CommonOptions& common, const std::string& target,
                 const boost::json::object& body) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r = (*api)->Post(target, body);
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
  } else {
    PrintVersion(*r);
  }
  return 0;
}

}  // namespace

int RunEmbedVersionsList(const CommonOptions& common, const EmbedVersionOptions&) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r = (*api)->Get("/v1/admin/embed-versions");
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
    return 0;
  }
  const boost::json::value* versions = Field(*r, "versions");
  if (versions == nullptr || !versions->is_array()) return 0;
  Table t({"VERSION", "STATE", "PROVIDER", "DIM", "VECTORS", "MISSING", "SEARCHED", "CREATED"});
  for (const boost::json::value& v : versions->as_array()) {
    t.AddRow({StringField(v, "version"), StringField(v, "state"), StringField(v, "provider"),
              std::to_string(IntField(v, "dim")), std::to_string(IntField(v, "vectors")),
              std::to_string(IntField(v, "missing")),
              ScalarText(Field(v, "searchable")) == "true" ? "yes" : "",
              StringField(v, "created_at")});
  }
  std::fputs(t.Render().c_str(), stdout);
  return 0;
}

int RunEmbedVersionsAdd(const CommonOptions& common, const EmbedVersionOptions& options) {
  boost::json::object body{{"provider", options.provider}, {"dim", options.dim}};
  if (!options.model.empty()) body["model"] = options.model;
  if (!options.url.empty()) body["url"] = options.url;
  return PostAndPrint(common, "/v1/admin/embed-versions", body);
}

int RunEmbedVersionsActivate(const CommonOptions& common, const EmbedVersionOptions& options) {
  return PostAndPrint(
      common, "/v1/admin/embed-versions/" + PercentEncode(options.version) + "/activate", {});
}

int RunEmbedVersionsRetire(const CommonOptions& common, const EmbedVersionOptions& options) {
  return PostAndPrint(common,
                      "/v1/admin/embed-versions/" + PercentEncode(options.version) + "/retire", {});
}

int RunReindex(const CommonOptions& common, const EmbedVersionOptions& options) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r =
      (*api)->Post("/v1/admin/reindex", boost::json::object{{"version", options.version}});
  if (!r.ok()) return ReportError(r.status());
  const std::string job = StringField(*r, "job_id");
  if (!options.wait) {
    if (common.json) {
      PrintJson(*r);
    } else {
      std::printf("%s  reindex of %s queued; follow it: scriptgen jobs show %s\n", job.c_str(),
                  options.version.c_str(), job.c_str());
    }
    return 0;
  }
  // Polling is enough for a job that runs for minutes; the progress line is rewritten in place
  // on a terminal.
  std::string last;
  for (;;) {
    StatusOr<boost::json::value> j = (*api)->Get("/v1/jobs/" + PercentEncode(job));
    if (!j.ok()) return ReportError(j.status());
    const std::string state = StringField(*j, "state");
    const std::string line = job + "  " + state + "  " + ProgressText(*j);
    if (line != last && !common.json) {
      std::fprintf(stderr, StdoutIsTerminal() ? "\r%s\033[K" : "%s\n", line.c_str());
      last = line;
    }
    if (state == "succeeded" || state == "dead" || state == "cancelled") {
      if (StdoutIsTerminal() && !common.json) std::fputc('\n', stderr);
      if (common.json) PrintJson(*j);
      if (state != "succeeded") {
        std::fprintf(stderr, "scriptgen: reindex %s: %s\n", state.c_str(), ErrorText(*j).c_str());
        return kExitFailure;
      }
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace scriptgen::client
