// Router matching and request-target decoding, without a server.
#include "http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "http/internal/target.h"

namespace scriptgen::http {
namespace {

Response Ok(Request&) {
  return JsonResponse(200, "{}");
}

std::vector<std::string> Segs(std::string_view path) {
  auto t = internal::ParseTarget(path);
  EXPECT_TRUE(t.ok());
  return t->segments;
}

TEST(RouterTest, MatchesLiteralsAndCaptures) {
  Router r;
  r.Add("GET", "/v1/jobs/{id}", Ok);
  r.Add("GET", "/v1/jobs/{id}/events", Ok);
  auto m = r.Find("GET", Segs("/v1/jobs/42"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/jobs/{id}");
  EXPECT_EQ(m.params.at("id"), "42");
  m = r.Find("GET", Segs("/v1/jobs/42/events"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/jobs/{id}/events");
  EXPECT_EQ(r.Find("GET", Segs("/v1/jobs")).route, nullptr);
  EXPECT_FALSE(r.Find("GET", Segs("/v1/jobs/")).path_known);  // empty capture never matches
}

TEST(RouterTest, LiteralBeatsCapture) {
  Router r;
  r.Add("POST", "/v1/dlq/{job_id}", Ok);
  r.Add("POST", "/v1/dlq/retry", Ok);
  auto m = r.Find("POST", Segs("/v1/dlq/retry"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/dlq/retry");
  m = r.Find("POST", Segs("/v1/dlq/7"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("job_id"), "7");
}

TEST(RouterTest, MethodNotAllowedListsAllow) {
  Router r;
  r.Add("GET", "/v1/documents", Ok);
  r.Add("POST", "/v1/documents", Ok);
  auto m = r.Find("DELETE", Segs("/v1/documents"));
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_known);
  EXPECT_EQ(m.allow, "GET, POST, HEAD, OPTIONS");
  m = r.Find("HEAD", Segs("/v1/documents"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_TRUE(m.head_via_get);
}

TEST(RouterTest, RootAndDecodedSegments) {
  Router r;
  r.Add("GET", "/", Ok);
  r.Add("GET", "/files/{name}", Ok);
  EXPECT_NE(r.Find("GET", Segs("/")).route, nullptr);
  auto m = r.Find("GET", Segs("/files/a%2Fb%20c"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("name"), "a/b c");  // an encoded slash stays inside its segment
}

TEST(RouterTest, RejectsBadPatterns) {
  Router r;
  EXPECT_THROW(r.Add("GET", "no-slash", Ok), std::invalid_argument);
  EXPECT_THROW(r.Add("GET", "/a//b", Ok), std::invalid_argument);
  EXPECT_THROW(r.Add("GET", "/a/{b", Ok), std::invalid_argument);
  r.Add("GET", "/a/{b}", Ok);
  EXPECT_THROW(r.Add("GET", "/a/{b}", Ok), std::invalid_argument);
}

TEST(TargetTest, DecodesPathAndQuery) {
  auto t = internal::ParseTarget("/v1/a%20b?x=1&y=hello+world&y=%E2%9C%93&flag");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/v1/a b");
  EXPECT_EQ(t->segments, (std::vector<std::string>{"v1", "a b"}));
  EXPECT_EQ(t->query.count("y"), 2u);
  auto range = t->query.equal_range("y");
  EXPECT_EQ(range.first->second, "hello world");
  EXPECT_EQ(std::next(range.first)->second, "\xE2\x9C\x93");
  EXPECT_EQ(t->query.find("flag")->second, "");
  EXPECT_TRUE(internal::ParseTarget("http://example.com/x?y=1").ok());
}

TEST(TargetTest, RejectsMalformed) {
  EXPECT_FALSE(internal::ParseTarget("").ok());
  EXPECT_FALSE(internal::ParseTarget("/a%zz").ok());
  EXPECT_FALSE(internal::ParseTarget("/a%00b").ok());
  EXPECT_FALSE(internal::ParseTarget("/a?x=%00").ok());
  EXPECT_FALSE(internal::ParseTarget("*").ok());
}

}  // namespace
}  // namespace scriptgen::http

namespace scriptgen::http {
namespace {

std::string HeaderValue(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// Statuses from the layers below become the documented HTTP answers (docs/API.md, Errors).
TEST(ErrorResponseTest, TemporaryFailuresSayWhenToRetry) {
  const Response full = ErrorResponse(StorageFull("database or disk is full"));
  EXPECT_EQ(full.status, 507);
  EXPECT_NE(full.body.find(R"("code":"insufficient_storage")"), std::string::npos) << full.body;
  EXPECT_EQ(HeaderValue(full, "Retry-After"), "60");
  const Response down = ErrorResponse(Unavailable("redis down"));
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(HeaderValue(down, "Retry-After"), "5");
  const Response bug = ErrorResponse(Internal("x"));
  EXPECT_EQ(bug.status, 500);
  EXPECT_EQ(HeaderValue(bug, "Retry-After"), "");
}

}  // namespace
}  // namespace scriptgen::http
