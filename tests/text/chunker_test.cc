#include "text/chunker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chunk_invariants.h"
#include "text/utf8.h"

namespace scriptgen {
namespace {

using testing_util::ChunksSatisfyInvariants;

std::vector<TextChunk> Chunk(std::string_view s, size_t target, size_t overlap,
                             size_t min_chars = 1) {
  ChunkOptions o{.target_chars = target, .overlap_chars = overlap, .min_chars = min_chars};
  EXPECT_TRUE(ValidateChunkOptions(o).ok());
  std::vector<TextChunk> chunks = ChunkText(s, o);
  EXPECT_TRUE(ChunksSatisfyInvariants(s, chunks, o));
  return chunks;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Deterministic varied English sentences of 20..60 characters.
std::string Sentences(int count) {
  const char* words[] = {"alpha",   "beta", "gamma", "delta",  "epsilon", "zeta",   "eta",
                         "theta",   "iota", "kappa", "lambda", "mu",      "nu",     "xi",
                         "omicron", "pi",   "rho",   "sigma",  "tau",     "upsilon"};
  std::string s;
  unsigned x = 7;
  for (int i = 0; i < count; ++i) {
    if (!s.empty()) s += ' ';
    const int n = 3 + static_cast<int>((x = x * 1103515245u + 12345u) >> 16) % 6;
    for (int w = 0; w < n; ++w) {
      std::string word = words[((x = x * 1103515245u + 12345u) >> 16) % 20];
      if (w == 0) word[0] = static_cast<char>(word[0] - 'a' + 'A');
      s += (w ? " " : "") + word;
    }
    s += '.';
  }
  return s;
}

TEST(ChunkerTest, EmptyInputYieldsNoChunks) {
  EXPECT_TRUE(Chunk("", 100, 10).empty());
}

TEST(ChunkerTest, WhitespaceOnlyInputYieldsNoChunks) {
  EXPECT_TRUE(Chunk(" \n\t\r\n \u3000\u00a0\u2029 ", 100, 10).empty());
}

TEST(ChunkerTest, ShortTextIsOneTrimmedChunk) {
  const std::string s = "  \n Hello, world.  \n";
  auto chunks = Chunk(s, 100, 10);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "Hello, world.");
  EXPECT_EQ(chunks[0].byte_offset, 4u);
}

TEST(ChunkerTest, ValidateOptions) {
  EXPECT_TRUE(ValidateChunkOptions({}).ok());
  EXPECT_EQ(ValidateChunkOptions({.target_chars = 0, .overlap_chars = 0}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ValidateChunkOptions({.target_chars = 100, .overlap_chars = 100}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      ValidateChunkOptions({.target_chars = 100, .overlap_chars = 0, .min_chars = 101}).code(),
      Code::kInvalidArgument);
}

TEST(ChunkerTest, InvalidOptionsAreClampedNotFatal) {
  const std::string s = Sentences(20);
  auto tiny = ChunkText(s, {.target_chars = 0, .overlap_chars = 5});
  EXPECT_TRUE(ChunksSatisfyInvariants(s, tiny, /*target=*/1, /*overlap=*/0));
  auto wide = ChunkText(s, {.target_chars = 40, .overlap_chars = 400});
  EXPECT_TRUE(ChunksSatisfyInvariants(s, wide, /*target=*/40, /*overlap=*/39));
}

TEST(ChunkerTest, PrefersParagraphBreaks) {
  const std::string p1 = "The first paragraph talks about apples. It is short.";
  const std::string p2 = "The second paragraph is about pears and it is a little longer. Really.";
  ASSERT_GT(p1.size(), 50u);
  const std::string s = p1 + "\n\n" + p2;
  auto chunks = Chunk(s, 100, 0);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, p1);
  EXPECT_EQ(chunks[1].text, p2);
}

TEST(ChunkerTest, CrLfBlankLineIsAParagraphBreak) {
  const std::string s = "one two three four five six seven\r\n\r\neight nine ten. eleven twelve";
  auto chunks = Chunk(s, 50, 0);
  ASSERT_GE(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "one two three four five six seven");
}

TEST(ChunkerTest, EndsChunksAtSentenceEnds) {
  const std::string s = Sentences(60);
  for (size_t overlap : {0, 30}) {
    auto chunks = Chunk(s, 150, overlap);
    ASSERT_GT(chunks.size(), 5u);
    for (const TextChunk& c : chunks) EXPECT_TRUE(EndsWith(c.text, ".")) << c.text;
  }
}

TEST(ChunkerTest, OverlapStartsAtASentenceStartWhenOneFits) {
  const std::string s = Sentences(60);
  auto chunks = Chunk(s, 200, 80);
  ASSERT_GT(chunks.size(), 3u);
  for (size_t i = 1; i < chunks.size(); ++i) {
    const TextChunk& prev = chunks[i - 1];
    EXPECT_LT(chunks[i].byte_offset, prev.byte_offset + prev.byte_length) << "no overlap";
    EXPECT_EQ(s.substr(chunks[i].byte_offset - 2, 2), ". ") << chunks[i].text;
  }
}

TEST(ChunkerTest, OverlapStartsAtAWordStartInsideLongSentences) {
  std::string s;
  for (int i = 0; i < 200; ++i) s += std::string("word") + std::to_string(i * 7919 % 1000) + ' ';
  auto chunks = Chunk(s, 60, 20);
  ASSERT_GT(chunks.size(), 10u);
  for (size_t i = 1; i < chunks.size(); ++i) {
    const TextChunk& prev = chunks[i - 1];
    EXPECT_LT(chunks[i].byte_offset, prev.byte_offset + prev.byte_length) << "no overlap";
    EXPECT_EQ(s[chunks[i].byte_offset - 1], ' ') << chunks[i].text;
    EXPECT_EQ(chunks[i].text.substr(0, 4), "word");
  }
}

TEST(ChunkerTest, NoOverlapWhenZero) {
  const std::string s = Sentences(40);
  auto chunks = Chunk(s, 80, 0);
  for (size_t i = 1; i < chunks.size(); ++i) {
    EXPECT_GE(chunks[i].byte_offset, chunks[i - 1].byte_offset + chunks[i - 1].byte_length);
  }
}

TEST(ChunkerTest, WhitespaceGapLongerThanOverlapIsNotCarried) {
  const std::string s = "first words here" + std::string(500, ' ') + "second words here";
  auto chunks = Chunk(s, 100, 20);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "first words here");
  EXPECT_EQ(chunks[1].text, "second words here");
}

TEST(ChunkerTest, KoreanCountsCodePointsAndEndsAtSentences) {
  const std::string s =
      "오늘은 날씨가 정말 좋습니다. 우리는 아침 일찍 공원에 갔습니다. 공원에는 사람이 "
      "많았습니다. 아이들은 뛰어놀고 어른들은 산책을 했습니다. 점심에는 김밥을 먹었습니다. "
      "오후에는 도서관에 가서 책을 읽었습니다. 저녁에는 가족과 함께 영화를 보았습니다. "
      "정말 즐거운 하루였습니다.";
  auto chunks = Chunk(s, 60, 15);
  ASSERT_GT(chunks.size(), 2u);
  bool bytes_exceed_target = false;
  for (const TextChunk& c : chunks) {
    EXPECT_TRUE(EndsWith(c.text, "다.")) << c.text;
    bytes_exceed_target |= c.byte_length > 60;
  }
  EXPECT_TRUE(bytes_exceed_target) << "sizes must be code points, not bytes";
}

TEST(ChunkerTest, KoreanSentenceEndingsWithoutPeriods) {
  // Informal transcripts often drop the period: "니다"/"세요" before a space still ends a sentence.
  const std::string s =
      "저는 학생입니다 매일 아침 학교에 가서 친구들을 만납니다 수업이 끝나면 "
      "도서관에서 공부를 조금 더 합니다 주말에는 가족과 시간을 보냅니다 여러분도 "
      "좋은 하루 보내세요 다음에 또 만나요 그럼 안녕히 계세요";
  auto chunks = Chunk(s, 40, 0);
  ASSERT_GT(chunks.size(), 2u);
  for (size_t i = 0; i + 1 < chunks.size(); ++i) {
    const std::string& t = chunks[i].text;
    EXPECT_TRUE(EndsWith(t, "니다") || EndsWith(t, "세요") || EndsWith(t, "만나요")) << t;
  }
}

TEST(ChunkerTest, ChineseWithoutSpacesBreaksAfterFullStops) {
  std::string s;
  const char* sentences[] = {"今天天气很好。", "我们去公园散步了。", "公园里有很多人在跑步和唱歌。",
                             "孩子们在草地上玩耍。", "晚上我们一起吃了饺子。"};
  for (int i = 0; i < 30; ++i) s += sentences[i % 5];
  auto chunks = Chunk(s, 40, 8);
  ASSERT_GT(chunks.size(), 5u);
  for (const TextChunk& c : chunks) EXPECT_TRUE(EndsWith(c.text, "。")) << c.text;
}

TEST(ChunkerTest, EmojiClustersAreNotSplit) {
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";  // 5 code points
  const std::string thumbs = "\U0001F44D\U0001F3FD";                        // 2 code points
  std::string s;
  for (int i = 0; i < 100; ++i) s += (i % 3 == 0) ? thumbs : family;
  auto chunks = Chunk(s, 23, 6);
  ASSERT_GT(chunks.size(), 10u);
  for (const TextChunk& c : chunks) {
    EXPECT_TRUE(c.text.starts_with("\U0001F468") || c.text.starts_with("\U0001F44D")) << c.text;
    EXPECT_TRUE(EndsWith(c.text, "\U0001F467") || EndsWith(c.text, "\U0001F3FD")) << c.text;
  }
}

TEST(ChunkerTest, HugeSingleWordIsCutIntoFullWindows) {
  const size_t n = size_t{1} << 20;
  const std::string s(n, 'a');
  auto chunks = Chunk(s, 1000, 150);
  // Maximal packing: the first chunk is 1000 long, every later one adds 850 new code points.
  EXPECT_EQ(chunks.size(), 1 + (n - 1000 + 849) / 850);
  for (size_t i = 0; i + 1 < chunks.size(); ++i) EXPECT_EQ(chunks[i].byte_length, 1000u);
}

TEST(ChunkerTest, HugeHangulRunNeverSplitsASequence) {
  std::string s;
  for (int i = 0; i < 350000; ++i) s += "가";  // ~1 MB, 3 bytes per code point
  auto chunks = Chunk(s, 1000, 100);
  ASSERT_GT(chunks.size(), 300u);
  for (const TextChunk& c : chunks) {
    EXPECT_EQ(c.byte_offset % 3, 0u);
    EXPECT_EQ(c.byte_length % 3, 0u);
    EXPECT_LE(c.byte_length, 3000u);
  }
}

TEST(ChunkerTest, InvalidUtf8BytesPassThrough) {
  const std::string s = "abc \xFF\xFE def \xE3\x81";
  auto chunks = Chunk(s, 100, 10);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, s);
}

TEST(ChunkerTest, MinCharsKeepsTheLastChunkFromBeingTiny) {
  std::string s;
  for (int i = 0; i < 40; ++i) s += "abcd ";
  s += "xy";  // 202 code points
  auto loose = Chunk(s, 50, 0, 1);
  EXPECT_LT(text::CountCodePoints(loose.back().text), 10u) << loose.back().text;
  auto strict = Chunk(s, 50, 0, 20);
  EXPECT_GE(text::CountCodePoints(strict.back().text), 20u) << strict.back().text;
}

TEST(ChunkerTest, DeterministicAcrossCallsAndBuffers) {
  std::string s = Sentences(80) + "\n\n한국어 문장입니다. 또 다른 문장이에요.\n\n" + Sentences(30);
  const std::string copy = s;
  auto a = ChunkText(s, {});
  auto b = ChunkText(copy, {});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_EQ(a[i].byte_offset, b[i].byte_offset);
    EXPECT_EQ(a[i].byte_length, b[i].byte_length);
  }
}

}  // namespace
}  // namespace scriptgen
