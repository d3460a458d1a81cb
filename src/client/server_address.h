// ServerAddress: where the client commands send their requests, parsed from --server /
// SCRIPTGEN_SERVER ("http://host[:port]", port 80 by default; IPv6 literals in brackets).
//
//   StatusOr<ServerAddress> a = ParseServerUrl("http://127.0.0.1:8080");
//   a->host == "127.0.0.1", a->port == "8080", a->url == "http://127.0.0.1:8080"
//
// Only plain http is supported; a path other than "/" , user info, query or fragment is rejected
// so that a typo does not silently talk to the wrong place.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace scriptgen::client {

struct ServerAddress {
  std::string host;                // without brackets, e.g. "::1"
  std::string port;                // decimal
  std::string url;                 // normalised "http://host:port", for messages
  std::string HostHeader() const;  // "host:port", brackets around IPv6 literals
};

StatusOr<ServerAddress> ParseServerUrl(std::string_view url);

}  // namespace scriptgen::client
