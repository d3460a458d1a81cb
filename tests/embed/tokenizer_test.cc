#include "embed/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scriptgen::embed {
namespace {

using Tokens = std::vector<std::string>;

TEST(TokenizerTest, SplitsOnPunctuationAndWhitespaceAndLowerCases) {
  EXPECT_EQ(Tokenize("Hello, World! COVID-19 isn't\tover."),
            (Tokens{"hello", "world", "covid", "19", "isn", "t", "over"}));
}

TEST(TokenizerTest, EmptyAndPunctuationOnly) {
  EXPECT_TRUE(Tokenize("").empty());
  EXPECT_TRUE(Tokenize(" \n\t ... !!! \U0001F600 ").empty());
}

TEST(TokenizerTest, KoreanWordsStayWhole) {
  EXPECT_EQ(Tokenize("안녕하세요, 세계! 학교에서 공부합니다."),
            (Tokens{"안녕하세요", "세계", "학교에서", "공부합니다"}));
}

TEST(TokenizerTest, HanAndKanaAreOneTokenPerCharacter) {
  EXPECT_EQ(Tokenize("東京タワー abc漢字"),
            (Tokens{"東", "京", "タ", "ワ", "ー", "abc", "漢", "字"}));
}

TEST(TokenizerTest, NormalisesWidthCaseAndHangulComposition) {
  EXPECT_EQ(Tokenize("ＨＥＬＬＯ Ünïcode ΑΒΓ"), Tokenize("hello ünïcode αβγ"));
  // "한글" decomposed (NFD, as macOS file names are) tokenises like the precomposed form.
  EXPECT_EQ(Tokenize("\u1112\u1161\u11ab\u1100\u1173\u11af"), Tokens{"한글"});
}

TEST(TokenizerTest, InvalidBytesSeparateTokens) {
  EXPECT_EQ(Tokenize("abc\xFF"
                     "def\xE3\x81ghi"),
            (Tokens{"abc", "def", "ghi"}));
}

}  // namespace
}  // namespace scriptgen::embed
