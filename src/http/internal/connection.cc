// One HTTP/1.1 connection: a coroutine that reads a request, dispatches it, writes the response.
//
// This is the only translation unit that includes Beast (it compiles slowly). Design:
// - Each connection runs on its own strand, so its coroutine, its timer and the Stop() callbacks
//   posted to it never run concurrently; nothing in Connection needs a lock.
// - The connection is a template on its stream: beast::tcp_stream for plain HTTP, or
//   beast::ssl_stream over one for TLS. Beast's algorithms are generic over both, so the protocol
//   code exists once and the TLS differences are a handful of `if constexpr` (handshake, close
//   notify, HSTS). Timeouts always live on the lowest layer (Tcp()), the tcp_stream, so one
//   mechanism bounds TLS and HTTP alike. The price is that the file is compiled twice over; a
//   type-erased stream would cost a virtual call and an allocation per I/O and hide the types
//   Beast's composed operations want.
// - The header is read first with an empty_body parser; only then do we know the route and can
//   choose how to read the body (in memory, or spooled to a file through buffer_body in 64 KiB
//   steps while hashing) and enforce that route's size limit before reading a byte of it.
// - Deadlines against slow clients: the TLS handshake and the whole request header each have an
//   absolute deadline (a tcp_stream expiry covers every read of a composed operation, so a client
//   trickling one byte a second cannot extend it); a keep-alive connection may idle for
//   idle_timeout before the first byte of its next request. A body must keep a minimum rate
//   (BodyPacer). Beast closes the socket when an expiry hits, so timeouts end the connection
//   without a response: the client is not reading, by definition.
// - Handlers run on the handler pool via co_spawn; the connection coroutine is suspended (holding
//   no thread) until the handler returns, then resumes on its strand to write the response. So a
//   blocked handler costs one pool thread, never a network thread.
// - Requests on a connection are processed strictly one after another; bytes of pipelined
//   requests simply wait in the read buffer, which makes pipelining safe by construction.
// - After an error that leaves request bytes unread (400, 413, 431, an unread body) we close
//   "lingering": send FIN (plain) and read and discard what still arrives, for up to kLingerTime
//   or kLingerBytes. Closing a socket with unread input makes the kernel send a reset, and a reset
//   makes the client's kernel drop our response before the client read it.
// - Every response, including the server's own errors and SSE, gets the security headers from one
//   place (SetSecurityHeaders); header fields from handlers are validated (a CR/LF would split the
//   response), and an invalid one turns the response into a 500 rather than being sent or dropped
//   silently.
// - SSE: after the headers, a writer loop sends what SseStream queued (as chunked transfer
//   encoding) and heartbeats on a timer; a second coroutine on the same strand sits in a read on
//   the raw socket purely to notice the client going away (an SSE client never sends after its
//   request; over TLS any record, even a close_notify, means the same). Both are woken through the
//   timer, so an idle stream costs a timer and a pending read: no thread, no polling.
// Trade-off: spooled bodies are written to the file from the network thread; these are 64 KiB
// writes into the page cache (no fsync), cheap next to the socket reads that produced them, and
// moving them to the pool would add two thread hops per chunk.
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <random>
#include <type_traits>
#include <vector>

#include "http/hashing_file_writer.h"
#include "http/internal/server_core.h"
#include "http/internal/sse_access.h"
#include "http/internal/target.h"
#include "http/sse_stream.h"
#include "obs/logger.h"

namespace scriptgen::http::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr size_t kBodyChunk = 64 * 1024;
// Lingering close: long enough for a client on a slow link to read a small error response,
// short enough that a client which keeps sending cannot hold the connection.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = size_t{4} << 20;
// How long we wait for the peer's close_notify after sending ours.
constexpr auto kTlsShutdownTime = std::chrono::milliseconds(500);
// Over-limit connections being answered with a 503 at once; beyond this they are just closed, so
// a flood cannot turn the rejections themselves into the resource problem.
constexpr uint64_t kMaxRejecting = 64;

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

// RFC 9110 token: the characters a field name may use.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// RFC 9110 field-value: visible characters, obs-text, space and tab. Above all no CR, LF or NUL,
// which would let a value end the header (response splitting); Beast 1.81 checks nothing.
bool IsFieldValue(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// Fields the server owns: framing (a handler's value could desynchronise the client's parser),
// connection management and the request id.
bool IsServerOwnedField(std::string_view name) {
  return beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
         beast::iequals(name, "Connection") || beast::iequals(name, "X-Request-Id");
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// Outcome of reading a request body.
enum class BodyResult { kOk, kTooLarge, kMalformed, kGone, kTooSlow, kNoSpace, kServerError };

// A body that could not be stored: the disk is full (507, the client may retry later) or
// something else broke (500). Both are logged: the operator must hear of either.
BodyResult StoreFailure(const Status& s) {
  obs::Logger::Global().Error("http: cannot store request body", {{"error", s.ToString()}});
  return s.code() == Code::kStorageFull ? BodyResult::kNoSpace : BodyResult::kServerError;
}

// The deadline of the next body read under the minimum-rate rule: each window of
// body_rate_window must bring rate * window bytes. A window that has its quota ends at once and
// the next one starts, so a fast client is never near the deadline, and a client that stalls for
// a whole window is cut off however fast it was before. Each read is also bounded by
// idle_timeout, which is all that remains when the rate check is off.
class BodyPacer {
 public:
  explicit BodyPacer(const ServerOptions& o)
      : idle_(o.idle_timeout),
        window_(o.body_rate_window),
        quota_(o.body_min_bytes_per_second == 0
                   ? 0
                   : std::max<uint64_t>(1, o.body_min_bytes_per_second *
                                               static_cast<uint64_t>(o.body_rate_window.count()) /
                                               1000)) {
    StartWindow(Clock::now());
  }

  Clock::time_point Deadline() const {
    auto idle = Clock::now() + idle_;
    return quota_ == 0 ? idle : std::min(idle, window_end_);
  }
  void Received(size_t n) {
    received_ += n;
    if (quota_ != 0 && received_ >= quota_) StartWindow(Clock::now());
  }

 private:
  void StartWindow(Clock::time_point now) {
    window_end_ = now + window_;
    received_ = 0;
  }

  const std::chrono::milliseconds idle_;
  const std::chrono::milliseconds window_;
  const uint64_t quota_;
  Clock::time_point window_end_;
  uint64_t received_ = 0;
};

}  // namespace

// The stream-independent face of a connection, for ServerCore's registry and Stop().
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;
  virtual asio::any_io_executor executor() = 0;
  virtual void Shutdown() = 0;
  virtual void ForceClose() = 0;
};

namespace {

template <class Stream>
class StreamConnection final : public Connection {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  StreamConnection(ServerCore& core, tcp::socket socket) requires(!kTls)
      : core_(core), stream_(std::move(socket)), sse_timer_(stream_.get_executor()) {
    Init();
  }
  StreamConnection(ServerCore& core, tcp::socket socket) requires(kTls)
      : core_(core), stream_(std::move(socket), *core.tls), sse_timer_(stream_.get_executor()) {
    Init();
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  asio::awaitable<void> Run();
  void Shutdown() override;
  void ForceClose() override;

 private:
  enum class Phase { kReading, kBusy, kSse };

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  void Init() {
    beast::error_code ec;
    auto ep = Tcp().socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    Tcp().socket().set_option(tcp::no_delay(true), ec);
  }

  asio::awaitable<bool> Handshake();
  asio::awaitable<bool> ReadHeader(bhttp::request_parser<bhttp::empty_body>& hp, bool first);
  asio::awaitable<bool> HandleRequest(bhttp::request_parser<bhttp::empty_body>& hp,
                                      Clock::time_point start);
  asio::awaitable<BodyResult> ReadBodyToString(bhttp::request_parser<bhttp::empty_body>& hp,
                                               uint64_t limit, Request& req);
  asio::awaitable<BodyResult> ReadBodyToFile(bhttp::request_parser<bhttp::empty_body>& hp,
                                             uint64_t limit, Request& req);
  asio::awaitable<bool> HandleSse(Request& req, const Router::Route& route, bool keep_alive,
                                  Clock::time_point start);
  asio::awaitable<void> SseWriteLoop(SseStream& stream);
  asio::awaitable<bool> WriteSseHeader(const Request& req);
  asio::awaitable<void> WatchDisconnect();
  asio::awaitable<bool> WriteChunk(std::string_view bytes);
  asio::awaitable<void> WriteResponse(const Request& req, Response res, bool keep_alive,
                                      bool head_only, Clock::time_point start);
  // Answers with `res` and closes lingering: for errors that leave request bytes unread.
  asio::awaitable<void> WriteErrorAndClose(const Request& req, Response res,
                                           Clock::time_point start);
  // Answers a request whose header could not be turned into a Request (no handler ran).
  asio::awaitable<void> WriteEarlyError(int status, std::string_view code, std::string_view msg);
  asio::awaitable<void> LingeringDrain();
  asio::awaitable<void> Close();
  void CallAfter(const Request& req, int status, Clock::time_point start);
  template <class Fields>
  void SetSecurityHeaders(Fields& fields) const;

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
  Stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer sse_timer_;  // SSE heartbeat deadline and wake-up signal
  std::string remote_;
  Phase phase_ = Phase::kReading;
  bool force_closed_ = false;
  bool client_gone_ = false;
  bool linger_ = false;       // close lingering: request bytes may still be arriving
  bool tls_session_ = false;  // the handshake succeeded (a close_notify is due at the end)
  std::shared_ptr<SseStream> sse_;
};

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::Run() {
  auto self = shared_from_this();
  try {
    bool serving = true;
    if constexpr (kTls) serving = co_await Handshake();
    bool first = true;
    while (serving && !core_.stopping.load() && !force_closed_) {
      phase_ = Phase::kReading;
      bhttp::request_parser<bhttp::empty_body> hp;
      hp.header_limit(static_cast<std::uint32_t>(core_.options.max_header_bytes));
      hp.body_limit(boost::none);  // each route sets its own limit once the header is known
      if (!co_await ReadHeader(hp, first)) break;
      first = false;
      phase_ = Phase::kBusy;
      if (!co_await HandleRequest(hp, Clock::now())) break;
    }
  } catch (const std::exception& e) {
    obs::Logger::Global().Warn("http: connection error", {{"error", e.what()}});
  }
  if (sse_) SseStreamAccess::Finish(*sse_);
  co_await Close();
}

template <class Stream>
asio::awaitable<bool> StreamConnection<Stream>::Handshake() {
  beast::error_code ec;
  Tcp().expires_after(core_.options.tls_handshake_timeout);
  co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // Scanners, plain HTTP on the TLS port, old clients, timeouts: common and not actionable one
    // by one, so counted, not logged (OpenSSL's reason could also carry client-chosen text).
    if (!core_.stopping.load()) core_.counters.tls_handshake_failures.fetch_add(1);
    co_return false;
  }
  tls_session_ = true;
  co_return true;
}

template <class Stream>
asio::awaitable<bool> StreamConnection<Stream>::ReadHeader(
    bhttp::request_parser<bhttp::empty_body>& hp, bool first) {
  beast::error_code ec;
  if (!first && buffer_.size() == 0) {
    // Keep-alive: the client may think for idle_timeout before its next request; the header
    // deadline starts with its first byte.
    Tcp().expires_after(core_.options.idle_timeout);
    size_t n = co_await stream_.async_read_some(buffer_.prepare(4096),
                                                asio::redirect_error(asio::use_awaitable, ec));
    buffer_.commit(n);
    if (ec) co_return false;  // idle timeout, EOF, reset, cancelled by Stop: just close
  }
  Tcp().expires_after(core_.options.header_timeout);
  co_await bhttp::async_read_header(stream_, buffer_, hp,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_return true;
  if (ec == beast::error::timeout) {
    core_.counters.header_timeouts.fetch_add(1);  // Beast closed the socket; nothing to answer
  } else if (ec == bhttp::error::header_limit) {
    co_await WriteEarlyError(431, "header_too_large", "request header too large");
  } else if (IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
             ec != bhttp::error::partial_message) {
    co_await WriteEarlyError(400, "bad_request", "malformed HTTP request: " + ec.message());
  }
  co_return false;  // EOF, reset, cancelled by Stop: just close
}

template <class Stream>
asio::awaitable<bool> StreamConnection<Stream>::HandleRequest(
    bhttp::request_parser<bhttp::empty_body>& hp, Clock::time_point start) {
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
    co_await WriteErrorAndClose(req, ErrorResponse(400, "bad_request", target.status().message()),
                                start);
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
    if (has_body) {
      co_await WriteErrorAndClose(req, std::move(res), start);
      co_return false;
    }
    co_await WriteResponse(req, std::move(res), keep_alive, req.method == "HEAD", start);
    co_return keep_alive;
  }
  const Router::Route& route = *m.route;
  req.path_params = std::move(m.params);

  if (route.sse_handler) {
    if (has_body) {
      co_await WriteErrorAndClose(
          req, ErrorResponse(400, "bad_request", "event stream request body"), start);
      co_return false;
    }
    // A stream outlives its request by hours: free the parsed header now (req holds a copy).
    { auto parsed = hp.release(); }
    co_return co_await HandleSse(req, route, keep_alive, start);
  }

  const uint64_t limit = route.options.max_body_bytes;
  if (content_length && *content_length > limit) {
    co_await WriteErrorAndClose(
        req,
        ErrorResponse(413, "payload_too_large",
                      "body of " + std::to_string(*content_length) +
                          " bytes exceeds the limit of " + std::to_string(limit)),
        start);
    co_return false;
  }
  if (has_body && expect_continue) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ec;
    Tcp().expires_after(core_.options.idle_timeout);
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
    case BodyResult::kTooSlow:
      core_.counters.body_timeouts.fetch_add(1);  // Beast closed the socket; nothing to answer
      co_return false;
    case BodyResult::kTooLarge:
      co_await WriteErrorAndClose(
          req,
          ErrorResponse(413, "payload_too_large",
                        "body exceeds the limit of " + std::to_string(limit) + " bytes"),
          start);
      co_return false;
    case BodyResult::kMalformed:
      co_await WriteErrorAndClose(req, ErrorResponse(400, "bad_request", "malformed request body"),
                                  start);
      co_return false;
    case BodyResult::kNoSpace: {
      Response full =
          ErrorResponse(507, "insufficient_storage",
                        "the server has no space left to store the upload; retry later");
      full.headers.emplace_back("Retry-After", "60");
      co_await WriteErrorAndClose(req, std::move(full), start);
      co_return false;
    }
    case BodyResult::kServerError:
      co_await WriteErrorAndClose(req, ErrorResponse(500, "internal", "cannot store request body"),
                                  start);
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
  // Plain statements, not a conditional expression: GCC 12 miscompiles a co_await inside `?:`
  // (the temporaries of the other branch are destroyed twice).
  Response res;
  if (route.options.run_on_network_thread) {
    res = run_handler();
  } else {
    res = co_await RunOnPool(std::move(run_handler));
  }
  if (core_.stopping.load()) keep_alive = false;
  co_await WriteResponse(req, std::move(res), keep_alive, m.head_via_get || req.method == "HEAD",
                         start);
  co_return keep_alive && !force_closed_;
}

template <class Stream>
asio::awaitable<BodyResult> StreamConnection<Stream>::ReadBodyToString(
    bhttp::request_parser<bhttp::empty_body>& hp, uint64_t limit, Request& req) {
  bhttp::request_parser<bhttp::string_body> p{std::move(hp)};
  p.body_limit(limit);
  BodyPacer pacer(core_.options);
  while (!p.is_done()) {
    beast::error_code ec;
    Tcp().expires_at(pacer.Deadline());
    size_t n = co_await bhttp::async_read_some(stream_, buffer_, p,
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) co_return BodyResult::kTooSlow;
    if (ec == bhttp::error::body_limit) co_return BodyResult::kTooLarge;
    if (ec && IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message) {
      co_return BodyResult::kMalformed;
    }
    if (ec) co_return BodyResult::kGone;
    pacer.Received(n);
  }
  req.body = std::move(p.get().body());
  co_return BodyResult::kOk;
}

template <class Stream>
asio::awaitable<BodyResult> StreamConnection<Stream>::ReadBodyToFile(
    bhttp::request_parser<bhttp::empty_body>& hp, uint64_t limit, Request& req) {
  auto writer = HashingFileWriter::Create(core_.upload_dir, "body-");
  if (!writer.ok()) co_return StoreFailure(writer.status());
  bhttp::request_parser<bhttp::buffer_body> p{std::move(hp)};
  p.body_limit(limit);
  std::vector<char> buf(kBodyChunk);
  BodyPacer pacer(core_.options);
  while (!p.is_done()) {
    p.get().body().data = buf.data();
    p.get().body().size = buf.size();
    beast::error_code ec;
    Tcp().expires_at(pacer.Deadline());
    size_t consumed = co_await bhttp::async_read_some(
        stream_, buffer_, p, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec == beast::error::timeout) co_return BodyResult::kTooSlow;
    if (ec == bhttp::error::body_limit) co_return BodyResult::kTooLarge;
    if (ec && IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message) {
      co_return BodyResult::kMalformed;
    }
    if (ec) co_return BodyResult::kGone;
    pacer.Received(consumed);
    size_t n = buf.size() - p.get().body().size;
    if (writer->size() + n > limit) co_return BodyResult::kTooLarge;  // belt and braces
    if (Status w = writer->Write(std::string_view(buf.data(), n)); !w.ok()) {
      co_return StoreFailure(w);
    }
  }
  if (Status f = writer->Finish(); !f.ok()) co_return StoreFailure(f);
  req.body_file = writer->path();
  req.body_sha256_hex = writer->sha256_hex();
  req.body_size = writer->size();
  co_return BodyResult::kOk;
}

template <class Stream>
asio::awaitable<bool> StreamConnection<Stream>::HandleSse(Request& req, const Router::Route& route,
                                                          bool keep_alive,
                                                          Clock::time_point start) {
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

  if (!co_await WriteSseHeader(req)) {
    CallAfter(req, 200, start);
    co_return false;
  }
  CallAfter(req, 200, start);
  // The stream may stay open for hours, one per client: give back what the request needed.
  buffer_.clear();
  buffer_.shrink_to_fit();

  phase_ = Phase::kSse;
  sse_ = stream;
  std::weak_ptr<Connection> weak = weak_from_this();
  SseStreamAccess::Attach(*stream, [weak, ex = executor()] {
    asio::post(ex, [weak] {
      if (auto c = weak.lock()) static_cast<StreamConnection&>(*c).sse_timer_.cancel();
    });
  });
  // Stop() may have run while the handler did; it could not close a stream it did not see.
  if (core_.stopping.load()) stream->Close();
  asio::co_spawn(executor(), WatchDisconnect(), asio::detached);
  co_await SseWriteLoop(*stream);
  co_return false;
}

template <class Stream>
asio::awaitable<bool> StreamConnection<Stream>::WriteSseHeader(const Request& req) {
  // Its own coroutine, so the response and serializer (and their heap fields) are gone by the
  // time the stream starts: 10,000 idle streams should not each hold a header they sent long ago.
  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/event-stream");
  res.set("X-Accel-Buffering", "no");
  res.set("X-Request-Id", req.request_id);
  SetSecurityHeaders(res);  // Cache-Control: no-store covers what SSE needs of no-cache
  res.keep_alive(false);    // the stream ends the connection; nothing may follow it
  res.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> sr{res};
  beast::error_code ec;
  Tcp().expires_after(core_.options.idle_timeout);
  co_await bhttp::async_write_header(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::WatchDisconnect() {
  auto self = shared_from_this();
  std::array<char, 256> scratch;
  beast::error_code ec;
  // An SSE client sends nothing after its request: any completion, data or error, means it is
  // gone (or misbehaving), so the stream ends. The raw socket is read (not the TLS layer), which
  // keeps this read outside the tcp_stream's timeouts and the TLS engine's state.
  co_await Tcp().socket().async_read_some(asio::buffer(scratch),
                                          asio::redirect_error(asio::use_awaitable, ec));
  client_gone_ = true;
  sse_timer_.cancel();
}

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::SseWriteLoop(SseStream& stream) {
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
      Tcp().expires_after(core_.options.idle_timeout);
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

template <class Stream>
asio::awaitable<bool> StreamConnection<Stream>::WriteChunk(std::string_view bytes) {
  char size_line[24];
  int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", bytes.size());
  std::array<asio::const_buffer, 3> bufs{asio::buffer(size_line, static_cast<size_t>(len)),
                                         asio::buffer(bytes.data(), bytes.size()),
                                         asio::buffer("\r\n", 2)};
  beast::error_code ec;
  Tcp().expires_after(core_.options.idle_timeout);
  co_await asio::async_write(stream_, bufs, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
template <class Fields>
void StreamConnection<Stream>::SetSecurityHeaders(Fields& fields) const {
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set(bhttp::field::cache_control, "no-store");  // responses carry user data
  fields.set("X-Frame-Options", "DENY");
  fields.set("Referrer-Policy", "no-referrer");
  if constexpr (kTls) fields.set(bhttp::field::strict_transport_security, "max-age=31536000");
  fields.erase(bhttp::field::server);  // no version banner, whoever set it
}

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::WriteResponse(const Request& req, Response res,
                                                              bool keep_alive, bool head_only,
                                                              Clock::time_point start) {
  if (res.status < 100 || res.status > 599) {
    res = ErrorResponse(500, "internal",
                        "handler returned invalid status " + std::to_string(res.status));
  }
  bool fields_ok = res.content_type.empty() || IsFieldValue(res.content_type);
  for (const auto& [name, value] : res.headers) fields_ok &= IsToken(name) && IsFieldValue(value);
  if (!fields_ok) {
    // Sending it would split the response (or break the client's parser); dropping just the bad
    // field would silently change what the handler meant. The request id lets the handler's
    // author find the request; the field itself is not logged (it may hold user data).
    obs::Logger::Global().Error("http: handler returned an invalid header field",
                                {{"request_id", req.request_id}});
    res = ErrorResponse(500, "internal", "handler returned an invalid header field");
  }
  bhttp::response<bhttp::string_body> out;
  out.version(11);
  out.result(static_cast<unsigned>(res.status));
  for (auto& [name, value] : res.headers) {
    if (!IsServerOwnedField(name)) out.insert(name, value);
  }
  if (!res.body.empty() && !res.content_type.empty()) {
    out.set(bhttp::field::content_type, res.content_type);
  }
  out.set("X-Request-Id", req.request_id);
  SetSecurityHeaders(out);
  out.keep_alive(keep_alive);
  out.body() = std::move(res.body);
  out.prepare_payload();
  bhttp::response_serializer<bhttp::string_body> sr{out};
  beast::error_code ec;
  Tcp().expires_after(core_.options.idle_timeout);
  if (head_only) {
    co_await bhttp::async_write_header(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await bhttp::async_write(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
  }
  CallAfter(req, res.status, start);
  if (ec) force_closed_ = true;  // the connection is unusable; stop the request loop
}

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::WriteErrorAndClose(const Request& req, Response res,
                                                                   Clock::time_point start) {
  co_await WriteResponse(req, std::move(res), /*keep_alive=*/false, /*head_only=*/false, start);
  linger_ = true;
}

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::WriteEarlyError(int status, std::string_view code,
                                                                std::string_view msg) {
  Request req;
  req.request_id = GenerateRequestId();
  req.remote_address = remote_;
  co_await WriteErrorAndClose(req, ErrorResponse(status, code, msg), Clock::now());
}

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::LingeringDrain() {
  beast::error_code ec;
  // Plain: a FIN tells the client the response is complete. TLS cannot half-close below the
  // record layer; its close_notify follows in Close().
  if constexpr (!kTls) Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  buffer_.clear();
  std::array<char, 16 * 1024> scratch;
  Tcp().expires_after(kLingerTime);  // one deadline for all the reads below
  size_t drained = 0;
  while (drained < kLingerBytes && !force_closed_) {
    drained += co_await stream_.async_read_some(asio::buffer(scratch),
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // EOF (the client is done), the deadline, Stop
  }
}

template <class Stream>
asio::awaitable<void> StreamConnection<Stream>::Close() {
  phase_ = Phase::kBusy;  // Stop() must not cancel a close in progress; it is bounded anyway
  beast::error_code ec;
  if (linger_ && !force_closed_ && Tcp().socket().is_open()) co_await LingeringDrain();
  if constexpr (kTls) {
    // close_notify lets the client tell a complete response from a truncated one.
    if (tls_session_ && !force_closed_ && Tcp().socket().is_open()) {
      // An SSE disconnect watch may still sit in a raw read; it must not eat the peer's reply.
      if (sse_) Tcp().socket().cancel(ec);
      Tcp().expires_after(kTlsShutdownTime);
      co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  Tcp().close();
  sse_timer_.cancel();
}

template <class Stream>
void StreamConnection<Stream>::CallAfter(const Request& req, int status, Clock::time_point start) {
  if (!core_.options.after) return;
  try {
    core_.options.after(req, status, Clock::now() - start);
  } catch (const std::exception& e) {
    obs::Logger::Global().Error("http: after hook threw", {{"error", e.what()}});
  }
}

template <class Stream>
void StreamConnection<Stream>::Shutdown() {
  if (phase_ == Phase::kReading) {
    Tcp().cancel();  // a handshake or an idle keep-alive read: end the connection
  } else if (phase_ == Phase::kSse && sse_) {
    sse_->Close();  // flush what is queued, then end
  }
  // kBusy: the loop sees `stopping` after writing this response and closes.
}

template <class Stream>
void StreamConnection<Stream>::ForceClose() {
  force_closed_ = true;
  beast::error_code ec;
  Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  Tcp().close();
  sse_timer_.cancel();
}

// The 503 an over-limit connection gets, with the headers every response carries.
std::string BusyResponse() {
  static constexpr std::string_view kBody =
      R"({"error":{"code":"unavailable","message":"server is at its connection limit; retry"}})";
  std::string out =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Content-Type: application/json\r\n"
      "Retry-After: 1\r\n"
      "Connection: close\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Cache-Control: no-store\r\n"
      "X-Frame-Options: DENY\r\n"
      "Referrer-Policy: no-referrer\r\n"
      "X-Request-Id: ";
  out += GenerateRequestId();
  out += "\r\nContent-Length: " + std::to_string(kBody.size()) + "\r\n\r\n";
  out += kBody;
  return out;
}

// Answers an over-limit plain connection and closes it lingering, all within kLingerTime.
asio::awaitable<void> Reject(PlainStream stream) {
  const std::string response = BusyResponse();
  beast::error_code ec;
  stream.expires_after(kLingerTime);  // read and write deadline for everything below
  co_await asio::async_write(stream, asio::buffer(response),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 4096> scratch;
    size_t drained = 0;
    while (!ec && drained < 64 * 1024) {
      drained += co_await stream.async_read_some(asio::buffer(scratch),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.close();
}

template <class Stream>
void Serve(ServerCore& core, tcp::socket socket) {
  std::shared_ptr<StreamConnection<Stream>> conn =
      std::make_shared<StreamConnection<Stream>>(core, std::move(socket));
  core.counters.open.fetch_add(1);
  core.counters.accepted.fetch_add(1);
  {
    std::lock_guard lock(core.mu);
    core.connections.emplace(conn.get(), conn);
  }
  auto on_done = [&core, key = static_cast<Connection*>(conn.get())](std::exception_ptr) {
    core.counters.open.fetch_sub(1);
    std::lock_guard lock(core.mu);
    core.connections.erase(key);
    core.cv.notify_all();
  };
  asio::co_spawn(conn->executor(), conn->Run(), std::move(on_done));
}

}  // namespace

void ServeConnection(ServerCore& core, tcp::socket socket) {
  if (core.tls) {
    Serve<TlsStream>(core, std::move(socket));
  } else {
    Serve<PlainStream>(core, std::move(socket));
  }
}

void RejectConnection(ServerCore& core, tcp::socket socket) {
  // TLS: saying "busy" would first cost a handshake, the very work the limit is there to shed.
  if (core.tls || core.counters.rejecting.load() >= kMaxRejecting) {
    beast::error_code ec;
    socket.close(ec);
    return;
  }
  core.counters.rejecting.fetch_add(1);
  auto ex = socket.get_executor();
  auto on_done = [&core](std::exception_ptr) { core.counters.rejecting.fetch_sub(1); };
  asio::co_spawn(ex, Reject(PlainStream(std::move(socket))), std::move(on_done));
}

void ShutdownConnection(const std::shared_ptr<Connection>& connection) {
  asio::post(connection->executor(), [connection] { connection->Shutdown(); });
}

void ForceCloseConnection(const std::shared_ptr<Connection>& connection) {
  asio::post(connection->executor(), [connection] { connection->ForceClose(); });
}

}  // namespace scriptgen::http::internal
