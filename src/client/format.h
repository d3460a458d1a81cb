// Text formatting for the client commands' human output: sizes, durations, rates, progress bars,
// snippets. Pure functions, UTF-8 aware (widths and truncation count code points, never cut one).
//
//   FormatBytes(12345)             -> "12.3 KB"      (decimal units, like MB/s)
//   FormatDuration(3.21)           -> "3.21 s"
//   FormatRate(5'000'000, 2.0)     -> "2.50 MB/s"
//   ProgressBar(40, 10)            -> "[####------]"
//   Snippet("a\n\n b  c", 80)      -> "a b c"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace scriptgen::client {

std::string FormatBytes(uint64_t bytes);
std::string FormatDuration(double seconds);
std::string FormatRate(uint64_t bytes, double seconds);  // MB/s
// `width` cells between the brackets; percent is clamped to 0..100.
std::string ProgressBar(int percent, int width);

// Number of code points (a stand-in for display width).
size_t DisplayWidth(std::string_view utf8);
// At most `max` code points; if cut, the last one kept is "…". Invalid bytes count as one each.
std::string Truncate(std::string_view utf8, size_t max);
// Whitespace runs (including newlines) collapsed to one space, trimmed, then Truncate(max).
std::string Snippet(std::string_view text, size_t max);
// `s` padded with spaces on the right to `width` code points (never truncated).
std::string PadRight(std::string_view s, size_t width);

// One progress line for a file, fitted to `width` code points:
//   "notes.txt  [######----]  60%  embed  12 of 20 chunks"
// The name is padded to `name_column` (so the bars of several lines align) and cut to at most
// 40% of the width.
std::string ProgressLine(std::string_view name, int percent, std::string_view step,
                         std::string_view message, size_t width, size_t name_column = 0);

}  // namespace scriptgen::client
