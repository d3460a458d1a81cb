// RedisPool: a bounded set of connections lent to one caller at a time.
//
// Design
// - Idle connections are a LIFO stack: the most recently used one is the most likely to still
//   be open and warm. Before lending an idle connection, a zero-timeout poll() checks that the
//   server has not closed it meanwhile (restart, idle timeout), so a Redis restart costs no
//   caller an error once the server is back: stale connections are dropped and replaced.
// - `open` counts idle + lent + being-connected connections, so at most `size` exist at once.
//   Connecting happens outside the lock; callers that find every connection busy wait on a
//   condition variable until one is returned or dropped.
// - After a failed connect, new connects are refused for a backoff period that doubles with each
//   consecutive failure (from 50 ms, capped at max_backoff): while Redis is down, callers get
//   Unavailable at once instead of each paying a connect timeout, and a recovering server is
//   not stormed. The first successful connect resets the backoff. Idle connections are still lent
//   during a backoff (they may well work: the failure may have been transient).
// - A connection that comes back unhealthy is closed; its slot frees up for a new one.
#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "backends/redis/redis_client.h"
#include "backends/redis/redis_connection_impl.h"

namespace scriptgen::redis {

using internal::SocketRedisConnection;

struct RedisPool::Impl {
  using Clock = std::chrono::steady_clock;

  RedisEndpoint endpoint;
  RedisPoolOptions options;

  mutable std::mutex mu;
  std::condition_variable returned;  // a connection came back or a slot was freed
  std::vector<std::unique_ptr<SocketRedisConnection>> idle;
  int open = 0;
  int consecutive_failures = 0;
  Clock::time_point retry_at{};
  std::string last_error;

  std::chrono::milliseconds Backoff() const {
    auto base = std::chrono::milliseconds(50);
    int shift = std::min(consecutive_failures - 1, 16);
    return std::min(options.max_backoff, base * (1 << shift));
  }

  // Takes a live connection (idle or new). `dead` receives dropped idle connections so that they
  // are closed after the lock is released.
  StatusOr<std::unique_ptr<SocketRedisConnection>> Acquire() {
    std::vector<std::unique_ptr<SocketRedisConnection>> dead;
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      while (!idle.empty()) {
        std::unique_ptr<SocketRedisConnection> c = std::move(idle.back());
        idle.pop_back();
        if (c->LooksAliveWhileIdle()) return c;
        --open;
        dead.push_back(std::move(c));
      }
      if (open < std::max(1, options.size)) {
        auto now = Clock::now();
        if (now < retry_at) {
          auto left = std::chrono::ceil<std::chrono::milliseconds>(retry_at - now);
          return Unavailable("redis unavailable (retrying in " + std::to_string(left.count()) +
                             " ms): " + last_error);
        }
        ++open;
        lock.unlock();
        dead.clear();
        auto c = SocketRedisConnection::Open(endpoint, options.connection);
        lock.lock();
        if (!c.ok()) {
          --open;
          ++consecutive_failures;
          retry_at = Clock::now() + Backoff();
          last_error = c.status().message();
          returned.notify_all();  // waiters re-check: they may connect or see the backoff
          return c.status();
        }
        consecutive_failures = 0;
        retry_at = {};
        return std::move(*c);
      }
      returned.wait(lock);
    }
  }

  void Release(std::unique_ptr<SocketRedisConnection> c) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (c->healthy()) {
        idle.push_back(std::move(c));
      } else {
        --open;
      }
    }
    returned.notify_one();
    // An unhealthy `c` is closed here, outside the lock.
  }
};

RedisPool::RedisPool(RedisEndpoint endpoint, RedisPoolOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->endpoint = std::move(endpoint);
  impl_->options = options;
}

RedisPool::~RedisPool() = default;

Status RedisPool::Run(const std::function<Status(RedisConnection&)>& fn) {
  StatusOr<std::unique_ptr<SocketRedisConnection>> c = impl_->Acquire();
  if (!c.ok()) return c.status();
  std::unique_ptr<SocketRedisConnection> conn = std::move(*c);
  // Give the connection back even if fn throws (exceptions are for bugs, but a leaked slot
  // would make the pool hang later, far from the bug).
  struct Returner {
    Impl* impl;
    std::unique_ptr<SocketRedisConnection>* conn;
    ~Returner() { impl->Release(std::move(*conn)); }
  } returner{impl_.get(), &conn};
  return fn(*conn);
}

int RedisPool::open_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->open;
}

const RedisEndpoint& RedisPool::endpoint() const {
  return impl_->endpoint;
}

}  // namespace scriptgen::redis
