// Atomic exclusive creation via link(): open(O_CREAT|O_EXCL) on the final name would also pick one
// winner, but between the winner's open and write a concurrent loser would read an empty file and
// fail (or, after a crash, every later start would). Writing under a unique temporary name and
// link()ing it into place publishes the file only when it is complete and durable.
#include "governance/key_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace scriptgen::governance {
namespace {

constexpr size_t kKeyBytes = 32;

void FsyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (dir.empty()) dir = std::filesystem::current_path(ec);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string AuditKeyPath(const std::string& data_dir) {
  return data_dir + "/audit.key";
}
std::string SigningKeyPath(const std::string& data_dir) {
  return data_dir + "/signing.key";
}
std::string DatabasePath(const std::string& data_dir) {
  return data_dir + "/scriptgen.db";
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

StatusOr<std::string> HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return InvalidArgument("odd-length hex");
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("not hex");
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

StatusOr<bool> CreateSecretFile(const std::string& path, std::string_view content) {
  unsigned char salt[8];
  if (RAND_bytes(salt, sizeof salt) != 1) return Internal("no randomness");
  std::string tmp = path;
  tmp += ".tmp.";
  tmp += std::to_string(::getpid());
  tmp += '.';
  tmp += HexEncode(std::string_view(reinterpret_cast<const char*>(salt), sizeof salt));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot create " + tmp);
  const bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return Unavailable("cannot write " + tmp);
  }
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (link_errno == EEXIST) return false;
    return Unavailable("cannot create " + path);
  }
  FsyncDirectoryOf(path);
  return true;
}

StatusOr<std::string> LoadKeyFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return NotFound(path + " does not exist");
  std::ifstream in(path);
  if (!in) return Unavailable("cannot read " + path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  StatusOr<std::string> key = HexDecode(line);
  if (!key.ok() || key->size() != kKeyBytes) {
    return FailedPrecondition(path + " does not hold a key (64 hex characters)");
  }
  return key;
}

StatusOr<std::string> LoadOrCreateKeyFile(const std::string& path) {
  StatusOr<std::string> existing = LoadKeyFile(path);
  if (existing.ok() || existing.status().code() != Code::kNotFound) return existing;
  std::string fresh(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(fresh.data()), kKeyBytes) != 1) {
    return Internal("no randomness for " + path);
  }
  StatusOr<bool> created = CreateSecretFile(path, HexEncode(fresh) + "\n");
  if (!created.ok()) return created.status();
  if (!*created) return LoadKeyFile(path);  // another process won the race: use its key
  return fresh;
}

}  // namespace scriptgen::governance
