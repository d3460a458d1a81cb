// RFC 3339 / ISO 8601 timestamps in UTC with milliseconds, e.g. "2026-11-26T13:45:01.123Z", the
// one format scriptgen shows times in (API, logs, CLI).
#pragma once

#include <cstdint>
#include <string>

namespace scriptgen {

std::string FormatTimestampMs(int64_t unix_ms);

}  // namespace scriptgen
