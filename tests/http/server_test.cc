// The server end to end over real TCP: routing, errors, keep-alive, pipelining, hooks.
#include "http/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>

#include "test_client.h"
#include "test_server.h"

namespace scriptgen::http {
namespace {

using testing::Conn;
using testing::Fetch;
using testing::MakeRequest;
using testing::TestServer;
using namespace std::chrono_literals;

Response Text(std::string s) {
  return Response{.status = 200, .content_type = "text/plain", .body = std::move(s)};
}

Router MakeRouter() {
  Router r;
  r.Add("GET", "/v1/jobs/{id}", [](Request& req) {
    std::string out = "path=" + req.path + ";id=" + req.path_params.at("id");
    for (const auto& [k, v] : req.query) out += ";" + k + "=" + v;
    return Text(out);
  });
  r.Add("POST", "/v1/dlq/retry", [](Request&) { return Text("retry-all"); });
  r.Add("POST", "/v1/dlq/{job_id}/retry",
        [](Request& req) { return Text("retry-" + req.path_params.at("job_id")); });
  r.Add("DELETE", "/v1/dlq/{job_id}", [](Request&) { return Text("deleted"); });
  r.Add("POST", "/echo", [](Request& req) { return Text(req.body); }, {.max_body_bytes = 1000});
  r.Add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
  r.Add("GET", "/header", [](Request& req) { return Text(req.Header("x-CUSTOM").value_or("-")); });
  r.Add("GET", "/empty", [](Request&) { return Response{.status = 204, .content_type = ""}; });
  return r;
}

TEST(ServerTest, RoutesWithPathParamsAndDecodedQuery) {
  TestServer s(MakeRouter());
  auto r = Fetch(s.port(), "GET", "/v1/jobs/a%20b?x=1&y=hello+world&z=%E2%9C%93");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "path=/v1/jobs/a b;id=a b;x=1;y=hello world;z=\xE2\x9C\x93");
  EXPECT_EQ(r->Header("Content-Type"), "text/plain");
  r = Fetch(s.port(), "POST", "/v1/dlq/retry");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "retry-all");
  r = Fetch(s.port(), "POST", "/v1/dlq/j9/retry");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "retry-j9");
  r = Fetch(s.port(), "GET", "/header", "", {{"X-Custom", "v1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "v1");
}

TEST(ServerTest, NotFoundAndMethodNotAllowedAreJson) {
  TestServer s(MakeRouter());
  auto r = Fetch(s.port(), "GET", "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(r->body, R"({"error":{"code":"not_found","message":"no route for /nope"}})");
  EXPECT_TRUE(r->Header("X-Request-Id"));

  r = Fetch(s.port(), "PUT", "/v1/jobs/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_NE(r->body.find(R"("code":"method_not_allowed")"), std::string::npos);

  // Two patterns match /v1/dlq/retry: the literal one (POST) and {job_id} (DELETE).
  r = Fetch(s.port(), "GET", "/v1/dlq/retry");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("Allow"), "POST, DELETE, OPTIONS");
}

TEST(ServerTest, HeadAndOptions) {
  TestServer s(MakeRouter());
  auto get = Fetch(s.port(), "GET", "/v1/jobs/7");
  ASSERT_TRUE(get);
  Conn c(s.port());
  ASSERT_TRUE(c.Send(MakeRequest("HEAD", "/v1/jobs/7")));
  auto head = c.ReadResponse(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(get->body.size()));
  // No body bytes follow: the next response on the same connection parses cleanly.
  ASSERT_TRUE(c.Send(MakeRequest("OPTIONS", "/v1/jobs/7")));
  auto opt = c.ReadResponse();
  ASSERT_TRUE(opt);
  EXPECT_EQ(opt->status, 204);
  EXPECT_EQ(opt->Header("Allow"), "GET, HEAD, OPTIONS");
  auto empty = Fetch(s.port(), "GET", "/empty");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 204);
  EXPECT_FALSE(empty->Header("Content-Type"));
}

TEST(ServerTest, RequestIdEchoedOrGenerated) {
  TestServer s(MakeRouter());
  auto r = Fetch(s.port(), "GET", "/v1/jobs/1", "", {{"X-Request-Id", "abc-123.x"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("X-Request-Id"), "abc-123.x");
  r = Fetch(s.port(), "GET", "/v1/jobs/1", "", {{"X-Request-Id", "bad id<script>"}});
  ASSERT_TRUE(r);
  auto id = r->Header("X-Request-Id");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);
  EXPECT_TRUE(IsSaneRequestId(*id));
}

TEST(ServerTest, KeepAlivePipeliningAndConnectionClose) {
  TestServer s(MakeRouter());
  Conn c(s.port());
  // Three pipelined requests in one write are answered in order on the same connection.
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/v1/jobs/1") + MakeRequest("POST", "/echo", "hello") +
                     MakeRequest("GET", "/v1/jobs/3")));
  auto r1 = c.ReadResponse();
  auto r2 = c.ReadResponse();
  auto r3 = c.ReadResponse();
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->body, "path=/v1/jobs/1;id=1");
  EXPECT_EQ(r2->body, "hello");
  EXPECT_EQ(r3->body, "path=/v1/jobs/3;id=3");
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/v1/jobs/4", "", {{"Connection", "close"}})));
  auto r4 = c.ReadResponse();
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->Header("Connection"), "close");
  EXPECT_TRUE(c.WaitForClose(5s));
}

TEST(ServerTest, MalformedRequestGets400AndClose) {
  TestServer s(MakeRouter());
  Conn c(s.port());
  ASSERT_TRUE(c.Send("GARBAGE\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find(R"("code":"bad_request")"), std::string::npos);
  EXPECT_TRUE(c.WaitForClose(5s));

  Conn c2(s.port());
  ASSERT_TRUE(c2.Send("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c2.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST(ServerTest, OversizedHeaderGets431) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  TestServer s(MakeRouter(), o);
  auto r = Fetch(s.port(), "GET", "/v1/jobs/1", "", {{"X-Big", std::string(4000, 'a')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST(ServerTest, InMemoryBodyLimitAndHandlerException) {
  TestServer s(MakeRouter());
  auto r = Fetch(s.port(), "POST", "/echo", std::string(1001, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("payload_too_large"), std::string::npos);
  r = Fetch(s.port(), "GET", "/throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("boom"), std::string::npos);
}

TEST(ServerTest, BeforeAndAfterHooks) {
  std::mutex mu;
  std::vector<std::pair<std::string, int>> log;
  ServerOptions o;
  o.before = [](Request& req) -> std::optional<Response> {
    if (req.Header("Authorization") != "Bearer t") {
      return ErrorResponse(401, "unauthenticated", "missing token");
    }
    return std::nullopt;
  };
  o.after = [&](const Request& req, int status, std::chrono::nanoseconds elapsed) {
    EXPECT_GE(elapsed.count(), 0);
    std::lock_guard lock(mu);
    log.emplace_back(req.path, status);
  };
  {
    TestServer s(MakeRouter(), o);
    auto r = Fetch(s.port(), "GET", "/v1/jobs/1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    r = Fetch(s.port(), "GET", "/v1/jobs/1", "", {{"Authorization", "Bearer t"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    r = Fetch(s.port(), "GET", "/missing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);  // `before` runs for matched routes only
  }
  // `after` runs once the response is written, so the client may already be on its next
  // request: compare without order.
  std::lock_guard lock(mu);
  std::sort(log.begin(), log.end());
  EXPECT_EQ(log, (std::vector<std::pair<std::string, int>>{
                     {"/missing", 404}, {"/v1/jobs/1", 200}, {"/v1/jobs/1", 401}}));
}

TEST(ServerTest, StartReportsBindErrors) {
  TestServer s(MakeRouter());
  ServerOptions o;
  o.listen = "127.0.0.1:" + std::to_string(s.port());
  Server dup(o, MakeRouter());
  Status st = dup.Start();
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
  o.listen = "not-an-address";
  Server bad(o, MakeRouter());
  EXPECT_EQ(bad.Start().code(), Code::kInvalidArgument);
  o.listen = "[::1]:0";
  Server v6(o, MakeRouter());
  Status st6 = v6.Start();
  if (st6.ok()) {
    EXPECT_NE(v6.port(), 0);
    v6.Stop(std::chrono::milliseconds(100));
  }
}

}  // namespace
}  // namespace scriptgen::http
