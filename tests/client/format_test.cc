#include "client/format.h"

#include <gtest/gtest.h>

#include "client/table.h"

namespace scriptgen::client {
namespace {

TEST(Format, Bytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(999), "999 B");
  EXPECT_EQ(FormatBytes(1000), "1.00 KB");
  EXPECT_EQ(FormatBytes(12345), "12.3 KB");
  EXPECT_EQ(FormatBytes(123456789), "123 MB");
  EXPECT_EQ(FormatBytes(4'500'000'000), "4.50 GB");
}

TEST(Format, DurationAndRate) {
  EXPECT_EQ(FormatDuration(0.25), "250 ms");
  EXPECT_EQ(FormatDuration(3.214), "3.21 s");
  EXPECT_EQ(FormatDuration(125), "2m05s");
  EXPECT_EQ(FormatDuration(7260), "2h01m");
  EXPECT_EQ(FormatRate(5'000'000, 2.0), "2.50 MB/s");
  EXPECT_EQ(FormatRate(1, 0), "- MB/s");
}

TEST(Format, ProgressBarClampsAndFills) {
  EXPECT_EQ(ProgressBar(0, 10), "[----------]");
  EXPECT_EQ(ProgressBar(40, 10), "[####------]");
  EXPECT_EQ(ProgressBar(100, 10), "[##########]");
  EXPECT_EQ(ProgressBar(250, 4), "[####]");
  EXPECT_EQ(ProgressBar(-5, 4), "[----]");
}

TEST(Format, TruncateNeverSplitsACodePoint) {
  const std::string korean = "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4";  // 3 syllables
  EXPECT_EQ(DisplayWidth(korean), 3u);
  EXPECT_EQ(Truncate(korean, 3), korean);
  EXPECT_EQ(Truncate(korean, 2), "\xED\x95\x9C\xE2\x80\xA6");
  EXPECT_EQ(Truncate("abcdef", 4), "abc\xE2\x80\xA6");
  EXPECT_EQ(Truncate("abc", 0), "");
}

TEST(Format, SnippetCollapsesWhitespace) {
  EXPECT_EQ(Snippet("  a\n\n b \t c  ", 80), "a b c");
  EXPECT_EQ(Snippet("one two three", 7), "one tw\xE2\x80\xA6");
}

TEST(Format, ProgressLineFitsTheWidth) {
  const std::string line = ProgressLine("docs/notes.txt", 60, "embed", "12 of 20 chunks", 80);
  EXPECT_EQ(line, "docs/notes.txt  [############--------]  60%  embed  12 of 20 chunks");
  const std::string narrow =
      ProgressLine("a-very-long-file-name-that-goes-on-and-on.txt", 5, "chunk", "started", 40);
  EXPECT_EQ(DisplayWidth(narrow), 40u);
  EXPECT_EQ(ProgressLine("a.txt", 0, "", "", 80, 8), "a.txt     [--------------------]   0%");
  EXPECT_NE(narrow.find("\xE2\x80\xA6"), std::string::npos);
}

TEST(Table, AlignsColumnsByCodePoints) {
  Table t({"ID", "NAME", "STATE"});
  t.AddRow({"job_1", "\xED\x95\x9C.txt", "succeeded"});
  t.AddRow({"job_22", "a.md"});
  EXPECT_EQ(t.Render(),
            "ID      NAME   STATE\n"
            "job_1   \xED\x95\x9C.txt  succeeded\n"
            "job_22  a.md\n");
}

}  // namespace
}  // namespace scriptgen::client
