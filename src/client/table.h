// Table: left-aligned columns separated by two spaces, for the list commands' human output.
//
//   Table t({"ID", "STATE"});
//   t.AddRow({"job_7", "succeeded"});
//   std::fputs(t.Render().c_str(), stdout);
//
// Widths are counted in code points; the last column is not padded (no trailing spaces).
#pragma once

#include <string>
#include <vector>

namespace scriptgen::client {

class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void AddRow(std::vector<std::string> row);  // missing cells are empty, extra ones dropped
  size_t rows() const { return rows_.size(); }
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace scriptgen::client
