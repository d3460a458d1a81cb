// The snippet gets whatever width the other columns leave on the terminal (at least 30).
#include "client/search_command.h"

#include <boost/json/object.hpp>
#include <cstdio>

#include "client/format.h"
#include "client/table.h"

namespace scriptgen::client {

int RunSearch(const CommonOptions& common, const SearchOptions& options) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  const boost::json::object body{{"query", options.query}, {"k", options.k}};
  StatusOr<boost::json::value> r = (*api)->Post("/v1/search", body);
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
    return 0;
  }
  const boost::json::value* results = Field(*r, "results");
  if (results == nullptr || !results->is_array() || results->as_array().empty()) {
    std::printf("no results\n");
    return 0;
  }
  Table t({"#", "SCORE", "FILENAME", "DOCUMENT", "TEXT"});
  size_t fixed = 0;
  std::vector<std::vector<std::string>> rows;
  int rank = 0;
  for (const boost::json::value& hit : results->as_array()) {
    char score[32];
    const boost::json::value* s = Field(hit, "score");
    std::snprintf(score, sizeof score, "%.3f",
                  s != nullptr && s->is_number() ? s->to_number<double>() : 0.0);
    rows.push_back({std::to_string(++rank), score, Truncate(StringField(hit, "filename"), 40),
                    StringField(hit, "document_id"), StringField(hit, "text")});
    fixed = std::max(fixed, DisplayWidth(rows.back()[2]) + DisplayWidth(rows.back()[3]));
  }
  const size_t width = TerminalWidth(120);
  const size_t used = fixed + 3 + 5 + 4 * 2;  // rank, score, separators
  const size_t snippet = width > used + 30 ? width - used - 1 : 30;
  for (auto& row : rows) {
    row[4] = Snippet(row[4], snippet);
    t.AddRow(std::move(row));
  }
  std::fputs(t.Render().c_str(), stdout);
  return 0;
}

}  // namespace scriptgen::client
