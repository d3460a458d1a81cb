// The RedisServerProcess fixture itself: start, answer, restart on the same port, stop.
#include "redis_support/redis_server_process.h"

#include <gtest/gtest.h>

#include "backends/redis/redis_client.h"

namespace scriptgen::redis {
namespace {

using scriptgen::testing::RedisServerProcess;

StatusOr<RedisReply> Ping(const std::string& url) {
  auto ep = ParseRedisUrl(url);
  if (!ep.ok()) return ep.status();
  auto c = RedisConnection::Connect(*ep);
  if (!c.ok()) return c.status();
  return (*c)->Command({"PING"});
}

TEST(RedisServerProcessTest, StartsKillsAndRestartsOnTheSamePort) {
  RedisServerProcess server;
  ASSERT_TRUE(server.Start());
  int port = server.port();
  EXPECT_GT(port, 0);
  EXPECT_EQ(server.url(), "redis://127.0.0.1:" + std::to_string(port));
  auto pong = Ping(server.url());
  ASSERT_TRUE(pong.ok()) << pong.status().ToString();
  EXPECT_EQ(pong->str, "PONG");

  server.Kill9();
  EXPECT_FALSE(server.running());
  EXPECT_FALSE(Ping(server.url()).ok());

  ASSERT_TRUE(server.Restart());
  EXPECT_EQ(server.port(), port);
  EXPECT_TRUE(Ping(server.url()).ok());

  std::string dir = server.dir();
  server.Stop();
  EXPECT_FALSE(server.running());
  EXPECT_TRUE(std::filesystem::exists(dir));
}

// Two test binaries running at once may pick the same "free" port. The second server then fails
// to bind; its Start() must see that rather than take the first server's PING for its own, or
// two tests would share one Redis (seen in CI: one test found the other's 20 jobs).
TEST(RedisServerProcessTest, AServerOnThePortAlreadyIsNotMistakenForOurs) {
  RedisServerProcess first;
  ASSERT_TRUE(first.Start());
  RedisServerProcess second({.port = first.port()});
  const ::testing::AssertionResult started = second.Start();
  EXPECT_FALSE(started) << "the second server claimed to be up on port " << first.port();
  EXPECT_FALSE(second.running());
  EXPECT_TRUE(Ping(first.url()).ok());
}

TEST(RedisServerProcessTest, ExtraArgumentsArePassed) {
  RedisServerProcess server({.extra_args = {"--appendonly", "yes", "--appendfsync", "always"}});
  ASSERT_TRUE(server.Start());
  auto ep = ParseRedisUrl(server.url());
  ASSERT_TRUE(ep.ok());
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto r = (*c)->Command({"CONFIG", "GET", "appendonly"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->elements.size(), 2u);
  EXPECT_EQ(r->elements[1].str, "yes");
  // AOF survives kill -9 + restart (same dir).
  ASSERT_TRUE((*c)->Command({"SET", "k", "v"}).ok());
  server.Kill9();
  ASSERT_TRUE(server.Restart());
  auto c2 = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c2.ok());
  auto v = (*c2)->Command({"GET", "k"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str, "v");
}

TEST(RedisServerProcessTest, DestructorRemovesTheDirectory) {
  std::string dir;
  {
    RedisServerProcess server;
    ASSERT_TRUE(server.Start());
    dir = server.dir();
    ASSERT_TRUE(std::filesystem::exists(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace scriptgen::redis
