// SseStreamAccess: the server-side half of SseStream (attach a writer, take queued bytes, finish).
//
// Internal to sg_http; only the connection code uses it. Kept out of sse_stream.h so handler code
// cannot call these by accident.
#pragma once

#include <functional>
#include <string>

#include "http/sse_stream.h"

namespace scriptgen::http::internal {

struct SseStreamAccess {
  struct Batch {
    std::string bytes;      // formatted events to write, possibly empty
    bool end = false;       // Close() was called and `bytes` is the last of the queue
    bool overflow = false;  // the client was too slow: drop the connection
  };

  // Installs the function Send/Close call (under the stream's lock, at most once per Take) to
  // schedule the writer. It must not block and must not call back into the stream.
  static void Attach(SseStream& s, std::function<void()> wake);
  // Takes everything queued and re-arms the wake-up.
  static Batch Take(SseStream& s);
  // Marks the response over (Send then returns false) and runs the OnClose callbacks.
  static void Finish(SseStream& s);
};

}  // namespace scriptgen::http::internal
