// Request and Response: the plain data a route handler sees and returns.
//
// The server parses each HTTP request into a Request (method, decoded path and query, headers,
// path parameters, body or spooled body file) and hands it to a synchronous handler, which returns
// a Response. Nothing here depends on Beast/Asio, so handlers and their tests stay cheap to
// compile.
//
//   Response GetJob(Request& req) {
//     auto id = req.path_params.at("id");
//     if (!Exists(id)) return ErrorResponse(404, "not_found", "no job " + id);
//     return JsonResponse(200, R"({"id":")" + id + R"("})");
//   }
//
// Thread safety: a Request is owned by one connection and only touched by the handler thread that
// is running it; do not keep references to it after the handler returns.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace scriptgen::http {

struct Request {
  std::string method;  // "GET", as sent (methods are case-sensitive in HTTP)
  std::string path;    // percent-decoded path without the query, e.g. "/v1/jobs/42"
  std::string target;  // raw request target, e.g. "/v1/jobs?state=failed%20x"
  std::multimap<std::string, std::string> query;  // percent-decoded ('+' is a space)
  // Header fields in arrival order; names as sent. Prefer Header(), which ignores case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> path_params;  // "{id}" segments of the route pattern, decoded
  std::string body;  // the whole body, for routes without stream_body_to_file

  // Routes with RouteOptions::stream_body_to_file: the body was written to this file (in
  // ServerOptions::upload_dir) while hashed, and `body` is empty. The server deletes the file after
  // the handler returns; a handler that wants to keep the bytes must rename() it elsewhere (the
  // later unlink then finds nothing). The file is not fsync'ed: fsync after renaming if you need
  // durability.
  std::string body_file;
  std::string body_sha256_hex;  // lowercase hex SHA-256 of the body bytes
  uint64_t body_size = 0;

  std::string request_id;      // X-Request-Id if sane ([A-Za-z0-9._:-]{1,128}), else generated
  std::string remote_address;  // peer IP address, without port

  // First value of a query parameter, or nullopt when absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // First value of a header field, matched case-insensitively, or nullopt when absent.
  std::optional<std::string> Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // omitted from the wire when body is empty
  std::string body;
  // Extra header fields. Content-Length, Connection and X-Request-Id are set by the server.
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error":{"code":"<code>","message":"<message>"}} with the given status; strings JSON-escaped.
Response ErrorResponse(int status, std::string_view code, std::string_view message);
// Maps a non-OK Status to its HTTP status (HttpStatusFor) and the error body above, with the
// code name of util/status.h ("not_found", "invalid_argument", ...).
Response ErrorResponse(const Status& status);
// A JSON body the caller already serialised.
Response JsonResponse(int status, std::string body);

// The HTTP status of a Status code: invalid_argument 400, unauthenticated 401, permission_denied
// 403, not_found 404, conflict/failed_precondition 409, unsupported 415, resource_exhausted 429,
// cancelled 499, internal 500, unavailable 503, deadline_exceeded 504. Callers with a more
// specific meaning (e.g. 413 for a size limit) should pick the status themselves.
int HttpStatusFor(Code code);

// True if `id` may be used as in an X-Request-Id we echo back (keeps logs and headers
// injection-free).
bool IsSaneRequestId(std::string_view id);

}  // namespace scriptgen::http
