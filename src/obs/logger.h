// Logger: structured logs, one JSON object per line (default: stderr).
//
//   obs::Logger& log = obs::Logger::Global();
//   log.SetLevel(*obs::ParseLogLevel("info"));
//   {
//     obs::ScopedLogContext ctx({.request_id = req.request_id, .trace_id = tp.trace_id});
//     log.Info("document accepted", {{"document_id", "doc_1"}, {"bytes", 1234}});
//   }
//   // {"ts":"2026-11-26T13:45:01.123Z","level":"info","msg":"document accepted",
//   //  "request_id":"req_...","trace_id":"4bf9...","document_id":"doc_1","bytes":1234}
//
// Every line has ts (RFC 3339 UTC, milliseconds), level and msg, then the fields of the thread's
// log context (request_id, trace_id, span_id, job_id, correlation_id: those that are set), then
// the call's own fields in the order given. Output is always valid JSON in valid UTF-8: strings
// are escaped and invalid UTF-8 is replaced by U+FFFD; NaN and infinities become null.
//
// Never personal data or secrets. The logger enforces what it can: a field whose name contains
// authorization, token, password, passwd, secret, api_key, apikey, cookie, credential or
// private_key is printed as "[redacted]", and "Bearer <x>" / "token=<x>"-style secrets in the
// message and in string values are masked (MaskSecrets). It cannot recognise personal data:
// callers log ids, counts, sizes and classes, never document text, file names, search queries or
// e-mail addresses.
//
// Thread safety: all methods are thread-safe. Each line is formatted on the calling thread and
// handed to the sink in one call under a mutex (the default sink writes it with one write(2)), so
// lines never interleave. The level is an atomic and may be changed at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "util/clock.h"

namespace scriptgen::obs {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" (or "warning"), "error"; case-insensitive. nullopt otherwise.
std::optional<LogLevel> ParseLogLevel(std::string_view s);
std::string_view LogLevelName(LogLevel level);

// One structured field. Values: strings, integers, floating point, booleans.
struct LogField {
  using Value = std::variant<std::string, int64_t, uint64_t, double, bool>;

  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v ? v : "")) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) LogField(std::string_view k, I v)
      : key(k) {
    if constexpr (std::is_signed_v<I>) {
      value = static_cast<int64_t>(v);
    } else {
      value = static_cast<uint64_t>(v);
    }
  }

  std::string key;
  Value value;
};

// The per-thread ids added to every log line (R-O3). Empty fields are omitted.
//  request_id      the HTTP request being served (X-Request-Id)
//  trace_id        W3C trace id, the same across services and for a job and its request
//  span_id         the current span (this server's span of the request)
//  job_id          the job being processed, as the API shows it ("job_42")
//  correlation_id  ties together every event of one piece of work; for a job, the id of the
//                  request that created it (or the caller's X-Correlation-Id)
struct LogContext {
  std::string request_id;
  std::string trace_id;
  std::string span_id;
  std::string job_id;
  std::string correlation_id;
};

// The context of the calling thread (all fields empty when none is set).
const LogContext& CurrentLogContext();

// Sets the thread's log context for its lifetime and restores the previous one when destroyed.
// By default the new context is merged onto the current one (fields left empty are inherited, so
// a job context opened inside a request keeps the request_id); kReplace starts from scratch (a
// worker thread starting a job). Must be destroyed on the thread that created it, in LIFO order:
// keep it a local variable.
class ScopedLogContext {
 public:
  enum class Mode { kMerge, kReplace };
  explicit ScopedLogContext(LogContext ctx, Mode mode = Mode::kMerge);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext previous_;
};

// Receives one complete line, '\n' included. Called under the logger's mutex.
using LogSink = std::function<void(std::string_view line)>;
LogSink FdSink(int fd);     // one write(2) per line (retried on EINTR / short writes)
LogSink FileSink(FILE* f);  // fwrite + fflush; the caller keeps f open while in use

class Logger {
 public:
  explicit Logger(LogSink sink = FdSink(2), LogLevel level = LogLevel::kInfo,
                  const Clock* clock = SystemClock::Get());

  // The process-wide logger (stderr, info) that scriptgen's code logs to.
  static Logger& Global();

  void SetLevel(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
  LogLevel level() const { return level_.load(std::memory_order_relaxed); }
  bool Enabled(LogLevel level) const { return level >= this->level(); }
  void SetSink(LogSink sink);

  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, msg, fields);
  }

  // The line Log() would write (without the trailing newline), for tests.
  std::string Format(LogLevel level, std::string_view msg,
                     std::initializer_list<LogField> fields) const;

 private:
  std::atomic<LogLevel> level_;
  const Clock* clock_;
  std::mutex mu_;  // guards sink_ and serialises lines
  LogSink sink_;
};

// True if a field of this name must never be printed (see the header comment).
bool IsSecretFieldName(std::string_view key);
// Masks credentials in free text: "Bearer abc.def" -> "Bearer [redacted]", and the value of
// token=, password=, secret=, api_key= / apikey= (also with ':' and in JSON-ish "key":"value").
std::string MaskSecrets(std::string_view text);
// JSON string escaping into `out` (quotes not included); invalid UTF-8 becomes U+FFFD.
void AppendJsonEscaped(std::string& out, std::string_view s);

}  // namespace scriptgen::obs
