#include "text/break_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace scriptgen::text {
namespace {

// Level of ending a chunk right after the first occurrence of `before` in s.
BreakLevel LevelAfter(const std::string& s, const std::string& before) {
  const size_t pos = s.find(before);
  EXPECT_NE(pos, std::string::npos) << before;
  const size_t byte = pos + before.size();
  const TextLayout t = AnalyzeText(s);
  for (size_t i = 0; i <= t.size(); ++i) {
    if (t.offsets[i] == byte) return t.end_level[i];
  }
  ADD_FAILURE() << "not a unit boundary";
  return BreakLevel::kNone;
}

TEST(BreakRulesTest, Latin) {
  const std::string s = "Hello world. Next line\nthird, \"Quoted.\" Last";
  EXPECT_EQ(LevelAfter(s, "Hello"), BreakLevel::kWord);
  EXPECT_EQ(LevelAfter(s, "world."), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter(s, "line"), BreakLevel::kLine);
  EXPECT_EQ(LevelAfter(s, "\"Quoted.\""), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter(s, "Hel"), BreakLevel::kCodePoint);
  EXPECT_EQ(LevelAfter(s, "Last"), BreakLevel::kParagraph);  // end of text
  EXPECT_EQ(LevelAfter("pi is 3.14 ok", "3."), BreakLevel::kCodePoint);
}

TEST(BreakRulesTest, LineEndings) {
  EXPECT_EQ(LevelAfter("a\n\nb", "a"), BreakLevel::kParagraph);
  EXPECT_EQ(LevelAfter("a\r\n\r\nb", "a"), BreakLevel::kParagraph);
  EXPECT_EQ(LevelAfter("a \n \t \n b", "a"), BreakLevel::kParagraph);
  EXPECT_EQ(LevelAfter("a\r\nb", "a"), BreakLevel::kLine);  // CR LF is one line end
  EXPECT_EQ(LevelAfter("a\u2029b", "a"), BreakLevel::kParagraph);
  EXPECT_EQ(LevelAfter("a\fb", "a"), BreakLevel::kParagraph);
}

TEST(BreakRulesTest, Korean) {
  EXPECT_EQ(LevelAfter("그는 집에 갔다\n다음 날", "갔다"), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter("바다 위에 배가 있다", "바다"), BreakLevel::kWord);
  EXPECT_EQ(LevelAfter("감사합니다 그리고 안녕", "감사합니다"), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter("어서 오세요 여기", "오세요"), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter("좋습니다. 네", "좋습니다."), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter("한국어 문장", "한국어"), BreakLevel::kWord);
}

TEST(BreakRulesTest, CjkWithoutSpaces) {
  const std::string s = "他来了。我们走吧「好。」然后";
  EXPECT_EQ(LevelAfter(s, "他来了。"), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter(s, "他"), BreakLevel::kWord);
  EXPECT_EQ(LevelAfter(s, "「好。」"), BreakLevel::kSentence);
  EXPECT_EQ(LevelAfter(s, "「好"), BreakLevel::kCodePoint);  // never before 。
}

TEST(BreakRulesTest, GraphemeClustersAreKept) {
  EXPECT_EQ(LevelAfter("cafe\u0301s", "cafe"), BreakLevel::kNone);  // before a combining mark
  const std::string family = "\U0001F468\u200D\U0001F469";
  EXPECT_EQ(LevelAfter(family, "\U0001F468"), BreakLevel::kNone);
  EXPECT_EQ(LevelAfter(family, "\U0001F468\u200D"), BreakLevel::kNone);
  EXPECT_EQ(LevelAfter("\U0001F44D\U0001F3FD\U0001F44D", "\U0001F44D"), BreakLevel::kNone);
  EXPECT_EQ(LevelAfter("\U0001F44D\U0001F3FD\U0001F44D", "\U0001F44D\U0001F3FD"),
            BreakLevel::kCodePoint);
}

TEST(BreakRulesTest, StartLevelsFollowThePrecedingBreak) {
  const std::string s = "One two. Three";
  const TextLayout t = AnalyzeText(s);
  EXPECT_EQ(t.start_level[0], BreakLevel::kParagraph);  // "One": text start
  EXPECT_EQ(t.start_level[4], BreakLevel::kWord);       // "two"
  EXPECT_EQ(t.start_level[9], BreakLevel::kSentence);   // "Three"
  EXPECT_EQ(t.start_level[5], BreakLevel::kCodePoint);  // "wo."
  EXPECT_EQ(t.start_level[3], BreakLevel::kNone);       // a space
}

TEST(BreakRulesTest, InvalidBytesAreUnits) {
  const std::string s = "a\xFF\xE3\x81 b";
  const TextLayout t = AnalyzeText(s);
  ASSERT_EQ(t.size(), 6u);  // a, FF, E3, 81, space, b
  EXPECT_EQ(t.offsets[2], 2u);
  EXPECT_EQ(t.space[4], 1);
}

}  // namespace
}  // namespace scriptgen::text
