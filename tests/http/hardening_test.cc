// Exposure hardening of the plain-HTTP server: loopback-only plain listening, security headers on
// every kind of response, header-field validation, slowloris deadlines (header and body rate),
// the connection limit, and lingering close after 413/431 so clients read the error.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "http/server.h"
#include "http/sse_stream.h"
#include "test_client.h"
#include "test_server.h"

namespace scriptgen::http {
namespace {

using Clock = std::chrono::steady_clock;
using testing::Conn;
using testing::Fetch;
using testing::MakeRequest;
using testing::TestServer;
using namespace std::chrono_literals;

Router MakeRouter() {
  Router r;
  r.Add("GET", "/hello", [](Request&) { return JsonResponse(200, R"({"hello":1})"); });
  r.Add("POST", "/echo",
        [](Request& req) {
          return Response{.status = 200, .content_type = "text/plain", .body = req.body};
        },
        {.max_body_bytes = 100000});
  r.Add("POST", "/small", [](Request&) { return JsonResponse(200, "{}"); },
        {.max_body_bytes = 1000});
  r.Add("POST", "/spool",
        [](Request& req) { return JsonResponse(200, std::to_string(req.body_size)); },
        {.stream_body_to_file = true, .max_body_bytes = 100000});
  r.Add("GET", "/banner", [](Request&) {
    Response res = JsonResponse(200, "{}");
    res.headers.emplace_back("Server", "scriptgen/0.1");
    res.headers.emplace_back("Cache-Control", "public, max-age=3600");
    res.headers.emplace_back("X-Custom", "kept\tas is");
    return res;
  });
  r.Add("GET", "/split", [](Request& req) {
    Response res = JsonResponse(200, "{}");
    std::string how = req.QueryParam("how").value_or("");
    if (how == "crlf") res.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: session=stolen");
    if (how == "lf") res.headers.emplace_back("X-Evil", "a\nSet-Cookie: session=stolen");
    if (how == "nul") res.headers.emplace_back("X-Evil", std::string("a\0b", 3));
    if (how == "name") res.headers.emplace_back("Set-Cookie: x", "1");
    if (how == "type") res.content_type = "text/plain\r\nSet-Cookie: session=stolen";
    return res;
  });
  r.Add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
  r.AddSse("/events", [](Request&, std::shared_ptr<SseStream> s) -> std::optional<Response> {
    s->Send("", "", "hi");
    s->Close();
    return std::nullopt;
  });
  return r;
}

void ExpectSecurityHeaders(const testing::HttpResult& r) {
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << r.status;
  EXPECT_EQ(r.Header("Cache-Control"), "no-store") << r.status;
  EXPECT_EQ(r.Header("X-Frame-Options"), "DENY") << r.status;
  EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << r.status;
  EXPECT_FALSE(r.Header("Strict-Transport-Security")) << "HSTS over plain HTTP";
  EXPECT_FALSE(r.Header("Server")) << r.status;
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

Status StartOn(const std::string& listen, bool allow_plain_http) {
  ServerOptions o;
  o.listen = listen;
  o.allow_plain_http = allow_plain_http;
  Server server(std::move(o), MakeRouter());
  Status st = server.Start();
  server.Stop(0ms);
  return st;
}

TEST(HardeningTest, PlainHttpListensOnlyOnLoopbackUnlessAllowed) {
  for (const char* listen : {"0.0.0.0:0", ":0", "[::]:0"}) {
    Status st = StartOn(listen, false);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << listen << ": " << st.ToString();
    EXPECT_NE(st.message().find("--allow-plain-http"), std::string::npos) << st.ToString();
    EXPECT_NE(st.message().find("--tls-cert/--tls-key"), std::string::npos) << st.ToString();
  }
  // With the flag it binds (all interfaces, but the test sends nothing off the machine).
  Status st = StartOn("0.0.0.0:0", true);
  EXPECT_TRUE(st.ok()) << st.ToString();
  for (const char* listen : {"127.0.0.1:0", "localhost:0", "127.0.0.2:0"}) {
    st = StartOn(listen, false);
    EXPECT_TRUE(st.ok()) << listen << ": " << st.ToString();
  }
  st = StartOn("[::1]:0", false);  // may be unavailable without IPv6, but never refused as exposed
  EXPECT_NE(st.code(), Code::kInvalidArgument) << st.ToString();
}

TEST(HardeningTest, StartRejectsNonsenseLimits) {
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.max_connections = 0;
  Server a(o, MakeRouter());
  EXPECT_EQ(a.Start().code(), Code::kInvalidArgument);
  o.max_connections = 10;
  o.header_timeout = 0ms;
  Server b(o, MakeRouter());
  EXPECT_EQ(b.Start().code(), Code::kInvalidArgument);
}

TEST(HardeningTest, SecurityHeadersOnEveryKindOfResponse) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  TestServer s(MakeRouter(), o);
  struct Case {
    std::string request;
    int status;
  };
  std::vector<Case> cases = {
      {MakeRequest("GET", "/hello"), 200},
      {MakeRequest("GET", "/nope"), 404},
      {MakeRequest("PUT", "/hello"), 405},
      {MakeRequest("OPTIONS", "/hello"), 204},
      {MakeRequest("GET", "/throw"), 500},
      {MakeRequest("POST", "/small", std::string(2000, 'x')), 413},
      {MakeRequest("GET", "/hello", "", {{"X-Big", std::string(4000, 'a')}}), 431},
      {"NONSENSE\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    Conn conn(s.port());
    ASSERT_TRUE(conn.Send(c.request));
    auto r = conn.ReadResponse();
    ASSERT_TRUE(r) << c.status;
    EXPECT_EQ(r->status, c.status);
    ExpectSecurityHeaders(*r);
    EXPECT_TRUE(r->Header("X-Request-Id"));
  }
  // A handler cannot add a banner or make user data cacheable; its other fields pass.
  auto banner = Fetch(s.port(), "GET", "/banner");
  ASSERT_TRUE(banner);
  ExpectSecurityHeaders(*banner);
  EXPECT_EQ(banner->Header("X-Custom"), "kept\tas is");

  Conn sse(s.port());
  ASSERT_TRUE(sse.Send(MakeRequest("GET", "/events")));
  auto head = sse.ReadHeader();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Type"), "text/event-stream");
  ExpectSecurityHeaders(*head);
}

TEST(HardeningTest, HeaderFieldsWithControlCharactersAreNeverSent) {
  TestServer s(MakeRouter());
  for (const char* how : {"crlf", "lf", "nul", "name", "type"}) {
    Conn c(s.port());
    ASSERT_TRUE(c.Send(MakeRequest("GET", std::string("/split?how=") + how)));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r) << how;
    EXPECT_EQ(r->status, 500) << how;
    EXPECT_FALSE(r->Header("Set-Cookie")) << how;
    EXPECT_FALSE(r->Header("X-Evil")) << how;
    EXPECT_NE(r->body.find("invalid header field"), std::string::npos) << r->body;
    // The connection stays in sync: a second request on it works.
    ASSERT_TRUE(c.Send(MakeRequest("GET", "/hello")));
    auto next = c.ReadResponse();
    ASSERT_TRUE(next) << how;
    EXPECT_EQ(next->status, 200);
  }
}

TEST(HardeningTest, PartialHeaderIsCutOffAtTheHeaderDeadline) {
  ServerOptions o;
  o.header_timeout = 300ms;
  TestServer s(MakeRouter(), o);

  // Half a header, then silence.
  Conn half(s.port());
  ASSERT_TRUE(half.Send("GET /hello HTTP/1.1\r\nHost: x\r\n"));
  auto start = Clock::now();
  EXPECT_TRUE(half.WaitForClose(5s));
  auto took = Clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);

  // A byte every 50 ms keeps the connection busy but does not move the deadline.
  Conn trickle(s.port());
  start = Clock::now();
  std::string header = MakeRequest("GET", "/hello", "", {{"X-Pad", std::string(200, 'p')}});
  bool cut = false;
  for (char ch : header) {
    if (!trickle.Send(std::string_view(&ch, 1))) {
      cut = true;
      break;
    }
    if (Clock::now() - start > 5s) break;
    std::this_thread::sleep_for(50ms);
    if (trickle.WaitForClose(0ms)) {
      cut = true;
      break;
    }
  }
  EXPECT_TRUE(cut || trickle.WaitForClose(1s));
  EXPECT_LT(Clock::now() - start, 3s);

  // Connecting and sending nothing at all is the same.
  Conn silent(s.port());
  EXPECT_TRUE(silent.WaitForClose(5s));

  EXPECT_TRUE(WaitFor([&] { return s.server().stats().header_timeouts == 3; }))
      << s.server().stats().header_timeouts;
  EXPECT_TRUE(WaitFor([&] { return s.server().stats().connections_open == 0; }));
}

TEST(HardeningTest, KeepAliveIdleIsNotAHeaderTimeout) {
  ServerOptions o;
  o.header_timeout = 300ms;
  TestServer s(MakeRouter(), o);
  Conn c(s.port());
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/hello")));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  // Thinking between requests for longer than header_timeout is what keep-alive is for.
  std::this_thread::sleep_for(600ms);
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/hello")));
  r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(s.server().stats().header_timeouts, 0u);
}

ServerOptions SlowBodyOptions() {
  ServerOptions o;
  o.body_min_bytes_per_second = 1000;  // 300 bytes per 300 ms window
  o.body_rate_window = 300ms;
  return o;
}

TEST(HardeningTest, TrickledBodyIsCutOff) {
  TestServer s(MakeRouter(), SlowBodyOptions());
  for (const char* target : {"/echo", "/spool"}) {
    Conn c(s.port());
    ASSERT_TRUE(c.Send(MakeRequest("POST", target, "", {{"Content-Length", "5000"}})));
    auto start = Clock::now();
    bool closed = false;
    while (Clock::now() - start < 5s) {  // 10 bytes per 50 ms: 200 bytes/s
      if (!c.Send(std::string(10, 'b')) || c.WaitForClose(50ms)) {
        closed = true;
        break;
      }
    }
    EXPECT_TRUE(closed) << target;
    EXPECT_LT(Clock::now() - start, 3s) << target;
  }
  EXPECT_TRUE(WaitFor([&] { return s.server().stats().body_timeouts == 2; }))
      << s.server().stats().body_timeouts;
}

TEST(HardeningTest, SlowButSufficientBodySucceeds) {
  TestServer s(MakeRouter(), SlowBodyOptions());
  for (const char* target : {"/echo", "/spool"}) {
    Conn c(s.port());
    std::string body(6000, 'q');
    ASSERT_TRUE(c.Send(MakeRequest("POST", target, "", {{"Content-Length", "6000"}})));
    // 250 bytes per 50 ms: 5000 bytes/s over more than a second, several windows.
    for (size_t i = 0; i < body.size(); i += 250) {
      ASSERT_TRUE(c.Send(std::string_view(body).substr(i, 250)));
      std::this_thread::sleep_for(50ms);
    }
    auto r = c.ReadResponse();
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::string(target) == "/echo" ? body : "6000");
  }
  EXPECT_EQ(s.server().stats().body_timeouts, 0u);
}

TEST(HardeningTest, ConnectionLimitAnswers503AndRecovers) {
  ServerOptions o;
  o.max_connections = 3;
  TestServer s(MakeRouter(), o);
  std::vector<std::unique_ptr<Conn>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Conn>(s.port()));
    ASSERT_TRUE(held.back()->Send(MakeRequest("GET", "/hello")));
    auto r = held.back()->ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(s.server().stats().connections_open, 3u);

  for (int i = 0; i < 2; ++i) {
    Conn over(s.port());
    ASSERT_TRUE(over.Send(MakeRequest("GET", "/hello")));
    auto r = over.ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->Header("Retry-After"), "1");
    EXPECT_EQ(r->Header("Content-Type"), "application/json");
    EXPECT_NE(r->body.find(R"({"error":{"code":"unavailable","message":)"), std::string::npos)
        << r->body;
    ExpectSecurityHeaders(*r);
    EXPECT_TRUE(over.WaitForClose(5s));
  }
  EXPECT_EQ(s.server().stats().connections_rejected, 2u);

  // The held connections are still served...
  ASSERT_TRUE(held[0]->Send(MakeRequest("GET", "/hello")));
  auto again = held[0]->ReadResponse();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  // ...and once they close, new ones are too.
  held.clear();
  ASSERT_TRUE(WaitFor([&] { return s.server().stats().connections_open == 0; }));
  auto r = Fetch(s.port(), "GET", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(s.server().stats().connections_accepted, 4u);
}

TEST(HardeningTest, HugeHeaderGets431NotAReset) {
  TestServer s(MakeRouter());  // default 16 KiB header limit
  for (int i = 0; i < 5; ++i) {
    Conn c(s.port());
    auto start = Clock::now();
    ASSERT_TRUE(c.Send(MakeRequest("GET", "/hello", "", {{"X-Big", std::string(70000, 'h')}})));
    auto r = c.ReadResponse(false, 5s);
    ASSERT_TRUE(r) << "attempt " << i;
    EXPECT_EQ(r->status, 431);
    EXPECT_EQ(r->Header("Connection"), "close");
    EXPECT_TRUE(c.WaitForClose(5s));
    EXPECT_LT(Clock::now() - start, 3s);
  }
}

TEST(HardeningTest, OversizedBodyGets413WhileTheClientKeepsSending) {
  TestServer s(MakeRouter());
  // Declared too large: refused up front, but the client sends the whole body anyway (no
  // Expect: 100-continue); lingering close lets it finish sending and read the 413.
  for (int i = 0; i < 3; ++i) {
    Conn c(s.port());
    std::string body(1 << 20, 'x');
    ASSERT_TRUE(c.Send(MakeRequest("POST", "/small", body)));  // not cut off by a reset
    auto r = c.ReadResponse(false, 5s);
    ASSERT_TRUE(r) << "attempt " << i;
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.WaitForClose(5s));
  }
  // Found too large only while streaming (chunked, no length).
  Conn c(s.port());
  std::string chunk = "1000\r\n" + std::string(0x1000, 'y') + "\r\n";
  std::string chunks;
  for (int i = 0; i < 128; ++i) chunks += chunk;  // 512 KiB
  ASSERT_TRUE(c.Send(MakeRequest("POST", "/small", "", {{"Transfer-Encoding", "chunked"}})));
  ASSERT_TRUE(c.Send(chunks));
  auto r = c.ReadResponse(false, 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST(HardeningTest, LingeringCloseIsBounded) {
  TestServer s(MakeRouter());
  Conn c(s.port());
  ASSERT_TRUE(c.Send(MakeRequest("POST", "/small", "", {{"Content-Length", "100000000"}})));
  auto r = c.ReadResponse(false, 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // Keep sending slowly: the server listens (discarding) for about a second, then closes for
  // good, and our sends start failing.
  auto start = Clock::now();
  while (Clock::now() - start < 5s && c.Send(std::string(100, 'z'))) {
    std::this_thread::sleep_for(20ms);
  }
  auto took = Clock::now() - start;
  EXPECT_GE(took, 500ms);  // it did linger
  EXPECT_LT(took, 3s);     // but not for ever
}

}  // namespace
}  // namespace scriptgen::http
