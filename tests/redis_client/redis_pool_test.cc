// RedisPool: reuse, the size bound under concurrency, waiting for a busy pool, dropping broken
// connections, backoff while Redis is down and recovery after a restart.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "backends/redis/redis_client.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::redis {
namespace {

using scriptgen::testing::RedisServerProcess;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class RedisPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    auto ep = ParseRedisUrl(server_.url());
    ASSERT_TRUE(ep.ok()) << ep.status().ToString();
    endpoint_ = *ep;
  }

  // Runs one command through the pool.
  static StatusOr<RedisReply> Do(RedisPool& pool, std::vector<std::string> argv) {
    StatusOr<RedisReply> out = Status(Code::kInternal, "not run");
    Status s = pool.Run([&](RedisConnection& c) -> Status {
      out = c.Command(argv);
      return out.ok() ? Status::Ok() : out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  RedisServerProcess server_;
  RedisEndpoint endpoint_;
};

TEST_F(RedisPoolTest, ReusesOneConnectionForSequentialCallers) {
  RedisPool pool(endpoint_, {.size = 4});
  EXPECT_EQ(pool.open_connections(), 0);
  auto id1 = Do(pool, {"CLIENT", "ID"});
  auto id2 = Do(pool, {"CLIENT", "ID"});
  ASSERT_TRUE(id1.ok()) << id1.status().ToString();
  ASSERT_TRUE(id2.ok());
  EXPECT_EQ(id1->integer, id2->integer);
  EXPECT_EQ(pool.open_connections(), 1);
  EXPECT_EQ(pool.endpoint().port, server_.port());
}

TEST_F(RedisPoolTest, ConcurrentCallersShareABoundedPool) {
  const int kPoolSize = 3;
  const int kThreads = 8;
  const int kPerThread = 300;
  RedisPool pool(endpoint_, {.size = kPoolSize});
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = pool.Run([&](RedisConnection& c) -> Status {
          int now = ++inside;
          int seen = max_inside.load();
          while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
          }
          auto r = c.Pipeline({{"INCR", "counter"}, {"INCR", "counter"}});
          --inside;
          if (!r.ok()) return r.status();
          return Status::Ok();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(max_inside.load(), kPoolSize);
  EXPECT_GE(max_inside.load(), 2);  // the pool was actually used concurrently
  EXPECT_LE(pool.open_connections(), kPoolSize);
  auto total = Do(pool, {"GET", "counter"});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->str, std::to_string(2 * kThreads * kPerThread));
  auto clients = Do(pool, {"CLIENT", "LIST"});
  ASSERT_TRUE(clients.ok());
  size_t lines = std::count(clients->str.begin(), clients->str.end(), '\n');
  EXPECT_LE(lines, static_cast<size_t>(kPoolSize));
}

TEST_F(RedisPoolTest, WaitsForABusyConnection) {
  RedisPool pool(endpoint_, {.size = 1});
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    Status s = pool.Run([&](RedisConnection&) -> Status {
      holding = true;
      std::this_thread::sleep_for(milliseconds(300));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok());
  });
  while (!holding) std::this_thread::yield();
  auto t0 = Clock::now();
  auto r = Do(pool, {"PING"});
  auto waited = Clock::now() - t0;
  holder.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(waited, milliseconds(200));
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST_F(RedisPoolTest, DropsConnectionsThatComeBackBroken) {
  RedisPool pool(endpoint_, {.size = 2});
  Status s = pool.Run([](RedisConnection& c) -> Status {
    auto quit = c.Command({"QUIT"});
    if (!quit.ok()) return quit.status();
    auto ping = c.Command({"PING"});  // the server closed the connection
    return ping.ok() ? Status::Ok() : ping.status();
  });
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_EQ(pool.open_connections(), 0);
  EXPECT_TRUE(Do(pool, {"PING"}).ok());
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST_F(RedisPoolTest, ReplacesIdleConnectionsClosedByARestart) {
  RedisPool pool(endpoint_, {.size = 2});
  auto before = Do(pool, {"CLIENT", "ID"});
  ASSERT_TRUE(before.ok());
  server_.Kill9();
  ASSERT_TRUE(server_.Restart());
  // The idle connection saw the server go away; it is replaced without an error reaching us.
  auto after = Do(pool, {"PING"});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->str, "PONG");
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST_F(RedisPoolTest, BacksOffWhileDownAndRecoversAfterRestart) {
  RedisPool pool(endpoint_, {.size = 2,
                             .connection = {.connect_timeout = milliseconds(300),
                                            .io_timeout = milliseconds(300)},
                             .max_backoff = milliseconds(400)});
  ASSERT_TRUE(Do(pool, {"SET", "k", "1"}).ok());
  server_.Kill9();

  auto first = Do(pool, {"PING"});  // idle connection dropped, the reconnect is refused
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), Code::kUnavailable) << first.status().ToString();
  EXPECT_EQ(pool.open_connections(), 0);

  // Inside the backoff window: refused at once, without calling fn, with the reason.
  bool called = false;
  auto t0 = Clock::now();
  Status backing_off = pool.Run([&](RedisConnection&) -> Status {
    called = true;
    return Status::Ok();
  });
  EXPECT_LT(Clock::now() - t0, milliseconds(20));
  EXPECT_FALSE(called);
  EXPECT_EQ(backing_off.code(), Code::kUnavailable);
  EXPECT_NE(backing_off.message().find("redis unavailable (retrying in"), std::string::npos)
      << backing_off.ToString();
  EXPECT_NE(backing_off.message().find(std::to_string(server_.port())), std::string::npos)
      << backing_off.ToString();

  // Keep failing for a while: the backoff grows but stays within max_backoff.
  auto down_until = Clock::now() + milliseconds(600);
  while (Clock::now() < down_until) {
    auto r = Do(pool, {"PING"});
    EXPECT_FALSE(r.ok());
    std::this_thread::sleep_for(milliseconds(20));
  }

  ASSERT_TRUE(server_.Restart());
  // Within max_backoff (+ slack) the pool connects again.
  auto deadline = Clock::now() + milliseconds(2000);
  StatusOr<RedisReply> r = Status(Code::kInternal, "not run");
  while (Clock::now() < deadline) {
    r = Do(pool, {"PING"});
    if (r.ok()) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->str, "PONG");
  // The data did not survive (no persistence configured): this is really a new server.
  auto k = Do(pool, {"GET", "k"});
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->is_nil());
  // And right after a success, no backoff remains.
  EXPECT_TRUE(Do(pool, {"PING"}).ok());
}

TEST_F(RedisPoolTest, ManyThreadsWhileTheServerRestarts) {
  RedisPool pool(endpoint_, {.size = 4,
                             .connection = {.connect_timeout = milliseconds(300),
                                            .io_timeout = milliseconds(500)},
                             .max_backoff = milliseconds(100)});
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        auto r = Do(pool, {"INCR", "n"});
        if (r.ok()) {
          ++ok;
        } else {
          ++failed;
          std::this_thread::sleep_for(milliseconds(5));
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(200));
  server_.Kill9();
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_TRUE(server_.Restart());
  int ok_at_restart = ok.load();
  std::this_thread::sleep_for(milliseconds(600));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_GT(failed.load(), 0);
  EXPECT_GT(ok.load(), ok_at_restart);  // work resumed after the restart
  EXPECT_LE(pool.open_connections(), 4);
}

}  // namespace
}  // namespace scriptgen::redis
