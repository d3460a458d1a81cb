// SseStream: one open Server-Sent Events response, written to from any thread.
//
// An SSE route handler (Router::AddSse) receives a shared_ptr<SseStream>; it (or anything it hands
// the pointer to, e.g. a progress bus subscription) calls Send() whenever an event happens. The
// server's network thread formats nothing and blocks on nothing: Send() appends the formatted
// event to a per-stream queue under a mutex and schedules the connection's writer.
//
//   std::optional<Response> Events(Request& req, std::shared_ptr<SseStream> s) {
//     auto sub = bus.Subscribe(job_id, [s](const Progress& p) { s->Send("progress", p.id, p.json);
//     }); s->OnClose([&bus, sub] { bus.Unsubscribe(sub); });   // client left or stream closed
//     return std::nullopt;                                   // accept
//   }
//
// Contract:
// - Send/Close/OnClose/closed are thread-safe. Send returns false (and drops the event) once the
//   stream is closed, i.e. after Close(), a client disconnect, an overflow or server Stop().
// - Back-pressure: at most `max_queued_bytes` of formatted events may wait for a slow client
//   (ServerOptions::sse_max_queued_bytes). A Send that would exceed it drops the connection
//   instead of growing memory: the client sees the stream end and should reconnect with
//   Last-Event-ID. Send returns false in that case.
// - OnClose callbacks run exactly once each, when the response is over (after Close() has flushed
//   the queue, on disconnect, overflow or Stop). They run on a server network thread, or on the
//   calling thread if the stream is already over when OnClose is called; they must be quick, must
//   not block and must not assume any lock of the caller is held. Do not call OnClose from inside
//   a lock that the callback itself takes.
// - Holding a shared_ptr after the connection is gone is safe (Send just returns false); release
//   it in OnClose to free the memory.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::http {

namespace internal {
struct SseStreamAccess;
}

class SseStream {
 public:
  // The server creates the streams it serves; constructing one directly is for unit tests of code
  // that sends to streams (queued bytes are then only observable through closed()/Send results).
  explicit SseStream(size_t max_queued_bytes = size_t{1} << 20);
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // Queues one event. `event` and `id` may be empty (then their lines are omitted); CR/LF in them
  // are removed. `data` is split on line breaks into several "data:" lines.
  bool Send(std::string_view event, std::string_view id, std::string_view data);
  // Ends the response after the queued events have been written. Idempotent.
  void Close();
  void OnClose(std::function<void()> callback);
  bool closed() const;

 private:
  friend struct internal::SseStreamAccess;

  void WakeLocked();

  mutable std::mutex mu_;
  const size_t max_queued_bytes_;
  std::string queued_;  // formatted events not yet taken by the writer
  bool close_requested_ = false;
  bool overflowed_ = false;
  bool finished_ = false;       // the response is over; callbacks fired
  bool wake_pending_ = false;   // a wake-up is scheduled and not yet consumed by Take
  std::function<void()> wake_;  // set by the server; schedules the connection's writer
  std::vector<std::function<void()>> on_close_;
};

}  // namespace scriptgen::http
