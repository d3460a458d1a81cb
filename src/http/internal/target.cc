// Request-target parsing on Boost.URL.
//
// Boost.URL validates the RFC 3986 grammar and decodes lazily; we materialise the decoded path,
// its segments (decoded one by one, so an encoded "/" stays inside its segment and cannot change
// which route matches) and the query as form parameters ('+' = space, as browsers send them).
// Encoded NUL bytes are refused because decoded values end up in file names and C APIs.
#include "http/internal/target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace scriptgen::http::internal {
namespace {

bool HasNul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace

StatusOr<ParsedTarget> ParseTarget(std::string_view target) {
  if (target.empty()) return InvalidArgument("empty request target");
  boost::system::result<boost::urls::url_view> parsed =
      target.front() == '/' ? boost::urls::parse_origin_form(target)
                            : boost::urls::parse_absolute_uri(target);
  if (!parsed) return InvalidArgument("malformed request target");
  const boost::urls::url_view& u = *parsed;
  ParsedTarget out;
  out.path = u.path();
  if (out.path.empty()) out.path.push_back('/');  // not = "/": GCC 12 -Wrestrict false positive
  if (out.path.front() != '/') return InvalidArgument("request path must be absolute");
  if (HasNul(out.path)) return InvalidArgument("NUL byte in request path");
  if (out.path != "/") {
    for (auto seg : u.segments()) out.segments.push_back(seg);
  }
  for (auto p : u.params(boost::urls::encoding_opts(/*space_as_plus=*/true))) {
    if (HasNul(p.key) || HasNul(p.value)) return InvalidArgument("NUL byte in query");
    out.query.emplace(std::move(p.key), std::move(p.value));
  }
  return out;
}

}  // namespace scriptgen::http::internal
