// One io_context on one thread; every connection is a coroutine, so scripted delays (a timer
// await) stall only their own connection. State shared with the test thread (script, recorded
// calls) is behind one mutex. Shutdown stops the context and joins the thread; the pending
// coroutine frames (and their sockets) are destroyed with the context.
#include "fake_openai_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "embed/feature_hash.h"

namespace scriptgen::embed::testing {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

}  // namespace

struct FakeOpenAiServer::Impl {
  explicit Impl(FakeServerOptions o) : options(std::move(o)) {}

  FakeServerOptions options;
  std::optional<ssl::context> tls;  // before ioc: outlives the coroutine frames ioc destroys
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  uint16_t port = 0;  // read by test threads: not the acceptor, which the server thread uses

  mutable std::mutex mu;
  std::deque<FakeReply> script;
  FakeReply default_reply;
  std::vector<FakeCall> calls;
  size_t connections = 0;

  FakeReply NextReply() {
    std::lock_guard lock(mu);
    if (script.empty()) return default_reply;
    FakeReply r = std::move(script.front());
    script.pop_front();
    return r;
  }

  std::string EmbeddingsBody(const std::vector<std::string>& texts, FakeReply::Kind kind) const {
    if (kind == FakeReply::Kind::kMalformedJson) return R"({"object":"list","data":[{"index":0,)";
    size_t n = texts.size();
    if (kind == FakeReply::Kind::kWrongCount && n > 0) --n;
    const size_t dim = kind == FakeReply::Kind::kWrongDimension ? options.dim * 2 : options.dim;
    json::array data;
    for (size_t k = n; k-- > 0;) {  // reverse order: clients must sort by index
      json::array values;
      for (float x : RawVector(texts[k], dim)) values.emplace_back(static_cast<double>(x));
      data.push_back(
          json::object{{"object", "embedding"}, {"index", k}, {"embedding", std::move(values)}});
    }
    return json::serialize(json::object{{"object", "list"},
                                        {"data", std::move(data)},
                                        {"model", "fake"},
                                        {"usage", json::object{{"prompt_tokens", n}}}});
  }

  // Builds the answer to one request and how long to hold it back.
  Response Handle(const Request& req, std::chrono::milliseconds* delay) {
    Response res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "application/json");
    if (req.method() != bhttp::verb::post || req.target() != "/v1/embeddings") {
      res.result(bhttp::status::not_found);
      res.body() = R"({"error":{"message":"no such route"}})";
      return res;
    }
    FakeCall call;
    call.received = std::chrono::steady_clock::now();
    call.authorization = std::string(req[bhttp::field::authorization]);
    error_code ec;
    json::value body = json::parse(req.body(), ec);
    if (!ec && body.is_object()) {
      const json::object& o = body.get_object();
      if (const json::value* m = o.if_contains("model"); m && m->is_string()) {
        call.model = std::string(m->get_string());
      }
      if (const json::value* d = o.if_contains("dimensions"); d && d->is_number()) {
        call.dimensions = d->to_number<int64_t>();
      }
      if (const json::value* in = o.if_contains("input")) {
        if (in->is_string()) call.texts.emplace_back(in->get_string());
        if (in->is_array()) {
          for (const json::value& t : in->get_array()) {
            if (t.is_string()) call.texts.emplace_back(t.get_string());
          }
        }
      }
    }
    call.inputs = call.texts.size();
    const FakeReply reply = NextReply();
    call.status = reply.status;
    *delay = options.latency + reply.delay;
    res.result(static_cast<unsigned>(reply.status));
    if (!reply.retry_after.empty()) res.set(bhttp::field::retry_after, reply.retry_after);
    if (reply.status == 200) {
      res.body() = EmbeddingsBody(call.texts, reply.kind);
    } else {
      res.body() =
          reply.body.empty() ? std::string(R"({"error":{"message":"fake error"}})") : reply.body;
    }
    std::lock_guard lock(mu);
    calls.push_back(std::move(call));
    return res;
  }

  template <typename Stream>
  asio::awaitable<void> ServeHttp(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      Request req;
      error_code ec;
      co_await bhttp::async_read(stream, buffer, req,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      std::chrono::milliseconds delay{0};
      Response res = Handle(req, &delay);
      if (delay.count() > 0) {
        asio::steady_timer timer(ioc, delay);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !res.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> ServePlain(tcp::socket socket) { co_await ServeHttp(socket); }

  asio::awaitable<void> ServeTls(tcp::socket socket) {
    ssl::stream<tcp::socket> stream(std::move(socket), *tls);
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // e.g. the client refused our certificate
    co_await ServeHttp(stream);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      {
        std::lock_guard lock(mu);
        ++connections;
      }
      if (tls) {
        asio::co_spawn(ioc, ServeTls(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(ioc, ServePlain(std::move(socket)), asio::detached);
      }
    }
  }
};

FakeOpenAiServer::FakeOpenAiServer(FakeServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& m = *impl_;
  if (!m.options.cert_file.empty()) {
    m.tls.emplace(ssl::context::tls_server);
    m.tls->use_certificate_chain_file(m.options.cert_file);
    m.tls->use_private_key_file(m.options.key_file, ssl::context::pem);
  }
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  m.acceptor.open(ep.protocol());
  m.acceptor.set_option(tcp::acceptor::reuse_address(true));
  m.acceptor.bind(ep);
  m.acceptor.listen();
  m.port = m.acceptor.local_endpoint().port();
  asio::co_spawn(m.ioc, m.Accept(), asio::detached);
  m.thread = std::thread([&m] { m.ioc.run(); });
}

FakeOpenAiServer::~FakeOpenAiServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

uint16_t FakeOpenAiServer::port() const {
  return impl_->port;
}

std::string FakeOpenAiServer::base_url(std::string_view host) const {
  return std::string(impl_->tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(port()) + "/v1";
}

void FakeOpenAiServer::Script(std::vector<FakeReply> replies) {
  std::lock_guard lock(impl_->mu);
  for (FakeReply& r : replies) impl_->script.push_back(std::move(r));
}

void FakeOpenAiServer::SetDefault(FakeReply reply) {
  std::lock_guard lock(impl_->mu);
  impl_->default_reply = std::move(reply);
}

std::vector<FakeCall> FakeOpenAiServer::calls() const {
  std::lock_guard lock(impl_->mu);
  return impl_->calls;
}

size_t FakeOpenAiServer::call_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->calls.size();
}

size_t FakeOpenAiServer::connections_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

std::vector<float> FakeOpenAiServer::RawVector(std::string_view text, size_t dim) {
  std::vector<float> v(dim);
  for (size_t i = 0; i < dim; ++i) {
    const uint64_t h = FeatureHash(std::string(text) + "#" + std::to_string(i));
    v[i] = static_cast<float>(static_cast<int64_t>(h % 2001) - 1000) / 250.0f;
  }
  v[0] += 5.0f;  // never the zero vector
  return v;
}

std::vector<float> FakeOpenAiServer::ExpectedVector(std::string_view text, size_t dim) {
  std::vector<float> v = RawVector(text, dim);
  double norm2 = 0;
  for (float x : v) norm2 += static_cast<double>(x) * x;
  const double inv = 1.0 / std::sqrt(norm2);
  for (float& x : v) x = static_cast<float>(x * inv);
  return v;
}

}  // namespace scriptgen::embed::testing
