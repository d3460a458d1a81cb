#include "jobs/error_class.h"

#include <array>

namespace scriptgen::jobs {
namespace {

struct ClassInfo {
  std::string_view name;
  bool retryable;
  std::string_view recommendation;
};

constexpr std::array<ClassInfo, kErrorClassCount> kInfo = {{
    {"bad_input", false,
     "The document itself is malformed or violates policy. Fix or replace the file and upload it "
     "again; retrying the same bytes will fail the same way."},
    {"unsupported_type", false,
     "The file type is not supported. Convert it to a supported format (text, Markdown, PDF, "
     "DOCX, HTML) and upload again."},
    {"rate_limited", true,
     "The embedding provider throttled us. Lower the request/token rate limits or raise the "
     "provider quota, then retry this class from the DLQ."},
    {"provider_unavailable", true,
     "A dependency (embedding provider, Redis, network) was down. Check its health and "
     "credentials, then retry this class from the DLQ."},
    {"timeout", true,
     "The job exceeded its time budget. Check for a stuck dependency or raise the step timeout, "
     "then retry from the DLQ."},
    {"internal", false,
     "A bug in scriptgen. Report it with the error history; retry from the DLQ once fixed."},
    {"cancelled", false, "The job was cancelled by a user; nothing to do."},
    {"storage_full", true,
     "The data directory's disk (or quota) was full. Free space (`scriptgen retention run`, "
     "old logs) or move the data to a larger volume, then retry this class from the DLQ."},
}};

}  // namespace

std::string_view ErrorClassName(ErrorClass c) {
  return kInfo.at(static_cast<int>(c)).name;
}

std::optional<ErrorClass> ParseErrorClass(std::string_view name) {
  for (int i = 0; i < kErrorClassCount; ++i) {
    if (kInfo[i].name == name) return static_cast<ErrorClass>(i);
  }
  return std::nullopt;
}

bool IsRetryable(ErrorClass c) {
  return kInfo.at(static_cast<int>(c)).retryable;
}

std::string_view Recommendation(ErrorClass c) {
  return kInfo.at(static_cast<int>(c)).recommendation;
}

ErrorClass ClassifyStatus(const Status& status) {
  switch (status.code()) {
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
    case Code::kAlreadyExists:
    case Code::kPermissionDenied:
      return ErrorClass::kBadInput;
    case Code::kUnsupported:
      return ErrorClass::kUnsupportedType;
    case Code::kResourceExhausted:
      return ErrorClass::kRateLimited;
    case Code::kUnavailable:
    case Code::kUnauthenticated:
      return ErrorClass::kProviderUnavailable;
    case Code::kDeadlineExceeded:
      return ErrorClass::kTimeout;
    case Code::kStorageFull:
      return ErrorClass::kStorageFull;
    case Code::kCancelled:
      return ErrorClass::kCancelled;
    case Code::kOk:
    case Code::kNotFound:
    case Code::kInternal:
      return ErrorClass::kInternal;
  }
  return ErrorClass::kInternal;
}

}  // namespace scriptgen::jobs
