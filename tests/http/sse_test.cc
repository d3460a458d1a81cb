// Server-Sent Events: ordering, heartbeats, disconnect detection, back-pressure, scale, Stop().
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "http/server.h"
#include "http/sse_stream.h"
#include "test_client.h"
#include "test_server.h"

namespace scriptgen::http {
namespace {

using Clock = std::chrono::steady_clock;
using testing::Conn;
using testing::MakeRequest;
using testing::TestServer;
using namespace std::chrono_literals;

// Collects the streams the SSE handler accepts, and counts OnClose calls.
struct Hub {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<SseStream>> streams;
  int closed = 0;

  bool WaitStreams(size_t n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return streams.size() >= n; });
  }
  bool WaitClosed(int n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return closed >= n; });
  }
  std::shared_ptr<SseStream> stream(size_t i) {
    std::lock_guard lock(mu);
    return streams.at(i);
  }
  int closed_count() {
    std::lock_guard lock(mu);
    return closed;
  }
};

Router MakeRouter(Hub& hub) {
  Router r;
  r.AddSse("/events/{id}",
           [&hub](Request& req, std::shared_ptr<SseStream> s) -> std::optional<Response> {
             if (req.path_params.at("id") == "missing") {
               return ErrorResponse(404, "not_found", "no such job");
             }
             if (auto last = req.Header("Last-Event-ID")) s->Send("replay", *last, "from " + *last);
             s->OnClose([&hub] {
               std::lock_guard lock(hub.mu);
               ++hub.closed;
               hub.cv.notify_all();
             });
             std::lock_guard lock(hub.mu);
             hub.streams.push_back(std::move(s));
             hub.cv.notify_all();
             return std::nullopt;
           });
  r.Add("GET", "/slow", [](Request&) {
    std::this_thread::sleep_for(300ms);
    return JsonResponse(200, R"({"slow":true})");
  });
  return r;
}

TEST(SseTest, EventsArriveInOrderWithIdsThenClose) {
  Hub hub;
  TestServer s(MakeRouter(hub));
  Conn c(s.port());
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/events/1")));
  auto head = c.ReadHeader();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Type"), "text/event-stream");
  EXPECT_EQ(head->Header("Cache-Control"), "no-store");
  EXPECT_EQ(head->Header("X-Accel-Buffering"), "no");
  EXPECT_EQ(head->Header("Transfer-Encoding"), "chunked");
  EXPECT_TRUE(head->Header("X-Request-Id"));
  ASSERT_TRUE(hub.WaitStreams(1));
  auto stream = hub.stream(0);
  std::thread sender([stream] {
    for (int i = 0; i < 200; ++i) {
      EXPECT_TRUE(stream->Send("progress", std::to_string(i),
                               "step " + std::to_string(i) + "\nsecond line"));
    }
    stream->Close();
  });
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    expected += "event: progress\nid: " + std::to_string(i) + "\ndata: step " + std::to_string(i) +
                "\ndata: second line\n\n";
  }
  auto got = c.ReadChunkedUntil("id: 199\ndata: step 199\ndata: second line\n\n");
  sender.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, expected);
  EXPECT_TRUE(c.ReadChunkedEnd());  // Close() ends the chunked body...
  EXPECT_TRUE(c.WaitForClose());    // ...and the connection
  EXPECT_TRUE(hub.WaitClosed(1));
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->Send("late", "", "x"));
}

TEST(SseTest, ReplayInHandlerComesFirstAndRefusalIsAResponse) {
  Hub hub;
  TestServer s(MakeRouter(hub));
  Conn c(s.port());
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/events/1", "", {{"Last-Event-ID", "41"}})));
  ASSERT_TRUE(c.ReadHeader());
  auto got = c.ReadChunkedUntil("\n\n");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "event: replay\nid: 41\ndata: from 41\n\n");

  auto r = testing::Fetch(s.port(), "GET", "/events/missing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, R"({"error":{"code":"not_found","message":"no such job"}})");
}

TEST(SseTest, HeartbeatCommentsWhileIdle) {
  Hub hub;
  ServerOptions o;
  o.sse_heartbeat = 50ms;
  TestServer s(MakeRouter(hub), o);
  Conn c(s.port());
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/events/1")));
  ASSERT_TRUE(c.ReadHeader());
  auto start = Clock::now();
  for (int i = 0; i < 3; ++i) {
    auto got = c.ReadChunkedUntil(": keepalive\n\n", 5s);
    ASSERT_TRUE(got) << "heartbeat " << i;
    EXPECT_EQ(*got, ": keepalive\n\n");
  }
  EXPECT_GE(Clock::now() - start, 100ms);
}

TEST(SseTest, OnCloseFiresWhenClientDisconnects) {
  Hub hub;
  TestServer s(MakeRouter(hub));
  auto c = std::make_unique<Conn>(s.port());
  ASSERT_TRUE(c->Send(MakeRequest("GET", "/events/1")));
  ASSERT_TRUE(c->ReadHeader());
  ASSERT_TRUE(hub.WaitStreams(1));
  EXPECT_EQ(hub.closed_count(), 0);
  c.reset();  // client goes away
  ASSERT_TRUE(hub.WaitClosed(1, 5s));
  EXPECT_TRUE(hub.stream(0)->closed());
  EXPECT_FALSE(hub.stream(0)->Send("x", "1", "y"));
  // A callback registered after the end runs at once, on the caller's thread.
  bool ran = false;
  hub.stream(0)->OnClose([&ran] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(SseTest, SlowClientIsDroppedNotBuffered) {
  Hub hub;
  ServerOptions o;
  o.sse_max_queued_bytes = 64 * 1024;
  TestServer s(MakeRouter(hub), o);
  Conn c(s.port());
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/events/1")));
  ASSERT_TRUE(c.ReadHeader());
  ASSERT_TRUE(hub.WaitStreams(1));
  auto stream = hub.stream(0);
  // The client never reads: once the socket buffers are full, the queue fills and the stream
  // is dropped. Kernel buffers on loopback hold a few MB, so allow far more than that.
  std::string data(16 * 1024, 'x');
  bool dropped = false;
  for (int i = 0; i < 20000 && !dropped; ++i) {
    if (!stream->Send("big", std::to_string(i), data)) dropped = true;
    if (i % 64 == 0) std::this_thread::sleep_for(1ms);  // let the writer drain into the socket
  }
  EXPECT_TRUE(dropped);
  EXPECT_TRUE(hub.WaitClosed(1, 10s));
}

TEST(SseTest, TwoThousandConcurrentStreams) {
  constexpr int kStreams = 2000;
  if (testing::RaiseFdLimit(2 * kStreams + 200) < 2 * kStreams + 200) {
    GTEST_SKIP() << "RLIMIT_NOFILE too low for " << kStreams << " loopback streams";
  }
  Hub hub;
  ServerOptions o;
  o.max_connections = kStreams + 100;  // above the default of 1024
  TestServer s(MakeRouter(hub), o);
  uint64_t rss_before = testing::ResidentBytes();
  std::vector<std::unique_ptr<Conn>> clients;
  clients.reserve(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    clients.push_back(std::make_unique<Conn>(s.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
    ASSERT_TRUE(clients.back()->Send(MakeRequest("GET", "/events/" + std::to_string(i))));
  }
  for (auto& c : clients) {
    auto h = c->ReadHeader(30s);
    ASSERT_TRUE(h);
    ASSERT_EQ(h->status, 200);
  }
  ASSERT_TRUE(hub.WaitStreams(kStreams, 30s));
  uint64_t rss_open = testing::ResidentBytes();
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_TRUE(hub.stream(i)->Send("tick", "1", "hello"));
  }
  for (auto& c : clients) {
    auto got = c->ReadChunkedUntil("data: hello\n\n", 30s);
    ASSERT_TRUE(got);
  }
  uint64_t per_stream = (rss_open > rss_before ? rss_open - rss_before : 0) / kStreams;
  std::printf("RSS %.1f MB -> %.1f MB with %d streams (client and server): ~%llu bytes/stream\n",
              rss_before / 1e6, rss_open / 1e6, kStreams,
              static_cast<unsigned long long>(per_stream));
  // Server and test client share this process; sanitizers inflate allocations several times.
  EXPECT_LT(per_stream, 256u * 1024);
  clients.clear();
  EXPECT_TRUE(hub.WaitClosed(kStreams, 30s));
}

TEST(SseTest, StopWithOpenStreamAndInFlightRequestDrains) {
  Hub hub;
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  Server server(o, MakeRouter(hub));
  ASSERT_TRUE(server.Start().ok());
  Conn sse(server.port());
  ASSERT_TRUE(sse.Send(MakeRequest("GET", "/events/1")));
  ASSERT_TRUE(sse.ReadHeader());
  ASSERT_TRUE(hub.WaitStreams(1));
  ASSERT_TRUE(hub.stream(0)->Send("progress", "1", "queued before stop"));
  Conn idle(server.port());  // an idle keep-alive connection
  ASSERT_TRUE(idle.Send(MakeRequest("GET", "/events/missing")));
  ASSERT_TRUE(idle.ReadResponse());
  Conn slow(server.port());
  ASSERT_TRUE(slow.Send(MakeRequest("GET", "/slow")));
  std::this_thread::sleep_for(50ms);  // the slow handler is now running

  auto start = Clock::now();
  server.Stop(2s);
  auto took = Clock::now() - start;
  EXPECT_LT(took, 2s);
  EXPECT_GE(took, 150ms) << "Stop must wait for the in-flight request";

  auto r = slow.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Connection"), "close");
  auto got = sse.ReadChunkedUntil("data: queued before stop\n\n");
  EXPECT_TRUE(got) << "events queued before Stop are flushed";
  EXPECT_TRUE(sse.ReadChunkedEnd());
  EXPECT_TRUE(idle.WaitForClose(1s));
  EXPECT_EQ(hub.closed_count(), 1);
  EXPECT_FALSE(hub.stream(0)->Send("after", "2", "stop"));
}

TEST(SseTest, StopForceClosesAtDeadline) {
  Hub hub;
  Router r = MakeRouter(hub);
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  Server server(o, std::move(r));
  ASSERT_TRUE(server.Start().ok());
  Conn slow(server.port());
  ASSERT_TRUE(slow.Send(MakeRequest("GET", "/slow")));
  std::this_thread::sleep_for(50ms);
  auto start = Clock::now();
  server.Stop(0ms);  // deadline passes at once; the handler still gets to finish
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_TRUE(slow.WaitForClose(1s));
}

TEST(SseStreamTest, FormatsMultiLineDataAndStripsNewlinesFromFields) {
  SseStream s(1024);
  EXPECT_TRUE(s.Send("a\nb", "1\r2", "x\r\ny\rz\n"));
  EXPECT_FALSE(s.closed());
  s.Close();
  EXPECT_TRUE(s.closed());
  EXPECT_FALSE(s.Send("e", "", "d"));
  SseStream small(10);
  EXPECT_FALSE(small.Send("", "", "this is longer than ten bytes"));
  EXPECT_TRUE(small.closed());
}

}  // namespace
}  // namespace scriptgen::http
