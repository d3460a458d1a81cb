// Blocking POSIX-socket HTTP client for the sg_http tests; see test_client.h.
#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
  Connect(port);
}

Conn::Conn(uint16_t port, const TlsClientOptions& tls) {
  if (!Connect(port)) return;
  // A receive timeout so a half-sent TLS record cannot block SSL_read forever.
  timeval tv{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ssl_ctx_ = ctx;
  if (tls.min_version != 0) {
    // Old protocol versions need security level 0 to be offered at all.
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, tls.min_version);
  }
  if (tls.max_version != 0) SSL_CTX_set_max_proto_version(ctx, tls.max_version);
  if (!tls.cipher_list.empty()) SSL_CTX_set_cipher_list(ctx, tls.cipher_list.c_str());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1) {
    tls_error_ = "cannot load CA file";
    Close();
    return;
  }
  SSL* ssl = SSL_new(ctx);
  ssl_ = ssl;
  SSL_set_tlsext_host_name(ssl, tls.host.c_str());
  SSL_set1_host(ssl, tls.host.c_str());
  SSL_set_fd(ssl, fd_);
  if (SSL_connect(ssl) != 1) {
    unsigned long e = ERR_peek_error();
    tls_error_reason_ = ERR_GET_REASON(e);
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    tls_error_ = text;
    ERR_clear_error();
    Close();
  }
}

std::string Conn::tls_cipher() const {
  if (ssl_ == nullptr) return "";
  const char* name = SSL_get_cipher_name(static_cast<const SSL*>(ssl_));
  return name == nullptr ? "" : name;
}

bool Conn::Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fd_ = fd;
  return true;
}

Conn::~Conn() {
  Close();
}

void Conn::Close() {
  if (ssl_ != nullptr) SSL_free(static_cast<SSL*>(ssl_));
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
  ssl_ = nullptr;
  ssl_ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

long Conn::RawSend(const char* data, size_t n) {
  if (ssl_ == nullptr) return ::send(fd_, data, n, MSG_NOSIGNAL);
  int r = SSL_write(static_cast<SSL*>(ssl_), data, static_cast<int>(std::min<size_t>(n, 1 << 20)));
  if (r <= 0) {
    ERR_clear_error();
    errno = EPIPE;
    return -1;
  }
  return r;
}

long Conn::RawRecv(char* data, size_t n) {
  if (ssl_ == nullptr) return ::recv(fd_, data, n, 0);
  int r = SSL_read(static_cast<SSL*>(ssl_), data, static_cast<int>(n));
  if (r <= 0) {
    ERR_clear_error();
    return 0;  // EOF, close_notify or error: the tests treat them alike
  }
  return r;
}

bool Conn::Send(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    long n = RawSend(bytes.data(), bytes.size());
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
    // Bytes OpenSSL already decrypted do not show up in poll().
    if (ssl_ == nullptr || SSL_pending(static_cast<SSL*>(ssl_)) == 0) {
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
    }
    char tmp[65536];
    long n = RawRecv(tmp, sizeof tmp);
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

std::optional<HttpResult> FetchTls(uint16_t port, const TlsClientOptions& tls,
                                   std::string_view method, std::string_view target) {
  Conn c(port, tls);
  if (!c.connected()) return std::nullopt;
  if (!c.Send(MakeRequest(method, target))) return std::nullopt;
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
