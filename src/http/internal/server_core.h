// ServerCore: the state shared by the listener (server.cc) and the connections (connection.cc).
//
// Internal to sg_http. It includes Asio (not Beast), and only the two server translation units
// include it, so the public headers stay free of both. `tls` is set by Start() before the first
// accept and read-only afterwards; the counters are atomics any thread may bump.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/router.h"
#include "http/server.h"

namespace scriptgen::http::internal {

class Connection;

struct ServerCore {
  ServerCore(ServerOptions o, Router r)
      : options(std::move(o)),
        router(std::move(r)),
        handlers(static_cast<size_t>(options.handler_threads)) {
    // One io_context per network thread, each run by exactly that thread (concurrency hint 1),
    // and every connection lives on one of them for its whole life. A single io_context shared
    // by all network threads made every completion a cross-thread wake-up through its mutex and
    // condition variable; on 2 cores that cost more CPU than the request itself.
    for (int i = 0; i < std::max(1, options.io_threads); ++i) {
      io.push_back(std::make_unique<boost::asio::io_context>(1));
    }
  }

  const ServerOptions options;
  const Router router;
  std::string upload_dir;  // resolved by Start()

  // The io_context a new connection should live on: round robin over `io`.
  boost::asio::io_context& NextIo() { return *io[next_io.fetch_add(1) % io.size()]; }

  // Declared before the connections so they outlive them (sockets deregister from them).
  std::vector<std::unique_ptr<boost::asio::io_context>> io;
  std::atomic<size_t> next_io{0};
  boost::asio::thread_pool handlers;

  // Set when serving TLS (Start() loads the certificate); null for plain HTTP.
  std::unique_ptr<boost::asio::ssl::context> tls;

  std::atomic<bool> stopping{false};

  // Server::Stats, plus the number of over-limit connections being answered right now.
  struct Counters {
    std::atomic<uint64_t> open{0};
    std::atomic<uint64_t> accepted{0};
    std::atomic<uint64_t> rejected{0};
    std::atomic<uint64_t> tls_handshake_failures{0};
    std::atomic<uint64_t> header_timeouts{0};
    std::atomic<uint64_t> body_timeouts{0};
    std::atomic<uint64_t> rejecting{0};
  } counters;

  // Live connections, so Stop() can reach them. Guarded by mu; cv signals removals.
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
};

// Serves one accepted socket (whose executor must be a strand) until it closes, over TLS if
// core.tls is set; registers the connection in core.connections and counts it in
// core.counters.open for its lifetime.
void ServeConnection(ServerCore& core, boost::asio::ip::tcp::socket socket);
// Turns away a socket accepted over max_connections: a canned 503 (plain HTTP) or an immediate
// close (TLS, or too many rejections in flight). Bounded to about a second; never blocks.
void RejectConnection(ServerCore& core, boost::asio::ip::tcp::socket socket);
// Graceful: close if idle, end SSE after flushing, otherwise finish the current request and close.
void ShutdownConnection(const std::shared_ptr<Connection>& connection);
// Immediate: close the socket now.
void ForceCloseConnection(const std::shared_ptr<Connection>& connection);

}  // namespace scriptgen::http::internal
