// The Redis client used by the Redis backend: RESP over TCP or TLS, one connection per caller at a
// time, taken from a small pool.
//
// Why not a library: Debian's hiredis 0.14 has no TLS and no Asio adapter. We keep hiredis for
// what it is good at, its `redisReader` RESP parser, and own the transport: a blocking socket with
// timeouts, optionally wrapped in OpenSSL with certificate and host-name verification.
//
//   StatusOr<RedisEndpoint> ep = ParseRedisUrl("rediss://default@cache.internal:6380/0");
//   RedisPool pool(*ep, {.size = 8});
//   int64_t n = 0;
//   Status s = pool.Run([&](RedisConnection& c) -> Status {
//     StatusOr<RedisReply> r = c.Command({"INCR", "counter"});
//     if (!r.ok()) return r.status();
//     n = r->integer;
//     return Status::Ok();
//   });
//   // Several commands, one round trip: c.Pipeline({{"GET", "a"}, {"GET", "b"}})
//
// Error model: a Redis error reply (-ERR ...) is a RedisReply of type kError, not a failed
// Status: the exchange worked. A Status is returned when no reply could be had: Unavailable for
// connect/IO failures and a broken connection (the pool drops that connection and reconnects
// with backoff on the next Run), DeadlineExceeded for timeouts, Unauthenticated for a refused
// AUTH, InvalidArgument for a bad URL. Whether to resend after Unavailable is the caller's call:
// the command may or may not have run. Passwords never appear in Status messages or logs.
//
// Thread-safety: RedisConnection is not thread-safe (one user at a time); RedisPool is.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace scriptgen::redis {

// One RESP value.
struct RedisReply {
  enum class Type { kNil, kStatus, kError, kInteger, kString, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kStatus, kError, kString
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

// Where and how to connect. From a URL:
//   redis://[[user]:password@]host[:port][/db]     plain TCP (port 6379)
//   rediss://[[user]:password@]host[:port][/db]    TLS, certificate verified against the system
//                                                  store or `ca_file`, host name checked
// A password not given in the URL is read from SCRIPTGEN_REDIS_PASSWORD, or from the file named by
// SCRIPTGEN_REDIS_PASSWORD_FILE. TLS files come from SCRIPTGEN_REDIS_CA_FILE,
// SCRIPTGEN_REDIS_CERT_FILE and SCRIPTGEN_REDIS_KEY_FILE (client certificate, optional).
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  bool tls = false;
  std::string user;      // empty: AUTH with the password only (the default user)
  std::string password;  // empty: no AUTH
  std::string ca_file;
  std::string cert_file;
  std::string key_file;

  // "redis://host:port/db" without credentials: safe for logs.
  std::string Describe() const;
};

StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url);

struct RedisOptions {
  // Bounds the TCP connect plus the TLS handshake (name resolution is not bounded).
  std::chrono::milliseconds connect_timeout{2000};
  // The longest the server may take to accept or deliver the next bytes of an exchange (an
  // inactivity timeout: a large reply that keeps flowing never hits it). Expiry fails the call
  // with DeadlineExceeded and leaves the connection unhealthy (its stream position is unknown).
  std::chrono::milliseconds io_timeout{5000};
};

class RedisConnection {
 public:
  // Connects, does the TLS handshake, AUTH and SELECT.
  static StatusOr<std::unique_ptr<RedisConnection>> Connect(const RedisEndpoint& endpoint,
                                                            const RedisOptions& options = {});
  virtual ~RedisConnection() = default;

  virtual StatusOr<RedisReply> Command(const std::vector<std::string>& argv) = 0;
  // Sends every command, then reads one reply per command (one round trip). Replies in order.
  virtual StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands) = 0;

  // For SUBSCRIBE connections: sends without waiting, and reads the next pushed reply, waiting at
  // most `timeout` (DeadlineExceeded when nothing came; the connection stays usable).
  virtual Status Send(const std::vector<std::string>& argv) = 0;
  virtual StatusOr<RedisReply> ReadReply(std::chrono::milliseconds timeout) = 0;

  // False after an IO error: the connection must be discarded.
  virtual bool healthy() const = 0;
};

struct RedisPoolOptions {
  int size = 8;  // connections kept open at most
  RedisOptions connection;
  std::chrono::milliseconds max_backoff{2000};  // reconnect backoff cap after failures
};

class RedisPool {
 public:
  RedisPool(RedisEndpoint endpoint, RedisPoolOptions options = {});
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // Runs fn with an idle (or new) connection; waits when all `size` are busy. fn returns its
  // results through captures. A connection that came back unhealthy is closed; an idle one the
  // server closed meanwhile (restart) is noticed and replaced before fn sees it. Returns
  // Unavailable without calling fn while reconnecting is backing off after repeated failures;
  // a failed connect returns its own Status (Unavailable, DeadlineExceeded, Unauthenticated).
  // fn must not leave the connection subscribed or inside MULTI. Must not be called after the
  // pool's destruction has begun.
  Status Run(const std::function<Status(RedisConnection&)>& fn);

  // Connections open now (for the redis_connection_pool_size gauge).
  int open_connections() const;
  const RedisEndpoint& endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Lua script loaded once and called by SHA (EVALSHA); reloads itself when the server answers
// NOSCRIPT (after a restart or SCRIPT FLUSH).
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& sha() const { return sha_; }
  StatusOr<RedisReply> Run(RedisConnection& c, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) const;
  // The EVALSHA command for use in a Pipeline (callers handle a NOSCRIPT reply by calling Load).
  std::vector<std::string> EvalShaCommand(const std::vector<std::string>& keys,
                                          const std::vector<std::string>& args) const;
  Status Load(RedisConnection& c) const;

 private:
  std::string source_;
  std::string sha_;  // SHA-1 of source, computed locally
};

}  // namespace scriptgen::redis
