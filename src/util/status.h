// Status and StatusOr<T>: the one error type of scriptgen.
//
// Every fallible operation returns a Status (or a StatusOr<T> carrying a value on success). A
// Status has a Code from a small fixed taxonomy that the HTTP layer maps to status codes and the
// CLI maps to exit codes, plus a human-readable message. Exceptions are not used for expected
// failures (bad input, not found, conflicts); they are reserved for programming errors.
//
//   StatusOr<Job> job = queue.Get(id);
//   if (!job.ok()) return job.status();
//   Use(*job);
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace scriptgen {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // malformed input from a caller (400)
  kNotFound,            // no such id (404)
  kAlreadyExists,       // conflicting create, e.g. idempotency key reused with other content (409)
  kFailedPrecondition,  // operation illegal in the current state, e.g. illegal transition (409)
  kPermissionDenied,    // authenticated but not allowed (403)
  kUnauthenticated,     // missing or bad credentials (401)
  kResourceExhausted,   // limits, quotas, back-pressure (413/429/503 depending on context)
  kUnavailable,         // dependency down or shutting down, retryable (503)
  kDeadlineExceeded,    // timed out, retryable (504)
  kCancelled,           // cooperatively cancelled
  kUnsupported,         // unsupported media type / feature (415)
  kInternal,            // a bug or corrupted state (500)
  kStorageFull,         // no space left on the data directory's disk (or quota); retryable (507)
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "not_found: job 42 does not exist"
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {Code::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {Code::kNotFound, std::move(m)};
}
inline Status AlreadyExists(std::string m) {
  return {Code::kAlreadyExists, std::move(m)};
}
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {Code::kUnavailable, std::move(m)};
}
inline Status StorageFull(std::string m) {
  return {Code::kStorageFull, std::move(m)};
}
inline Status Internal(std::string m) {
  return {Code::kInternal, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {Code::kUnauthenticated, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {Code::kPermissionDenied, std::move(m)};
}
inline Status Cancelled(std::string m) {
  return {Code::kCancelled, std::move(m)};
}

// A value or the Status that explains its absence. Accessing the value of a non-OK StatusOr is a
// programming error (asserts in debug builds).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "StatusOr constructed from an OK status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace scriptgen

// Propagates a non-OK Status from an expression to the caller.
#define SG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::scriptgen::Status sg_status_ = (expr); \
    if (!sg_status_.ok()) return sg_status_; \
  } while (0)
