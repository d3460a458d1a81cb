// The error body is parsed leniently: a proxy's HTML 502 or an empty body still yields a useful
// line ("HTTP 502: <first bytes>").
#include "client/api_errors.h"

#include <boost/json/parse.hpp>

#include "client/format.h"

namespace scriptgen::client {
namespace {

Code CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kFailedPrecondition;
    case 413:
    case 429:
      return Code::kResourceExhausted;
    case 415:
      return Code::kUnsupported;
    case 507:
      return Code::kStorageFull;
    default:
      return status >= 500 ? Code::kInternal : Code::kInvalidArgument;
  }
}

std::string StringField(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Status StatusFromResponse(const HttpResponse& response, bool token_given) {
  const std::string http = "HTTP " + std::to_string(response.status);
  std::string line;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(response.body, ec);
  if (!ec && v.is_object()) {
    if (const boost::json::value* e = v.as_object().if_contains("error"); e && e->is_object()) {
      const std::string code = StringField(e->as_object(), "code");
      const std::string message = StringField(e->as_object(), "message");
      if (!code.empty() || !message.empty()) {
        line = code.empty() ? message : message.empty() ? code : code + ": " + message;
        line += " (" + http + ")";
      }
    }
  }
  if (line.empty()) {
    const std::string body = Snippet(response.body, 200);
    line = body.empty() ? http : http + ": " + body;
  }
  if (response.status == 401 && !token_given) {
    line +=
        "; no token was given: pass --token, set SCRIPTGEN_TOKEN, or run where "
        "./var/admin.token is";
  }
  return Status(CodeForHttpStatus(response.status), line);
}

StatusOr<boost::json::value> ParseApiResponse(const HttpResponse& response, bool token_given) {
  if (response.status < 200 || response.status > 299) {
    return StatusFromResponse(response, token_given);
  }
  if (response.body.empty()) return boost::json::value(nullptr);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(response.body, ec);
  if (ec) {
    return Internal("the server's response is not JSON (HTTP " + std::to_string(response.status) +
                    "): " + Snippet(response.body, 100));
  }
  return v;
}

}  // namespace scriptgen::client
