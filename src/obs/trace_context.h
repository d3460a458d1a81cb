// Trace context: W3C Trace Context `traceparent` headers, request ids and correlation ids — the
// ids that tie a request, the job it creates and every log line of both together (R-O3).
//
//   // At the start of every HTTP request:
//   obs::RequestIds ids = obs::RequestIds::FromHeaders(req.Header("traceparent"),
//                                                      req.Header("X-Request-Id"),
//                                                      req.Header("X-Correlation-Id"));
//   obs::ScopedLogContext ctx(ids.LogContext());
//   res.headers["traceparent"] = ids.ResponseTraceparent();
//   res.headers["X-Request-Id"] = ids.request_id;
//   // When the request enqueues a job: store ids.trace_id and ids.correlation_id with it, and
//   // on the worker open ScopedLogContext({.trace_id=..., .job_id=..., .correlation_id=...},
//   // ScopedLogContext::Mode::kReplace) around the job's processing.
//
// A traceparent is `<version>-<trace-id>-<parent-id>-<flags>`: 2, 32, 16 and 2 lowercase hex
// digits. Invalid per the spec (and so ignored, a new trace started): uppercase hex, wrong
// lengths, all-zero trace or parent id, version ff; version 00 must be exactly 55 characters,
// later versions may append "-..." fields, which are ignored.
//
// All functions are thread-safe; id generation uses a per-thread PRNG seeded from
// std::random_device. Ids are unguessable enough to be unique, not to be secrets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "obs/logger.h"

namespace scriptgen::obs {

struct TraceParent {
  uint8_t version = 0;
  std::string trace_id;   // 32 lowercase hex, not all zero
  std::string parent_id;  // 16 lowercase hex, not all zero
  uint8_t flags = 0;      // bit 0: sampled

  bool sampled() const { return (flags & 0x01) != 0; }
};

// nullopt for anything the W3C spec says to ignore. Surrounding spaces/tabs are allowed.
std::optional<TraceParent> ParseTraceParent(std::string_view header);
// Always writes version 00: "00-<trace_id>-<parent_id>-<flags>".
std::string FormatTraceParent(const TraceParent& tp);

bool IsValidTraceId(std::string_view id);  // 32 lowercase hex, not all zero
bool IsValidSpanId(std::string_view id);   // 16 lowercase hex, not all zero
std::string NewTraceId();                  // random, valid
std::string NewSpanId();                   // random, valid

// X-Request-Id / X-Correlation-Id values we accept and echo: 1..128 visible ASCII characters
// (0x21..0x7e; no spaces or control characters, so they are safe in headers and log lines).
bool IsValidRequestId(std::string_view id);
std::string NewRequestId();  // "req_" + 20 lowercase hex
// `header` if it is a valid request id, else a new one.
std::string RequestIdOrNew(std::optional<std::string_view> header);

// Everything a request needs to know about its ids, decided once when it arrives.
struct RequestIds {
  std::string request_id;      // the caller's X-Request-Id if valid, else generated
  std::string trace_id;        // the caller's trace if its traceparent is valid, else new
  std::string parent_span_id;  // the caller's span (empty if we started the trace)
  std::string span_id;         // our span for this request (new)
  uint8_t trace_flags = 0;     // the caller's flags, or 01 (sampled) for a new trace
  std::string correlation_id;  // the caller's X-Correlation-Id if valid, else request_id

  static RequestIds FromHeaders(std::optional<std::string_view> traceparent,
                                std::optional<std::string_view> request_id,
                                std::optional<std::string_view> correlation_id = std::nullopt);

  // "00-<trace_id>-<span_id>-<flags>": what we return and what a downstream call carries.
  std::string ResponseTraceparent() const;
  // request_id, trace_id, span_id and correlation_id, for ScopedLogContext.
  obs::LogContext LogContext() const;
};

}  // namespace scriptgen::obs
