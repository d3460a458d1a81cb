#include "embed/hash_embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "embed/feature_hash.h"

namespace scriptgen {
namespace {

std::vector<float> EmbedAll(Embedder& e, const std::vector<std::string>& texts) {
  std::vector<float> out;
  EXPECT_TRUE(e.Embed(texts, &out).ok());
  EXPECT_EQ(out.size(), texts.size() * e.dimension());
  return out;
}

std::vector<float> EmbedText(Embedder& e, const std::string& text) {
  return EmbedAll(e, {text});
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double{a[i]} * b[i];
  return s;
}

double Norm(std::span<const float> v) {
  double s = 0;
  for (float x : v) s += double{x} * x;
  return std::sqrt(s);
}

TEST(HashEmbedderTest, VersionEncodesEveryVectorChangingParameter) {
  EXPECT_EQ(HashEmbedder().version(), "hash-v1-384");
  EXPECT_EQ(HashEmbedder({.dimension = 256}).version(), "hash-v1-256");
  EXPECT_EQ(HashEmbedder({.char_ngram = 4}).version(), "hash-v1-384-c4");
  EXPECT_EQ(HashEmbedder({.char_ngram = 0, .word_bigrams = false}).version(),
            "hash-v1-384-c0-nobigram");
}

TEST(HashEmbedderTest, ValidatesOptions) {
  EXPECT_EQ(HashEmbedder::Create({.dimension = 0}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HashEmbedder::Create({.dimension = 65537}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HashEmbedder::Create({.char_ngram = 9}).status().code(), Code::kInvalidArgument);
  EXPECT_THROW(HashEmbedder({.dimension = 0}), std::invalid_argument);
  auto ok = HashEmbedder::Create({.dimension = 64});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->dimension(), 64u);
}

TEST(HashEmbedderTest, OutputShapeAndNormalisation) {
  HashEmbedder e;
  const std::vector<std::string> texts = {"a", "The cat sat on the mat.",
                                          "서울은 한국의 수도입니다", std::string(5000, 'x') + " y",
                                          "漢字かな交じり文"};
  const std::vector<float> out = EmbedAll(e, texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    std::span<const float> v(out.data() + i * e.dimension(), e.dimension());
    EXPECT_NEAR(Norm(v), 1.0, 1e-5) << texts[i];
    for (float x : v) ASSERT_TRUE(std::isfinite(x));
  }
}

TEST(HashEmbedderTest, TextsWithoutTokensEmbedToZero) {
  HashEmbedder e;
  const std::vector<float> out = EmbedAll(e, {"", "   \n", "?!... \U0001F600 ---"});
  for (float x : out) EXPECT_EQ(x, 0.0f);
}

TEST(HashEmbedderTest, RejectsBadArguments) {
  HashEmbedder e({.dimension = 16});
  const std::vector<std::string> texts = {"x"};
  EXPECT_EQ(e.Embed(texts, nullptr).code(), Code::kInvalidArgument);
  std::vector<float> small(8);
  EXPECT_EQ(e.EmbedOne("x", small).code(), Code::kInvalidArgument);
  std::vector<float> out = {1, 2, 3};
  EXPECT_TRUE(e.Embed({}, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(HashEmbedderTest, DeterministicAcrossInstancesAndCalls) {
  const std::vector<std::string> texts = {"Deterministic embeddings matter.",
                                          "재실행 결과가 같아야 한다",
                                          "mixed 한국어 and English 123"};
  HashEmbedder a, b;
  const std::vector<float> first = EmbedAll(a, texts);
  const std::vector<float> second = EmbedAll(b, texts);
  const std::vector<float> third = EmbedAll(a, texts);
  ASSERT_EQ(first.size(), second.size());
  EXPECT_EQ(std::memcmp(first.data(), second.data(), first.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(first.data(), third.data(), first.size() * sizeof(float)), 0);
}

// The vectors of an embed_version must never change (R-G1: stored vectors are compared with new
// query vectors). If this fails, the feature definition changed: bump the version in
// MakeVersion and update the pin.
TEST(HashEmbedderTest, VectorsArePinnedForVersionV1) {
  HashEmbedder e;
  const std::vector<float> v =
      EmbedAll(e, {"The quick brown fox jumps over the lazy dog.", "서울은 한국의 수도입니다"});
  std::string bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  EXPECT_EQ(embed::Fnv1a64(bytes), 0x6359c68fd4d3353fULL) << std::hex << embed::Fnv1a64(bytes);
}

TEST(HashEmbedderTest, CaseWidthAndPunctuationDoNotChangeTheVector) {
  HashEmbedder e;
  EXPECT_EQ(EmbedText(e, "Hello, World!"), EmbedText(e, "hello world"));
  EXPECT_EQ(EmbedText(e, "ＨＥＬＬＯ ｗｏｒｌｄ"), EmbedText(e, "hello world"));
  EXPECT_EQ(EmbedText(e, "\u1112\u1161\u11ab\u1100\u1173\u11af"), EmbedText(e, "한글"));
}

TEST(HashEmbedderTest, ParaphraseIsNearerThanUnrelatedText) {
  HashEmbedder e;
  const auto a = EmbedText(e, "The quick brown fox jumps over the lazy dog near the riverbank.");
  const auto para = EmbedText(e, "A quick brown fox leaped over a lazy dog by the riverbank.");
  const auto other =
      EmbedText(e, "Quarterly revenue grew thanks to strong semiconductor sales in Asia.");
  EXPECT_NEAR(Dot(a, a), 1.0, 1e-5);
  EXPECT_GT(Dot(a, para), 0.4);
  EXPECT_LT(std::abs(Dot(a, other)), 0.2);
  EXPECT_GT(Dot(a, para), Dot(a, other) + 0.3);
}

TEST(HashEmbedderTest, SharedFunctionWordsAloneDoNotMakeTextsSimilar) {
  HashEmbedder e;
  const auto a = EmbedText(e, "the cat is on the mat");
  const auto b = EmbedText(e, "the dog is in the house");
  EXPECT_LT(std::abs(Dot(a, b)), 0.15);
  // ...but they still count when nothing else is shared.
  EXPECT_GT(Dot(EmbedText(e, "to be or not to be"), EmbedText(e, "to be")), 0.3);
}

TEST(HashEmbedderTest, RareSharedWordRanksTheRightDocumentFirst) {
  HashEmbedder e;
  const std::vector<std::string> docs = {
      "Our office is closed on public holidays and weekends.",
      "Plants convert light into chemical energy through photosynthesis in chloroplasts.",
      "The meeting was moved to Thursday afternoon at three.",
      "Remember to water the plants in the office every week.",
      "Energy prices rose sharply during the winter months.",
  };
  const std::vector<float> d = EmbedAll(e, docs);
  const auto q = EmbedText(e, "how does photosynthesis work");
  size_t best = 0;
  double best_score = -2;
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::vector<float> v(d.begin() + i * e.dimension(), d.begin() + (i + 1) * e.dimension());
    if (Dot(q, v) > best_score) best_score = Dot(q, v), best = i;
  }
  EXPECT_EQ(best, 1u);
}

TEST(HashEmbedderTest, KoreanTextsSharingWordsAreNear) {
  HashEmbedder e;
  const auto a = EmbedText(e, "서울은 대한민국의 수도이며 가장 큰 도시입니다.");
  const auto b = EmbedText(e, "대한민국의 수도는 서울이다.");
  const auto other = EmbedText(e, "고양이가 따뜻한 소파 위에서 낮잠을 잔다.");
  EXPECT_GT(Dot(a, b), Dot(a, other) + 0.2);
  // Character n-grams let inflected forms of one word match ("학교에서" / "학교는").
  const auto s1 = EmbedText(e, "학교에서");
  const auto s2 = EmbedText(e, "학교는");
  const auto s3 = EmbedText(e, "병원에서");
  EXPECT_GT(Dot(s1, s2), Dot(s2, s3));
}

TEST(HashEmbedderTest, TinyDimensionStillNormalised) {
  HashEmbedder e({.dimension = 1});
  const auto v = EmbedText(e, "anything at all");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0] == 1.0f || v[0] == -1.0f || v[0] == 0.0f);
}

TEST(HashEmbedderTest, ConcurrentEmbeddingIsIdentical) {
  HashEmbedder e;
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) {
    texts.push_back("document " + std::to_string(i) + " 문서 번호 " + std::to_string(i * 31) +
                    " about topic " + std::to_string(i % 7));
  }
  const std::vector<float> reference = EmbedAll(e, texts);
  std::vector<std::vector<float>> results(6);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        std::vector<float> out;
        if (!e.Embed(texts, &out).ok()) return;
        if (round == 0 || out == results[t]) results[t] = std::move(out);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, reference);
}

}  // namespace
}  // namespace scriptgen
