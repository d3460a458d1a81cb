// Code points are found by skipping UTF-8 continuation bytes (10xxxxxx); that is all the UTF-8
// knowledge truncation needs to never split a character.
#include "client/format.h"

#include <algorithm>
#include <cstdio>

namespace scriptgen::client {
namespace {

bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::string Printf(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  const char* units[] = {"KB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1000 && u < 3) {
    v /= 1000;
    ++u;
  }
  return Printf(v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v) + " " + units[u];
}

std::string FormatDuration(double seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 1) return Printf("%.0f", seconds * 1000) + " ms";
  if (seconds < 60) return Printf("%.2f", seconds) + " s";
  const auto total = static_cast<int64_t>(seconds + 0.5);
  char buf[64];
  if (total < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60));
  }
  return buf;
}

std::string FormatRate(uint64_t bytes, double seconds) {
  if (seconds <= 0) return "- MB/s";
  return Printf("%.2f", static_cast<double>(bytes) / 1e6 / seconds) + " MB/s";
}

std::string ProgressBar(int percent, int width) {
  percent = std::clamp(percent, 0, 100);
  width = std::max(width, 1);
  const int filled = percent * width / 100;
  // Built by appends: GCC 12 at -O3 reports a false -Wrestrict on the operator+ chain.
  std::string bar;
  bar.reserve(static_cast<size_t>(width) + 2);
  bar.push_back('[');
  bar.append(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '-');
  bar.push_back(']');
  return bar;
}

size_t DisplayWidth(std::string_view utf8) {
  return static_cast<size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return !IsContinuation(c); }));
}

std::string Truncate(std::string_view utf8, size_t max) {
  if (DisplayWidth(utf8) <= max) return std::string(utf8);
  if (max == 0) return "";
  // Keep max-1 code points, then the ellipsis.
  size_t kept = 0;
  size_t i = 0;
  while (i < utf8.size()) {
    if (!IsContinuation(utf8[i])) {
      if (kept == max - 1) break;
      ++kept;
    }
    ++i;
  }
  return std::string(utf8.substr(0, i)) + "\xE2\x80\xA6";
}

std::string Snippet(std::string_view text, size_t max) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return Truncate(out, max);
}

std::string PadRight(std::string_view s, size_t width) {
  std::string out(s);
  const size_t w = DisplayWidth(s);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string ProgressLine(std::string_view name, int percent, std::string_view step,
                         std::string_view message, size_t width, size_t name_column) {
  const int bar_cells = width >= 100 ? 30 : 20;
  std::string tail = "  " + ProgressBar(percent, bar_cells) + " " +
                     Printf("%3.0f", std::clamp(percent, 0, 100)) + "%";
  if (!step.empty()) tail += "  " + std::string(step);
  // The name gets up to 40% of the line, at least enough to be recognisable.
  const size_t name_width = std::max<size_t>(12, width * 2 / 5);
  std::string line = PadRight(Truncate(name, name_width), std::min(name_column, name_width)) + tail;
  if (!message.empty()) line += "  " + std::string(message);
  return Truncate(line, width);
}

}  // namespace scriptgen::client
