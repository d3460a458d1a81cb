// Request/Response helpers.
//
// Error bodies are built with Boost.JSON so that messages containing quotes, control characters
// or invalid UTF-8 still produce valid JSON; the cost (one small allocation per error) does not
// matter on error paths. Header lookup is a linear case-insensitive scan: requests carry a dozen
// headers, and a map would cost more to build than the few lookups a handler makes.
#include "http/request.h"

#include <strings.h>

#include <boost/json.hpp>

namespace scriptgen::http {

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  boost::json::object inner;
  inner["code"] = code;
  inner["message"] = message;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return Response{.status = status, .body = boost::json::serialize(outer)};
}

Response ErrorResponse(const Status& status) {
  Response r =
      ErrorResponse(HttpStatusFor(status.code()), CodeName(status.code()), status.message());
  // Both are temporary by definition (a backend down, a queue full; a full disk, which takes an
  // operator longer to fix): say when to retry.
  if (status.code() == Code::kUnavailable) r.headers.emplace_back("Retry-After", "5");
  if (status.code() == Code::kStorageFull) r.headers.emplace_back("Retry-After", "60");
  return r;
}

Response JsonResponse(int status, std::string body) {
  return Response{.status = status, .body = std::move(body)};
}

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kFailedPrecondition:
      return 409;
    case Code::kUnsupported:
      return 415;
    case Code::kResourceExhausted:
      return 429;
    case Code::kCancelled:
      return 499;
    case Code::kInternal:
      return 500;
    case Code::kUnavailable:
      return 503;
    case Code::kDeadlineExceeded:
      return 504;
    case Code::kStorageFull:
      return 507;
  }
  return 500;
}

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace scriptgen::http
