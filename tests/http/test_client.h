// A tiny blocking HTTP/1.1 client over POSIX sockets, for the sg_http tests.
//
// Deliberately not Beast: the tests must be able to send exactly the bytes they want (pipelined,
// chunked, malformed, oversized) and to observe the server's bytes as they arrive (SSE chunks),
// and they should not add another slow Beast translation unit. Every read has a timeout so a
// server bug fails a test instead of hanging it. A Conn can also speak TLS (OpenSSL directly, with
// certificate and host name verification), so the same helpers test the TLS server.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scriptgen::http::testing {

using namespace std::chrono_literals;

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;  // case-insensitive
};

// How a Conn speaks TLS.
struct TlsClientOptions {
  std::string ca_file;                   // PEM; the server's certificate must verify against it
  std::string host = "localhost";        // SNI and the name checked in the certificate
  int min_version = 0, max_version = 0;  // e.g. TLS1_1_VERSION; 0 = OpenSSL's default
  std::string cipher_list;               // TLS 1.2 suites offered; empty = OpenSSL's default
};

class Conn {
 public:
  explicit Conn(uint16_t port);  // connects to 127.0.0.1:port; check connected()
  // Connects and completes a TLS handshake; connected() is false if either failed, and
  // tls_error() then says why (OpenSSL's reason of the handshake failure).
  Conn(uint16_t port, const TlsClientOptions& tls);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool connected() const { return fd_ >= 0; }
  const std::string& tls_error() const { return tls_error_; }
  unsigned long tls_error_reason() const { return tls_error_reason_; }  // ERR_GET_REASON
  std::string tls_cipher() const;  // the negotiated suite, e.g. "ECDHE-ECDSA-AES256-GCM-SHA384"
  bool Send(std::string_view bytes);
  // Reads one complete response (Content-Length, chunked or until EOF). `head`: no body follows.
  std::optional<HttpResult> ReadResponse(bool head = false,
                                         std::chrono::milliseconds timeout = 10s);
  // Reads only the status line and headers (e.g. of an event stream).
  std::optional<HttpResult> ReadHeader(std::chrono::milliseconds timeout = 10s);
  // After ReadHeader of a chunked response: decodes chunks until the decoded body contains
  // `needle`; returns (and consumes) the decoded text up to and including it.
  std::optional<std::string> ReadChunkedUntil(std::string_view needle,
                                              std::chrono::milliseconds timeout = 10s);
  // After ReadHeader of a chunked response: true once the terminating zero-size chunk arrived.
  bool ReadChunkedEnd(std::chrono::milliseconds timeout = 10s);
  // Reads one CRLF-terminated line of raw response bytes (without the CRLF).
  std::optional<std::string> ReadRawLine(std::chrono::milliseconds timeout = 10s) {
    return ReadLine(std::chrono::steady_clock::now() + timeout);
  }
  // True if the server closes the connection (EOF or reset) within `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout = 10s);
  void Close();

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  bool Fill(Deadline deadline);  // appends to buf_; false on timeout, EOF or error
  std::optional<std::string> ReadLine(Deadline deadline);
  bool DecodeChunks(Deadline deadline, bool stop_at_data);  // moves chunk data to decoded_

  bool Connect(uint16_t port);
  long RawSend(const char* data, size_t n);
  long RawRecv(char* data, size_t n);

  int fd_ = -1;
  void* ssl_ = nullptr;      // SSL*, when speaking TLS (void* keeps OpenSSL out of this header)
  void* ssl_ctx_ = nullptr;  // SSL_CTX*
  std::string tls_error_;
  unsigned long tls_error_reason_ = 0;
  bool eof_ = false;
  std::string buf_;      // raw bytes received, not yet consumed
  std::string decoded_;  // chunked body decoded, not yet returned
  bool last_chunk_ = false;
};

// One request on a fresh TLS connection.
std::optional<HttpResult> FetchTls(uint16_t port, const TlsClientOptions& tls,
                                   std::string_view method, std::string_view target);

// Builds a request. A Content-Length header is added when `body` is non-empty unless the
// headers already contain Content-Length or Transfer-Encoding.
std::string MakeRequest(std::string_view method, std::string_view target,
                        std::string_view body = "",
                        std::vector<std::pair<std::string, std::string>> headers = {});

// One request on a fresh connection.
std::optional<HttpResult> Fetch(uint16_t port, std::string_view method, std::string_view target,
                                std::string_view body = "",
                                std::vector<std::pair<std::string, std::string>> headers = {});

// Raises RLIMIT_NOFILE to `want` (or the hard limit); returns the resulting soft limit.
uint64_t RaiseFdLimit(uint64_t want);
// Resident set size of this process in bytes (from /proc/self/status).
uint64_t ResidentBytes();
// mkdtemp under /tmp; the caller removes it (std::filesystem::remove_all).
std::string MakeTempDir();
// Number of directory entries in `dir`.
size_t CountFiles(const std::string& dir);

}  // namespace scriptgen::http::testing
