// Logger: design notes.
//
// Format on the caller's thread, write under a mutex. Building the JSON line (escaping, the
// timestamp, redaction) happens before the lock, so the critical section is a single sink call,
// and the default sink is a single write(2) of the whole line: the kernel then never interleaves
// our line with another writer's, and the mutex keeps our own threads' lines whole even for
// sinks that are not atomic (FILE*, test callbacks). We do not buffer asynchronously: a log line
// written before a crash is on its way to the file, which matters more for a job queue than the
// few microseconds a write costs. At debug level on a hot path that cost is real, which is why
// Enabled() exists and why levels are checked before anything is formatted.
//
// We hand-roll the JSON rather than use Boost.JSON because we need two things it does not do:
// guarantee valid UTF-8 output from arbitrary bytes (a file name or a provider error may be
// Latin-1), and keep field order (ts, level, msg first, which is what humans scan for).
//
// The log context is a thread_local value, set and restored by an RAII guard. That matches how
// work flows in scriptgen: an HTTP handler runs on one pool thread from start to finish and a
// job runs on one worker thread, so "the current request / job" is a property of the thread.
// Work handed to another thread must carry its ids explicitly and open a new ScopedLogContext
// there (the worker pool does this from the ids stored with the job).
//
// Redaction is by field name and by pattern, and it errs towards hiding: a field called
// "token_count" is redacted too. Hiding a harmless number is cheap; leaking a credential into a
// log pipeline that is retained for 90 days is not.
#include "obs/logger.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "util/time_format.h"

namespace scriptgen::obs {
namespace {

thread_local LogContext tls_context;

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Characters a credential value may consist of (base64, base64url, JWT dots, hex).
bool IsCredentialChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '~' || c == '+' || c == '/' || c == '=' || c == '%';
}

constexpr std::string_view kRedacted = "[redacted]";

void AppendCodepoint(std::string& out, uint32_t cp) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
  out += buf;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n;
  uint32_t min;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void AppendString(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

void AppendKey(std::string& out, std::string_view key) {
  out += ',';
  AppendString(out, key);
  out += ':';
}

void AppendDouble(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  out.append(buf, ec == std::errc() ? end : buf);
  if (ec != std::errc()) out += "null";
}

void WriteAll(int fd, std::string_view line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing log sink
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

// ---- Levels ----

std::optional<LogLevel> ParseLogLevel(std::string_view s) {
  if (IEquals(s, "debug")) return LogLevel::kDebug;
  if (IEquals(s, "info")) return LogLevel::kInfo;
  if (IEquals(s, "warn") || IEquals(s, "warning")) return LogLevel::kWarn;
  if (IEquals(s, "error")) return LogLevel::kError;
  return std::nullopt;
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// ---- Context ----

const LogContext& CurrentLogContext() {
  return tls_context;
}

ScopedLogContext::ScopedLogContext(LogContext ctx, Mode mode) : previous_(tls_context) {
  if (mode == Mode::kReplace) {
    tls_context = std::move(ctx);
    return;
  }
  auto merge = [](std::string& into, std::string& from) {
    if (!from.empty()) into = std::move(from);
  };
  merge(tls_context.request_id, ctx.request_id);
  merge(tls_context.trace_id, ctx.trace_id);
  merge(tls_context.span_id, ctx.span_id);
  merge(tls_context.job_id, ctx.job_id);
  merge(tls_context.correlation_id, ctx.correlation_id);
}

ScopedLogContext::~ScopedLogContext() {
  tls_context = std::move(previous_);
}

// ---- Redaction and escaping ----

namespace {

// Case-insensitive `marker` in `key`, with '-' read as '_'. Runs on every logged field, so it
// compares in place instead of building a folded copy.
bool ContainsFolded(std::string_view key, std::string_view marker) {
  auto fold = [](char c) {
    if (c == '-') return '_';
    return Lower(c);
  };
  for (size_t i = 0; i + marker.size() <= key.size(); ++i) {
    size_t j = 0;
    while (j < marker.size() && fold(key[i + j]) == marker[j]) ++j;
    if (j == marker.size()) return true;
  }
  return false;
}

// MaskSecrets, appending to `out`.
void AppendMasked(std::string& out, std::string_view text) {
  // Every rule below needs a separator after its word ("Bearer x", "token=x", "token: x"); most
  // values (ids, routes, numbers) have none and are copied as they are.
  if (text.find_first_of(" =:") == std::string_view::npos) {
    out.append(text);
    return;
  }
  size_t i = 0;
  while (i < text.size()) {
    const bool at_word_start = i == 0 || !IsIdentChar(text[i - 1]);
    if (!at_word_start || !IsIdentChar(text[i])) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && IsIdentChar(text[end])) ++end;
    std::string_view word = text.substr(i, end - i);
    out.append(word);
    i = end;

    // "Bearer <credential>" / "Basic <credential>".
    if (IEquals(word, "bearer") || IEquals(word, "basic")) {
      size_t j = i;
      while (j < text.size() && text[j] == ' ') ++j;
      size_t v = j;
      while (v < text.size() && IsCredentialChar(text[v])) ++v;
      if (j > i && v > j) {
        out.append(text.substr(i, j - i));
        out += kRedacted;
        i = v;
      }
      continue;
    }

    // secret_name = value, secret_name: value, "secret_name": "value".
    if (!IsSecretFieldName(word)) continue;
    size_t j = i;
    if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j >= text.size() || (text[j] != '=' && text[j] != ':')) continue;
    ++j;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
    size_t v = j;
    while (v < text.size() && IsCredentialChar(text[v])) ++v;
    if (v == j) continue;
    std::string_view value = text.substr(j, v - j);
    if (IEquals(value, "bearer") || IEquals(value, "basic")) continue;  // handled as a word
    out.append(text.substr(i, j - i));
    out += kRedacted;
    i = v;
  }
}

// Masks `text` into a per-thread scratch buffer and appends it as a JSON string: no allocation
// per field once the buffer has grown.
void AppendMaskedString(std::string& out, std::string_view text) {
  thread_local std::string scratch;
  scratch.clear();
  AppendMasked(scratch, text);
  AppendString(out, scratch);
}

}  // namespace

bool IsSecretFieldName(std::string_view key) {
  static constexpr std::array<std::string_view, 10> kMarkers = {
      "authorization", "token",  "password", "passwd",     "secret",
      "api_key",       "apikey", "cookie",   "credential", "private_key"};
  for (std::string_view m : kMarkers) {
    if (ContainsFolded(key, m)) return true;
  }
  return false;
}

std::string MaskSecrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendMasked(out, text);
  return out;
}

void AppendJsonEscaped(std::string& out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          AppendCodepoint(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

// ---- Sinks ----

LogSink FdSink(int fd) {
  return [fd](std::string_view line) { WriteAll(fd, line); };
}

LogSink FileSink(FILE* f) {
  return [f](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), f);
    std::fflush(f);
  };
}

// ---- Logger ----

Logger::Logger(LogSink sink, LogLevel level, const Clock* clock)
    : level_(level), clock_(clock), sink_(std::move(sink)) {}

Logger& Logger::Global() {
  // Leaked on purpose: threads may still log while static destructors run at exit.
  static Logger* logger = new Logger();
  return *logger;
}

void Logger::SetSink(LogSink sink) {
  std::lock_guard lock(mu_);
  sink_ = std::move(sink);
}

std::string Logger::Format(LogLevel level, std::string_view msg,
                           std::initializer_list<LogField> fields) const {
  std::string out;
  out.reserve(256);
  out += "{\"ts\":\"";
  out += FormatTimestampMs(clock_->NowMs());
  out += "\",\"level\":\"";
  out += LogLevelName(level);
  out += "\",\"msg\":";
  AppendMaskedString(out, msg);

  const LogContext& ctx = tls_context;
  const std::pair<std::string_view, const std::string*> context_fields[] = {
      {"request_id", &ctx.request_id},
      {"trace_id", &ctx.trace_id},
      {"span_id", &ctx.span_id},
      {"job_id", &ctx.job_id},
      {"correlation_id", &ctx.correlation_id}};
  auto taken = [&](std::string_view key) {
    if (key == "ts" || key == "level" || key == "msg") return true;
    for (const auto& [name, value] : context_fields) {
      if (key == name && !value->empty()) return true;
    }
    return false;
  };
  for (const auto& [name, value] : context_fields) {
    if (value->empty()) continue;
    AppendKey(out, name);
    AppendMaskedString(out, *value);
  }

  for (const LogField& f : fields) {
    // A field may not shadow ts/level/msg or a context id: the duplicate is renamed.
    if (f.key.empty() || taken(f.key)) {
      AppendKey(out, "field_" + f.key);
    } else {
      AppendKey(out, f.key);
    }
    if (IsSecretFieldName(f.key)) {
      AppendString(out, kRedacted);
      continue;
    }
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>) {
            AppendMaskedString(out, v);
          } else if constexpr (std::is_same_v<V, bool>) {
            out += v ? "true" : "false";
          } else if constexpr (std::is_same_v<V, double>) {
            AppendDouble(out, v);
          } else {
            out += std::to_string(v);
          }
        },
        f.value);
  }
  out += '}';
  return out;
}

void Logger::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  std::string line = Format(level, msg, fields);
  line += '\n';
  std::lock_guard lock(mu_);
  if (sink_) sink_(line);
}

}  // namespace scriptgen::obs
