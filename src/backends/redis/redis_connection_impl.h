// Internal to the Redis client: the concrete RedisConnection (a non-blocking socket driven with
// poll() deadlines, optionally wrapped in TLS, with hiredis's redisReader parsing replies straight
// into RedisReply objects). RedisConnection::Connect returns one of these; RedisPool uses the
// extra LooksAliveWhileIdle() check before handing out a pooled connection.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "backends/redis/redis_client.h"
#include "backends/redis/redis_tls.h"

struct redisReader;

namespace scriptgen::redis::internal {

class SocketRedisConnection final : public RedisConnection {
 public:
  static StatusOr<std::unique_ptr<SocketRedisConnection>> Open(const RedisEndpoint& endpoint,
                                                               const RedisOptions& options);
  ~SocketRedisConnection() override;

  StatusOr<RedisReply> Command(const std::vector<std::string>& argv) override;
  StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands) override;
  Status Send(const std::vector<std::string>& argv) override;
  StatusOr<RedisReply> ReadReply(std::chrono::milliseconds timeout) override;
  bool healthy() const override { return healthy_; }

  // For a connection that has been idle in a pool: false when the server closed it (EOF or reset
  // pending) or sent something unasked. One zero-timeout poll(); marks the connection unhealthy.
  bool LooksAliveWhileIdle();

 private:
  using Clock = std::chrono::steady_clock;
  // nullopt: each wait on the socket may last io_timeout (an inactivity timeout, so large
  // transfers that keep moving never time out); otherwise a fixed deadline.
  using Deadline = std::optional<Clock::time_point>;

  SocketRedisConnection(int fd, const RedisEndpoint& endpoint, const RedisOptions& options);

  Status Handshake(Clock::time_point deadline);
  Status Authenticate();
  void Encode(const std::vector<std::string>& argv);
  Status WriteOut(Deadline deadline);
  StatusOr<RedisReply> ReadOne(Deadline deadline);
  StatusOr<size_t> ReadSome(Deadline deadline);
  Status Wait(short events, Deadline deadline);  // NOLINT(runtime/int): poll's type
  Status Fail(Status status);                    // marks unhealthy, returns status

  int fd_ = -1;
  std::string peer_;  // "host:port" for messages
  RedisOptions options_;
  std::shared_ptr<SSL_CTX> tls_context_;
  UniqueSsl ssl_;
  redisReader* reader_ = nullptr;
  std::string out_;             // encoded requests waiting to be written
  std::unique_ptr<char[]> in_;  // socket read buffer
  bool healthy_ = true;
};

}  // namespace scriptgen::redis::internal
