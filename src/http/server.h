// Server: an async HTTP/1.1 server (Boost.Beast, C++20 coroutines) that dispatches to a Router.
//
// Network I/O runs on `io_threads` threads; every handler (and the `before` hook) runs on a
// separate pool of `handler_threads`, so handlers may block (e.g. on a database commit) without
// stalling other connections. Requests on one connection are handled one at a time, in order
// (pipelined requests are answered in order); keep-alive is the default, and "Connection: close"
// or HTTP/1.0 without keep-alive ends the connection after the response.
//
//   Router router;
//   router.Add("GET", "/healthz", [](Request&) { return JsonResponse(200, R"({"ok":true})"); });
//   Server server({.listen = "127.0.0.1:0", .upload_dir = dir}, std::move(router));
//   if (Status s = server.Start(); !s.ok()) Die(s);
//   Connect(server.port());
//   ...
//   server.Stop(std::chrono::seconds(10));
//
// Errors the server answers itself (always JSON, see ErrorResponse): 400 malformed request (then
// closes), 404 unknown path, 405 wrong method (+ Allow), 413 body too large (then closes), 431
// header too large (then closes), 500 handler threw. Every response carries X-Request-Id.
//
// Thread safety: Start and Stop must be called from one controlling thread, Start at most once;
// port() is safe after Start. Never call Stop from a handler or hook (it joins their threads).
// The destructor calls Stop(0) if needed. Handler status codes outside 100..599 become a 500.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/request.h"
#include "http/router.h"
#include "util/status.h"

namespace scriptgen::http {

struct ServerOptions {
  // "host:port", "[v6addr]:port" or ":port" (all interfaces); numeric host or "localhost".
  // Port 0 picks a free port (see Server::port()).
  std::string listen = "127.0.0.1:8080";
  int io_threads = 2;
  int handler_threads = 16;
  // Where stream_body_to_file routes spool bodies; created by Start() if missing. Empty = the
  // system temp directory. Put it on the same filesystem as the final destination so handlers can
  // rename() instead of copy.
  std::string upload_dir;
  std::chrono::milliseconds sse_heartbeat{15000};  // ": keepalive" comment interval
  size_t sse_max_queued_bytes = size_t{1} << 20;   // per stream; see SseStream
  size_t max_header_bytes = 16 * 1024;             // request line + headers
  // Closes a connection idle (no request bytes) this long, and bounds each read/write.
  std::chrono::seconds idle_timeout{60};

  // Both hooks may run concurrently on several threads; they must be thread-safe.
  //
  // Runs on the handler pool before the route handler (SSE handlers included), for matched routes
  // only: return a Response to answer instead (e.g. 401), nullopt to continue. It may set fields
  // of the Request (e.g. an authenticated principal in path_params or headers) for the handler.
  std::function<std::optional<Response>(Request&)> before;
  // Runs once per response after it has been written (or failed to write), including the
  // server's own 4xx answers; `elapsed` is from the end of the request header to that moment.
  // For an SSE stream it runs when the headers have been sent. It runs on a network thread:
  // keep it fast and non-blocking (counters, a log line into a queue).
  std::function<void(const Request&, int status, std::chrono::nanoseconds elapsed)> after;
};

class Server {
 public:
  Server(ServerOptions options, Router router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving. Unavailable if the address cannot be bound (e.g. in use),
  // InvalidArgument if `listen` is malformed, Internal if upload_dir cannot be created.
  Status Start();
  // The bound port (useful with port 0); 0 before Start.
  uint16_t port() const;

  // Graceful shutdown: stops accepting, closes idle keep-alive connections, ends SSE streams
  // (flushing what is queued; OnClose fires), and lets in-flight requests finish and their
  // responses be written until `drain` has passed; then closes every connection. It returns once
  // the network threads and the handler pool have stopped. Handlers cannot be interrupted, so a
  // handler still running at the deadline delays the return until it finishes (its response is
  // discarded): handlers must not block forever. Idempotent.
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scriptgen::http
