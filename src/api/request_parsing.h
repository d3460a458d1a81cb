// Small, strict parsers for the parts of a request the API reads: ids in paths, paging
// parameters, JSON bodies. Each returns InvalidArgument with a message naming the parameter.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "http/request.h"
#include "util/status.h"

namespace scriptgen::api {

// A positive decimal id without sign or leading junk; anything else is NotFound (an id that
// cannot exist), which is what a client probing /v1/jobs/abc should see.
StatusOr<int64_t> ParseId(const std::string& text, std::string_view what);

struct Paging {
  int64_t after_id = 0;
  size_t limit = 50;
};
// ?limit= (1..max) and ?cursor= (from a previous page's "next").
StatusOr<Paging> ParsePaging(const http::Request& req, size_t max_limit = 1000);

// The body as a JSON object; InvalidArgument if it is not one.
StatusOr<boost::json::object> ParseJsonObject(const std::string& body);

}  // namespace scriptgen::api
