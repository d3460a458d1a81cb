// ParseTarget: splits an HTTP request target into decoded path, path segments and query.
//
// Internal to sg_http (the server calls it once per request); exposed in a header so the decoding
// rules can be unit-tested. Accepts origin-form ("/a/b?x=1") and absolute-form
// ("http://host/a/b?x=1"); anything else, malformed percent-escapes and encoded NUL bytes are
// InvalidArgument.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace scriptgen::http::internal {

struct ParsedTarget {
  std::string path;                               // decoded, e.g. "/v1/jobs/a b"
  std::vector<std::string> segments;              // decoded, e.g. {"v1", "jobs", "a b"}; "/" -> {}
  std::multimap<std::string, std::string> query;  // decoded; '+' means space; "a" -> {"a", ""}
};

StatusOr<ParsedTarget> ParseTarget(std::string_view target);

}  // namespace scriptgen::http::internal
