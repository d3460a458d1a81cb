// Beast over a beast::tcp_stream, driven by running a private io_context until each asynchronous
// operation completes: that is the simplest way to get per-operation timeouts (tcp_stream's
// expires_after) while presenting a blocking interface. Requests are written with a serializer
// loop so a large file upload gets an inactivity timeout rather than a whole-body deadline.
#include "client/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <limits>

namespace scriptgen::client {

namespace {

// Only the delta-seconds form; an HTTP date (rare from our server) counts as absent.
int RetryAfterSeconds(std::string_view v) {
  int n = 0;
  if (v.empty() || v.size() > 6) return 0;
  for (char c : v) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr uint64_t kMaxResponseBytes = uint64_t{64} << 20;
constexpr const char* kUserAgent = "scriptgen-cli/0.1";

std::string Reason(const error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

std::string Seconds(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 999) / 1000) + " s";
}

// Errors after which a request on a reused keep-alive connection is worth one retry: the server
// closed the idle connection before it saw our request.
bool StaleConnection(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof;
}

}  // namespace

struct HttpClient::Impl {
  Impl(ServerAddress s, HttpClientOptions o) : server(std::move(s)), options(o) {}
  ~Impl() { Close(); }

  ServerAddress server;
  HttpClientOptions options;
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  int requests_on_connection = 0;

  // Starts one asynchronous operation and runs the io_context until it completes or `timeout`
  // passes without completion (the stream is then closed and the error is beast::error::timeout).
  template <typename Start>
  error_code Run(std::chrono::milliseconds timeout, Start&& start) {
    error_code result = asio::error::would_block;
    stream->expires_after(timeout);
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void Close() {
    if (!stream) return;
    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
    stream.reset();
    buffer.clear();
    requests_on_connection = 0;
  }

  Status Connect() {
    Close();
    error_code ec;
    tcp::resolver resolver(ioc);
    const tcp::resolver::results_type endpoints = resolver.resolve(server.host, server.port, ec);
    if (ec) return Unavailable("cannot connect to " + server.url + ": " + Reason(ec));
    stream = std::make_unique<beast::tcp_stream>(ioc);
    ec = Run(options.io_timeout,
             [&](auto handler) { stream->async_connect(endpoints, std::move(handler)); });
    if (ec) {
      Close();
      return Unavailable("cannot connect to " + server.url + ": " + Reason(ec));
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    return {};
  }

  template <typename Body>
  void SetCommonFields(bhttp::request<Body>& req, const Headers& headers) {
    req.version(11);
    req.set(bhttp::field::host, server.HostHeader());
    req.set(bhttp::field::user_agent, kUserAgent);
    for (const auto& [name, value] : headers) req.set(name, value);
  }

  // One request/response exchange. `fill` builds the request (it may run twice: a retry on a
  // fresh connection rebuilds it, which reopens a file body from the start).
  template <typename Body, typename Fill>
  StatusOr<HttpResponse> Exchange(Fill&& fill) {
    for (int attempt = 0;; ++attempt) {
      if (!stream) SG_RETURN_IF_ERROR(Connect());
      const bool reused = requests_on_connection > 0;
      bhttp::request<Body> req;
      SG_RETURN_IF_ERROR(fill(req));
      req.keep_alive(true);
      req.prepare_payload();

      bhttp::request_serializer<Body> sr{req};
      error_code wec;
      while (!sr.is_done() && !wec) {
        wec = Run(options.io_timeout,
                  [&](auto h) { bhttp::async_write_some(*stream, sr, std::move(h)); });
      }
      ++requests_on_connection;
      if (wec == beast::error::timeout) {
        Close();
        return Status(Code::kDeadlineExceeded,
                      "sending to " + server.url + " stalled for " + Seconds(options.io_timeout));
      }
      // Read even after a failed write: the server may have answered early (401, 413) and closed.
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(kMaxResponseBytes);
      const error_code rec = Run(options.io_timeout, [&](auto h) {
        bhttp::async_read(*stream, buffer, parser, std::move(h));
      });
      if (!rec) {
        HttpResponse res;
        res.status = parser.get().result_int();
        res.content_type = std::string(parser.get()[bhttp::field::content_type]);
        res.retry_after_s = RetryAfterSeconds(parser.get()[bhttp::field::retry_after]);
        res.body = std::move(parser.get().body());
        if (wec || !parser.get().keep_alive()) Close();
        return res;
      }
      Close();
      if (reused && attempt == 0 && (StaleConnection(rec) || StaleConnection(wec))) continue;
      if (rec == beast::error::timeout) {
        return Status(Code::kDeadlineExceeded,
                      "no response from " + server.url + " within " + Seconds(options.io_timeout));
      }
      return Unavailable("connection to " + server.url + " failed: " + Reason(wec ? wec : rec));
    }
  }
};

HttpClient::HttpClient(ServerAddress server, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(server), options)) {}

HttpClient::~HttpClient() = default;

const ServerAddress& HttpClient::server() const {
  return impl_->server;
}

StatusOr<HttpResponse> HttpClient::Send(std::string_view method, const std::string& target,
                                        const Headers& headers, std::string body) {
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) return InvalidArgument("unknown HTTP method");
  return impl_->Exchange<bhttp::string_body>([&](bhttp::request<bhttp::string_body>& req) {
    req.method(verb);
    req.target(target);
    impl_->SetCommonFields(req, headers);
    req.set(bhttp::field::accept, "application/json");
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
    }
    return Status();
  });
}

StatusOr<HttpResponse> HttpClient::PostFile(const std::string& target, const Headers& headers,
                                            const std::filesystem::path& file) {
  return impl_->Exchange<bhttp::file_body>([&](bhttp::request<bhttp::file_body>& req) {
    error_code ec;
    bhttp::file_body::value_type body;
    body.open(file.c_str(), beast::file_mode::scan, ec);
    if (ec) {
      return Status(ec == boost::system::errc::no_such_file_or_directory
                        ? Code::kNotFound
                        : Code::kFailedPrecondition,
                    "cannot read '" + file.string() + "': " + Reason(ec));
    }
    req.method(bhttp::verb::post);
    req.target(target);
    impl_->SetCommonFields(req, headers);
    req.set(bhttp::field::accept, "application/json");
    req.body() = std::move(body);
    return Status();
  });
}

StatusOr<HttpResponse> HttpClient::ReadSse(const std::string& target, const Headers& headers,
                                           const SseParser::Callback& on_event) {
  Impl& m = *impl_;
  SG_RETURN_IF_ERROR(m.Connect());
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  m.SetCommonFields(req, headers);
  req.set(bhttp::field::accept, "text/event-stream");
  req.set(bhttp::field::cache_control, "no-cache");
  error_code ec = m.Run(m.options.io_timeout,
                        [&](auto h) { bhttp::async_write(*m.stream, req, std::move(h)); });
  if (ec) {
    m.Close();
    return Unavailable("connection to " + m.server.url + " failed: " + Reason(ec));
  }
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  ec = m.Run(m.options.io_timeout,
             [&](auto h) { bhttp::async_read_header(*m.stream, m.buffer, parser, std::move(h)); });
  if (ec) {
    m.Close();
    if (ec == beast::error::timeout) {
      return Status(Code::kDeadlineExceeded, "no response from " + m.server.url + " within " +
                                                 Seconds(m.options.io_timeout));
    }
    return Unavailable("connection to " + m.server.url + " failed: " + Reason(ec));
  }
  HttpResponse res;
  res.status = parser.get().result_int();
  res.content_type = std::string(parser.get()[bhttp::field::content_type]);
  res.retry_after_s = RetryAfterSeconds(parser.get()[bhttp::field::retry_after]);
  const bool events = res.status == 200;
  SseParser sse(on_event);
  char chunk[16384];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    ec = m.Run(events ? m.options.sse_idle_timeout : m.options.io_timeout,
               [&](auto h) { bhttp::async_read_some(*m.stream, m.buffer, parser, std::move(h)); });
    if (ec == bhttp::error::need_buffer) ec = {};
    const size_t n = sizeof chunk - parser.get().body().size;
    if (events) {
      if (!sse.Feed(std::string_view(chunk, n))) break;  // the caller has seen enough
    } else if (res.body.size() < kMaxResponseBytes) {
      res.body.append(chunk, n);
    }
    if (ec) {
      m.Close();
      if (ec == beast::error::timeout) {
        return Status(Code::kDeadlineExceeded, "event stream from " + m.server.url +
                                                   " was silent for " +
                                                   Seconds(m.options.sse_idle_timeout));
      }
      return Unavailable("event stream from " + m.server.url + " broke: " + Reason(ec));
    }
  }
  m.Close();
  return res;
}

}  // namespace scriptgen::client
