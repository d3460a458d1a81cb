// RedisConnection against a real redis-server: reply types, binary safety, large values,
// pipelines, pub/sub reads, timeouts against a stopped server, and a killed server.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "backends/redis/redis_client.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::redis {
namespace {

using scriptgen::testing::RedisServerProcess;
using Clock = std::chrono::steady_clock;

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    auto ep = ParseRedisUrl(server_.url());
    ASSERT_TRUE(ep.ok()) << ep.status().ToString();
    endpoint_ = *ep;
  }

  std::unique_ptr<RedisConnection> Connect(RedisOptions options = {}) {
    auto c = RedisConnection::Connect(endpoint_, options);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  RedisServerProcess server_;
  RedisEndpoint endpoint_;
};

TEST_F(RedisConnectionTest, ReplyTypes) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto ok = c->Command({"SET", "k", "v"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->type, RedisReply::Type::kStatus);
  EXPECT_EQ(ok->str, "OK");

  auto s = c->Command({"GET", "k"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, RedisReply::Type::kString);
  EXPECT_EQ(s->str, "v");

  auto nil = c->Command({"GET", "missing"});
  ASSERT_TRUE(nil.ok());
  EXPECT_TRUE(nil->is_nil());

  auto n = c->Command({"INCRBY", "counter", "-42"});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->type, RedisReply::Type::kInteger);
  EXPECT_EQ(n->integer, -42);

  // An error reply is a reply, not a failed status, and the connection stays usable.
  auto err = c->Command({"INCR", "k"});
  ASSERT_TRUE(err.ok());
  EXPECT_TRUE(err->is_error());
  EXPECT_NE(err->str.find("not an integer"), std::string::npos) << err->str;
  auto unknown = c->Command({"NOSUCHCOMMAND"});
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->is_error());
  EXPECT_TRUE(c->healthy());
}

TEST_F(RedisConnectionTest, NestedArraysWithNilsAndEmpty) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Command({"RPUSH", "list", "a", "", "c"}).ok());
  auto list = c->Command({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->type, RedisReply::Type::kArray);
  ASSERT_EQ(list->elements.size(), 3u);
  EXPECT_EQ(list->elements[0].str, "a");
  EXPECT_EQ(list->elements[1].type, RedisReply::Type::kString);
  EXPECT_EQ(list->elements[1].str, "");
  EXPECT_EQ(list->elements[2].str, "c");

  auto empty = c->Command({"LRANGE", "nolist", "0", "-1"});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->type, RedisReply::Type::kArray);
  EXPECT_TRUE(empty->elements.empty());

  auto mget = c->Command({"MGET", "list-missing", "missing"});
  ASSERT_TRUE(mget.ok());
  ASSERT_EQ(mget->elements.size(), 2u);
  EXPECT_TRUE(mget->elements[0].is_nil());

  // Nested: a Lua table of tables, with integers, strings and an error status inside.
  auto nested = c->Command({"EVAL", "return {1, {'x', {2, 'y'}}, 'z'}", "0"});
  ASSERT_TRUE(nested.ok());
  ASSERT_EQ(nested->elements.size(), 3u);
  EXPECT_EQ(nested->elements[0].integer, 1);
  ASSERT_EQ(nested->elements[1].elements.size(), 2u);
  EXPECT_EQ(nested->elements[1].elements[0].str, "x");
  ASSERT_EQ(nested->elements[1].elements[1].elements.size(), 2u);
  EXPECT_EQ(nested->elements[1].elements[1].elements[0].integer, 2);
  EXPECT_EQ(nested->elements[1].elements[1].elements[1].str, "y");
  EXPECT_EQ(nested->elements[2].str, "z");

  // EXEC of a transaction: an array that contains an error reply element.
  auto multi = c->Pipeline({{"MULTI"}, {"SET", "s", "1"}, {"LPUSH", "s", "x"}, {"EXEC"}});
  ASSERT_TRUE(multi.ok());
  const RedisReply& exec = (*multi)[3];
  ASSERT_EQ(exec.elements.size(), 2u);
  EXPECT_EQ(exec.elements[0].str, "OK");
  EXPECT_TRUE(exec.elements[1].is_error());
}

TEST_F(RedisConnectionTest, BinarySafeKeysAndValues) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  std::string key("k\0\r\n$3\r\n", 9);
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  value += "\r\n*1\r\n$-1\r\n";
  ASSERT_TRUE(c->Command({"SET", key, value}).ok());
  auto got = c->Command({"GET", key});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->str, value);
  auto len = c->Command({"STRLEN", key});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer, static_cast<int64_t>(value.size()));
}

TEST_F(RedisConnectionTest, LargeValues) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  std::mt19937 rng(7);
  for (size_t size : {size_t{1} << 20, (size_t{1} << 20) * 8 + 13}) {
    std::string value(size, '\0');
    for (char& ch : value) ch = static_cast<char>(rng());
    auto set = c->Command({"SET", "big", value});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    auto got = c->Command({"GET", "big"});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->str.size(), size);
    EXPECT_TRUE(got->str == value);
  }
}

TEST_F(RedisConnectionTest, PipelineRepliesInOrder) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  std::vector<std::vector<std::string>> commands;
  const int n = 20000;
  for (int i = 0; i < n; ++i) commands.push_back({"RPUSH", "seq", std::to_string(i)});
  commands.push_back({"LLEN", "seq"});
  commands.push_back({"GET", "nothing"});
  commands.push_back({"HGET", "seq", "x"});  // WRONGTYPE error in the middle of a pipeline
  commands.push_back({"LINDEX", "seq", "-1"});
  auto replies = c->Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status().ToString();
  ASSERT_EQ(replies->size(), commands.size());
  for (int i = 0; i < n; ++i) ASSERT_EQ((*replies)[i].integer, i + 1);
  EXPECT_EQ((*replies)[n].integer, n);
  EXPECT_TRUE((*replies)[n + 1].is_nil());
  EXPECT_TRUE((*replies)[n + 2].is_error());
  EXPECT_EQ((*replies)[n + 3].str, std::to_string(n - 1));
  auto empty = c->Pipeline({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(RedisConnectionTest, SelectsTheDatabase) {
  auto db3 = endpoint_;
  db3.db = 3;
  auto c3 = RedisConnection::Connect(db3);
  ASSERT_TRUE(c3.ok()) << c3.status().ToString();
  ASSERT_TRUE((*c3)->Command({"SET", "where", "three"}).ok());
  auto c0 = Connect();
  ASSERT_NE(c0, nullptr);
  auto missing = c0->Command({"GET", "where"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());
  auto there = c0->Pipeline({{"SELECT", "3"}, {"GET", "where"}});
  ASSERT_TRUE(there.ok());
  EXPECT_EQ((*there)[1].str, "three");

  auto bad = endpoint_;
  bad.db = 99;
  auto cbad = RedisConnection::Connect(bad);
  ASSERT_FALSE(cbad.ok());
  EXPECT_EQ(cbad.status().code(), Code::kInvalidArgument);
}

TEST_F(RedisConnectionTest, PubSubSendAndReadReply) {
  auto sub = Connect();
  auto pub = Connect();
  ASSERT_NE(sub, nullptr);
  ASSERT_NE(pub, nullptr);
  ASSERT_TRUE(sub->Send({"SUBSCRIBE", "chan"}).ok());
  auto confirm = sub->ReadReply(std::chrono::seconds(2));
  ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
  ASSERT_EQ(confirm->elements.size(), 3u);
  EXPECT_EQ(confirm->elements[0].str, "subscribe");

  // Nothing published: DeadlineExceeded after ~the timeout, the connection stays usable.
  auto t0 = Clock::now();
  auto nothing = sub->ReadReply(std::chrono::milliseconds(150));
  auto waited = Clock::now() - t0;
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.status().code(), Code::kDeadlineExceeded);
  EXPECT_GE(waited, std::chrono::milliseconds(140));
  EXPECT_LT(waited, std::chrono::seconds(2));
  EXPECT_TRUE(sub->healthy());

  auto published = pub->Command({"PUBLISH", "chan", std::string("hi\0there", 8)});
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->integer, 1);
  auto msg = sub->ReadReply(std::chrono::seconds(2));
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  ASSERT_EQ(msg->elements.size(), 3u);
  EXPECT_EQ(msg->elements[0].str, "message");
  EXPECT_EQ(msg->elements[1].str, "chan");
  EXPECT_EQ(msg->elements[2].str, std::string("hi\0there", 8));
}

TEST_F(RedisConnectionTest, StoppedServerTimesOutWithinIoTimeout) {
  auto c = Connect({.connect_timeout = std::chrono::milliseconds(500),
                    .io_timeout = std::chrono::milliseconds(300)});
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Command({"PING"}).ok());
  server_.Pause();
  auto t0 = Clock::now();
  auto r = c->Command({"PING"});
  auto waited = Clock::now() - t0;
  server_.Resume();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(290));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  // The late reply would desynchronise the stream: the connection is unusable now.
  EXPECT_FALSE(c->healthy());
  auto after = c->Command({"PING"});
  EXPECT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), Code::kUnavailable);
}

TEST_F(RedisConnectionTest, ConnectToStoppedServerTimesOut) {
  // The kernel completes the TCP handshake for a stopped process (backlog), so the timeout that
  // fires is the first reply's: with a password that is AUTH, bounded by io_timeout.
  server_.Pause();
  auto ep = endpoint_;
  ep.password = "irrelevant";
  auto t0 = Clock::now();
  auto c = RedisConnection::Connect(ep, {.connect_timeout = std::chrono::milliseconds(200),
                                         .io_timeout = std::chrono::milliseconds(200)});
  auto waited = Clock::now() - t0;
  server_.Resume();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kDeadlineExceeded) << c.status().ToString();
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.status().message().find("irrelevant"), std::string::npos);
}

TEST_F(RedisConnectionTest, KilledServerIsUnavailable) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Command({"PING"}).ok());
  server_.Kill9();
  auto r = c->Command({"PING"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_FALSE(c->healthy());

  auto refused = RedisConnection::Connect(endpoint_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("127.0.0.1:" + std::to_string(server_.port())),
            std::string::npos)
      << refused.status().ToString();
}

}  // namespace
}  // namespace scriptgen::redis
