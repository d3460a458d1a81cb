// RedisScript: the locally computed SHA matches the server's, NOSCRIPT triggers one reload
// (first use, after SCRIPT FLUSH, after a restart), and script errors are error replies.
#include <gtest/gtest.h>

#include "backends/redis/redis_client.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::redis {
namespace {

using scriptgen::testing::RedisServerProcess;

class RedisScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    auto ep = ParseRedisUrl(server_.url());
    ASSERT_TRUE(ep.ok());
    endpoint_ = *ep;
    auto c = RedisConnection::Connect(endpoint_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
  }

  bool Exists(const RedisScript& s) {
    auto r = conn_->Command({"SCRIPT", "EXISTS", s.sha()});
    return r.ok() && r->elements.size() == 1 && r->elements[0].integer == 1;
  }

  RedisServerProcess server_;
  RedisEndpoint endpoint_;
  std::unique_ptr<RedisConnection> conn_;
};

TEST_F(RedisScriptTest, ShaIsComputedLocally) {
  RedisScript s("return 'hello moto'");
  EXPECT_EQ(s.sha(), "232fd51614574cf0867b83d384a5e898cfd24e5a");
  auto loaded = conn_->Command({"SCRIPT", "LOAD", "return 'hello moto'"});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->str, s.sha());
}

TEST_F(RedisScriptTest, LoadsOnFirstUseAndPassesKeysAndArgs) {
  RedisScript s("redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[2], #KEYS, #ARGV}");
  EXPECT_FALSE(Exists(s));
  auto r = s.Run(*conn_, {"key:a"}, {"value", std::string("bin\0ary", 7)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->elements.size(), 4u);
  EXPECT_EQ(r->elements[0].str, "key:a");
  EXPECT_EQ(r->elements[1].str, std::string("bin\0ary", 7));
  EXPECT_EQ(r->elements[2].integer, 1);
  EXPECT_EQ(r->elements[3].integer, 2);
  EXPECT_TRUE(Exists(s));
  auto v = conn_->Command({"GET", "key:a"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str, "value");
}

TEST_F(RedisScriptTest, ReloadsAfterScriptFlushAndRestart) {
  RedisScript s("return redis.call('INCR', KEYS[1])");
  auto first = s.Run(*conn_, {"n"}, {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->integer, 1);

  ASSERT_TRUE(conn_->Command({"SCRIPT", "FLUSH"}).ok());
  EXPECT_FALSE(Exists(s));
  auto second = s.Run(*conn_, {"n"}, {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->is_error()) << second->str;
  EXPECT_EQ(second->integer, 2);  // ran exactly once more, not twice
  EXPECT_TRUE(Exists(s));

  server_.Kill9();
  ASSERT_TRUE(server_.Restart());
  auto c = RedisConnection::Connect(endpoint_);
  ASSERT_TRUE(c.ok());
  auto third = s.Run(**c, {"n"}, {});
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->integer, 1);
}

TEST_F(RedisScriptTest, PipelinedEvalShaAndExplicitLoad) {
  RedisScript s("return tonumber(ARGV[1]) * 2");
  auto before = conn_->Pipeline({s.EvalShaCommand({}, {"21"})});
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE((*before)[0].is_error());
  EXPECT_EQ((*before)[0].str.rfind("NOSCRIPT", 0), 0u) << (*before)[0].str;
  ASSERT_TRUE(s.Load(*conn_).ok());
  auto after = conn_->Pipeline({s.EvalShaCommand({}, {"21"}), s.EvalShaCommand({}, {"5"})});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)[0].integer, 42);
  EXPECT_EQ((*after)[1].integer, 10);
}

TEST_F(RedisScriptTest, ScriptErrorsAreErrorReplies) {
  RedisScript raising("return redis.error_reply('MYERR custom failure')");
  auto r = raising.Run(*conn_, {}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->is_error());
  EXPECT_EQ(r->str.rfind("MYERR custom failure", 0), 0u) << r->str;

  RedisScript broken("this is not lua");
  Status load = broken.Load(*conn_);
  EXPECT_EQ(load.code(), Code::kInternal);
  auto run = broken.Run(*conn_, {}, {});
  EXPECT_FALSE(run.ok());
  EXPECT_TRUE(conn_->healthy());
}

}  // namespace
}  // namespace scriptgen::redis
