#include "ingest/text_sections.h"

#include <gtest/gtest.h>

namespace scriptgen::ingest {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

TEST(RewriteSectionsTest, WithoutSectionsRewritesTheWholeText) {
  store::DocumentText in{"abc def", {}};
  store::DocumentText out = RewriteSections(in, Upper);
  EXPECT_EQ(out.text, "ABC DEF");
  EXPECT_TRUE(out.sections.empty());
}

TEST(RewriteSectionsTest, MovesOffsetsWhenPiecesChangeLength) {
  // Three pages; the rewrite doubles every 'x', so later pages start later.
  store::DocumentText in{"xx|yy|zx", {{0, 1, ""}, {3, 2, "B"}, {6, 3, "C"}}};
  auto doubler = [](std::string_view s) {
    std::string out;
    for (char c : s) out += c == 'x' ? std::string("xx") : std::string(1, c);
    return out;
  };
  store::DocumentText out = RewriteSections(in, doubler);
  EXPECT_EQ(out.text, "xxxx|yy|zxx");
  ASSERT_EQ(out.sections.size(), 3u);
  EXPECT_EQ(out.sections[0].byte_offset, 0u);
  EXPECT_EQ(out.sections[1].byte_offset, 5u);
  EXPECT_EQ(out.sections[1].heading, "B");
  EXPECT_EQ(out.sections[2].byte_offset, 8u);
  EXPECT_EQ(out.sections[2].page, 3);
}

TEST(RewriteSectionsTest, KeepsTextBeforeTheFirstSectionAndDropsEmptiedSections) {
  store::DocumentText in{"pre-a-b", {{4, 1, "A"}, {6, 2, "B"}}};
  auto drop_a = [](std::string_view s) { return s == "a-" ? std::string() : std::string(s); };
  store::DocumentText out = RewriteSections(in, drop_a);
  EXPECT_EQ(out.text, "pre-b");
  ASSERT_EQ(out.sections.size(), 1u);
  EXPECT_EQ(out.sections[0].heading, "B");
  EXPECT_EQ(out.sections[0].byte_offset, 4u);
}

TEST(RewriteSectionsTest, ClampsOffsetsPastTheEnd) {
  store::DocumentText in{"abc", {{0, 1, ""}, {99, 2, ""}}};
  store::DocumentText out = RewriteSections(in, Upper);
  EXPECT_EQ(out.text, "ABC");
  EXPECT_EQ(out.sections.size(), 1u);
}

TEST(AttachSectionsTest, EachChunkTakesTheSectionOfItsFirstByte) {
  std::vector<store::TextSection> sections{{2, 1, "Intro"}, {10, 2, "Intro > Scope"}};
  std::vector<store::NewChunk> chunks{
      {"a", 0, 1}, {"b", 2, 1}, {"c", 9, 4}, {"d", 10, 1}, {"e", 50, 1}};
  AttachSections(chunks, sections);
  EXPECT_EQ(chunks[0].page, 0);  // before the first section
  EXPECT_EQ(chunks[0].heading, "");
  EXPECT_EQ(chunks[1].page, 1);
  EXPECT_EQ(chunks[2].heading, "Intro");  // starts in page 1, runs into page 2
  EXPECT_EQ(chunks[3].page, 2);
  EXPECT_EQ(chunks[4].heading, "Intro > Scope");
}

}  // namespace
}  // namespace scriptgen::ingest
