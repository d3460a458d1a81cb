// Server: listener, thread pools and the shutdown sequence.
//
// Asio only (no Beast): connection.cc owns the protocol. Each io thread runs its own io_context
// and a new connection is placed on one of them round robin, so a connection's completions never
// wake another thread. The acceptor lives on a strand so Stop() can close it safely from another
// thread, and each accepted socket gets a strand too (cheap on a single-threaded io_context, and
// it keeps the connection code correct whatever the threading).
//
// Stop() is ordered so that no work is lost or left dangling:
//   1. stop accepting; ask every connection to wind down (idle ones close, SSE streams flush and
//      end, busy ones finish their current response);
//   2. wait for them until the drain deadline, then force-close the stragglers' sockets;
//   3. release the io_contexts' work guards and join the io threads. They return only when their
//      io_context has no work left, which includes completions of handlers still running on
//      the pool (a handler cannot be interrupted);
//   4. join the handler pool.
// We never call io_context::stop(): that would strand coroutine frames mid-flight, and destroying
// them later would touch connections from a destructor. Draining to "no work" is simpler to
// reason about, at the price that Stop() waits for handlers that overrun the deadline.
//
// Exposure checks live here, before anything listens: the TLS context is built and the key
// checked against the certificate in Start(), so a bad file is a clear error at startup rather
// than a handshake failure per client; and plain HTTP is refused on non-loopback addresses unless
// the operator says a proxy terminates TLS. The connection limit is enforced at accept time with
// a plain counter (only the accept loop increments it, so a check-then-serve race can only
// undercount by connections that are closing anyway).
#include "http/server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "http/internal/server_core.h"
#include "obs/logger.h"

namespace scriptgen::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

StatusOr<tcp::endpoint> ParseListen(const std::string& listen) {
  std::string host;
  std::string_view port_text;
  if (!listen.empty() && listen.front() == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return InvalidArgument("bad listen address \"" + listen + "\": expected [v6addr]:port");
    }
    host = listen.substr(1, close - 1);
    port_text = std::string_view(listen).substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      return InvalidArgument("bad listen address \"" + listen + "\": expected host:port");
    }
    host = listen.substr(0, colon);
    port_text = std::string_view(listen).substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return InvalidArgument("bad port in listen address \"" + listen + "\"");
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code aec;
  auto addr = asio::ip::make_address(host, aec);
  if (aec) return InvalidArgument("bad host in listen address \"" + listen + "\" (numeric only)");
  return tcp::endpoint(addr, static_cast<uint16_t>(port));
}

// TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only, the Mozilla "intermediate" list without
// DHE. TLS 1.3 suites are all AEAD already and keep OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status CheckReadable(const std::string& what, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return InvalidArgument("cannot read " + what + " \"" + path + "\": " + std::strerror(errno));
  }
  std::fclose(f);
  return Status::Ok();
}

// Builds the server's TLS context from the PEM files. Error texts name the file and OpenSSL's
// reason, never file contents.
StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const ServerOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return InvalidArgument(
        "TLS needs both a certificate and a private key (--tls-cert and --tls-key)");
  }
  if (Status s = CheckReadable("TLS certificate", o.tls_cert_file); !s.ok()) return s;
  if (Status s = CheckReadable("TLS private key", o.tls_key_file); !s.ok()) return s;
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression |
                   asio::ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Idle keep-alive connections then hold no TLS read/write buffers (~34 KiB each).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  boost::system::error_code ec;
  auto fail = [&ec](std::string what) {
    ERR_clear_error();  // leave no stale errors for the next OpenSSL user on this thread
    return InvalidArgument(what + ": " + ec.message());
  };
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return Internal("OpenSSL rejects the TLS 1.2 cipher list");
  }
  ctx->use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec) return fail("bad TLS certificate \"" + o.tls_cert_file + "\" (PEM expected)");
  ctx->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return fail("bad TLS private key \"" + o.tls_key_file + "\" (PEM expected, matching " +
                o.tls_cert_file + ")");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return InvalidArgument("TLS private key " + o.tls_key_file + " does not match certificate " +
                           o.tls_cert_file);
  }
  return ctx;
}

bool IsLoopback(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

bool IsTransientAcceptError(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec == asio::error::connection_aborted ||
         ec.value() == ENFILE;
}

}  // namespace

// How many queued connections one accept round takes at most before yielding to the others.
constexpr int kAcceptBurst = 256;

struct Server::Impl {
  Impl(ServerOptions options, Router router)
      : core(std::move(options), std::move(router)), acceptor(asio::make_strand(*core.io[0])) {}

  asio::awaitable<void> AcceptLoop();
  // Serves or turns away one accepted socket.
  void Admit(tcp::socket socket);

  internal::ServerCore core;
  tcp::acceptor acceptor;
  std::vector<std::thread> io_threads;
  // Keep each io_context's run() going while it has no connection yet; released by Stop().
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> io_work;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

asio::awaitable<void> Server::Impl::AcceptLoop() {
  asio::steady_timer backoff(acceptor.get_executor());
  while (!core.stopping.load()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(
        asio::make_strand(core.NextIo()), asio::redirect_error(asio::use_awaitable, ec));
    if (core.stopping.load() || ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      if (!IsTransientAcceptError(ec)) {
        obs::Logger::Global().Error("http: accept failed", {{"error", ec.message()}});
      }
      // Out of descriptors or similar: back off instead of spinning; connections will close.
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    Admit(std::move(socket));
    // Then drain the backlog without waiting: each co_await above is one trip through the
    // scheduler's queue, behind every ready handler of every busy connection, so accepting one
    // socket per trip left a burst of 1,000 new connections queued for seconds (wrk counted
    // timeouts). The acceptor is non-blocking, so this stops at the first would_block.
    for (int i = 0; i < kAcceptBurst && !core.stopping.load(); ++i) {
      tcp::socket more = acceptor.accept(asio::make_strand(core.NextIo()), ec);
      if (ec) break;  // would_block, or an error the awaited accept will report
      Admit(std::move(more));
    }
  }
}

void Server::Impl::Admit(tcp::socket socket) {
  if (core.counters.open.load() >= core.options.max_connections) {
    core.counters.rejected.fetch_add(1);
    internal::RejectConnection(core, std::move(socket));
    return;
  }
  internal::ServeConnection(core, std::move(socket));
}

Server::Server(ServerOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}

Server::~Server() {
  Stop(std::chrono::milliseconds(0));
}

Status Server::Start() {
  Impl& im = *impl_;
  if (im.started) return FailedPrecondition("server already started");
  const ServerOptions& opts = im.core.options;
  if (opts.io_threads < 1 || opts.handler_threads < 1) {
    return InvalidArgument("io_threads and handler_threads must be at least 1");
  }
  if (opts.max_connections < 1) return InvalidArgument("max_connections must be at least 1");
  if (opts.header_timeout.count() <= 0 || opts.tls_handshake_timeout.count() <= 0 ||
      opts.idle_timeout.count() <= 0 ||
      (opts.body_min_bytes_per_second > 0 && opts.body_rate_window.count() <= 0)) {
    return InvalidArgument("server timeouts must be positive");
  }
  auto endpoint = ParseListen(opts.listen);
  if (!endpoint.ok()) return endpoint.status();
  if (!opts.tls_cert_file.empty() || !opts.tls_key_file.empty()) {
    auto tls = MakeTlsContext(opts);
    if (!tls.ok()) return tls.status();
    im.core.tls = std::move(*tls);
  } else if (!opts.allow_plain_http && !IsLoopback(endpoint->address())) {
    return InvalidArgument("refusing to serve plain HTTP on non-loopback address \"" + opts.listen +
                           "\": give a certificate with --tls-cert/--tls-key, or pass "
                           "--allow-plain-http if a TLS-terminating proxy is in front");
  }

  std::error_code fec;
  std::filesystem::path dir = opts.upload_dir.empty() ? std::filesystem::temp_directory_path(fec)
                                                      : std::filesystem::path(opts.upload_dir);
  if (!fec) std::filesystem::create_directories(dir, fec);
  if (fec) return Internal("cannot create upload_dir " + dir.string() + ": " + fec.message());
  im.core.upload_dir = dir.string();

  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    boost::system::error_code ignored;
    im.acceptor.close(ignored);
    return Unavailable(std::string("cannot listen on ") + opts.listen + ": " + what + ": " +
                       ec.message());
  };
  im.acceptor.open(endpoint->protocol(), ec);
  if (ec) return fail("open");
  im.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  im.acceptor.bind(*endpoint, ec);
  if (ec) return fail("bind");
  im.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  im.acceptor.non_blocking(true, ec);  // AcceptLoop drains the backlog with plain accept()
  if (ec) return fail("non-blocking");
  im.port = im.acceptor.local_endpoint(ec).port();

  im.started = true;
  asio::co_spawn(im.acceptor.get_executor(), im.AcceptLoop(), asio::detached);
  for (auto& io : im.core.io) {
    im.io_work.push_back(asio::make_work_guard(*io));
    im.io_threads.emplace_back([io = io.get()] { io->run(); });
  }
  return Status::Ok();
}

uint16_t Server::port() const {
  return impl_->port;
}

Server::Stats Server::stats() const {
  const auto& c = impl_->core.counters;
  return Stats{.connections_open = c.open.load(),
               .connections_accepted = c.accepted.load(),
               .connections_rejected = c.rejected.load(),
               .tls_handshake_failures = c.tls_handshake_failures.load(),
               .header_timeouts = c.header_timeouts.load(),
               .body_timeouts = c.body_timeouts.load()};
}

void Server::Stop(std::chrono::milliseconds drain) {
  Impl& im = *impl_;
  if (!im.started || im.stopped) {
    im.stopped = true;
    return;
  }
  im.stopped = true;
  const auto deadline = std::chrono::steady_clock::now() + drain;
  internal::ServerCore& core = im.core;
  core.stopping.store(true);
  asio::post(im.acceptor.get_executor(), [&im] {
    boost::system::error_code ignored;
    im.acceptor.close(ignored);
  });

  auto snapshot = [&core] {
    std::vector<std::shared_ptr<internal::Connection>> out;
    std::lock_guard lock(core.mu);
    out.reserve(core.connections.size());
    for (auto& [key, conn] : core.connections) out.push_back(conn);
    return out;
  };
  for (auto& c : snapshot()) internal::ShutdownConnection(c);
  {
    std::unique_lock lock(core.mu);
    core.cv.wait_until(lock, deadline, [&core] { return core.connections.empty(); });
  }
  for (auto& c : snapshot()) internal::ForceCloseConnection(c);

  im.io_work.clear();  // each run() returns once its last connection has finished closing
  for (auto& t : im.io_threads) t.join();
  im.io_threads.clear();
  core.handlers.join();
}

}  // namespace scriptgen::http
