#include "text/unicode_class.h"

#include <gtest/gtest.h>

namespace scriptgen::text {
namespace {

TEST(UnicodeClassTest, Whitespace) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\r', U'\u00a0', U'\u3000', U'\u2029'}) {
    EXPECT_TRUE(IsWhitespace(c)) << static_cast<int>(c);
  }
  for (char32_t c : {U'a', U'.', U'\u200b', U'\ud55c', U'\0'}) EXPECT_FALSE(IsWhitespace(c));
}

TEST(UnicodeClassTest, WordCharsCoverScriptsAndExcludePunctuation) {
  for (char32_t c :
       {U'a', U'Z', U'7', U'\u00e9', U'\u03b1', U'\u0436', U'\ud55c', U'\u6f22', U'\u3042'}) {
    EXPECT_TRUE(IsWordChar(c)) << static_cast<int>(c);
  }
  for (char32_t c : {U'.', U',', U'-', U'\u3002', U'\u201c', U'\U0001F600', U'\uff01', U'\uFFFD',
                     U'\x01', U' '}) {
    EXPECT_FALSE(IsWordChar(c)) << static_cast<int>(c);
  }
}

TEST(UnicodeClassTest, ScriptClasses) {
  EXPECT_TRUE(IsHangul(U'\ud55c'));
  EXPECT_FALSE(IsHanOrKana(U'\ud55c'));  // Korean has spaces: not a per-character script
  EXPECT_TRUE(IsHanOrKana(U'\u6f22'));
  EXPECT_TRUE(IsHanOrKana(U'\u30ab'));
  EXPECT_FALSE(IsHanOrKana(U'a'));
}

TEST(UnicodeClassTest, FoldCase) {
  EXPECT_EQ(FoldCase(U'A'), U'a');
  EXPECT_EQ(FoldCase(U'a'), U'a');
  EXPECT_EQ(FoldCase(U'\u00c9'), U'\u00e9');  // É
  EXPECT_EQ(FoldCase(U'\u00d7'), U'\u00d7');  // multiplication sign is not a letter
  EXPECT_EQ(FoldCase(U'\u0100'), U'\u0101');  // Ā
  EXPECT_EQ(FoldCase(U'\u0139'), U'\u013a');  // Ĺ (odd capital)
  EXPECT_EQ(FoldCase(U'\u0394'), U'\u03b4');  // Δ
  EXPECT_EQ(FoldCase(U'\u0416'), U'\u0436');  // Ж
  EXPECT_EQ(FoldCase(U'\u0401'), U'\u0451');  // Ё
  EXPECT_EQ(FoldCase(U'\uff21'), U'a');       // fullwidth A
  EXPECT_EQ(FoldCase(U'\ud55c'), U'\ud55c');
  for (char32_t c = 0; c < 0x3000; ++c) {  // folding is idempotent
    EXPECT_EQ(FoldCase(FoldCase(c)), FoldCase(c)) << static_cast<int>(c);
  }
}

TEST(UnicodeClassTest, ComposeHangulMatchesPrecomposed) {
  // "한글" in NFD: ᄒ ᅡ ᆫ ᄀ ᅳ ᆯ
  std::u32string s = U"\u1112\u1161\u11ab\u1100\u1173\u11af x";
  ComposeHangul(&s);
  EXPECT_EQ(s, U"\ud55c\uae00 x");
  std::u32string lv = U"\u1100\u1161";  // 가 without a final
  ComposeHangul(&lv);
  EXPECT_EQ(lv, U"\uac00");
  std::u32string lone = U"\u1100";  // a lone leading jamo stays
  ComposeHangul(&lone);
  EXPECT_EQ(lone, U"\u1100");
}

}  // namespace
}  // namespace scriptgen::text
