#include "api/request_parsing.h"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <charconv>

namespace scriptgen::api {
namespace {

std::optional<int64_t> ParsePositive(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

std::string PublicId(std::string_view prefix, int64_t id) {
  return std::string(prefix) + std::to_string(id);
}

StatusOr<int64_t> ParsePublicId(const std::string& text, std::string_view prefix,
                                std::string_view what) {
  std::optional<int64_t> v;
  if (text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0) {
    v = ParsePositive(std::string_view(text).substr(prefix.size()));
  }
  if (!v) return NotFound(std::string(what) + " '" + text.substr(0, 64) + "' does not exist");
  return *v;
}

StatusOr<Paging> ParsePaging(const http::Request& req, size_t max_limit) {
  Paging p;
  if (auto limit = req.QueryParam("limit")) {
    std::optional<int64_t> v = ParsePositive(*limit);
    if (!v || static_cast<size_t>(*v) > max_limit) {
      return InvalidArgument("limit must be an integer between 1 and " + std::to_string(max_limit));
    }
    p.limit = static_cast<size_t>(*v);
  }
  if (auto cursor = req.QueryParam("cursor"); cursor && !cursor->empty()) {
    std::optional<int64_t> v = ParsePositive(*cursor);
    if (!v) return InvalidArgument("cursor is not one this server handed out");
    p.after_id = *v;
  }
  return p;
}

StatusOr<boost::json::object> ParseJsonObject(const std::string& body) {
  // Request bodies of this API are flat objects: a small nesting limit stops deeply nested
  // documents (stack and CPU exhaustion) before they are built. Size is bounded by the route's
  // body limit (1 MiB by default).
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec, {}, options);
  if (ec == boost::json::error::too_deep) {
    return InvalidArgument("request body nests deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels");
  }
  if (ec) return InvalidArgument("request body is not valid JSON: " + ec.message());
  if (!v.is_object()) return InvalidArgument("request body must be a JSON object");
  return std::move(v.as_object());
}

}  // namespace scriptgen::api
