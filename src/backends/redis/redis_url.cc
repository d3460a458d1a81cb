// ParseRedisUrl and RedisEndpoint::Describe.
//
// Boost.URL does the RFC 3986 work (authority splitting, IPv6 literals, percent-decoding of the
// user and password); this file only applies Redis conventions on top: the two schemes, port
// 6379 by default, "/<db>" as the database number, and the secrets that may come from the
// environment instead of the URL (a password in a URL ends up in shell history and process
// listings, so deployments usually prefer SCRIPTGEN_REDIS_PASSWORD_FILE).
//
// The URL can contain a password, so no error message here ever echoes the URL or any part of
// the userinfo: messages name the offending component only.
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "backends/redis/redis_client.h"

namespace scriptgen::redis {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// Parses a whole decimal string into [lo, hi]; false for empty, signs, junk or overflow.
bool ParseInt(std::string_view s, int lo, int hi, int* out) {
  if (s.empty()) return false;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// The password from SCRIPTGEN_REDIS_PASSWORD, else from the file SCRIPTGEN_REDIS_PASSWORD_FILE
// names (trailing CR/LF removed: files written by `echo` or editors end with a newline).
StatusOr<std::string> PasswordFromEnvironment() {
  std::string password = Env("SCRIPTGEN_REDIS_PASSWORD");
  if (!password.empty()) return password;
  std::string file = Env("SCRIPTGEN_REDIS_PASSWORD_FILE");
  if (file.empty()) return std::string();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return InvalidArgument(
        "cannot read the redis password file named by "
        "SCRIPTGEN_REDIS_PASSWORD_FILE (" +
        file + "): " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  password = ss.str();
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  return password;
}

}  // namespace

std::string RedisEndpoint::Describe() const {
  std::string out = tls ? "rediss://" : "redis://";
  bool ipv6 = host.find(':') != std::string::npos;
  if (ipv6) out += '[';
  out += host;
  if (ipv6) out += ']';
  out += ':' + std::to_string(port) + '/' + std::to_string(db);
  return out;
}

StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return InvalidArgument("redis url is not a valid URI");
  const boost::urls::url_view& u = *parsed;

  RedisEndpoint ep;
  std::string scheme(u.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "redis") {
    ep.tls = false;
  } else if (scheme == "rediss") {
    ep.tls = true;
  } else {
    return InvalidArgument("redis url scheme '" + scheme +
                           "' is not supported (use redis or rediss)");
  }
  if (!u.has_authority()) return InvalidArgument("redis url has no host");
  if (u.has_query()) return InvalidArgument("redis url query parameters are not supported");
  if (u.has_fragment()) return InvalidArgument("redis url fragments are not supported");

  switch (u.host_type()) {
    case boost::urls::host_type::name:
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      ep.host = u.host_address();
      break;
    default:
      return InvalidArgument("redis url host is not supported");
  }
  if (ep.host.empty()) return InvalidArgument("redis url has no host");

  ep.port = 6379;
  if (u.has_port()) {
    if (!ParseInt(std::string_view(u.port()), 1, 65535, &ep.port)) {
      return InvalidArgument("redis url port must be a number from 1 to 65535");
    }
  }

  std::string path = u.path();
  if (!path.empty() && path != "/") {
    if (path.front() != '/' || !ParseInt(std::string_view(path).substr(1), 0, 1 << 30, &ep.db)) {
      return InvalidArgument("redis url path must be /<database number>");
    }
  }

  if (u.has_userinfo()) {
    ep.user = u.user();
    if (u.has_password()) ep.password = u.password();
  }
  if (ep.password.empty()) {
    StatusOr<std::string> password = PasswordFromEnvironment();
    if (!password.ok()) return password.status();
    ep.password = std::move(*password);
  }
  // A named user needs a password; "default" alone just means the default user (no AUTH).
  if (!ep.user.empty() && ep.user != "default" && ep.password.empty()) {
    return InvalidArgument("redis url names user '" + ep.user +
                           "' but no password was given (URL, SCRIPTGEN_REDIS_PASSWORD or "
                           "SCRIPTGEN_REDIS_PASSWORD_FILE)");
  }

  ep.ca_file = Env("SCRIPTGEN_REDIS_CA_FILE");
  ep.cert_file = Env("SCRIPTGEN_REDIS_CERT_FILE");
  ep.key_file = Env("SCRIPTGEN_REDIS_KEY_FILE");
  if (ep.cert_file.empty() != ep.key_file.empty()) {
    return InvalidArgument(
        "SCRIPTGEN_REDIS_CERT_FILE and SCRIPTGEN_REDIS_KEY_FILE must be set together");
  }
  return ep;
}

}  // namespace scriptgen::redis
