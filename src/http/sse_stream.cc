// SseStream: a mutex-protected byte queue plus a "wake the writer" callback.
//
// Events are formatted on the sending thread, so the network thread only moves bytes. The queue is
// one std::string (appending is amortised O(1) and the writer swaps it out whole, writing
// everything queued in one chunk), bounded by max_queued_bytes to cap memory per slow client.
// wake_pending_ coalesces wake-ups: a burst of N sends costs one post to the connection's strand,
// not N. The wake-up is issued while holding the lock; that is safe because the server's wake
// function only posts to an executor and never calls back into the stream. OnClose callbacks are
// swapped out and run outside the lock so they may call Send (which then returns false) freely.
#include "http/sse_stream.h"

#include <utility>

#include "http/internal/sse_access.h"

namespace scriptgen::http {
namespace {

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  for (char c : value) {
    if (c != '\r' && c != '\n' && c != '\0') out.push_back(c);
  }
  out.push_back('\n');
}

}  // namespace

SseStream::SseStream(size_t max_queued_bytes) : max_queued_bytes_(max_queued_bytes) {}

bool SseStream::Send(std::string_view event, std::string_view id, std::string_view data) {
  std::string msg;
  msg.reserve(event.size() + id.size() + data.size() + 32);
  if (!event.empty()) AppendField(msg, "event", event);
  if (!id.empty()) AppendField(msg, "id", id);
  // Split on CRLF, CR or LF: each line becomes one data: line, as the SSE grammar requires.
  size_t i = 0;
  while (true) {
    size_t eol = data.find_first_of("\r\n", i);
    std::string_view line = data.substr(i, eol == std::string_view::npos ? eol : eol - i);
    msg.append("data: ");
    msg.append(line);
    msg.push_back('\n');
    if (eol == std::string_view::npos) break;
    i = eol + ((data[eol] == '\r' && eol + 1 < data.size() && data[eol + 1] == '\n') ? 2 : 1);
    if (i == data.size()) break;  // a trailing line break does not start another line
  }
  msg.push_back('\n');

  std::lock_guard lock(mu_);
  if (finished_ || close_requested_ || overflowed_) return false;
  if (queued_.size() + msg.size() > max_queued_bytes_) {
    overflowed_ = true;
    std::string().swap(queued_);  // free the memory now, not when the connection ends
    WakeLocked();
    return false;
  }
  queued_.append(msg);
  WakeLocked();
  return true;
}

void SseStream::Close() {
  std::lock_guard lock(mu_);
  if (close_requested_ || finished_) return;
  close_requested_ = true;
  WakeLocked();
}

void SseStream::OnClose(std::function<void()> callback) {
  {
    std::lock_guard lock(mu_);
    if (!finished_) {
      on_close_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

bool SseStream::closed() const {
  std::lock_guard lock(mu_);
  return finished_ || close_requested_ || overflowed_;
}

void SseStream::WakeLocked() {
  if (wake_pending_ || !wake_) return;
  wake_pending_ = true;
  wake_();
}

namespace internal {

void SseStreamAccess::Attach(SseStream& s, std::function<void()> wake) {
  std::lock_guard lock(s.mu_);
  s.wake_ = std::move(wake);
  s.wake_pending_ = false;
}

SseStreamAccess::Batch SseStreamAccess::Take(SseStream& s) {
  Batch b;
  std::lock_guard lock(s.mu_);
  s.wake_pending_ = false;
  b.overflow = s.overflowed_;
  if (!b.overflow) b.bytes.swap(s.queued_);
  b.end = s.close_requested_;
  return b;
}

void SseStreamAccess::Finish(SseStream& s) {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(s.mu_);
    if (s.finished_) return;
    s.finished_ = true;
    s.wake_ = nullptr;  // drops the writer's (weak) handle on the connection
    std::string().swap(s.queued_);
    callbacks.swap(s.on_close_);
  }
  for (auto& cb : callbacks) cb();
}

}  // namespace internal
}  // namespace scriptgen::http
