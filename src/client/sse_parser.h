// SseParser: incremental Server-Sent Events parser (the WHATWG event-stream grammar), fed the
// decoded response body in whatever pieces the network delivers.
//
//   SseParser p([](const SseEvent& e) { Show(e.event, e.data); return true; });
//   p.Feed("event: progress\nid: 3\ndata: {\"percent\":40}\n\n");   // -> one callback
//
// - Lines end in LF, CRLF or CR (a CR at the end of one piece and an LF at the start of the next
//   count as one line end). Lines starting with ':' are comments (server heartbeats).
// - "data" lines are joined with '\n'; an event with no data is not dispatched.
// - The last event id persists across events, as in a browser: SseEvent::id is the id of the most
//   recent event that carried one, which is what a reconnect sends as Last-Event-ID.
// - The callback returns false to stop; Feed then returns false and ignores the rest.
// - An event not terminated by a blank line when the stream ends is discarded (never dispatched).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace scriptgen::client {

struct SseEvent {
  std::string event = "message";  // the "event:" field, "message" when absent
  std::string id;                 // last event id (see above)
  std::string data;
};

class SseParser {
 public:
  using Callback = std::function<bool(const SseEvent&)>;
  explicit SseParser(Callback callback);

  // False once the callback has asked to stop.
  bool Feed(std::string_view bytes);
  const std::string& last_event_id() const { return last_id_; }

 private:
  bool Line(std::string_view line);  // one complete line
  bool Dispatch();

  Callback callback_;
  std::string line_;  // partial line carried between Feed calls
  bool skip_lf_ = false;
  bool first_line_ = true;  // a UTF-8 BOM may start the stream
  bool stopped_ = false;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
  std::string last_id_;
};

}  // namespace scriptgen::client
