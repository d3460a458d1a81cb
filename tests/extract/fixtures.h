// Test helper: reads a fixture from tests/data/documents (see make_fixtures.py there).
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace scriptgen::extract::testing {

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// name relative to tests/data/documents, e.g. "good/english.pdf".
inline std::string Fixture(const std::string& name) {
  return ReadBytes(std::string(SG_DOCUMENTS_DIR) + "/" + name);
}

}  // namespace scriptgen::extract::testing
