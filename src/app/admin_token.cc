#include "app/admin_token.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace scriptgen::app {

StatusOr<AdminToken> LoadOrCreateAdminToken(const std::string& data_dir) {
  if (const char* env = std::getenv("SCRIPTGEN_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    if (std::string(env).size() < 16) {
      return InvalidArgument("SCRIPTGEN_ADMIN_TOKEN must be at least 16 characters");
    }
    return AdminToken{env, false, ""};
  }
  const std::string path = data_dir + "/admin.token";
  if (std::ifstream in(path); in) {
    std::string token;
    std::getline(in, token);
    if (token.size() >= 16) return AdminToken{token, false, path};
    return FailedPrecondition(path + " exists but holds no valid token; remove it to regenerate");
  }
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Internal("no randomness for the admin token");
  static const char* kHex = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Unavailable("cannot create " + path);
  const std::string line = token + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Unavailable("cannot write " + path);
  return AdminToken{token, true, path};
}

}  // namespace scriptgen::app
