// One HTTP/1.1 connection: a coroutine that reads a request, dispatches it, writes the response.
//
// This is the only translation unit that includes Beast (it compiles slowly). Design:
// - Each connection runs on its own strand, so its coroutine, its timer and the Stop() callbacks
//   posted to it never run concurrently; nothing in Connection needs a lock.
// - The header is read first with an empty_body parser; only then do we know the route and can
//   choose how to read the body (in memory, or spooled to a file through buffer_body in 64 KiB
//   steps while hashing) and enforce that route's size limit before reading a byte of it.
// - Handlers run on the handler pool via co_spawn; the connection coroutine is suspended (holding
//   no thread) until the handler returns, then resumes on its strand to write the response. So a
//   blocked handler costs one pool thread, never a network thread.
// - Requests on a connection are processed strictly one after another; bytes of pipelined
//   requests simply wait in the read buffer, which makes pipelining safe by construction.
// - SSE: after the headers, a writer loop sends what SseStream queued (as chunked transfer
//   encoding) and heartbeats on a timer; a second coroutine on the same strand sits in a read on
//   the socket purely to notice the client going away (an SSE client never sends after its
//   request). Both are woken through the timer, so an idle stream costs a timer and a pending
//   read: no thread, no polling.
// Trade-off: spooled bodies are written to the file from the network thread; these are 64 KiB
// writes into the page cache (no fsync), cheap next to the socket reads that produced them, and
// moving them to the pool would add two thread hops per chunk.
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <random>
#include <vector>

#include "http/hashing_file_writer.h"
#include "http/internal/server_core.h"
#include "http/internal/sse_access.h"
#include "http/internal/target.h"
#include "http/sse_stream.h"

namespace scriptgen::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kBodyChunk = 64 * 1024;

std::string GenerateRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) id[half * 16 + i] = kHex[(v >> (i * 4)) & 0xf];
  }
  return id;
}

bool SafeHeaderText(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// Outcome of reading a request body.
enum class BodyResult { kOk, kTooLarge, kMalformed, kGone, kServerError };

}  // namespace

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerCore& core, tcp::socket socket)
      : core_(core), stream_(std::move(socket)), sse_timer_(stream_.get_executor()) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }

  asio::awaitable<void> Run();
  void Shutdown();
  void ForceClose();

 private:
  enum class Phase { kReading, kBusy, kSse };

  asio::awaitable<bool> HandleRequest(bhttp::request_parser<bhttp::empty_body>& hp,
                                      Clock::time_point start);
  asio::awaitable<BodyResult> ReadBodyToString(bhttp::request_parser<bhttp::empty_body>& hp,
                                               uint64_t limit, Request& req);
  asio::awaitable<BodyResult> ReadBodyToFile(bhttp::request_parser<bhttp::empty_body>& hp,
                                             uint64_t limit, Request& req);
  asio::awaitable<bool> HandleSse(Request& req, const Router::Route& route, bool keep_alive,
                                  Clock::time_point start);
  asio::awaitable<void> SseWriteLoop(SseStream& stream);
  asio::awaitable<void> WatchDisconnect();
  asio::awaitable<bool> WriteChunk(std::string_view bytes);
  asio::awaitable<void> WriteResponse(const Request& req, Response res, bool keep_alive,
                                      bool head_only, Clock::time_point start);
  // Answers a request whose header could not be turned into a Request (no handler ran).
  asio::awaitable<void> WriteEarlyError(int status, std::string_view code, std::string_view msg);
  void CallAfter(const Request& req, int status, Clock::time_point start);

  // Runs `fn` on the handler pool and resumes the calling coroutine on its strand with the
  // result. Not itself a coroutine, and callers pass a named lambda: GCC 12 destroys lambda
  // temporaries inside a co_await expression twice (a miscompile we hit with captured
  // shared_ptrs), so no lambda-expression may appear in a co_await operand in this file.
  template <typename F>
  auto RunOnPool(F fn) {
    using R = std::invoke_result_t<F&>;
    return asio::async_initiate<const asio::use_awaitable_t<>, void(R)>(
        [this](auto handler, F f) {
          auto work = asio::make_work_guard(asio::get_associated_executor(handler));
          asio::post(core_.handlers, [handler = std::move(handler), f = std::move(f),
                                      work = std::move(work)]() mutable {
            R result = f();
            auto ex = work.get_executor();
            asio::post(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
              std::move(handler)(std::move(result));
            });
          });
        },
        asio::use_awaitable, std::move(fn));
  }

  ServerCore& core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer sse_timer_;  // SSE heartbeat deadline and wake-up signal
  std::string remote_;
  Phase phase_ = Phase::kReading;
  bool force_closed_ = false;
  bool client_gone_ = false;
  std::shared_ptr<SseStream> sse_;
};

asio::awaitable<void> Connection::Run() {
  auto self = shared_from_this();
  try {
    while (!core_.stopping.load() && !force_closed_) {
      phase_ = Phase::kReading;
      bhttp::request_parser<bhttp::empty_body> hp;
      hp.header_limit(static_cast<std::uint32_t>(core_.options.max_header_bytes));
      hp.body_limit(boost::none);  // each route sets its own limit once the header is known
      beast::error_code ec;
      stream_.expires_after(core_.options.idle_timeout);
      co_await bhttp::async_read_header(stream_, buffer_, hp,
                                        asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == bhttp::error::header_limit) {
          co_await WriteEarlyError(431, "header_too_large", "request header too large");
        } else if (IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
                   ec != bhttp::error::partial_message) {
          co_await WriteEarlyError(400, "bad_request", "malformed HTTP request: " + ec.message());
        }
        break;  // EOF, timeout, reset, cancelled by Stop: just close
      }
      phase_ = Phase::kBusy;
      if (!co_await HandleRequest(hp, Clock::now())) break;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sg_http: connection error: %s\n", e.what());
  }
  if (sse_) SseStreamAccess::Finish(*sse_);
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
  sse_timer_.cancel();
}

asio::awaitable<bool> Connection::HandleRequest(bhttp::request_parser<bhttp::empty_body>& hp,
                                                Clock::time_point start) {
  const auto& h = hp.get();
  Request req;
  req.method = std::string(h.method_string());
  req.target = std::string(h.target());
  req.remote_address = remote_;
  for (const auto& f : h) req.headers.emplace_back(f.name_string(), f.value());
  auto rid = req.Header("X-Request-Id");
  req.request_id = rid && IsSaneRequestId(*rid) ? *rid : GenerateRequestId();
  bool keep_alive = h.keep_alive() && !core_.stopping.load();
  const bool chunked = hp.chunked();
  std::optional<uint64_t> content_length;
  if (auto cl = hp.content_length()) content_length = *cl;
  const bool has_body = chunked || content_length.value_or(0) > 0;
  auto expect = req.Header("Expect");
  const bool expect_continue = expect && beast::iequals(*expect, "100-continue");

  auto target = ParseTarget(req.target);
  if (!target.ok()) {
    co_await WriteResponse(req, ErrorResponse(400, "bad_request", target.status().message()), false,
                           false, start);
    co_return false;
  }
  req.path = std::move(target->path);
  req.query = std::move(target->query);
  Router::Match m = core_.router.Find(req.method, target->segments);

  if (m.route == nullptr) {
    Response res;
    if (!m.path_known) {
      res = ErrorResponse(404, "not_found", "no route for " + req.path);
    } else if (req.method == "OPTIONS") {
      res = Response{.status = 204, .content_type = ""};
      res.headers.emplace_back("Allow", m.allow);
    } else {
      res = ErrorResponse(405, "method_not_allowed",
                          "method " + req.method + " not allowed for " + req.path);
      res.headers.emplace_back("Allow", m.allow);
    }
    // The body, if any, was not read; closing is simpler and safer than draining it.
    if (has_body) keep_alive = false;
    co_await WriteResponse(req, std::move(res), keep_alive, req.method == "HEAD", start);
    co_return keep_alive;
  }
  const Router::Route& route = *m.route;
  req.path_params = std::move(m.params);

  if (route.sse_handler) {
    if (has_body) {
      co_await WriteResponse(req, ErrorResponse(400, "bad_request", "event stream request body"),
                             false, false, start);
      co_return false;
    }
    co_return co_await HandleSse(req, route, keep_alive, start);
  }

  const uint64_t limit = route.options.max_body_bytes;
  if (content_length && *content_length > limit) {
    co_await WriteResponse(
        req,
        ErrorResponse(413, "payload_too_large",
                      "body of " + std::to_string(*content_length) +
                          " bytes exceeds the limit of " + std::to_string(limit)),
        false, false, start);
    co_return false;
  }
  if (has_body && expect_continue) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ec;
    stream_.expires_after(core_.options.idle_timeout);
    co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
  }
  BodyResult body = BodyResult::kOk;
  if (route.options.stream_body_to_file) {
    body = co_await ReadBodyToFile(hp, limit, req);
  } else if (has_body) {
    body = co_await ReadBodyToString(hp, limit, req);
  }
  switch (body) {
    case BodyResult::kOk:
      break;
    case BodyResult::kGone:
      co_return false;
    case BodyResult::kTooLarge:
      co_await WriteResponse(
          req,
          ErrorResponse(413, "payload_too_large",
                        "body exceeds the limit of " + std::to_string(limit) + " bytes"),
          false, false, start);
      co_return false;
    case BodyResult::kMalformed:
      co_await WriteResponse(req, ErrorResponse(400, "bad_request", "malformed request body"),
                             false, false, start);
      co_return false;
    case BodyResult::kServerError:
      co_await WriteResponse(req, ErrorResponse(500, "internal", "cannot store request body"),
                             false, false, start);
      co_return false;
  }

  const ServerOptions& opts = core_.options;
  auto run_handler = [&req, &route, &opts]() -> Response {
    Response out;
    try {
      std::optional<Response> early;
      if (opts.before) early = opts.before(req);
      out = early ? std::move(*early) : route.handler(req);
    } catch (const std::exception& e) {
      out = ErrorResponse(500, "internal", std::string("handler failed: ") + e.what());
    } catch (...) {
      out = ErrorResponse(500, "internal", "handler failed");
    }
    // Contract: the spooled body is deleted after the handler unless it renamed it away.
    if (!req.body_file.empty()) ::unlink(req.body_file.c_str());
    return out;
  };
  Response res = co_await RunOnPool(std::move(run_handler));
  if (core_.stopping.load()) keep_alive = false;
  co_await WriteResponse(req, std::move(res), keep_alive, m.head_via_get || req.method == "HEAD",
                         start);
  co_return keep_alive && !force_closed_;
}

asio::awaitable<BodyResult> Connection::ReadBodyToString(
    bhttp::request_parser<bhttp::empty_body>& hp, uint64_t limit, Request& req) {
  bhttp::request_parser<bhttp::string_body> p{std::move(hp)};
  p.body_limit(limit);
  while (!p.is_done()) {
    beast::error_code ec;
    stream_.expires_after(core_.options.idle_timeout);
    co_await bhttp::async_read_some(stream_, buffer_, p,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::body_limit) co_return BodyResult::kTooLarge;
    if (ec && IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message) {
      co_return BodyResult::kMalformed;
    }
    if (ec) co_return BodyResult::kGone;
  }
  req.body = std::move(p.get().body());
  co_return BodyResult::kOk;
}

asio::awaitable<BodyResult> Connection::ReadBodyToFile(bhttp::request_parser<bhttp::empty_body>& hp,
                                                       uint64_t limit, Request& req) {
  auto writer = HashingFileWriter::Create(core_.upload_dir, "body-");
  if (!writer.ok()) {
    std::fprintf(stderr, "sg_http: %s\n", writer.status().ToString().c_str());
    co_return BodyResult::kServerError;
  }
  bhttp::request_parser<bhttp::buffer_body> p{std::move(hp)};
  p.body_limit(limit);
  std::vector<char> buf(kBodyChunk);
  while (!p.is_done()) {
    p.get().body().data = buf.data();
    p.get().body().size = buf.size();
    beast::error_code ec;
    stream_.expires_after(core_.options.idle_timeout);
    co_await bhttp::async_read_some(stream_, buffer_, p,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec == bhttp::error::body_limit) co_return BodyResult::kTooLarge;
    if (ec && IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message) {
      co_return BodyResult::kMalformed;
    }
    if (ec) co_return BodyResult::kGone;
    size_t n = buf.size() - p.get().body().size;
    if (writer->size() + n > limit) co_return BodyResult::kTooLarge;  // belt and braces
    if (!writer->Write(std::string_view(buf.data(), n)).ok()) co_return BodyResult::kServerError;
  }
  if (!writer->Finish().ok()) co_return BodyResult::kServerError;
  req.body_file = writer->path();
  req.body_sha256_hex = writer->sha256_hex();
  req.body_size = writer->size();
  co_return BodyResult::kOk;
}

asio::awaitable<bool> Connection::HandleSse(Request& req, const Router::Route& route,
                                            bool keep_alive, Clock::time_point start) {
  auto stream = std::make_shared<SseStream>(core_.options.sse_max_queued_bytes);
  // Whatever happens below (refusal, errors, exceptions), the stream ends and OnClose fires.
  struct FinishGuard {
    SseStream& s;
    ~FinishGuard() { SseStreamAccess::Finish(s); }
  } guard{*stream};

  const ServerOptions& opts = core_.options;
  auto run_handler = [&req, &route, &opts, stream]() -> std::optional<Response> {
    try {
      if (opts.before) {
        if (auto early = opts.before(req)) return early;
      }
      return route.sse_handler(req, stream);
    } catch (const std::exception& e) {
      return ErrorResponse(500, "internal", std::string("handler failed: ") + e.what());
    } catch (...) {
      return ErrorResponse(500, "internal", "handler failed");
    }
  };
  std::optional<Response> refusal = co_await RunOnPool(std::move(run_handler));
  if (refusal) {
    if (core_.stopping.load()) keep_alive = false;
    co_await WriteResponse(req, std::move(*refusal), keep_alive, false, start);
    co_return keep_alive && !force_closed_;
  }
  if (force_closed_) co_return false;

  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/event-stream");
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("X-Accel-Buffering", "no");
  res.set("X-Request-Id", req.request_id);
  res.keep_alive(false);  // the stream ends the connection; nothing may follow it
  res.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> sr{res};
  beast::error_code ec;
  stream_.expires_after(core_.options.idle_timeout);
  co_await bhttp::async_write_header(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
  CallAfter(req, 200, start);
  if (ec) co_return false;

  phase_ = Phase::kSse;
  sse_ = stream;
  std::weak_ptr<Connection> weak = weak_from_this();
  SseStreamAccess::Attach(*stream, [weak, ex = executor()] {
    asio::post(ex, [weak] {
      if (auto c = weak.lock()) c->sse_timer_.cancel();
    });
  });
  // Stop() may have run while the handler did; it could not close a stream it did not see.
  if (core_.stopping.load()) stream->Close();
  asio::co_spawn(executor(), WatchDisconnect(), asio::detached);
  co_await SseWriteLoop(*stream);
  co_return false;
}

asio::awaitable<void> Connection::WatchDisconnect() {
  auto self = shared_from_this();
  std::array<char, 256> scratch;
  beast::error_code ec;
  // An SSE client sends nothing after its request: any completion, data or error, means it is
  // gone (or misbehaving), so the stream ends.
  co_await stream_.socket().async_read_some(asio::buffer(scratch),
                                            asio::redirect_error(asio::use_awaitable, ec));
  client_gone_ = true;
  sse_timer_.cancel();
}

asio::awaitable<void> Connection::SseWriteLoop(SseStream& stream) {
  const auto heartbeat = core_.options.sse_heartbeat;
  auto next_heartbeat = Clock::now() + heartbeat;
  while (!client_gone_ && !force_closed_) {
    SseStreamAccess::Batch batch = SseStreamAccess::Take(stream);
    if (batch.overflow) co_return;  // client too slow: drop it rather than buffer without bound
    if (!batch.bytes.empty()) {
      if (!co_await WriteChunk(batch.bytes)) co_return;
      next_heartbeat = Clock::now() + heartbeat;
      if (!batch.end) continue;
    }
    if (batch.end) {
      static constexpr std::string_view kLastChunk = "0\r\n\r\n";
      beast::error_code ec;
      stream_.expires_after(core_.options.idle_timeout);
      co_await asio::async_write(stream_, asio::buffer(kLastChunk.data(), kLastChunk.size()),
                                 asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    // Sleep until the heartbeat is due or a Send/Close/disconnect/Stop cancels the timer.
    beast::error_code ec;
    sse_timer_.expires_at(next_heartbeat);
    co_await sse_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !client_gone_ && !force_closed_) {
      if (!co_await WriteChunk(": keepalive\n\n")) co_return;
      next_heartbeat = Clock::now() + heartbeat;
    }
  }
}

asio::awaitable<bool> Connection::WriteChunk(std::string_view bytes) {
  char size_line[24];
  int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", bytes.size());
  std::array<asio::const_buffer, 3> bufs{asio::buffer(size_line, static_cast<size_t>(len)),
                                         asio::buffer(bytes.data(), bytes.size()),
                                         asio::buffer("\r\n", 2)};
  beast::error_code ec;
  stream_.expires_after(core_.options.idle_timeout);
  co_await asio::async_write(stream_, bufs, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

asio::awaitable<void> Connection::WriteResponse(const Request& req, Response res, bool keep_alive,
                                                bool head_only, Clock::time_point start) {
  if (res.status < 100 || res.status > 599) {
    res = ErrorResponse(500, "internal",
                        "handler returned invalid status " + std::to_string(res.status));
  }
  bhttp::response<bhttp::string_body> out;
  out.version(11);
  out.result(static_cast<unsigned>(res.status));
  for (auto& [name, value] : res.headers) {
    if (!name.empty() && SafeHeaderText(name) && SafeHeaderText(value)) out.insert(name, value);
  }
  if (!res.body.empty() && !res.content_type.empty() && SafeHeaderText(res.content_type)) {
    out.set(bhttp::field::content_type, res.content_type);
  }
  out.set("X-Request-Id", req.request_id);
  out.keep_alive(keep_alive);
  out.body() = std::move(res.body);
  out.prepare_payload();
  bhttp::response_serializer<bhttp::string_body> sr{out};
  beast::error_code ec;
  stream_.expires_after(core_.options.idle_timeout);
  if (head_only) {
    co_await bhttp::async_write_header(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await bhttp::async_write(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
  }
  CallAfter(req, res.status, start);
  if (ec) force_closed_ = true;  // the connection is unusable; stop the request loop
}

asio::awaitable<void> Connection::WriteEarlyError(int status, std::string_view code,
                                                  std::string_view msg) {
  Request req;
  req.request_id = GenerateRequestId();
  req.remote_address = remote_;
  co_await WriteResponse(req, ErrorResponse(status, code, msg), false, false, Clock::now());
}

void Connection::CallAfter(const Request& req, int status, Clock::time_point start) {
  if (!core_.options.after) return;
  try {
    core_.options.after(req, status, Clock::now() - start);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sg_http: after hook threw: %s\n", e.what());
  }
}

void Connection::Shutdown() {
  if (phase_ == Phase::kReading) {
    stream_.cancel();  // an idle keep-alive read: end the connection
  } else if (phase_ == Phase::kSse && sse_) {
    sse_->Close();  // flush what is queued, then end
  }
  // kBusy: the loop sees `stopping` after writing this response and closes.
}

void Connection::ForceClose() {
  force_closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
  sse_timer_.cancel();
}

void ServeConnection(ServerCore& core, tcp::socket socket) {
  auto conn = std::make_shared<Connection>(core, std::move(socket));
  {
    std::lock_guard lock(core.mu);
    core.connections.emplace(conn.get(), conn);
  }
  asio::co_spawn(conn->executor(), conn->Run(), [&core, key = conn.get()](std::exception_ptr) {
    std::lock_guard lock(core.mu);
    core.connections.erase(key);
    core.cv.notify_all();
  });
}

void ShutdownConnection(const std::shared_ptr<Connection>& connection) {
  asio::post(connection->executor(), [connection] { connection->Shutdown(); });
}

void ForceCloseConnection(const std::shared_ptr<Connection>& connection) {
  asio::post(connection->executor(), [connection] { connection->ForceClose(); });
}

}  // namespace scriptgen::http::internal
