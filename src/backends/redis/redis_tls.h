// Internal to the Redis client: OpenSSL set-up for `rediss://` connections.
//
// TlsClientContext returns a verifying client SSL_CTX (TLS 1.2+, peer verification on, trust from
// `ca_file` or the system store, optional client certificate), cached per file set so that a pool
// reconnecting does not re-read certificate files each time; a file that changed on disk (rotation)
// gets a fresh context. NewTlsClient wraps a connected, non-blocking socket in an SSL object that
// sends SNI and checks the server certificate against the host name or IP address. The handshake
// and the IO loops live in redis_connection.cc, where the timeouts are.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "backends/redis/redis_client.h"

namespace scriptgen::redis::internal {

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using UniqueSsl = std::unique_ptr<SSL, SslDeleter>;

// A verifying client context for the endpoint's ca/cert/key files. Thread-safe.
StatusOr<std::shared_ptr<SSL_CTX>> TlsClientContext(const RedisEndpoint& endpoint);

// An SSL client on `fd` (not owned; must outlive the SSL) expecting `host`'s certificate. Writes
// use send(MSG_NOSIGNAL): a peer that went away must not kill the process with SIGPIPE.
StatusOr<UniqueSsl> NewTlsClient(SSL_CTX* ctx, int fd, const std::string& host);

// Drains OpenSSL's thread-local error queue into one line ("" when empty).
std::string DrainTlsErrors();

// After a failed handshake: the certificate verification failure in words, or "".
std::string TlsVerifyError(SSL* ssl);

}  // namespace scriptgen::redis::internal
