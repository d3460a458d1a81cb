#include "extract/text_decoding.h"

#include <gtest/gtest.h>

#include "text/utf8.h"

namespace scriptgen::extract {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(DecodeTextTest, Boms) {
  EXPECT_EQ(DecodeText("\xEF\xBB\xBFhi").utf8, "hi");
  EXPECT_EQ(DecodeText(Bytes({0xFF, 0xFE, 'h', 0, 'i', 0})).utf8, "hi");
  EXPECT_EQ(DecodeText(Bytes({0xFE, 0xFF, 0, 'h', 0, 'i'})).utf8, "hi");
  EXPECT_EQ(DecodeText(Bytes({0xFF, 0xFE, 0, 0, 'h', 0, 0, 0})).utf8, "h");
  DecodedText be32 = DecodeText(Bytes({0, 0, 0xFE, 0xFF, 0, 0, 0xAC, 0x00}));
  EXPECT_EQ(be32.charset, "UTF-32BE");
  EXPECT_EQ(be32.utf8, "가");
}

TEST(DecodeTextTest, Utf16WithoutBomHeuristic) {
  std::u16string s = u"plain ascii words in utf-16 without a byte order mark";
  std::string le(reinterpret_cast<const char*>(s.data()), s.size() * 2);
  DecodedText d = DecodeText(le);
  EXPECT_EQ(d.charset, "UTF-16LE");
  EXPECT_EQ(d.utf8, "plain ascii words in utf-16 without a byte order mark");
}

TEST(DecodeTextTest, HintAndCanonicalNames) {
  EXPECT_EQ(CanonicalCharset("EUC-KR"), "windows-949");
  EXPECT_EQ(CanonicalCharset("UHC"), "windows-949");
  EXPECT_EQ(CanonicalCharset("no-such-charset"), "");
  // "똠" in CP949 is 0x8C 0x63: not EUC-KR, fine for windows-949.
  EXPECT_EQ(DecodeText(Bytes({0x8C, 0x63}), "euc-kr").utf8, "똠");
  EXPECT_EQ(DecodeText("caf\xE9", "iso-8859-1").utf8, "café");
}

TEST(DecodeTextTest, InvalidBytesAreReplacedNeverPassedThrough) {
  DecodedText d = DecodeText("a\xFF", "UTF-8");
  EXPECT_TRUE(text::IsValidUtf8(d.utf8));
  DecodedText sjis = DecodeText("\x82\xA0\xFF\xFF\x82\xA0", "Shift_JIS");
  EXPECT_TRUE(text::IsValidUtf8(sjis.utf8));
  EXPECT_TRUE(sjis.had_invalid);
}

TEST(NormalizeTextTest, NfcLineEndsAndControls) {
  EXPECT_EQ(NormalizeText("\u1112\u1161\u11AB"), "한");
  EXPECT_EQ(NormalizeText("a\r\nb\rc\u2028d\fe"), "a\nb\nc\nd\ne");
  EXPECT_EQ(NormalizeText(std::string("x\0y\x01z\tw", 8)), "xyz\tw");
  EXPECT_EQ(NormalizeText("bad\xC3"), "bad\xEF\xBF\xBD");
}

}  // namespace
}  // namespace scriptgen::extract
