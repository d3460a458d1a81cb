// Server: an async HTTP/1.1 server (Boost.Beast, C++20 coroutines) that dispatches to a Router.
//
// Network I/O runs on `io_threads` threads; every handler (and the `before` hook) runs on a
// separate pool of `handler_threads`, so handlers may block (e.g. on a database commit) without
// stalling other connections. A route may opt out (RouteOptions::run_on_network_thread) when its
// handler is short and never waits. Requests on one connection are handled one at a time, in order
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
// header too large (then closes), 500 handler threw or returned an invalid status or header field,
// 503 over max_connections (+ Retry-After, then closes). Every response carries X-Request-Id and
// the security headers (nosniff, Cache-Control: no-store, X-Frame-Options: DENY, no-referrer and,
// over TLS, HSTS); these override a handler's values, and no Server banner is ever sent. After an
// error that leaves unread request bytes (400, 413, 431, an unread body) the server closes
// "lingering": it stops sending, then reads and discards the rest for up to about a second, so the
// client reads the error instead of a connection reset.
//
// Exposure to the internet: with tls_cert_file/tls_key_file every connection is TLS (1.2+, ECDHE
// AEAD ciphers only). Without them Start() refuses a non-loopback listen address unless
// allow_plain_http is set (TLS terminated by a proxy in front). The deadlines below bound what a
// slow or idle client can hold: the TLS handshake, the request header (slowloris), a minimum body
// rate (a trickled upload), idle keep-alive; max_connections bounds how many it can hold at once.
//
// Thread safety: Start and Stop must be called from one controlling thread, Start at most once;
// port() is safe after Start and stats() always. Never call Stop from a handler or hook (it joins
// their threads). The destructor calls Stop(0) if needed. Handler status codes outside 100..599
// become a 500.
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
  // Closes a keep-alive connection idle (no request bytes) this long, and bounds each write.
  std::chrono::seconds idle_timeout{60};
  // The whole request header must arrive within this: from the accept (or the end of the TLS
  // handshake) for the first request, from its first byte for later ones. Against slowloris.
  std::chrono::milliseconds header_timeout{10000};
  // A request body must arrive at body_min_bytes_per_second or faster, measured over windows of
  // body_rate_window (a window ends early once it has its quota, so bursts are fine); a slower
  // client is disconnected (no response: it is not listening anyway). 0 turns the check off; a
  // body read then only ends after idle_timeout without a byte.
  uint64_t body_min_bytes_per_second = 1024;
  std::chrono::milliseconds body_rate_window{10000};
  // Connections served at once. A connection over the limit gets a 503 JSON error with
  // "Retry-After: 1" and is closed (over TLS it is closed at once: a handshake to say "busy" would
  // cost what the limit saves); accepting continues. Must be at least 1.
  size_t max_connections = 1024;

  // TLS: PEM files of the certificate (chain, leaf first) and its private key; both or neither.
  // Start() checks they load and match (InvalidArgument otherwise). TLS 1.2 and 1.3 only; TLS 1.2
  // with ECDHE + AES-GCM / ChaCha20-Poly1305, server cipher preference, no compression, no
  // renegotiation. The key file is read once by Start(); rotate by restarting.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::milliseconds tls_handshake_timeout{10000};
  // Without TLS, Start() listens only on loopback (127.0.0.0/8, ::1, localhost) unless this is
  // set, e.g. behind a TLS-terminating proxy on a private network.
  bool allow_plain_http = false;

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

  // Counters for metrics; each field is read atomically, the set is not one snapshot.
  struct Stats {
    uint64_t connections_open = 0;      // gauge: connections being served now
    uint64_t connections_accepted = 0;  // total served (not counting rejected ones)
    uint64_t connections_rejected = 0;  // total turned away over max_connections
    uint64_t tls_handshake_failures =
        0;                         // incl. plain HTTP sent to the TLS port, handshake timeout
    uint64_t header_timeouts = 0;  // request header not complete within header_timeout
    uint64_t body_timeouts = 0;    // body slower than the minimum rate (or idle)
  };

  // Binds and starts serving. Unavailable if the address cannot be bound (e.g. in use);
  // InvalidArgument if `listen` is malformed, if the TLS files are missing, unreadable or do not
  // match, if plain HTTP would listen on a non-loopback address without allow_plain_http, or if a
  // limit is out of range; Internal if upload_dir cannot be created.
  Status Start();
  // The bound port (useful with port 0); 0 before Start.
  uint16_t port() const;
  Stats stats() const;

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
