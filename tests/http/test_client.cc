// Blocking POSIX-socket HTTP client for the sg_http tests; see test_client.h.
#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace scriptgen::http::testing {

std::optional<std::string> HttpResult::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

Conn::Conn(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fd_ = fd;
}

Conn::~Conn() {
  Close();
}

void Conn::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Conn::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool Conn::Fill(Deadline deadline) {
  if (fd_ < 0 || eof_) return false;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

std::optional<std::string> Conn::ReadLine(Deadline deadline) {
  while (true) {
    size_t eol = buf_.find("\r\n");
    if (eol != std::string::npos) {
      std::string line = buf_.substr(0, eol);
      buf_.erase(0, eol + 2);
      return line;
    }
    if (!Fill(deadline)) return std::nullopt;
  }
}

std::optional<HttpResult> Conn::ReadHeader(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  HttpResult r;
  while (true) {
    auto line = ReadLine(deadline);
    if (!line) return std::nullopt;
    // Skip interim 1xx responses (100 Continue).
    if (line->rfind("HTTP/1.1 1", 0) == 0) {
      while (true) {
        auto l = ReadLine(deadline);
        if (!l) return std::nullopt;
        if (l->empty()) break;
      }
      continue;
    }
    if (line->size() < 12 || line->rfind("HTTP/1.", 0) != 0) return std::nullopt;
    r.status = std::atoi(line->c_str() + 9);
    break;
  }
  while (true) {
    auto line = ReadLine(deadline);
    if (!line) return std::nullopt;
    if (line->empty()) break;
    size_t colon = line->find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string value = line->substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(line->substr(0, colon), value);
  }
  decoded_.clear();
  last_chunk_ = false;
  return r;
}

bool Conn::DecodeChunks(Deadline deadline, bool stop_at_data) {
  while (!last_chunk_) {
    size_t eol = buf_.find("\r\n");
    if (eol != std::string::npos) {
      size_t size = std::strtoul(buf_.substr(0, eol).c_str(), nullptr, 16);
      if (buf_.size() >= eol + 2 + size + 2) {
        decoded_.append(buf_, eol + 2, size);
        buf_.erase(0, eol + 2 + size + 2);
        if (size == 0) last_chunk_ = true;
        if (stop_at_data && size > 0) return true;
        continue;
      }
    }
    if (!Fill(deadline)) return false;
  }
  return true;
}

std::optional<std::string> Conn::ReadChunkedUntil(std::string_view needle,
                                                  std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    size_t pos = decoded_.find(needle);
    if (pos != std::string::npos) {
      std::string out = decoded_.substr(0, pos + needle.size());
      decoded_.erase(0, pos + needle.size());
      return out;
    }
    if (last_chunk_ || !DecodeChunks(deadline, /*stop_at_data=*/true)) return std::nullopt;
  }
}

bool Conn::ReadChunkedEnd(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  return DecodeChunks(deadline, /*stop_at_data=*/false) && last_chunk_;
}

std::optional<HttpResult> Conn::ReadResponse(bool head, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto r = ReadHeader(timeout);
  if (!r) return std::nullopt;
  if (head || r->status == 204 || r->status == 304) return r;
  auto te = r->Header("Transfer-Encoding");
  if (te && strcasecmp(te->c_str(), "chunked") == 0) {
    if (!DecodeChunks(deadline, false)) return std::nullopt;
    r->body = std::move(decoded_);
    decoded_.clear();
    return r;
  }
  if (auto cl = r->Header("Content-Length")) {
    size_t n = std::strtoull(cl->c_str(), nullptr, 10);
    while (buf_.size() < n) {
      if (!Fill(deadline)) return std::nullopt;
    }
    r->body = buf_.substr(0, n);
    buf_.erase(0, n);
    return r;
  }
  while (Fill(deadline)) {
  }
  if (!eof_) return std::nullopt;
  r->body = std::move(buf_);
  buf_.clear();
  return r;
}

bool Conn::WaitForClose(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Fill(deadline)) {
  }
  return eof_;
}

std::string MakeRequest(std::string_view method, std::string_view target, std::string_view body,
                        std::vector<std::pair<std::string, std::string>> headers) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: test\r\n");
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), "Content-Length") == 0 ||
        strcasecmp(k.c_str(), "Transfer-Encoding") == 0) {
      has_length = true;
    }
    out.append(k).append(": ").append(v).append("\r\n");
  }
  if (!body.empty() && !has_length) {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

std::optional<HttpResult> Fetch(uint16_t port, std::string_view method, std::string_view target,
                                std::string_view body,
                                std::vector<std::pair<std::string, std::string>> headers) {
  Conn c(port);
  if (!c.connected()) return std::nullopt;
  if (!c.Send(MakeRequest(method, target, body, std::move(headers)))) return std::nullopt;
  return c.ReadResponse(method == "HEAD");
}

uint64_t RaiseFdLimit(uint64_t want) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = std::min<rlim_t>(want, rl.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

uint64_t ResidentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sg_http_test_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

size_t CountFiles(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace scriptgen::http::testing
