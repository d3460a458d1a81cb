#include "ingest/text_validation.h"

#include <gtest/gtest.h>

#include <random>

namespace scriptgen::ingest {
namespace {

TEST(TextValidationTest, Utf8Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("한국어 텍스트 ✓ 🎬"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("ok \x80 not"));
}

// Cross-checks the validator against a slow reference decoder on random byte strings.
bool ReferenceValid(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return false;
    i += n;
  }
  return true;
}

TEST(TextValidationTest, RandomBytesAgreeWithReference) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? 0x80 + rng() % 0x80 : rng() % 256);
    ASSERT_EQ(IsValidUtf8(s), ReferenceValid(s)) << iter;
  }
}

TEST(TextValidationTest, DeclaredTypes) {
  EXPECT_TRUE(CheckDeclaredType("text/plain", "a.bin").ok());
  EXPECT_TRUE(CheckDeclaredType("text/plain; charset=utf-8", "a").ok());
  EXPECT_TRUE(CheckDeclaredType("Text/Markdown", "a").ok());
  EXPECT_TRUE(CheckDeclaredType("application/octet-stream", "notes.MD").ok());
  EXPECT_TRUE(CheckDeclaredType("", "notes.txt").ok());
  EXPECT_EQ(CheckDeclaredType("application/octet-stream", "a.exe").code(), Code::kUnsupported);
  EXPECT_EQ(CheckDeclaredType("image/png", "a.txt").code(), Code::kUnsupported);
  EXPECT_EQ(CheckDeclaredType("application/pdf", "a.pdf").code(), Code::kUnsupported);
}

TEST(TextValidationTest, ContentChecks) {
  EXPECT_TRUE(ValidateTextDocument("text/plain", "a.txt", "hello").ok());
  EXPECT_EQ(ValidateTextDocument("text/plain", "a.txt", std::string("a\0b", 3)).code(),
            Code::kUnsupported);
  EXPECT_EQ(ValidateTextDocument("text/plain", "a.txt", "bad \xFF byte").code(),
            Code::kInvalidArgument);
  // A head cut inside a multi-byte character is not held against the file.
  EXPECT_TRUE(ValidateTextDocument("text/plain", "a.txt", "한\xED\x95").ok());
}

TEST(TextValidationTest, NormalizeStripsBomAndLineEnds) {
  EXPECT_EQ(NormalizeText("\xEF\xBB\xBFline1\r\nline2\rline3\n"), "line1\nline2\nline3\n");
  EXPECT_EQ(NormalizeText(""), "");
  EXPECT_EQ(NormalizeText("\r\r\n"), "\n\n");
}

}  // namespace
}  // namespace scriptgen::ingest
