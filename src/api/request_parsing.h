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

// Public ids are typed: "doc_42", "job_42", "chunk_42" (the store's integer ids behind a prefix),
// so an id of one kind can never be mistaken for another and ids are easy to grep in logs.
inline constexpr std::string_view kDocumentPrefix = "doc_";
inline constexpr std::string_view kJobPrefix = "job_";
inline constexpr std::string_view kChunkPrefix = "chunk_";
std::string PublicId(std::string_view prefix, int64_t id);

// The integer behind a public id with the given prefix; anything else is NotFound (an id that
// cannot exist), which is what a client probing /v1/jobs/abc should see.
StatusOr<int64_t> ParsePublicId(const std::string& text, std::string_view prefix,
                                std::string_view what);

struct Paging {
  int64_t after_id = 0;
  size_t limit = 50;
};
// ?limit= (1..max) and ?cursor= (from a previous page's "next").
StatusOr<Paging> ParsePaging(const http::Request& req, size_t max_limit = 1000);

inline constexpr size_t kMaxJsonDepth = 16;
// The body as a JSON object; InvalidArgument if it is not one or nests deeper than kMaxJsonDepth.
StatusOr<boost::json::object> ParseJsonObject(const std::string& body);

}  // namespace scriptgen::api
