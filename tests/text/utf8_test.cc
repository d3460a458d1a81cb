#include "text/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace scriptgen::text {
namespace {

TEST(Utf8Test, DecodesEveryLength) {
  const std::string s = "a\u00e9\ud55c\U0001F600";  // 1, 2, 3 and 4 bytes
  std::u32string cps;
  for (size_t i = 0; i < s.size();) {
    const Utf8Unit u = DecodeUtf8At(s, i);
    EXPECT_TRUE(u.valid);
    cps.push_back(u.code_point);
    i += u.length;
  }
  EXPECT_EQ(cps, U"a\u00e9\ud55c\U0001F600");
  EXPECT_EQ(CountCodePoints(s), 4u);
  EXPECT_TRUE(IsValidUtf8(s));
}

TEST(Utf8Test, RejectsMalformedSequencesOneByteAtATime) {
  const std::string bad[] = {
      "\x80",              // stray continuation
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong
      "\xED\xA0\x80",      // surrogate U+D800
      "\xF4\x90\x80\x80",  // > U+10FFFF
      "\xE3\x81",          // truncated
      "\xFF",
  };
  for (const std::string& s : bad) {
    const Utf8Unit u = DecodeUtf8At(s, 0);
    EXPECT_FALSE(u.valid) << testing::PrintToString(s);
    EXPECT_EQ(u.length, 1u);
    EXPECT_EQ(u.code_point, kReplacementChar);
    EXPECT_FALSE(IsValidUtf8(s));
    EXPECT_EQ(CountCodePoints(s), s.size());  // every byte is its own unit
  }
}

TEST(Utf8Test, AppendRoundTripsAndReplacesImpossibleValues) {
  std::string s;
  for (char32_t c : {U'a', U'\u00e9', U'\ud55c', U'\U0001F600'}) AppendUtf8(c, &s);
  EXPECT_EQ(s, "a\u00e9\ud55c\U0001F600");
  std::string r;
  AppendUtf8(0xD800, &r);
  AppendUtf8(0x110000, &r);
  EXPECT_EQ(r, "\uFFFD\uFFFD");
}

TEST(Utf8Test, SanitizeKeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(SanitizeUtf8("plain \ud55c\uae00"), "plain \ud55c\uae00");
  const std::string s = SanitizeUtf8(
      "a\xFF"
      "b\xE3\x81");
  EXPECT_EQ(s,
            "a\uFFFD"
            "b\uFFFD\uFFFD");
  EXPECT_TRUE(IsValidUtf8(s));
}

}  // namespace
}  // namespace scriptgen::text
