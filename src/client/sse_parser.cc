// Byte-at-a-time line splitting into a carried buffer: events are small and arrive slowly, so
// simplicity wins over scanning tricks.
#include "client/sse_parser.h"

namespace scriptgen::client {

SseParser::SseParser(Callback callback) : callback_(std::move(callback)) {}

bool SseParser::Feed(std::string_view bytes) {
  for (char c : bytes) {
    if (stopped_) return false;
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = c == '\r';
      std::string line = std::move(line_);
      line_.clear();
      if (!Line(line)) stopped_ = true;
      continue;
    }
    line_.push_back(c);
  }
  return !stopped_;
}

bool SseParser::Line(std::string_view line) {
  if (first_line_) {
    first_line_ = false;
    if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  }
  if (line.empty()) return Dispatch();
  if (line.front() == ':') return true;  // comment / heartbeat
  const size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    event_ = std::string(value);
  } else if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  }
  // "retry" and unknown fields are ignored.
  return true;
}

bool SseParser::Dispatch() {
  if (!has_data_) {
    event_.clear();
    return true;
  }
  SseEvent e;
  if (!event_.empty()) e.event = std::move(event_);
  e.id = last_id_;
  e.data = std::move(data_);
  event_.clear();
  data_.clear();
  has_data_ = false;
  return callback_(e);
}

}  // namespace scriptgen::client
