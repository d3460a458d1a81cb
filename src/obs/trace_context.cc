// Trace context: design notes.
//
// Parsing follows W3C Trace Context level 1 §3.2 literally, including the parts that look
// pedantic (uppercase hex is invalid, version ff is invalid, a future version may be longer but
// only with a '-' after the flags). Being strict costs nothing and means we never echo a value a
// conforming tracer would reject. An invalid header is not an error for the request: we start a
// new trace, exactly as the spec asks.
//
// Ids come from a thread_local std::mt19937_64 seeded from std::random_device: no lock, no
// syscall per id, and with 64-bit state per thread collisions are not a practical concern for
// correlating logs. These ids are not secrets (they are echoed in headers and logs), so a CSPRNG
// is not needed. The all-zero id is invalid and is redrawn.
//
// Correlation: when the caller sends no X-Correlation-Id, the request id is the correlation id, so
// a job created by the request carries the id that its creating request's log lines show.
#include "obs/trace_context.h"

#include <array>
#include <random>

namespace scriptgen::obs {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool IsLowerHexString(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool AllZero(std::string_view s) {
  return s.find_first_not_of('0') == std::string_view::npos;
}

int HexValue(char c) {
  return c <= '9' ? c - '0' : c - 'a' + 10;
}

uint8_t ParseByte(std::string_view two) {
  return static_cast<uint8_t>(HexValue(two[0]) * 16 + HexValue(two[1]));
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng;
}

std::string RandomHex(size_t digits) {
  std::string out;
  out.reserve(digits);
  while (out.size() < digits) {
    uint64_t r = Rng()();
    for (int k = 0; k < 16 && out.size() < digits; ++k, r >>= 4) out += kHex[r & 0xF];
  }
  return out;
}

std::string NonZeroHex(size_t digits) {
  for (;;) {
    std::string s = RandomHex(digits);
    if (!AllZero(s)) return s;
  }
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsValidTraceId(std::string_view id) {
  return IsLowerHexString(id, 32) && !AllZero(id);
}

bool IsValidSpanId(std::string_view id) {
  return IsLowerHexString(id, 16) && !AllZero(id);
}

std::string NewTraceId() {
  return NonZeroHex(32);
}

std::string NewSpanId() {
  return NonZeroHex(16);
}

std::optional<TraceParent> ParseTraceParent(std::string_view header) {
  std::string_view s = TrimOws(header);
  // version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2) = 55
  if (s.size() < 55) return std::nullopt;
  std::string_view version = s.substr(0, 2);
  if (!IsLowerHexString(version, 2) || version == "ff") return std::nullopt;
  if (version == "00" && s.size() != 55) return std::nullopt;
  if (s.size() > 55 && s[55] != '-') return std::nullopt;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return std::nullopt;
  std::string_view trace_id = s.substr(3, 32);
  std::string_view parent_id = s.substr(36, 16);
  std::string_view flags = s.substr(53, 2);
  if (!IsValidTraceId(trace_id) || !IsValidSpanId(parent_id)) return std::nullopt;
  if (!IsLowerHexString(flags, 2)) return std::nullopt;
  TraceParent tp;
  tp.version = ParseByte(version);
  tp.trace_id = std::string(trace_id);
  tp.parent_id = std::string(parent_id);
  tp.flags = ParseByte(flags);
  return tp;
}

std::string FormatTraceParent(const TraceParent& tp) {
  std::string out = "00-";
  out += tp.trace_id;
  out += '-';
  out += tp.parent_id;
  out += '-';
  out += kHex[tp.flags >> 4];
  out += kHex[tp.flags & 0xF];
  return out;
}

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string NewRequestId() {
  return "req_" + RandomHex(20);
}

std::string RequestIdOrNew(std::optional<std::string_view> header) {
  if (header) {
    std::string_view v = TrimOws(*header);
    if (IsValidRequestId(v)) return std::string(v);
  }
  return NewRequestId();
}

RequestIds RequestIds::FromHeaders(std::optional<std::string_view> traceparent,
                                   std::optional<std::string_view> request_id,
                                   std::optional<std::string_view> correlation_id) {
  RequestIds ids;
  ids.request_id = RequestIdOrNew(request_id);
  std::optional<TraceParent> tp;
  if (traceparent) tp = ParseTraceParent(*traceparent);
  if (tp) {
    ids.trace_id = std::move(tp->trace_id);
    ids.parent_span_id = std::move(tp->parent_id);
    ids.trace_flags = tp->flags;
  } else {
    ids.trace_id = NewTraceId();
    ids.trace_flags = 0x01;
  }
  ids.span_id = NewSpanId();
  std::string_view corr = correlation_id ? TrimOws(*correlation_id) : std::string_view{};
  ids.correlation_id = IsValidRequestId(corr) ? std::string(corr) : ids.request_id;
  return ids;
}

std::string RequestIds::ResponseTraceparent() const {
  return FormatTraceParent(
      {.version = 0, .trace_id = trace_id, .parent_id = span_id, .flags = trace_flags});
}

obs::LogContext RequestIds::LogContext() const {
  return {.request_id = request_id,
          .trace_id = trace_id,
          .span_id = span_id,
          .correlation_id = correlation_id};
}

}  // namespace scriptgen::obs
