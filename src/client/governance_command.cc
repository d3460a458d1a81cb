#include "client/governance_command.h"

#include <boost/json/serialize.hpp>
#include <cstdio>

namespace scriptgen::client {
namespace {

// Two-space indented JSON, keys in the server's order.
void Print(const boost::json::value& v, int depth, std::string& out) {
  const std::string pad(2 * (depth + 1), ' '), end_pad(2 * depth, ' ');
  if (v.is_object()) {
    if (v.as_object().empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& [k, x] : v.as_object()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + boost::json::serialize(boost::json::string(k)) + ": ";
      Print(x, depth + 1, out);
    }
    out += "\n" + end_pad + "}";
  } else if (v.is_array()) {
    if (v.as_array().empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& x : v.as_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      Print(x, depth + 1, out);
    }
    out += "\n" + end_pad + "]";
  } else {
    out += boost::json::serialize(v);
  }
}

int Show(const StatusOr<boost::json::value>& r) {
  if (!r.ok()) return ReportError(r.status());
  std::string out;
  Print(*r, 0, out);
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace

int RunRetention(const CommonOptions& common, const GovernanceOptions& options) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  boost::json::object body;
  if (!options.as_of.empty()) body["as_of"] = options.as_of;
  return Show((*api)->Post("/v1/admin/retention/run", body));
}

int RunComplianceReport(const CommonOptions& common, const GovernanceOptions&) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  return Show((*api)->Get("/v1/admin/compliance-report"));
}

int RunDoctor(const CommonOptions& common, const GovernanceOptions& options) {
  if (!options.orphans) {
    std::fprintf(stderr, "scriptgen doctor: say what to check: --orphans\n");
    return kExitFailure;
  }
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  return Show((*api)->Post("/v1/admin/doctor", boost::json::object{{"fix", options.fix}}));
}

}  // namespace scriptgen::client
