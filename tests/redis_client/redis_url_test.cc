// ParseRedisUrl: schemes, defaults, percent-decoding, databases, secrets from the environment, and
// rejection of malformed input without echoing the password.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "backends/redis/redis_client.h"

namespace scriptgen::redis {
namespace {

// Clears the SCRIPTGEN_REDIS_* variables for the test and restores nothing: tests set what they
// need explicitly.
class RedisUrlTest : public ::testing::Test {
 protected:
  void SetUp() override { ClearEnv(); }
  void TearDown() override { ClearEnv(); }
  static void ClearEnv() {
    for (const char* v :
         {"SCRIPTGEN_REDIS_PASSWORD", "SCRIPTGEN_REDIS_PASSWORD_FILE", "SCRIPTGEN_REDIS_CA_FILE",
          "SCRIPTGEN_REDIS_CERT_FILE", "SCRIPTGEN_REDIS_KEY_FILE"}) {
      unsetenv(v);
    }
  }
};

TEST_F(RedisUrlTest, Defaults) {
  auto ep = ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->host, "cache.internal");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0);
  EXPECT_FALSE(ep->tls);
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "");
  EXPECT_EQ(ep->Describe(), "redis://cache.internal:6379/0");
}

TEST_F(RedisUrlTest, FullForm) {
  auto ep = ParseRedisUrl("rediss://alice:s3cret@10.1.2.3:6380/5");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "10.1.2.3");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 5);
  EXPECT_EQ(ep->user, "alice");
  EXPECT_EQ(ep->password, "s3cret");
  EXPECT_EQ(ep->Describe(), "rediss://10.1.2.3:6380/5");
  EXPECT_EQ(ep->Describe().find("s3cret"), std::string::npos);
  EXPECT_EQ(ep->Describe().find("alice"), std::string::npos);
}

TEST_F(RedisUrlTest, PasswordOnlyAndTrailingSlash) {
  auto ep = ParseRedisUrl("REDIS://:pw@localhost:7000/");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "pw");
  EXPECT_EQ(ep->db, 0);
  EXPECT_EQ(ep->port, 7000);
}

TEST_F(RedisUrlTest, PercentDecodesUserAndPassword) {
  auto ep = ParseRedisUrl("redis://us%40er:p%3Aw%2F%40%25d@h/1");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->user, "us@er");
  EXPECT_EQ(ep->password, "p:w/@%d");
  EXPECT_EQ(ep->db, 1);
}

TEST_F(RedisUrlTest, Ipv6Literal) {
  auto ep = ParseRedisUrl("redis://[::1]:6390/2");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 6390);
  EXPECT_EQ(ep->Describe(), "redis://[::1]:6390/2");
}

TEST_F(RedisUrlTest, RejectsBadInput) {
  for (const char* url :
       {"http://h", "h:6379", "redis://", "redis://h:0", "redis://h:65536", "redis://h:-1",
        "redis://h:12ab", "redis://h:", "redis://h/x", "redis://h/1/2", "redis://h/-1",
        "redis://h/1?db=2", "redis://h#f", "redis:///0", "not a url", ""}) {
    auto ep = ParseRedisUrl(url);
    ASSERT_FALSE(ep.ok()) << url;
    EXPECT_EQ(ep.status().code(), Code::kInvalidArgument) << url;
  }
}

TEST_F(RedisUrlTest, ErrorsNeverEchoThePassword) {
  for (const char* url : {"http://u:hunter2@h", "redis://u:hunter2@h:99999",
                          "redis://u:hunter2@h/abc", "redis://u:hunter2@h?x=1"}) {
    auto ep = ParseRedisUrl(url);
    ASSERT_FALSE(ep.ok()) << url;
    EXPECT_EQ(ep.status().ToString().find("hunter2"), std::string::npos) << ep.status().ToString();
  }
}

TEST_F(RedisUrlTest, NamedUserWithoutPasswordIsRejected) {
  auto ep = ParseRedisUrl("redis://alice@h");
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.status().code(), Code::kInvalidArgument);
  // "default" alone is the default user: no AUTH.
  auto def = ParseRedisUrl("redis://default@h");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->password, "");
}

TEST_F(RedisUrlTest, PasswordFromEnvironment) {
  setenv("SCRIPTGEN_REDIS_PASSWORD", "from-env", 1);
  auto ep = ParseRedisUrl("redis://alice@h");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->user, "alice");
  EXPECT_EQ(ep->password, "from-env");
  // The URL wins over the environment.
  auto url = ParseRedisUrl("redis://:from-url@h");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->password, "from-url");
}

TEST_F(RedisUrlTest, PasswordFromFileWithTrailingNewlineTrimmed) {
  auto path =
      std::filesystem::temp_directory_path() / ("sg-redis-pw-" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << "file pass\r\n\n";
  }
  setenv("SCRIPTGEN_REDIS_PASSWORD_FILE", path.c_str(), 1);
  auto ep = ParseRedisUrl("redis://h");
  std::filesystem::remove(path);
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->password, "file pass");

  // SCRIPTGEN_REDIS_PASSWORD takes precedence over the file.
  setenv("SCRIPTGEN_REDIS_PASSWORD", "env pass", 1);
  setenv("SCRIPTGEN_REDIS_PASSWORD_FILE", "/nonexistent/pw", 1);
  auto env = ParseRedisUrl("redis://h");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->password, "env pass");
}

TEST_F(RedisUrlTest, UnreadablePasswordFileIsAnError) {
  setenv("SCRIPTGEN_REDIS_PASSWORD_FILE", "/nonexistent/sg-redis-pw", 1);
  auto ep = ParseRedisUrl("redis://h");
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.status().code(), Code::kInvalidArgument);
  EXPECT_NE(ep.status().message().find("/nonexistent/sg-redis-pw"), std::string::npos);
}

TEST_F(RedisUrlTest, TlsFilesFromEnvironment) {
  setenv("SCRIPTGEN_REDIS_CA_FILE", "/etc/ca.pem", 1);
  setenv("SCRIPTGEN_REDIS_CERT_FILE", "/etc/c.pem", 1);
  setenv("SCRIPTGEN_REDIS_KEY_FILE", "/etc/k.pem", 1);
  auto ep = ParseRedisUrl("rediss://h");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->ca_file, "/etc/ca.pem");
  EXPECT_EQ(ep->cert_file, "/etc/c.pem");
  EXPECT_EQ(ep->key_file, "/etc/k.pem");
  unsetenv("SCRIPTGEN_REDIS_KEY_FILE");
  auto half = ParseRedisUrl("rediss://h");
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace scriptgen::redis
