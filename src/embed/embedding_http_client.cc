// Each pooled connection owns a private io_context and is driven by running that context until
// the one pending operation completes (as client/http_client.cc does): a blocking interface with
// Beast's tcp_stream timeouts. One absolute deadline is set on the stream before every step of an
// exchange, so connect + TLS handshake + write + read together cannot exceed `timeout`; a step that
// would overrun makes tcp_stream close the socket and fail with beast::error::timeout.
//
// Why a private io_context per connection rather than one shared context with a thread: callers
// are worker threads that must block until their batch is embedded anyway, and this keeps every
// connection's state confined to the thread that checked it out (no strands, no cross-thread
// handler races for TSan to worry about). The cost is an epoll descriptor per connection, bounded
// by max_idle_connections plus the number of concurrent callers.
//
// Idle connections are kept LIFO (the most recently used is the most likely to still be open) and
// dropped after max_idle_time, shorter than the usual server keep-alive timeouts; the
// resend-once-on-a-fresh-connection rule covers the remaining race with a server closing early.
#include "embed/embedding_http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <optional>

namespace scriptgen::embed {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr const char* kUserAgent = "scriptgen-embed/0.1";

std::string Reason(const error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

std::string Seconds(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// The server closed an idle keep-alive connection before it read our request.
bool StaleConnection(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof ||
         ec == asio::ssl::error::stream_truncated;
}

bool CertificateRejected(const error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

struct Connection {
  explicit Connection(bool tls, ssl::context* ctx) {
    if (tls) {
      tls_stream = std::make_unique<ssl::stream<beast::tcp_stream>>(ioc, *ctx);
    } else {
      plain = std::make_unique<beast::tcp_stream>(ioc);
    }
  }
  ~Connection() {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  beast::tcp_stream& tcp() { return tls_stream ? beast::get_lowest_layer(*tls_stream) : *plain; }

  // Starts one asynchronous operation and runs the context until it completes.
  template <typename Start>
  error_code Run(SteadyTime deadline, Start&& start) {
    error_code result = asio::error::would_block;
    tcp().expires_at(deadline);
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<ssl::stream<beast::tcp_stream>> tls_stream;
  beast::flat_buffer buffer;
  uint64_t requests = 0;
  SteadyTime idle_since{};
};

}  // namespace

std::string HttpEndpoint::Origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + port;
}

StatusOr<HttpEndpoint> ParseBaseUrl(std::string_view url) {
  boost::system::result<boost::urls::url_view> parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    return InvalidArgument("embedding provider URL is not an absolute http(s) URL");
  }
  const boost::urls::url_view& u = *parsed;
  if (u.has_userinfo()) {
    // Do not echo the URL: the user info may hold a password or key.
    return InvalidArgument(
        "embedding provider URL must not contain credentials; set SCRIPTGEN_EMBED_API_KEY or "
        "SCRIPTGEN_EMBED_API_KEY_FILE instead");
  }
  HttpEndpoint ep;
  const std::string scheme(u.scheme());
  if (scheme == "https") {
    ep.tls = true;
  } else if (scheme != "http") {
    return InvalidArgument("embedding provider URL '" + std::string(url) +
                           "' must start with http:// or https://");
  }
  if (u.has_query() || u.has_fragment()) {
    return InvalidArgument("embedding provider URL '" + std::string(url) +
                           "' must not have a query or fragment");
  }
  ep.host = u.host_address();
  if (ep.host.empty()) {
    return InvalidArgument("embedding provider URL '" + std::string(url) + "' has no host");
  }
  ep.port = u.has_port() ? std::string(u.port()) : (ep.tls ? "443" : "80");
  if (ep.port.empty()) ep.port = ep.tls ? "443" : "80";
  ep.path_prefix = std::string(u.encoded_path());
  while (!ep.path_prefix.empty() && ep.path_prefix.back() == '/') ep.path_prefix.pop_back();
  return ep;
}

struct EmbeddingHttpClient::Impl {
  HttpEndpoint endpoint;
  EmbeddingHttpClientOptions options;
  std::optional<ssl::context> tls_context;

  mutable std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle;  // LIFO
  std::atomic<uint64_t> opened{0};

  std::unique_ptr<Connection> Checkout() {
    std::lock_guard lock(mu);
    const SteadyTime now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      std::unique_ptr<Connection> c = std::move(idle.back());
      idle.pop_back();
      if (now - c->idle_since < options.max_idle_time) return c;
    }
    return nullptr;
  }

  void Return(std::unique_ptr<Connection> c) {
    c->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    if (idle.size() < options.max_idle_connections) idle.push_back(std::move(c));
  }

  StatusOr<std::unique_ptr<Connection>> Open(SteadyTime deadline) {
    auto c = std::make_unique<Connection>(endpoint.tls, tls_context ? &*tls_context : nullptr);
    opened.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    tcp::resolver resolver(c->ioc);
    const tcp::resolver::results_type addrs = resolver.resolve(endpoint.host, endpoint.port, ec);
    if (ec) return Unavailable("cannot resolve " + endpoint.Origin() + ": " + Reason(ec));
    ec = c->Run(deadline, [&](auto h) { c->tcp().async_connect(addrs, std::move(h)); });
    if (ec == beast::error::timeout) {
      return Status(Code::kDeadlineExceeded, "connecting to " + endpoint.Origin() + " timed out");
    }
    if (ec) return Unavailable("cannot connect to " + endpoint.Origin() + ": " + Reason(ec));
    c->tcp().socket().set_option(tcp::no_delay(true), ec);
    if (!endpoint.tls) return c;

    SSL* ssl_handle = c->tls_stream->native_handle();
    // SNI is for DNS names only (RFC 6066); the certificate check below covers IP addresses.
    if (!IsIpLiteral(endpoint.host) &&
        SSL_set_tlsext_host_name(ssl_handle, const_cast<char*>(endpoint.host.c_str())) != 1) {
      return Internal("cannot set TLS server name for " + endpoint.Origin());
    }
    c->tls_stream->set_verify_callback(ssl::host_name_verification(endpoint.host));
    ec = c->Run(deadline, [&](auto h) {
      c->tls_stream->async_handshake(ssl::stream_base::client, std::move(h));
    });
    if (!ec) return c;
    if (ec == beast::error::timeout) {
      return Status(Code::kDeadlineExceeded,
                    "TLS handshake with " + endpoint.Origin() + " timed out");
    }
    if (CertificateRejected(ec)) {
      const long verify = SSL_get_verify_result(ssl_handle);
      const std::string why = verify == X509_V_OK
                                  ? "it is not valid for host " + endpoint.host
                                  : std::string(X509_verify_cert_error_string(verify));
      return Status(Code::kUnauthenticated, "TLS certificate of " + endpoint.Origin() +
                                                " not accepted: " + why +
                                                " (SCRIPTGEN_EMBED_CA_FILE names the CA to trust)");
    }
    return Unavailable("TLS handshake with " + endpoint.Origin() + " failed: " + Reason(ec));
  }

  // One request/response on an open connection. Returns the transport error, if any; on
  // success fills *reply and sets *reusable.
  template <typename Stream>
  error_code ExchangeOn(Connection& c, Stream& stream, bhttp::request<bhttp::string_body>& req,
                        SteadyTime deadline, HttpReply* reply, bool* reusable) {
    const error_code wec =
        c.Run(deadline, [&](auto h) { bhttp::async_write(stream, req, std::move(h)); });
    ++c.requests;
    if (wec == beast::error::timeout) return wec;
    // Read even after a failed write: the server may have answered early and closed.
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    const error_code rec =
        c.Run(deadline, [&](auto h) { bhttp::async_read(stream, c.buffer, parser, std::move(h)); });
    if (rec) return rec == beast::error::timeout || !wec ? rec : wec;
    auto& res = parser.get();
    reply->status = res.result_int();
    reply->content_type = std::string(res[bhttp::field::content_type]);
    reply->retry_after = std::string(res[bhttp::field::retry_after]);
    reply->body = std::move(res.body());
    *reusable = !wec && res.keep_alive();
    return {};
  }

  StatusOr<HttpReply> Post(std::string_view path, const Headers& headers, std::string body) {
    const SteadyTime deadline = std::chrono::steady_clock::now() + options.timeout;
    bhttp::request<bhttp::string_body> req{bhttp::verb::post,
                                           endpoint.path_prefix + std::string(path), 11};
    req.set(bhttp::field::host, endpoint.host.find(':') != std::string::npos
                                    ? "[" + endpoint.host + "]:" + endpoint.port
                                    : endpoint.host + ":" + endpoint.port);
    req.set(bhttp::field::user_agent, kUserAgent);
    req.set(bhttp::field::content_type, "application/json");
    req.set(bhttp::field::accept, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.keep_alive(true);
    req.prepare_payload();

    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<Connection> c = attempt == 0 ? Checkout() : nullptr;
      const bool reused = c != nullptr;
      if (!c) {
        StatusOr<std::unique_ptr<Connection>> fresh = Open(deadline);
        if (!fresh.ok()) return fresh.status();
        c = std::move(*fresh);
      }
      HttpReply reply;
      bool reusable = false;
      const error_code ec = c->tls_stream
                                ? ExchangeOn(*c, *c->tls_stream, req, deadline, &reply, &reusable)
                                : ExchangeOn(*c, *c->plain, req, deadline, &reply, &reusable);
      if (!ec) {
        if (reusable) Return(std::move(c));
        return reply;
      }
      c.reset();
      if (ec == beast::error::timeout) {
        return Status(Code::kDeadlineExceeded, "no answer from " + endpoint.Origin() + " within " +
                                                   Seconds(options.timeout));
      }
      if (reused && StaleConnection(ec)) continue;  // closed while idle: once more, fresh
      if (ec == bhttp::error::body_limit) {
        return Unavailable("answer from " + endpoint.Origin() + " is larger than " +
                           std::to_string(options.max_response_bytes) + " bytes");
      }
      return Unavailable("request to " + endpoint.Origin() + " failed: " + Reason(ec));
    }
  }
};

EmbeddingHttpClient::EmbeddingHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddingHttpClient::~EmbeddingHttpClient() = default;

StatusOr<std::unique_ptr<EmbeddingHttpClient>> EmbeddingHttpClient::Create(
    HttpEndpoint endpoint, EmbeddingHttpClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->endpoint = std::move(endpoint);
  impl->options = std::move(options);
  if (impl->endpoint.tls) {
    impl->tls_context.emplace(ssl::context::tls_client);
    ssl::context& ctx = *impl->tls_context;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ctx.set_verify_mode(ssl::verify_peer);
    error_code ec;
    if (!impl->options.ca_file.empty()) {
      ctx.load_verify_file(impl->options.ca_file, ec);
      if (ec) {
        return InvalidArgument("cannot load CA file '" + impl->options.ca_file +
                               "': " + Reason(ec));
      }
    } else {
      ctx.set_default_verify_paths(ec);
      if (ec) return InvalidArgument("cannot load the system trust store: " + Reason(ec));
    }
  }
  return std::unique_ptr<EmbeddingHttpClient>(new EmbeddingHttpClient(std::move(impl)));
}

StatusOr<HttpReply> EmbeddingHttpClient::PostJson(std::string_view path, const Headers& headers,
                                                  std::string body) {
  return impl_->Post(path, headers, std::move(body));
}

const HttpEndpoint& EmbeddingHttpClient::endpoint() const {
  return impl_->endpoint;
}

uint64_t EmbeddingHttpClient::connections_opened() const {
  return impl_->opened.load(std::memory_order_relaxed);
}

size_t EmbeddingHttpClient::idle_connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->idle.size();
}

}  // namespace scriptgen::embed
