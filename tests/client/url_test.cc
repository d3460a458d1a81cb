#include <gtest/gtest.h>

#include "client/server_address.h"
#include "client/url_encode.h"

namespace scriptgen::client {
namespace {

TEST(PercentEncode, KeepsUnreservedAndEncodesEverythingElse) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b/c?d&e=f+g%"), "a%20b%2Fc%3Fd%26e%3Df%2Bg%25");
  EXPECT_EQ(PercentEncode("\xED\x95\x9C.txt"), "%ED%95%9C.txt");  // Korean syllable
  EXPECT_EQ(PercentEncode(std::string("\0x", 2)), "%00x");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(QueryString, SkipsEmptyValuesAndEncodes) {
  EXPECT_EQ(QueryString({}), "");
  EXPECT_EQ(QueryString({{"a", ""}}), "");
  EXPECT_EQ(QueryString({{"filename", "my notes.md"}, {"subject_id", ""}, {"k", "1"}}),
            "?filename=my%20notes.md&k=1");
}

TEST(ParseServerUrl, AcceptsHostPortAndDefaults) {
  StatusOr<ServerAddress> a = ParseServerUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8080");
  EXPECT_EQ(a->url, "http://127.0.0.1:8080");

  a = ParseServerUrl("HTTP://localhost/");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, "80");

  a = ParseServerUrl("http://[::1]:9000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->HostHeader(), "[::1]:9000");
  EXPECT_EQ(a->url, "http://[::1]:9000");
}

TEST(ParseServerUrl, RejectsWhatItCannotServe) {
  for (const char* bad :
       {"127.0.0.1:8080", "https://x", "http://", "http://:80", "http://h:0", "http://h:65536",
        "http://h:12a", "http://h/v1", "http://u@h", "http://[::1", "http://h?x=1"}) {
    StatusOr<ServerAddress> a = ParseServerUrl(bad);
    EXPECT_FALSE(a.ok()) << bad;
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
    }
  }
  EXPECT_NE(ParseServerUrl("https://x").status().message().find("https"), std::string::npos);
}

}  // namespace
}  // namespace scriptgen::client
