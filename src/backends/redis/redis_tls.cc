// OpenSSL client set-up for rediss:// (see redis_tls.h).
//
// Verification is never optional: SSL_VERIFY_PEER with trust from the configured CA file or the
// system default paths, and the peer's certificate must name the host we dialled (DNS name via
// SSL_set1_host, or an IP SAN via X509_VERIFY_PARAM_set1_ip_asc when the host is a literal
// address, for which SNI is not sent since RFC 6066 forbids it).
//
// The SSL object talks to the socket through a tiny custom BIO instead of SSL_set_fd because the
// stock socket BIO writes with write(2), which raises SIGPIPE when Redis has closed the
// connection; ours uses send(..., MSG_NOSIGNAL) so a dead peer is an ordinary IO error. The BIO
// is non-blocking: EAGAIN becomes a retry flag, and the caller polls with its deadline.
//
// Contexts are cached by (ca, cert, key) paths plus the files' modification times, so a pool that
// reconnects often does not re-parse PEM files, while rotated certificates are picked up by the
// next connection. Existing connections keep their context alive through OpenSSL's own refcount.
#include "backends/redis/redis_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <tuple>

namespace scriptgen::redis::internal {
namespace {

int SocketBioWrite(BIO* bio, const char* data, int len) {
  int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  BIO_clear_retry_flags(bio);
  ssize_t n;
  do {
    n = ::send(fd, data, static_cast<size_t>(len), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int SocketBioRead(BIO* bio, char* data, int len) {
  int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  BIO_clear_retry_flags(bio);
  ssize_t n;
  do {
    n = ::recv(fd, data, static_cast<size_t>(len), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long SocketBioCtrl(BIO*, int cmd, long, void*) {  // NOLINT(runtime/int): OpenSSL's signature
  // FLUSH must succeed (SSL flushes after writing a record); nothing else applies to a socket
  // whose lifetime the connection manages.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int SocketBioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* NoSigpipeSocketMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sg-redis-socket");
    BIO_meth_set_write(m, SocketBioWrite);
    BIO_meth_set_read(m, SocketBioRead);
    BIO_meth_set_ctrl(m, SocketBioCtrl);
    BIO_meth_set_create(m, SocketBioCreate);
    return m;
  }();
  return method;
}

int64_t ModificationTime(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

using CacheKey = std::tuple<std::string, std::string, std::string, int64_t, int64_t, int64_t>;

struct ContextCache {
  std::mutex mu;
  std::map<std::tuple<std::string, std::string, std::string>,
           std::pair<CacheKey, std::shared_ptr<SSL_CTX>>>
      entries;
};

ContextCache& Cache() {
  static ContextCache* cache = new ContextCache;  // never destroyed: used until exit
  return *cache;
}

StatusOr<std::shared_ptr<SSL_CTX>> BuildContext(const RedisEndpoint& ep) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return Internal("SSL_CTX_new failed: " + DrainTlsErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!ep.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), ep.ca_file.c_str(), nullptr) != 1) {
      return InvalidArgument("cannot load redis TLS CA file " + ep.ca_file + ": " +
                             DrainTlsErrors());
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return Internal("cannot load the system CA store: " + DrainTlsErrors());
  }
  if (!ep.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), ep.cert_file.c_str()) != 1) {
      return InvalidArgument("cannot load redis TLS client certificate " + ep.cert_file + ": " +
                             DrainTlsErrors());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), ep.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      return InvalidArgument("cannot load redis TLS client key " + ep.key_file +
                             " (or it does not match the certificate): " + DrainTlsErrors());
    }
  }
  return ctx;
}

}  // namespace

std::string DrainTlsErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {  // NOLINT(runtime/int)
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string TlsVerifyError(SSL* ssl) {
  long result = SSL_get_verify_result(ssl);  // NOLINT(runtime/int)
  if (result == X509_V_OK) return "";
  return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
}

StatusOr<std::shared_ptr<SSL_CTX>> TlsClientContext(const RedisEndpoint& ep) {
  CacheKey key{ep.ca_file,
               ep.cert_file,
               ep.key_file,
               ModificationTime(ep.ca_file),
               ModificationTime(ep.cert_file),
               ModificationTime(ep.key_file)};
  ContextCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  auto paths = std::make_tuple(ep.ca_file, ep.cert_file, ep.key_file);
  auto it = cache.entries.find(paths);
  if (it != cache.entries.end() && it->second.first == key) return it->second.second;
  StatusOr<std::shared_ptr<SSL_CTX>> ctx = BuildContext(ep);
  if (!ctx.ok()) return ctx.status();
  cache.entries[paths] = {key, *ctx};
  return *ctx;
}

StatusOr<UniqueSsl> NewTlsClient(SSL_CTX* ctx, int fd, const std::string& host) {
  UniqueSsl ssl(SSL_new(ctx));
  if (!ssl) return Internal("SSL_new failed: " + DrainTlsErrors());
  BIO* bio = BIO_new(NoSigpipeSocketMethod());
  if (bio == nullptr) return Internal("BIO_new failed: " + DrainTlsErrors());
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl.get(), bio, bio);  // ssl owns bio (one reference for both directions)

  unsigned char addr[sizeof(in6_addr)];
  bool is_ip =
      inet_pton(AF_INET, host.c_str(), addr) == 1 || inet_pton(AF_INET6, host.c_str(), addr) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
      return Internal("cannot set the expected certificate IP: " + DrainTlsErrors());
    }
  } else {
    if (SSL_set_tlsext_host_name(ssl.get(), host.c_str()) != 1 ||
        SSL_set1_host(ssl.get(), host.c_str()) != 1) {
      return Internal("cannot set the expected certificate host: " + DrainTlsErrors());
    }
    SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  SSL_set_connect_state(ssl.get());
  return ssl;
}

}  // namespace scriptgen::redis::internal
