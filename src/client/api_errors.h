// Turns a server response into the client's view of it: a parsed JSON body on 2xx, otherwise a
// Status whose message is the server's `{"error":{"code","message"}}` as one readable line.
//
//   StatusOr<boost::json::value> v = ParseApiResponse(response, /*token_given=*/true);
//   // 404 -> NotFound("not_found: job 'job_9' does not exist (HTTP 404)")
//
// The Status code follows the HTTP status (400 InvalidArgument, 401 Unauthenticated, 403
// PermissionDenied, 404 NotFound, 409 FailedPrecondition, 413/429 ResourceExhausted, 415
// Unsupported, 5xx Internal); Unavailable is kept for transport failures so that the exit code
// can tell "server said no" (1) from "no server" (2).
#pragma once

#include <boost/json/value.hpp>

#include "client/http_client.h"
#include "util/status.h"

namespace scriptgen::client {

// `token_given` false adds a hint on 401 about where the token comes from.
Status StatusFromResponse(const HttpResponse& response, bool token_given);
StatusOr<boost::json::value> ParseApiResponse(const HttpResponse& response, bool token_given);

}  // namespace scriptgen::client
