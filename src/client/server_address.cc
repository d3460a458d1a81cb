// Hand-written rather than Boost.URL: the accepted grammar is tiny and every rejection wants its
// own message naming what was wrong.
#include "client/server_address.h"

#include <algorithm>
#include <cctype>

namespace scriptgen::client {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string ServerAddress::HostHeader() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + port;
}

StatusOr<ServerAddress> ParseServerUrl(std::string_view url) {
  const std::string shown(url.substr(0, 200));
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), url.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    if (url.substr(0, 8) == "https://") {
      return InvalidArgument("server URL '" + shown + "': https is not supported, use http://");
    }
    return InvalidArgument("server URL '" + shown + "' must start with http://");
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (end != std::string_view::npos && rest.substr(end) != "/") {
    return InvalidArgument("server URL '" + shown + "' must not have a path, query or fragment");
  }
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("server URL '" + shown + "' must not contain user info");
  }
  ServerAddress a;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument("server URL '" + shown + "': unterminated IPv6 literal");
    }
    a.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("server URL '" + shown + "': bad port");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    a.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (a.host.empty()) return InvalidArgument("server URL '" + shown + "' has no host");
  if (port.empty()) port = "80";
  if (!AllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) == 0 ||
      std::stoi(std::string(port)) > 65535) {
    return InvalidArgument("server URL '" + shown + "': port must be between 1 and 65535");
  }
  a.port = std::to_string(std::stoi(std::string(port)));
  a.url = "http://" + a.HostHeader();
  return a;
}

}  // namespace scriptgen::client
